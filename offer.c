/* offer: see offer.h. */
#include "offer.h"
#include "util.h"

/* Lower the poll() *TIMEOUT (ms) to the moment AT (us), rounded up. */
static void lower_to(int *timeout, int64_t at, int64_t now)
{
	timeout_lower(timeout, ms_ceil(at - now));
}

static void parked(struct offer *o, int64_t now, int64_t idle_ms)
{
	o->parked_at = now;
	o->idle = idle_ms * 1000;
	o->look_at = now + OFFER_LOOK_US;
}

void offer_parked(struct offer *o, int64_t now)
{
	parked(o, now, OFFER_IDLE_MS);
}

void offer_kept(struct offer *o, int64_t now)
{
	parked(o, now, OFFER_KEPT_IDLE_MS);
}

int offer_expired(const struct offer *o, int64_t now, int *timeout)
{
	if (now - o->parked_at >= o->idle)
		return 1;
	lower_to(timeout, o->parked_at + o->idle, now);
	return 0;
}

int offer_look_due(struct offer *o, int64_t now, int64_t *wake)
{
	int64_t next;

	if (o->look_at == 0)
		return 0;
	if (now < o->look_at) {
		wake_lower(wake, o->look_at);
		return 0;
	}
	/* The next look, for a tree seen waiting or running: twice as long
	 * after the parking, while that is before the idle time. */
	next = now + (now - o->parked_at);
	o->look_at = next > now && next < o->parked_at + o->idle ? next : 0;
	if (o->look_at)
		wake_lower(wake, o->look_at);
	return 1;
}

/* xorshift32: enough to spread probes, and a fixed sequence per seed for
 * the tests.  A zero state would stay zero: no jitter then. */
static uint32_t jitter(struct offer *o, int64_t range)
{
	uint32_t x = o->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	o->rng = x;
	return range > 0 ? (uint32_t)(x % (uint32_t)(range + 1)) : 0;
}

void offer_withdrew(struct offer *o, int64_t now)
{
	o->look_at = 0;
	o->backoff = o->backoff ? o->backoff * 2 : OFFER_PROBE_MIN_MS;
	if (o->backoff > OFFER_PROBE_MAX_MS)
		o->backoff = OFFER_PROBE_MAX_MS;
	o->probe_at = now + (o->backoff +
			     jitter(o, o->backoff / OFFER_JITTER)) * 1000;
	o->probing = 1;
}

void offer_hungry(struct offer *o)
{
	o->probe_at = 0;
	o->backoff = 0;
	o->probing = 0;
}

int offer_probing(const struct offer *o)
{
	return o->probing;
}

int offer_looked(struct offer *o, int64_t now, int tree, int *timeout)
{
	if (tree != OFFER_NOT_WAITING) {
		o->probing = 0;	/* this probe parks; it stands till then */
		return 1;
	}
	offer_withdrew(o, now);
	lower_to(timeout, o->probe_at, now);
	return 0;
}

int offer_due(struct offer *o, int64_t now, int *timeout)
{
	if (o->probe_at == 0)
		return 1;
	if (now >= o->probe_at) {
		o->probe_at = 0;
		return 1;
	}
	lower_to(timeout, o->probe_at, now);
	return 0;
}

int offer_keep(struct offer *o, int64_t now)
{
	int hot = o->last_return && now - o->last_return < OFFER_HOT_US;

	o->last_return = now;
	return hot ? 2 : 1;
}
