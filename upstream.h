/*
 * upstream: where a lease's tokens come from and where they go back,
 * behind one take/put interface.  Either the parent jobserver (a pipe
 * pair, a fifo, or the pipe pair a --serve daemon sent), or a pool of our
 * own: a counter of free tokens (the wrapper's -j N, the daemon's pool,
 * and what a wrapper goes on with once its parent is gone).
 */
#ifndef JOBPROXY_UPSTREAM_H
#define JOBPROXY_UPSTREAM_H

#include "jobserver.h"

struct upstream {
	int counter;		/* a pool of our own: FREE is all there is */
	long free;		/* counter: free tokens; below 0 a shrunk pool
				 * still waits for that many to come back */
	struct parent_js js;	/* not a counter: the parent's fds, ours */
	int sock;		/* the daemon's socket, held while we run (it
				 * takes our tokens back once it closes), or -1 */
	int supply;		/* tokens may still come from JS; without,
				 * what goes back still goes back */
	int gone;		/* news for the caller: the parent vanished and
				 * we became a counter of what we could not
				 * give back (up_put, up_take); cleared by it */
};

/* Nothing open: every fd -1, a counter of 0 free. */
void up_init(struct upstream *u);

/* A pool of our own with FREE tokens. */
void up_counter(struct upstream *u, long free);

/* The parent jobserver A names: 0, or -1 after one line saying why it
 * cannot be used. */
int up_open(struct upstream *u, const struct js_auth *a);

/*
 * Before up_take(): the fd to poll for POLLIN, or -1 when there is none to
 * wait for: a counter answers at once (if UP_SUPPLY), a parent that
 * failed never again.
 */
int up_poll_fd(const struct upstream *u);
#define UP_SUPPLY(u) ((u)->counter || (u)->supply)

/* A parent jobserver whose token fd a read cannot block on (not the
 * shared blocking description up_take() must guard with a timer): a take
 * may be tried before waiting, at the cost of one read. */
int up_nowait(const struct upstream *u);

/*
 * Before a wait on up_poll_fd(): a fifo parent whose owner has ended
 * (js_parent_ended) is gone as a pipe parent that reads EOF is (GONE
 * set).  Nothing wakes a wait for that, so while the parent is a fifo of
 * a known owner, *TIMEOUT (ms) is lowered to UP_FIFO_LOOK_MS to look again.
 */
#define UP_FIFO_LOOK_MS 1000
void up_check(struct upstream *u, int *timeout);

/* Take one token, its byte into *B: 1, or 0 (none now, or none ever: a
 * failure is said once and ends the supply). */
int up_take(struct upstream *u, unsigned char *b);

/* Give back N tokens, bytes B (a counter ignores the bytes). */
void up_put(struct upstream *u, const unsigned char *b, unsigned long n);

/* Close what is ours. */
void up_close(struct upstream *u);

#endif
