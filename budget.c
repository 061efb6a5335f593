/* budget: see budget.h. */
#include "budget.h"

#include <string.h>

/*
 * e^(-x) for x >= 0 without libm (jobproxy links nothing but libc):
 * halve x to below 1/2, a Taylor series there (error < 3e-4 relative),
 * square back.  The moving average needs no better: the kernel's own is
 * 11-bit fixed point.
 */
static double decay(double x)
{
	double y;
	int halvings = 0;

	if (x <= 0)
		return 1;
	if (x > 40)
		return 0;
	while (x > 0.5) {
		x /= 2;
		halvings++;
	}
	y = 1 - x + x * x / 2 - x * x * x / 6 + x * x * x * x / 24;
	while (halvings-- > 0)
		y *= y;
	return y;
}

static int jobs(const struct budget *b)
{
	return b->out + b->implicit;
}

/* Bring the moving average of our jobs count up to NOW. */
static void advance(struct budget *b, int64_t now)
{
	if (now > b->at) {
		double k = decay((double)(now - b->at) / BUDGET_LOAD_TAU_MS);

		b->avg = jobs(b) + (b->avg - jobs(b)) * k;
		b->at = now;
	}
}

/* Is the debt in slot I still owed at NOW? */
static int owing(const struct budget *b, int i, int64_t now)
{
	return b->owed[i].bytes > 0 &&
	       now / 1000 - b->owed[i].sec < BUDGET_GROW_SLOTS;
}

static int64_t owed_total(const struct budget *b, int64_t now)
{
	int64_t sum = 0;
	int i;

	for (i = 0; i < BUDGET_GROW_SLOTS; i++)
		if (owing(b, i, now))
			sum += b->owed[i].bytes;
	return sum;
}

/* Pay AMOUNT off the debts, oldest first. */
static void pay(struct budget *b, int64_t amount, int64_t now)
{
	int64_t sec;

	for (sec = now / 1000 - BUDGET_GROW_SLOTS + 1;
	     sec <= now / 1000 && amount > 0; sec++) {
		struct budget_owed *o;

		if (sec < 0)
			continue;
		o = &b->owed[sec % BUDGET_GROW_SLOTS];
		if (o->sec != sec || o->bytes <= 0)
			continue;
		if (o->bytes > amount) {
			o->bytes -= amount;
			return;
		}
		amount -= o->bytes;
		o->bytes = 0;
	}
}

/* BYTES owed from NOW on, by a start or an unseen one. */
static void owe(struct budget *b, int64_t bytes, int64_t now)
{
	struct budget_owed *o = &b->owed[(now / 1000) % BUDGET_GROW_SLOTS];

	if (o->sec != now / 1000) {
		o->sec = now / 1000;
		o->bytes = 0;
	}
	o->bytes += bytes;
}

/* No more debt than SIZE per running job: the ones that ended owe none. */
static void trim(struct budget *b, int64_t now)
{
	int64_t most = (int64_t)jobs(b) * b->conf.mem_per_job;
	int64_t total = owed_total(b, now);

	if (total > most)
		pay(b, total - most, now);
}

void budget_init(struct budget *b, const struct budget_conf *conf,
		 int64_t now)
{
	memset(b, 0, sizeof *b);
	b->conf = *conf;
	if (b->conf.mem_per_job > BUDGET_SIZE_MAX)
		b->conf.mem_per_job = BUDGET_SIZE_MAX;
	b->at = now;
	b->last_left = BUDGET_UNKNOWN;
	b->st.since = -1;
	b->st.spare = BUDGET_UNKNOWN;
	b->st.estimate = BUDGET_UNKNOWN;
	b->st.cap = conf->pool;
}

int budget_needs(const struct budget *b)
{
	return (b->conf.mem_per_job > 0 ? BUDGET_NEED_MEM : 0) |
	       (b->conf.load_max > 0 ? BUDGET_NEED_LOAD : 0);
}

static int clamp(int n)
{
	return n < 0 ? 0 : n > BUDGET_JOBS_MAX ? BUDGET_JOBS_MAX : n;
}

void budget_jobs(struct budget *b, int out, int implicit, int64_t now)
{
	int before = jobs(b);

	advance(b, now);
	b->out = clamp(out);
	b->implicit = clamp(implicit);
	if (b->conf.mem_per_job > 0) {
		if (jobs(b) > before)
			owe(b, (int64_t)(jobs(b) - before) * b->conf.mem_per_job,
			    now);
		else
			b->ended = clamp(b->ended + (before - jobs(b)));
		trim(b, now);
	}
}

/* 1 and *MORE = more jobs that fit in memory (may be < 0), or 0: unknown. */
static int mem_more(struct budget *b, int64_t left, int64_t now,
		    int64_t *more)
{
	int64_t spare, size = b->conf.mem_per_job;

	b->st.spare = BUDGET_UNKNOWN;
	if (size <= 0 || left < 0)
		return 0;
	if (b->last_left >= 0 && left < b->last_left)
		pay(b, b->last_left - left, now);	/* the jobs grew */
	else if (b->last_left >= 0 &&
		 left - b->last_left > (int64_t)b->ended * size) {
		/* freed, and no job ended that we saw: one ended unseen and
		 * the next took its slot; it will take that memory */
		owe(b, left - b->last_left - (int64_t)b->ended * size, now);
		trim(b, now);
	}
	b->last_left = left;
	b->ended = 0;
	spare = left - owed_total(b, now);
	b->st.spare = spare;
	/* floor, also below zero */
	*more = spare >= 0 ? spare / size : -((-spare + size - 1) / size);
	return 1;
}

/* More jobs the load allows (>= 0), or -1 when not limited. */
static int64_t load_more(struct budget *b, double load1, int64_t now)
{
	double other, e, room;
	int64_t more;

	b->st.estimate = BUDGET_UNKNOWN;
	if (b->conf.load_max <= 0 || load1 < 0)
		return -1;
	advance(b, now);
	other = load1 - b->avg;
	e = (other > 0 ? other : 0) + jobs(b);
	b->st.estimate = e;
	room = b->conf.load_max - e;
	if (room <= 0)
		return 0;
	if (room > b->conf.pool + 1.0)
		return (int64_t)b->conf.pool + 1;
	more = (int64_t)room;		/* ceil: e + (k - 1) < L */
	return more < room ? more + 1 : more;
}

/* The cap on tokens out; *WHY says which rule set it (BUDGET_OK: N). */
static int cap_of(struct budget *b, const struct budget_reading *r,
		  int64_t now, enum budget_why *why)
{
	int64_t more, load = load_more(b, r->load1, now);
	int64_t cap = b->conf.pool, least = b->implicit > 0 ? 0 : 1;

	*why = BUDGET_OK;
	if (load >= 0 && b->out + load < cap) {
		cap = b->out + load;
		*why = BUDGET_LOAD;
	}
	/* memory names the hold when both do: it is the one that kills */
	if (mem_more(b, r->mem_left, now, &more) &&
	    (b->out + more < cap ||
	     (b->out + more == cap && *why == BUDGET_LOAD))) {
		cap = b->out + more;
		*why = BUDGET_MEM;
	}
	if (cap < least)	/* never below one job */
		cap = least;
	b->st.cap = (int)cap;
	return (int)cap;
}

static void end_hold(struct budget *b, int64_t now)
{
	if (b->st.since >= 0) {
		b->st.held_ms += now - b->st.since;
		b->st.since = -1;
	}
}

static void hold(struct budget *b, enum budget_why why, int64_t now)
{
	if (b->st.since < 0) {
		b->st.holds++;
		b->st.since = now;
	} else if (b->st.why == why) {
		return;
	}
	b->st.why = why;
	if (why == BUDGET_MEM)
		b->st.by_mem++;
	else
		b->st.by_load++;
}

enum budget_why budget_ask(struct budget *b, const struct budget_reading *r,
			   int64_t now, int *timeout)
{
	enum budget_why why;
	int cap = cap_of(b, r, now, &why);

	if (b->out < cap) {
		end_hold(b, now);
		return BUDGET_OK;
	}
	if (why == BUDGET_OK || b->out >= b->conf.pool) {
		end_hold(b, now);
		return BUDGET_FULL;
	}
	hold(b, why, now);
	if (*timeout < 0 || *timeout > BUDGET_RECHECK_MS)
		*timeout = BUDGET_RECHECK_MS;
	return why;
}

void budget_quiet(struct budget *b, int64_t now)
{
	end_hold(b, now);
}

int budget_cap(struct budget *b, const struct budget_reading *r,
	       int64_t now)
{
	enum budget_why why;

	return cap_of(b, r, now, &why);
}

int64_t budget_held_ms(const struct budget *b, int64_t now)
{
	return b->st.held_ms + (b->st.since >= 0 ? now - b->st.since : 0);
}

const char *budget_why_name(enum budget_why why)
{
	switch (why) {
	case BUDGET_MEM:
		return "memory";
	case BUDGET_LOAD:
		return "load";
	case BUDGET_FULL:
		return "pool";
	default:
		return "none";
	}
}
