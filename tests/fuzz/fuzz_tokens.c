/*
 * libFuzzer harness for the token ledger as the real lease drives it
 * (lease.c over upstream.c, jobserver.c, tokens.c, offer.c): the harness
 * plays the client on real pipes (or a real fifo) and moves the clock;
 * the upstream is a real pipe holding the pool's bytes.  After every event
 * it checks that nothing was made or lost and that the pool gets back its
 * own bytes.
 *
 * Input: byte 0 sets up the run: bit 0 the client's style (0: pipe, with
 * a return pipe of its own; 1: fifo, where returns land beside the parked
 * tokens), bits 1-7 the pool (1..128 tokens, bytes 'a'..'h' in turn).
 * Every further byte is one event: the low 3 bits say which, the high 5
 * bits are its argument A (0..31):
 *
 *   0 offer      lease_offer() 1 + A%4 times, as the loops do: only while
 *                lease_wants(); A >= 16: regardless of it
 *   1 read       the client reads 1 + A%4 tokens, if there are any
 *   2 write      the client writes 1 + A%4 bytes ('A' + A%8, never the
 *                pool's): returns of what it holds, over-returns past
 *                that (its implicit slot: cargo#7344, ninja#2450)
 *   3 round      one round of a loop: lease_poll(), poll() without
 *                waiting, lease_ready()
 *   4 time       the clock moves A*A*100 us, then lease_expire()
 *   5 withdraw   lease_withdraw(), as a daemon that stops
 *   6 hand back  the client is gone: lease_hand_back(), then a new lease
 *                and a new client
 *   7 grow       A odd, pipe style: the client makes its token pipe
 *                64 KiB (F_SETPIPE_SZ); else nothing
 *
 * Checked after every event (abort() with a message on violation):
 *   - the pool pipe's tokens + the ledger's taken = the pool's size: no
 *     token made or lost, whatever the client wrote;
 *   - the pool pipe's bytes + the ledger's bytes = the pool's bytes: every
 *     byte that went up was one the pool gave;
 *   - pipe style, whenever the return pipe is read empty: the ledger
 *     refused exactly the over-returns the client wrote, and the client
 *     holds what was taken less what waits in its token pipe (unless it
 *     read a token after an over-return the lease had yet to see: then
 *     no one can tell that return from the other);
 *   - at a hand back: the pool whole, every byte of it, taken 0.
 *
 * Build and run: sh tests/fuzz/fuzz.sh [SECONDS] [fuzz_tokens]
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#endif
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	int fifo;
	unsigned long size;		/* the pool's tokens */
	unsigned long bytes[256];	/* the pool's bytes, by value */
	int pool[2];			/* the pool: a pipe */
	struct upstream up;
	struct lease L;
	int rfd, wfd;			/* the client's ends */
	long held;			/* what the client holds, as it knows */
	unsigned long over;		/* over-returns it wrote (pipe style) */
	int unseen;			/* over-returns not yet read by the lease */
	int exact;			/* none read around: counts hold exactly */
	int64_t now;
	size_t event;
	char dir[64];
};

static void fail(const struct run *r, const char *what)
{
	fprintf(stderr, "\nfuzz_tokens: INVARIANT VIOLATED after event %zu:"
		" %s\n  %s client, pool %lu, taken %lu, parked %lu, held %ld,"
		" refused %lu, over-returns %lu\n", r->event, what,
		r->fifo ? "fifo" : "pipe", r->size, r->L.tok.taken,
		r->L.parked, r->held, r->L.tok.refused, r->over);
	abort();
}

#define CHECK(cond, what)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			fail(r, what);                                        \
	} while (0)

static unsigned long pending(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (unsigned long)n : 0;
}

/* Count the pool pipe's bytes into BY, leaving them as they were. */
static unsigned long pool_bytes(struct run *r, unsigned long *by)
{
	unsigned char buf[256];
	ssize_t n = read(r->pool[0], buf, sizeof buf), i;

	if (n < 0)
		n = 0;
	for (i = 0; i < n; i++)
		by[buf[i]]++;
	if (n > 0 && write(r->pool[1], buf, (size_t)n) != n)
		fail(r, "cannot put the pool's bytes back");
	return (unsigned long)n;
}

static void check(struct run *r)
{
	unsigned long by[256] = { 0 }, n = pool_bytes(r, by);
	unsigned v;

	CHECK(n + r->L.tok.taken == r->size,
	      "pool + taken != the pool's size: a token made or lost");
	for (v = 0; v < 256; v++)
		CHECK(by[v] + r->L.tok.byte[v] == r->bytes[v],
		      "a byte went up that the pool never gave, or one is lost");
	if (r->fifo || pending(r->L.js.ret_r))
		return;
	r->unseen = 0;
	if (!r->exact)
		return;
	CHECK(r->L.tok.refused == r->over,
	      "refused != the over-returns written (pipe drained)");
	CHECK((long)(r->L.tok.taken - pending(r->rfd)) == r->held,
	      "taken - what waits in the pipe != what the client holds");
}

/* A new client: its lease, its ends. */
static int client(struct run *r)
{
	lease_init(&r->L, &r->up);
	if (lease_open(&r->L, r->fifo) < 0)
		return -1;
	r->held = 0;
	r->over = 0;
	r->unseen = 0;
	r->exact = 1;
	if (!r->fifo) {
		r->rfd = r->L.js.tok_r;
		r->wfd = r->L.js.ret_w;
		/* Never wait on a full return pipe: the harness is one
		 * process. */
		return fcntl(r->wfd, F_SETFL, O_NONBLOCK);
	}
	r->rfd = r->wfd = open(r->L.js.fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return r->rfd < 0 ? -1 : 0;
}

static void client_gone(struct run *r)
{
	if (r->fifo && r->rfd >= 0)
		close(r->rfd);
	r->rfd = r->wfd = -1;
	lease_close(&r->L);
}

static void round_(struct run *r)
{
	struct pollfd pfd[LEASE_POLLS];
	struct lease_news news = { 0, 0, 0 };
	int timeout = -1, n = lease_poll(&r->L, pfd, &timeout);

	if (poll(pfd, (nfds_t)n, 0) < 0)
		fail(r, "poll");
	lease_ready(&r->L, pfd, r->now, &news);
}

static void offer(struct run *r, unsigned a)
{
	unsigned n;

	for (n = 0; n <= a % 4; n++)
		if (a >= 16 || lease_wants(&r->L, r->now, &(int){ -1 }))
			lease_offer(&r->L, r->now);
}

static void reads(struct run *r, unsigned a)
{
	unsigned n;
	char b;

	for (n = 0; n <= a % 4 && pending(r->rfd) > 0; n++)
		if (read(r->rfd, &b, 1) == 1)
			r->held++;
	if (n && r->unseen)
		r->exact = 0;
}

static void writes(struct run *r, unsigned a)
{
	unsigned n;
	char b = (char)('A' + a % 8);

	for (n = 0; n <= a % 4; n++) {
		if (write(r->wfd, &b, 1) != 1)
			return;		/* a full fifo: the client waits */
		if (r->held > 0) {
			r->held--;
		} else {
			r->over++;
			r->unseen = 1;
		}
	}
}

static void hand_back(struct run *r)
{
	unsigned long unread, by[256] = { 0 };
	unsigned v;

	lease_hand_back(&r->L, &unread);
	CHECK(r->L.tok.taken == 0, "taken is not 0 after a hand back");
	CHECK(pool_bytes(r, by) == r->size, "the pool is not whole");
	for (v = 0; v < 256; v++)
		CHECK(by[v] == r->bytes[v], "the pool did not get its bytes");
	client_gone(r);
	if (client(r) < 0)
		fail(r, "cannot make a new client");
}

static void event(struct run *r, unsigned op, unsigned a)
{
	switch (op) {
	case 0: offer(r, a); break;
	case 1: reads(r, a); break;
	case 2: writes(r, a); break;
	case 3: round_(r); break;
	case 4:
		r->now += (int64_t)a * a * 100;
		lease_expire(&r->L, r->now, &(int){ -1 });
		break;
	case 5: lease_withdraw(&r->L); break;
	case 6: hand_back(r); break;
	default:
#ifdef F_SETPIPE_SZ
		if (!r->fifo && (a & 1))
			fcntl(r->rfd, F_SETPIPE_SZ, 65536);
#endif
		break;
	}
}

/* The pool: a pipe of SIZE tokens, bytes 'a'..'h' in turn. */
static int pool(struct run *r)
{
	struct js_auth a;
	unsigned long i;

	if (pipe(r->pool) < 0)
		return -1;
	for (i = 0; i < r->size; i++) {
		unsigned char b = (unsigned char)('a' + i % 8);

		r->bytes[b]++;
		if (write(r->pool[1], &b, 1) != 1)
			return -1;
	}
	fcntl(r->pool[0], F_SETFL, O_NONBLOCK);
	memset(&a, 0, sizeof a);
	a.kind = JS_PIPE;
	a.rfd = r->pool[0];
	a.wfd = r->pool[1];
	a.nauth = 1;
	up_init(&r->up);
	return up_open(&r->up, &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run run;
	struct run *r = &run;
	size_t i;

	if (size < 1)
		return 0;
	memset(r, 0, sizeof *r);
	r->rfd = r->wfd = -1;
	r->fifo = data[0] & 1;
	r->size = 1 + (data[0] >> 1);
	r->now = 1000000;
	snprintf(r->dir, sizeof r->dir, "/tmp/fuzz_tokens.%ld",
		 (long)getpid());
	mkdir(r->dir, 0700);
	setenv("TMPDIR", r->dir, 1);	/* where a fifo client's fifo goes */
	if (pool(r) < 0 || client(r) < 0)
		fail(r, "cannot set up (pipes, fifo)");
	check(r);
	for (i = 1; i < size; i++) {
		r->event = i;
		event(r, data[i] & 7u, data[i] >> 3);
		check(r);
	}
	hand_back(r);
	client_gone(r);
	up_close(&r->up);
	close(r->pool[0]);
	close(r->pool[1]);
	return 0;
}
