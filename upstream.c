/*
 * upstream: see upstream.h.
 *
 * The parent can vanish under us: a jobproxy above is SIGKILLed, and its
 * token pipe reads EOF while no one reads its return pipe any more.  What
 * we still hold then can only serve our own subtree, so the upstream turns
 * itself into a counter of the tokens it could not give back, and says so
 * (GONE) for the caller to decide the rest (relay.c: parent_gone).
 */
#include "upstream.h"
#include "msg.h"
#include "tokens.h"
#include "util.h"

#include <errno.h>
#include <poll.h>

void up_init(struct upstream *u)
{
	u->counter = 0;
	u->free = 0;
	js_parent_init(&u->js);
	u->sock = -1;
	u->supply = 0;
	u->gone = 0;
}

void up_counter(struct upstream *u, long free)
{
	js_close_parent(&u->js);
	u->counter = 1;
	u->free = free;
	u->supply = 0;
}

int up_open(struct upstream *u, const struct js_auth *a)
{
	if (js_open_parent(a, &u->js) < 0)
		return -1;
	u->counter = 0;
	u->supply = 1;
	return 0;
}

int up_poll_fd(const struct upstream *u)
{
	return !u->counter && u->supply ? u->js.rfd : -1;
}

int up_nowait(const struct upstream *u)
{
	return !u->counter && u->supply && !u->js.guarded;
}

/* Is anyone left to read what we write back?  (A pipe's write end polls
 * POLLERR once its last reader is gone.) */
static int parent_reads(const struct upstream *u)
{
	struct pollfd pfd = { u->js.wfd, POLLOUT, 0 };

	return u->js.wfd >= 0 &&
	       !(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR));
}

static void gone(struct upstream *u, unsigned long unwritten)
{
	up_counter(u, (long)unwritten);
	u->gone = 1;
}

void up_check(struct upstream *u, int *timeout)
{
	if (u->counter || !u->supply || !u->js.owner)
		return;
	if (js_parent_ended(&u->js))
		gone(u, 0);
	else if (*timeout < 0 || *timeout > UP_FIFO_LOOK_MS)
		*timeout = UP_FIFO_LOOK_MS;
}

int up_take(struct upstream *u, unsigned char *b)
{
	int r;

	if (u->counter) {
		if (u->free <= 0)
			return 0;
		u->free--;
		*b = TOK_OWN_BYTE;
		return 1;
	}
	if (!u->supply)
		return 0;
	r = js_take_byte(u->js.rfd, u->js.guarded, b);
	if (r == JS_TOOK)
		return 1;
	if (r == JS_EMPTY)
		return 0;	/* another client won the poll-then-read race */
	if (r == JS_EOF && !parent_reads(u)) {
		gone(u, 0);
		return 0;
	}
	/* Only the supply is cut: what we give back still counts. */
	if (r == JS_EOF)
		jp_warn("parent jobserver closed, relaying stops");
	else
		jp_warn("parent jobserver failed, relaying stops:");
	u->supply = 0;
	return 0;
}

void up_put(struct upstream *u, const unsigned char *b, unsigned long n)
{
	unsigned long put;

	if (n == 0)
		return;
	if (u->counter) {
		u->free += (long)n;
		return;
	}
	if (u->js.wfd < 0)
		return;
	put = js_put_bytes(u->js.wfd, b, n);
	if (put < n && errno == EPIPE) {
		gone(u, n - put);
	} else if (put < n) {
		jp_warn("cannot give %lu token(s) back to the parent"
			" jobserver:", n - put);
		js_close_parent(&u->js);
		u->supply = 0;
	}
}

void up_close(struct upstream *u)
{
	js_close_parent(&u->js);
	close_fd(&u->sock);
}
