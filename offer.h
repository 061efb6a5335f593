/*
 * offer: when to keep a token parked for a child, and when to take it back.
 * Pure logic on a millisecond clock the caller passes in, so it is unit
 * tested without time passing.
 *
 * No pipe says "a reader is waiting", so a proxy that wants zero latency
 * must park a token before the child asks; one that never takes it back
 * hoards a slot for every idle child (a sub-make with one job on its
 * implicit slot, a long link).  The policy: a parked token left unread for
 * IDLE_MS goes back; offers resume at the child's next sign of life (it
 * took a token, or returned one) or, failing that, after a back-off that
 * doubles from PROBE_MIN_MS to PROBE_MAX_MS, for a child that became
 * hungry while all its jobs ran on its implicit slot.
 */
#ifndef JOBPROXY_OFFER_H
#define JOBPROXY_OFFER_H

#define OFFER_IDLE_MS 20
#define OFFER_PROBE_MIN_MS 40
#define OFFER_PROBE_MAX_MS 1000

struct offer {
	long parked_at;		/* when the parked token went in */
	long probe_at;		/* after a withdrawal: next offer, else 0 */
	long backoff;		/* the wait before that offer */
};

/* A token was parked at NOW. */
void offer_parked(struct offer *o, long now);

/*
 * A token is parked: 1 when it has idled long enough to take back, else 0
 * and *TIMEOUT (ms, -1 for none) lowered to when it will have.
 */
int offer_expired(const struct offer *o, long now, int *timeout);

/* We took the parked token back at NOW: wait before the next offer. */
void offer_withdrew(struct offer *o, long now);

/* The child took a token or returned one: offer again at once. */
void offer_hungry(struct offer *o);

/*
 * No token is parked: 1 when one may be offered now, else 0 and *TIMEOUT
 * lowered to when one may.
 */
int offer_due(struct offer *o, long now, int *timeout);

#endif
