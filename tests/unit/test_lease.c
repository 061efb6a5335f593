/*
 * Unit tests for lease.c, one client's private jobserver, as the wrapper
 * and the daemon both use it: real pipes (and a real fifo), the test
 * playing the client, a clock the test moves.  Each test ends with the
 * upstream whole: what the client was given all came back, no more.
 *
 * make tests/unit/test_lease && ./tests/unit/test_lease
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lease.h"

#define MS 1000			/* microseconds */
#define POOL 4

struct fixture {
	struct upstream up;
	struct lease L;
	int64_t now;		/* the test's clock, us */
	struct lease_news news;
};

static int setup(void **state, int fifo)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	up_init(&f->up);
	up_counter(&f->up, POOL);
	lease_init(&f->L, &f->up);
	if (lease_open(&f->L, fifo) < 0) {
		free(f);
		return -1;
	}
	f->now = 1000 * MS;
	*state = f;
	return 0;
}

static int setup_pipe(void **state)
{
	return setup(state, 0);
}

static int setup_fifo(void **state)
{
	char dir[] = "/tmp/test_lease.XXXXXX";

	/* js_make_child_fifo() makes its fifo under TMPDIR. */
	if (!mkdtemp(dir) || setenv("TMPDIR", dir, 1) < 0)
		return -1;
	return setup(state, 1);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *tmp = getenv("TMPDIR");

	lease_close(&f->L);
	if (tmp && !strncmp(tmp, "/tmp/test_lease.", 16)) {
		rmdir(tmp);
		unsetenv("TMPDIR");
	}
	free(f);
	return 0;
}

/* One round of a loop: what the lease waits for, poll() without waiting,
 * what it saw. */
static void round_(struct fixture *f)
{
	struct pollfd pfd[LEASE_POLLS];
	int timeout = -1, n = lease_poll(&f->L, pfd, &timeout);

	assert_true(poll(pfd, (nfds_t)n, 0) >= 0);
	memset(&f->news, 0, sizeof f->news);
	lease_ready(&f->L, pfd, f->now, &f->news);
}

/* The client takes one token: 1, or 0 when none waits. */
static int take(int fd)
{
	int n = 0;
	char b;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	if (n == 0)
		return 0;
	assert_int_equal(read(fd, &b, 1), 1);
	return 1;
}

static void give(int fd, const char *bytes)
{
	size_t n = strlen(bytes);

	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
}

/* A token parked, and the client takes it: the lease sees it go. */
static void client_takes(struct fixture *f)
{
	lease_offer(&f->L, f->now);
	assert_int_equal(take(f->L.js.tok_r), 1);
	round_(f);
}

/* Pool and client hold every token: nothing made, nothing lost. */
static void whole(struct fixture *f, unsigned long held)
{
	assert_int_equal((unsigned long)f->up.free + f->L.tok.taken, POOL);
	assert_true(f->L.tok.taken >= held);
}

static void park_then_take(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(lease_wants(&f->L, f->now, &(int){ -1 }), 1);
	assert_int_equal(lease_offer(&f->L, f->now), 1);
	assert_int_equal(f->L.parked, 1);
	assert_int_equal(f->up.free, POOL - 1);
	assert_int_equal(lease_wants(&f->L, f->now, &(int){ -1 }), 0);
	assert_int_equal(take(f->L.js.tok_r), 1);
	round_(f);		/* the emptied pipe is an event */
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(lease_wants(&f->L, f->now, &(int){ -1 }), 1);
	whole(f, 1);
}

/* make releases a token when a job ends and takes one for the next: the
 * returned token waits for it, it does not go back up. */
static void return_kept_while_pipe_empty(void **state)
{
	struct fixture *f = *state;

	client_takes(f);
	give(f->L.js.ret_w, "+");
	f->now += 10 * MS;
	round_(f);
	assert_int_equal(f->L.parked, 1);
	assert_int_equal(f->up.free, POOL - 1);
	assert_int_equal(f->L.tok.returned, 0);
	/* Not read within OFFER_KEPT_IDLE_MS: it goes back up. */
	f->now += OFFER_KEPT_IDLE_MS * MS;
	lease_expire(&f->L, f->now, &(int){ -1 });
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(f->up.free, POOL);
	whole(f, 0);
}

/* Returns faster than OFFER_HOT_US apart: a second token is kept too. */
static void hot_client_keeps_two(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 2; i++)
		client_takes(f);
	give(f->L.js.ret_w, "+");
	round_(f);
	f->now += 100;		/* 100 us later */
	give(f->L.js.ret_w, "+");
	round_(f);
	assert_int_equal(f->L.parked, 2);
	assert_int_equal(f->up.free, POOL - 2);
	/* Both idle past their time: both go back, one back-off step. */
	f->now += 50 * MS;
	lease_expire(&f->L, f->now, &(int){ -1 });
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(f->up.free, POOL);
	assert_int_equal(f->L.offer.backoff, OFFER_PROBE_MIN_MS);
	whole(f, 0);
}

/* A client writes back more than it holds (cargo, ninja): the extra is
 * refused, the upstream never grows. */
static void over_return_refused(void **state)
{
	struct fixture *f = *state;

	client_takes(f);
	give(f->L.js.ret_w, "GGGGG");
	round_(f);
	assert_int_equal(f->news.refused, 4);
	assert_int_equal(f->L.tok.refused, 4);
	whole(f, 0);
	assert_true(f->up.free <= POOL);
}

static void idle_token_withdrawn_then_probe(void **state)
{
	struct fixture *f = *state;
	int timeout = -1;

	lease_offer(&f->L, f->now);
	lease_expire(&f->L, f->now, &timeout);
	assert_int_equal(timeout, OFFER_IDLE_MS);
	f->now += OFFER_IDLE_MS * MS;
	lease_expire(&f->L, f->now, &(int){ -1 });
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(f->up.free, POOL);
	timeout = -1;
	assert_int_equal(lease_wants(&f->L, f->now, &timeout), 0);
	/* the back-off, and a jitter of up to a quarter of it */
	assert_in_range(timeout, OFFER_PROBE_MIN_MS,
			OFFER_PROBE_MIN_MS + OFFER_PROBE_MIN_MS / OFFER_JITTER);
	f->now += (OFFER_PROBE_MIN_MS + OFFER_PROBE_MIN_MS / OFFER_JITTER) * MS;
	assert_int_equal(lease_wants(&f->L, f->now, &(int){ -1 }), 1);
	whole(f, 0);
}

/* A look said the tree does not wait: the parked token goes back at once,
 * and the next offer is a probe after the back-off, as after an idle
 * time.  No look in the greedy mode, nor with nothing parked. */
static void look_takes_back_at_once(void **state)
{
	struct fixture *f = *state;
	int64_t wake = 0;

	assert_int_equal(lease_look_due(&f->L, f->now, &wake), 0);
	assert_int_equal(wake, 0);	/* nothing parked */
	lease_offer(&f->L, f->now);
	assert_int_equal(lease_look_due(&f->L, f->now, &wake), 0);
	assert_int_equal(wake, f->now + OFFER_LOOK_US);
	f->now += OFFER_LOOK_US;
	assert_int_equal(lease_look_due(&f->L, f->now, &(int64_t){ 0 }), 1);
	lease_take_back(&f->L, f->now);
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(f->up.free, POOL);
	assert_int_equal(f->L.offer.backoff, OFFER_PROBE_MIN_MS);
	assert_int_equal(lease_wants(&f->L, f->now, &(int){ -1 }), 0);
	assert_int_equal(lease_look_due(&f->L, f->now + 100 * MS,
					&(int64_t){ 0 }), 0);
	f->L.greedy = 1;
	lease_offer(&f->L, f->now);
	assert_int_equal(lease_look_due(&f->L, f->now + 100 * MS,
					&(int64_t){ 0 }), 0);
	f->L.greedy = 0;
	lease_withdraw(&f->L);
	whole(f, 0);
}

static void hand_back_everything(void **state)
{
	struct fixture *f = *state;
	unsigned long unread;

	client_takes(f);
	client_takes(f);
	lease_offer(&f->L, f->now);	/* parked, unread */
	assert_int_equal(lease_hand_back(&f->L, &unread), 3);
	assert_int_equal(unread, 1);
	assert_int_equal(f->up.free, POOL);
	assert_int_equal(f->L.tok.taken, 0);
}

/* Room in a bigger pipe no longer means "taken": looked at on a timer. */
static void grown_pipe_is_said_once(void **state)
{
#ifdef F_SETPIPE_SZ
	struct fixture *f = *state;
	int timeout = -1;
	struct pollfd pfd[LEASE_POLLS];

	if (!f->L.js.oneslot)
		skip();
	lease_offer(&f->L, f->now);
	assert_true(fcntl(f->L.js.tok_r, F_SETPIPE_SZ, 65536) >= 65536);
	round_(f);
	assert_int_equal(f->news.grown, 1);
	assert_int_equal(f->L.parked, 1);
	assert_int_equal(f->L.js.oneslot, 0);
	lease_poll(&f->L, pfd, &timeout);
	assert_int_equal(timeout, LEASE_TICK_MS);
	round_(f);
	assert_int_equal(f->news.grown, 0);
	take(f->L.js.tok_r);
	round_(f);		/* the tick's look */
	assert_int_equal(f->L.parked, 0);
	whole(f, 1);
#else
	(void)state;
	skip();
#endif
}

/* A hot client's returns come in the same round as the room it made by
 * taking what was parked: one look at the pipe, both kept for it. */
static void returns_beside_room_both_kept(void **state)
{
	struct fixture *f = *state;

	client_takes(f);
	client_takes(f);
	give(f->L.js.ret_w, "+");
	round_(f);		/* kept: parked 1 */
	assert_int_equal(take(f->L.js.tok_r), 1);
	f->now += 100;
	give(f->L.js.ret_w, "++");
	round_(f);		/* room and returns at once */
	assert_int_equal(f->L.parked, 2);
	assert_int_equal(f->up.free, POOL - 2);
	assert_int_equal(take(f->L.js.tok_r) + take(f->L.js.tok_r), 2);
	assert_int_equal(take(f->L.js.tok_r), 0);
	whole(f, 2);
}

/* Room in a bigger pipe, seen in the round that reads a return, is no
 * proof the parked token was taken: the ledger still counts it there, so
 * a return beyond what the client holds is still refused. */
static void grown_pipe_beside_a_return(void **state)
{
#ifdef F_SETPIPE_SZ
	struct fixture *f = *state;

	if (!f->L.js.oneslot)
		skip();
	client_takes(f);	/* holds 1 */
	lease_offer(&f->L, f->now);	/* and 1 parked, unread */
	assert_true(fcntl(f->L.js.tok_r, F_SETPIPE_SZ, 65536) >= 65536);
	give(f->L.js.ret_w, "++");	/* one return, one over-return */
	round_(f);
	assert_int_equal(f->news.grown, 1);
	assert_int_equal(f->news.refused, 1);
	assert_int_equal(f->L.parked, 1);
	assert_int_equal(f->up.free, POOL - 1);
	whole(f, 1);
#else
	(void)state;
	skip();
#endif
}

/* The wrapper's upstream is the parent's pipe: what goes back are the
 * parent's own bytes, never the client's. */
static void parent_gets_its_own_bytes(void **state)
{
	struct fixture *f = *state;
	int p[2], n = 0;
	char back[8];
	struct js_auth a;

	assert_int_equal(pipe(p), 0);
	give(p[1], "abc");
	memset(&a, 0, sizeof a);
	a.kind = JS_PIPE;
	a.rfd = p[0];
	a.wfd = p[1];
	a.nauth = 1;
	assert_int_equal(up_open(&f->up, &a), 0);
	client_takes(f);
	client_takes(f);
	give(f->L.js.ret_w, "++G");	/* two returns, one over-return */
	round_(f);
	assert_int_equal(f->news.refused, 1);
	lease_hand_back(&f->L, &(unsigned long){ 0 });
	assert_int_equal(ioctl(p[0], FIONREAD, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(read(p[0], back, sizeof back), 3);
	back[3] = '\0';
	assert_int_equal(strchr(back, 'a') && strchr(back, 'b') &&
			 strchr(back, 'c'), 1);
	up_close(&f->up);
	close(p[0]);
	close(p[1]);
}

/* Fifo style: returns and over-returns land beside the parked token; at
 * most one stays for the client, and never more than it may hold. */
static void fifo_trim(void **state)
{
	struct fixture *f = *state;
	int fd = open(f->L.js.fifo, O_RDWR | O_NONBLOCK);

	assert_true(fd >= 0);
	lease_offer(&f->L, f->now);
	assert_int_equal(take(fd), 1);
	round_(f);
	give(fd, "+");		/* its return stays for its next job */
	round_(f);
	assert_int_equal(f->L.parked, 1);
	assert_int_equal(f->up.free, POOL - 1);
	give(fd, "GGG");	/* over-returns: never read back as tokens */
	round_(f);
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(f->L.tok.refused, 3);
	assert_int_equal(f->up.free, POOL);
	assert_int_equal(take(fd), 0);
	whole(f, 0);
	close(fd);
}

/* Greedy (a ninja): every token of the pool waits in the fifo, none is
 * taken back however long it idles, its returns all stay there, and its
 * over-returns are still refused: the pool never grows. */
static void fifo_greedy(void **state)
{
	struct fixture *f = *state;
	int fd = open(f->L.js.fifo, O_RDWR | O_NONBLOCK), timeout = -1, i;

	assert_true(fd >= 0);
	f->L.greedy = 1;
	for (i = 0; i < POOL; i++) {
		assert_true(lease_wants(&f->L, f->now, &timeout));
		assert_int_equal(lease_offer(&f->L, f->now), 1);
	}
	assert_int_equal(lease_offer(&f->L, f->now), 0);	/* pool empty */
	f->now += 1000 * OFFER_PROBE_MAX_MS * MS;
	lease_expire(&f->L, f->now, &timeout);
	round_(f);
	assert_int_equal(f->L.parked, POOL);
	assert_int_equal(take(fd) + take(fd), 2);
	round_(f);
	assert_int_equal(f->L.parked, POOL - 2);
	give(fd, "++");		/* returns: both stay for its next jobs */
	round_(f);
	lease_expire(&f->L, f->now, &timeout);
	assert_int_equal(f->L.parked, POOL);
	assert_int_equal(f->up.free, 0);
	/* Over-returns: bytes carry no identity, so the trim gives back
	 * what it takes out until none is left to give and refuses the
	 * rest; then the pool is parked again, whole. */
	give(fd, "GG");
	round_(f);
	assert_int_equal(f->L.tok.refused, 2);
	assert_true(f->L.parked <= f->L.tok.taken);
	whole(f, 0);
	while (lease_offer(&f->L, f->now))
		;
	assert_int_equal(f->L.parked, POOL);
	whole(f, POOL);
	close(fd);
}

/* Nowait (a ninja below a parent, nowait.h): a fill parks all the
 * upstream gives; unread past the idle time it all goes back and nothing
 * is taken for NOWAIT_AWAY_MS; the client emptying its fifo (a look)
 * asks for the next fill at once; its return stays parked for it. */
static void fifo_nowait(void **state)
{
	struct fixture *f = *state;
	int fd = open(f->L.js.fifo, O_RDWR | O_NONBLOCK), timeout = -1, i;

	assert_true(fd >= 0);
	f->L.nowait = 1;
	assert_int_equal(lease_nowait_fill(&f->L, f->now, &timeout), POOL);
	assert_int_equal(timeout, NOWAIT_AWAY_MS);	/* its next look */
	assert_int_equal(lease_nowait_fill(&f->L, f->now, &timeout), 0);
	f->now += (NOWAIT_IDLE_MAX_MS - 1) * MS;
	timeout = -1;
	lease_expire(&f->L, f->now, &timeout);
	assert_int_equal(f->L.parked, POOL);	/* a serial first step */
	assert_int_equal(timeout, 1);
	f->now += MS;
	lease_expire(&f->L, f->now, &timeout);
	assert_int_equal(f->L.parked, 0);
	whole(f, 0);
	timeout = -1;
	assert_false(lease_wants(&f->L, f->now, &timeout));	/* no poll */
	assert_int_equal(lease_nowait_fill(&f->L, f->now, &timeout), 0);
	assert_int_equal(timeout, NOWAIT_AWAY_MS);	/* away */
	f->now += NOWAIT_AWAY_MS * MS;
	assert_int_equal(lease_nowait_fill(&f->L, f->now, &timeout), POOL);
	for (i = 0; i < POOL; i++)	/* its fan-out takes them all */
		assert_int_equal(take(fd), 1);
	round_(f);
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(lease_nowait_fill(&f->L, f->now, &timeout), 0);
	give(fd, "+");		/* a job ended: its return stays for it */
	round_(f);
	lease_expire(&f->L, f->now, &timeout);
	assert_int_equal(f->L.parked, 1);
	assert_int_equal(f->up.free, 0);
	/* Unread past the idle time, its return goes back up too. */
	f->now += NOWAIT_IDLE_MAX_MS * MS;
	lease_expire(&f->L, f->now, &timeout);
	assert_int_equal(f->L.parked, 0);
	assert_int_equal(f->up.free, 1);
	whole(f, POOL - 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(park_then_take, setup_pipe,
						teardown),
		cmocka_unit_test_setup_teardown(return_kept_while_pipe_empty,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(hot_client_keeps_two,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(over_return_refused,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(idle_token_withdrawn_then_probe,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(look_takes_back_at_once,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(hand_back_everything,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(grown_pipe_is_said_once,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(returns_beside_room_both_kept,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(grown_pipe_beside_a_return,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(parent_gets_its_own_bytes,
						setup_pipe, teardown),
		cmocka_unit_test_setup_teardown(fifo_trim, setup_fifo,
						teardown),
		cmocka_unit_test_setup_teardown(fifo_greedy, setup_fifo,
						teardown),
		cmocka_unit_test_setup_teardown(fifo_nowait, setup_fifo,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
