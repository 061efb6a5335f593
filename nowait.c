/* nowait: see nowait.h. */
#include "nowait.h"
#include "offer.h"
#include "util.h"

void nowait_init(struct nowait *w)
{
	w->parked_at = -1;
	w->last_look = -1;
	w->gap = -1;
	w->fill_at = 0;
}

int64_t nowait_idle(const struct nowait *w)
{
	if (w->gap < 0 || 2 * w->gap > NOWAIT_IDLE_MAX_MS)
		return NOWAIT_IDLE_MAX_MS;
	return 2 * w->gap < OFFER_IDLE_MS ? OFFER_IDLE_MS : 2 * w->gap;
}

void nowait_parked(struct nowait *w, int64_t now)
{
	if (w->parked_at < 0)
		w->parked_at = now;
}

void nowait_emptied(struct nowait *w, int64_t now)
{
	if (w->last_look >= 0)
		w->gap = now - w->last_look;
	w->last_look = now;
	w->parked_at = -1;	/* nothing waits unread any more */
	w->fill_at = now;
}

void nowait_returned(struct nowait *w, int64_t now)
{
	/* Its return is kept parked for it, but does not restart the clock
	 * of what waited already: in its last jobs, with nothing more to
	 * start, it returns one token after another and reads none. */
	nowait_parked(w, now);
	w->fill_at = now;
}

int nowait_fill_due(struct nowait *w, int64_t now, int *timeout)
{
	if (now >= w->fill_at) {
		w->fill_at = now + NOWAIT_AWAY_MS;
		return 1;
	}
	timeout_lower(timeout, w->fill_at - now);
	return 0;
}

int nowait_expired(const struct nowait *w, int64_t now, int *timeout)
{
	int64_t end = w->parked_at + nowait_idle(w);

	if (w->parked_at < 0)
		return 0;
	if (now >= end)
		return 1;
	timeout_lower(timeout, end - now);
	return 0;
}

void nowait_withdrew(struct nowait *w, int64_t now)
{
	w->parked_at = -1;
	w->fill_at = now + NOWAIT_AWAY_MS;
}
