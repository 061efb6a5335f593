/*
 * lease: one client's private jobserver, fed from an upstream (upstream.h)
 * and accounted so that whatever the client does, the upstream gets back
 * exactly what the client was given.  The wrapper has one lease, for its
 * command (relay.c); the daemon one per connected build (daemon.c).
 *
 * The client reads tokens from a pipe of its own (or a fifo) and writes
 * returns to another pipe (or the same fifo).  A token waits there, parked,
 * only while the offer policy says so (offer.h): one, or two for a client
 * that gives tokens back faster than we wake; an unread one goes back
 * after an idle while.  Every token taken from the upstream is counted in
 * the ledger (tokens.h) with its byte until it goes back, so:
 *  - a return the client could not have made (it holds fewer than it
 *    writes) is refused, never passed on: the upstream cannot grow;
 *  - a return is kept for the client's next job when its pipe is empty
 *    (make releases a token when a job ends and takes one for the next),
 *    else passed on, as one of the upstream's own bytes;
 *  - when the client is gone everything still counted goes back.
 */
#ifndef JOBPROXY_LEASE_H
#define JOBPROXY_LEASE_H

#include "jobserver.h"
#include "nowait.h"
#include "offer.h"
#include "tokens.h"
#include "upstream.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>

/* Without a one-slot pipe (not Linux, or a client that made its pipe
 * bigger) a parked token is looked at this often; it is never parked for
 * longer than OFFER_IDLE_MS unread, so this tick runs only then. */
#define LEASE_TICK_MS 2

/* A fifo client's returns land where its tokens wait.  Without inotify
 * (not Linux) look there this often while it holds tokens (never while it
 * is idle); with it every write is an event and there is no tick. */
#define LEASE_FIFO_TICK_MS 20

#define LEASE_POLLS 3		/* most pollfd entries one lease asks for */

struct lease {
	struct child_js js;	/* the client's jobserver; ours: tok_w,
				 * ret_r, tok_peek, watch */
	struct upstream *up;	/* where its tokens come from and go back */
	struct tokens tok;	/* what it was given, not yet back: the
				 * upstream's bytes */
	struct offer offer;	/* when to park, when to take back */
	unsigned long parked;	/* tokens unread where it reads */
	int ret_open;		/* pipe style: a process may still return */
	int fifo_more;		/* fifo: the last trim was cut short */
	int greedy;		/* fifo, a pool of our own: keep every token
				 * we can give parked, never take one back
				 * (see below) */
	int nowait;		/* fifo, a parent jobserver, a client that
				 * never waits: nowait.h decides */
	struct nowait nw;
	FILE *trace;		/* --trace, or NULL; closed by its owner */
	int role[LEASE_POLLS];	/* what lease_poll() put where */
	int npoll;
};

/* What lease_ready() saw that its caller may want to say. */
struct lease_news {
	unsigned long refused;	/* over-returns refused */
	int grown;		/* the client made its token pipe bigger:
				 * from now on it is looked at on a timer */
	int closed;		/* no process can return a token any more */
};

/*
 * Greedy: for a fifo client that never waits for a token (ninja 1.13
 * tries one non-blocking read as a job starts or ends, and polls nothing
 * else), fed from a pool of our own.  The one-token offer would leave it
 * serial: the token taken back after OFFER_IDLE_MS is not there when its
 * running job ends and a fan-out becomes ready, and it looks again only
 * when the next job ends.  So every free token of the pool waits in its
 * fifo, as in a make 4.4 -jN root's, and nothing idles back: a pool of
 * our own has no sibling that could use it.  Set after lease_init().
 */

/*
 * Nowait: the same client below a parent jobserver, whose free tokens its
 * siblings may want: nowait.h's policy (fill at each of its looks, take
 * back what idles past its rhythm).  Set after lease_init().
 */

/* Nothing open yet (every fd -1), fed from UP. */
void lease_init(struct lease *L, struct upstream *up);

/* Make the client's jobserver: pipes, or a fifo.  0, or -1 with errno. */
int lease_open(struct lease *L, int fifo);

/*
 * The client has its ends now (spawned, or sent over the socket): close
 * ours of them.  Holding the return pipe's write end would hide its EOF,
 * which tells that no process is left that could give a token back.
 */
void lease_handed_over(struct lease *L);

/* Nothing parked and an offer due at NOW (us)?  Else *TIMEOUT (ms, -1
 * none) is lowered to when one will be. */
int lease_wants(struct lease *L, int64_t now, int *timeout);

/* Take one token from the upstream and park it: 1, or 0 when none came. */
int lease_offer(struct lease *L, int64_t now);

/* Park every token the upstream gives without waiting, while the pipe
 * or fifo takes them: how many. */
unsigned long lease_fill(struct lease *L, int64_t now);

/* Nowait: a fill due at NOW?  Then park every token the upstream gives
 * without waiting: how many. */
unsigned long lease_nowait_fill(struct lease *L, int64_t now, int *timeout);

/* Lower *TIMEOUT to when lease_expire() or lease_wants() will have
 * something to do: what the daemon waits for, acting on nothing. */
void lease_timers(struct lease *L, int64_t now, int *timeout);

/* Take back what idled unread past its time (fifo: trim too); else lower
 * *TIMEOUT to when it will have. */
void lease_expire(struct lease *L, int64_t now, int *timeout);

/*
 * A parked token's look due at NOW (offer.h, offer_look_due)?  Never in
 * the greedy and nowait modes, nor where our only reader of the token
 * pipe is the client's blocking end.  Else *WAKE (util.h's wake_lower)
 * is lowered to when it will be.
 */
int lease_look_due(struct lease *L, int64_t now, int64_t *wake);

/* The look said the tree does not wait: take back what is parked, as if
 * it had idled out. */
void lease_take_back(struct lease *L, int64_t now);

/* Fill up to LEASE_POLLS entries of PFD with what to wait for: how many.
 * *TIMEOUT is lowered for the ticks. */
int lease_poll(struct lease *L, struct pollfd *pfd, int *timeout);

/* After poll(): act on the entries lease_poll() filled at PFD. */
void lease_ready(struct lease *L, const struct pollfd *pfd, int64_t now,
		 struct lease_news *news);

/* Take back every parked token now (a daemon that stops): how many. */
unsigned long lease_withdraw(struct lease *L);

/* The client is gone: empty its token pipe and give everything back.
 * How many went back; *UNREAD of them were still parked. */
unsigned long lease_hand_back(struct lease *L, unsigned long *unread);

/* Close our ends (the fifo and its directory go too). */
void lease_close(struct lease *L);

#endif
