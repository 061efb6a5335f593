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
 *
 * Where the OS tells what the command's tree waits for (Linux's /proc,
 * proctree.h), a probe looks before it parks: a tree that is not blocked
 * reading or polling the token pipe, nor running with it open (a make in
 * wait4 while its one job runs, a compiler running) gets no token, only the
 * next look, so an idle child costs one wakeup a probe and holds nothing
 * out of the pool.  A tree that waits, or one that cannot be told (another
 * OS, hidepid), gets the probe's token as before.  The first offer and
 * those after a sign of life are never held up by a look: that is the
 * zero-latency path.  Each probe's wait grows by up to 1/OFFER_JITTER of it
 * at random, so that the probes of children started together drift apart
 * instead of all parking (or looking) in the same millisecond; at the cap
 * that is one wakeup in every PROBE_MAX_MS to
 * PROBE_MAX_MS * (1 + 1/OFFER_JITTER).
 *
 * A parked token that idles a moment (OFFER_LOOK_US) where the OS tells
 * gets looks too, until it idles out: a tree that does not wait (a make in
 * wait4 while its jobs run) cannot read it before something wakes it, and
 * a sibling sub-make may be waiting for that very slot, so it goes back at
 * once instead of after IDLE_MS.  A tree that waits or runs (a make between
 * two jobs, one a CPU that is busy elsewhere has not run yet) keeps it
 * until IDLE_MS as before: a short idle timer alone took tokens from
 * clients that were merely not scheduled (measured: 2.4x the relay bench's
 * round trip with 2 ms / 1 ms timers on a shared CPU).  In the bench's
 * recursive tree at -j8 this early take-back took jobproxy from 1.022x a
 * do-nothing wrapper to 1.0095x (30 interleaved rounds; README,
 * "Measured").  The first look comes OFFER_LOOK_US after the parking,
 * finer than poll()'s millisecond (waitset.h).  With the first look at 2
 * ms (1 ms for a kept return), the tokens taken back in one build of that
 * tree had idled 1-2 ms each, 75-90 ms of a slot in all; with it at 0.3
 * ms, 0.9 ms each, 33-42 ms in all, and the tree went from 1.013x to
 * 1.009x the wrapper (100 interleaved rounds).
 *
 * A returned token is kept parked for the child's next job rather than
 * sent up and fetched again, for a shorter while (offer_kept).  A child
 * that gives tokens back faster than a wake-up round trip (tiny jobs, a
 * client looping acquire+release) would still wait for us after every
 * release, so while its returns come less than OFFER_HOT_US apart a second
 * one is kept beside the first: then the child never waits on a relay.
 * A slower child never gets the spare, and the idle rule takes back both.
 */
#ifndef JOBPROXY_OFFER_H
#define JOBPROXY_OFFER_H

#include <stdint.h>

#define OFFER_IDLE_MS 20
#define OFFER_KEPT_IDLE_MS 5
#define OFFER_LOOK_US 300
#define OFFER_PROBE_MIN_MS 40
#define OFFER_PROBE_MAX_MS 1000
#define OFFER_HOT_US 250
#define OFFER_JITTER 4

/* What a look at the command's tree said (proctree.h's tree_waits). */
#define OFFER_CANNOT_TELL (-1)
#define OFFER_NOT_WAITING 0
#define OFFER_WAITING 1

/* Times are microseconds on the caller's monotonic clock (util.h's
 * now_us); the policy's constants and *TIMEOUT, poll()'s, are in
 * milliseconds. */
struct offer {
	int64_t parked_at;	/* when the parked token went in */
	int64_t idle;		/* and how long it may wait unread */
	int64_t look_at;	/* its look (offer_look_due), or 0: none due */
	int64_t probe_at;	/* after a withdrawal: next offer, else 0 */
	int64_t backoff;	/* ms, the wait before that offer */
	int64_t last_return;	/* the child's previous return, or 0 */
	uint32_t rng;		/* the jitter's state; seed it non-zero */
	int probing;		/* the offer due is a probe: look first */
};

/* A token was parked at NOW. */
void offer_parked(struct offer *o, int64_t now);

/*
 * A token the child returned was parked again at NOW, for its next job.
 * make takes that one within a few milliseconds or not at all (measured:
 * every such token read was read within 6 ms), so it may idle only
 * OFFER_KEPT_IDLE_MS: one left there at the end of a sub-make's work
 * idled 20 ms, the largest share of parked-but-unused slot time in the
 * bench tree.
 */
void offer_kept(struct offer *o, int64_t now);

/*
 * A token is parked: 1 when it has idled long enough to take back, else 0
 * and *TIMEOUT (ms, -1 for none) lowered to when it will have.
 */
int offer_expired(const struct offer *o, int64_t now, int *timeout);

/*
 * A token is parked: 1 when a look is due at NOW (the caller takes the
 * token back if the tree does not wait), else 0.  Looks come at
 * OFFER_LOOK_US after the parking and at twice as long each time after
 * it (0.3, 0.6, 1.2, 2.4 ms...), while that is before the idle time;
 * *WAKE (util.h's wake_lower) is lowered to the next one.
 */
int offer_look_due(struct offer *o, int64_t now, int64_t *wake);

/* We took the parked token back at NOW: wait before the next offer,
 * which will be a probe. */
void offer_withdrew(struct offer *o, int64_t now);

/* The child took a token or returned one: offer again at once. */
void offer_hungry(struct offer *o);

/*
 * No token is parked: 1 when one may be offered now, else 0 and *TIMEOUT
 * lowered to when one may.
 */
int offer_due(struct offer *o, int64_t now, int *timeout);

/* offer_due() said 1: is it a probe, which a look at the tree may call
 * off (offer_looked)?  Never the first offer nor one after a sign of
 * life. */
int offer_probing(const struct offer *o);

/*
 * A look at NOW before a probe said TREE (OFFER_WAITING...): 1, offer now
 * (it waits, or cannot be told); 0, it does not wait: no token, the next
 * probe after the back-off as if one had been parked and taken back, and
 * *TIMEOUT lowered to it.
 */
int offer_looked(struct offer *o, int64_t now, int tree, int *timeout);

/*
 * The child returned a token at NOW: how many tokens may sit parked in its
 * pipe after we keep the returned one there, 1 or 2.
 */
int offer_keep(struct offer *o, int64_t now);

#endif
