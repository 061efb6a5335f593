/*
 * nowait: when to park tokens for a client that never waits for one,
 * below a parent jobserver.  Pure logic on a millisecond clock the caller
 * passes in, so it is unit tested without time passing.
 *
 * ninja 1.13 reads its jobserver only as it could start an edge: once at
 * its start and once each time one of its jobs ends, one non-blocking
 * read per edge it could start, until one finds nothing.  It never polls
 * and never blocks.  On the parent's fifo itself it finds every token free
 * in the parent's pool at those instants; the one-token offer (offer.h),
 * which takes back a token unread after 20 ms, leaves its fifo empty
 * whenever a job ends, and a fan-out after a serial step runs one job at
 * a time.  So for such a client:
 *  - fill: at its start, each time it emptied its fifo (it looked and may
 *    want more) and each time it gave a token back (a job ended: its next
 *    look is now), park every token the parent gives without waiting;
 *  - idle: what waits unread for NOWAIT_IDLE(gap) goes back, gap being the
 *    last time between two of its looks that emptied the fifo: twice that,
 *    at least OFFER_IDLE_MS, at most NOWAIT_IDLE_MAX_MS (and that when no
 *    gap is known yet: a serial first step);
 *  - else fill every NOWAIT_AWAY_MS, as it would look itself: a token
 *    that stayed free in the parent that long is one no sibling waited
 *    for.  The parent is never polled: a token a sibling make gives back
 *    as a job ends and takes again for its next job is its own, not one
 *    to race it for, as ninja on the parent's fifo would not;
 *  - away: once taken back, nothing is taken from the parent for
 *    NOWAIT_AWAY_MS unless the client shows life, so that siblings waiting
 *    for a token (woken by our write) get the ones we gave back first.
 * Siblings so lose at most NOWAIT_IDLE_MAX_MS per token to a ninja that
 * does not use it (a serial step); a ninja that uses them keeps them.
 */
#ifndef JOBPROXY_NOWAIT_H
#define JOBPROXY_NOWAIT_H

#include <stdint.h>

#define NOWAIT_IDLE_MAX_MS 200
#define NOWAIT_AWAY_MS 40

struct nowait {
	int64_t parked_at;	/* the idle clock's start, or -1: none parked */
	int64_t last_look;	/* its last look that emptied the fifo, or -1 */
	int64_t gap;		/* between its last two such looks, or -1 */
	int64_t fill_at;	/* when to fill next */
};

/* Nothing known yet; a fill is due at once (the client's first look). */
void nowait_init(struct nowait *w);

/* How long a parked token may wait unread (ms). */
int64_t nowait_idle(const struct nowait *w);

/* Tokens were parked at NOW (the idle clock starts if none waited). */
void nowait_parked(struct nowait *w, int64_t now);

/* The client emptied its fifo at NOW: it looked, and may want more. */
void nowait_emptied(struct nowait *w, int64_t now);

/* The client gave a token back at NOW: a job ended, it looks now. */
void nowait_returned(struct nowait *w, int64_t now);

/* A fill due at NOW?  1 (and the next is due NOWAIT_AWAY_MS later, if no
 * news comes first), else 0 with *TIMEOUT (ms, -1 none) lowered to when
 * it will be. */
int nowait_fill_due(struct nowait *w, int64_t now, int *timeout);

/* Parked tokens idled out at NOW?  Else *TIMEOUT lowered. */
int nowait_expired(const struct nowait *w, int64_t now, int *timeout);

/* What idled was taken back at NOW: away for NOWAIT_AWAY_MS. */
void nowait_withdrew(struct nowait *w, int64_t now);

#endif
