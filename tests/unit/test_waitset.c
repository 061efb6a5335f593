/*
 * Unit tests for waitset.c: the diffing (ws_plan, pure), then the wait
 * itself against real pipes, with epoll and with JOBPROXY_NO_EPOLL=1
 * (poll()): the same answers either way, an fd closed and its number
 * reused, and the exclusive entry as the kernel has it
 * (/proc/self/fdinfo of the epoll fd).
 *
 * make tests/unit/test_waitset && ./tests/unit/test_waitset
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "waitset.h"

#define EXCL_BIT 0x10000000u	/* EPOLLEXCLUSIVE, as fdinfo shows it */
#ifdef __linux__
#define EPOLL_HERE 1
#else
#define EPOLL_HERE 0		/* waitset.c uses poll() everywhere else */
#endif

static struct ws_entry E(int fd, short ev, int excl)
{
	return (struct ws_entry){ fd, ev, excl };
}

/* ---- ws_plan ----------------------------------------------------------- */

/* Operation O is VERB on FD. */
static void op_is(const struct ws_op *o, int verb, int fd)
{
	assert_int_equal(o->verb, verb);
	assert_int_equal(o->e.fd, fd);
}

static void plan_from_nothing_adds(void **state)
{
	struct ws_entry want[] = { E(3, POLLIN, 0), E(5, POLLIN, 1) };
	struct ws_op ops[8];

	(void)state;
	assert_int_equal(ws_plan(NULL, 0, want, 2, ops), 2);
	op_is(&ops[0], WS_ADD, 3);
	op_is(&ops[1], WS_ADD, 5);
	assert_int_equal(ops[1].e.excl, 1);
}

static void plan_unchanged_is_nothing(void **state)
{
	struct ws_entry set[] = { E(3, POLLIN, 0), E(5, POLLIN, 1),
				  E(7, POLLOUT, 0) };
	struct ws_op ops[8];

	(void)state;
	assert_int_equal(ws_plan(set, 3, set, 3, ops), 0);
}

/* Removals first, then the rest, each only for what changed. */
static void plan_added_removed_changed(void **state)
{
	struct ws_entry old[] = { E(3, POLLIN, 0), E(5, POLLIN, 0),
				  E(7, POLLOUT, 0) };
	struct ws_entry want[] = { E(3, POLLIN, 0), E(7, POLLIN, 0),
				   E(9, POLLIN, 0) };
	struct ws_op ops[8];

	(void)state;
	assert_int_equal(ws_plan(old, 3, want, 3, ops), 3);
	op_is(&ops[0], WS_DEL, 5);
	op_is(&ops[1], WS_MOD, 7);
	assert_int_equal(ops[1].e.events, POLLIN);
	op_is(&ops[2], WS_ADD, 9);
}

/* EPOLLEXCLUSIVE is given at EPOLL_CTL_ADD only, and an exclusive entry
 * cannot be modified: every change is a removal and an addition. */
static void plan_exclusive_is_readded(void **state)
{
	struct ws_entry plain[] = { E(4, POLLIN, 0) };
	struct ws_entry excl[] = { E(4, POLLIN, 1) };
	struct ws_entry excl_out[] = { E(4, POLLOUT, 1) };
	struct ws_op ops[8];

	(void)state;
	assert_int_equal(ws_plan(plain, 1, excl, 1, ops), 2);
	assert_int_equal(ops[0].verb, WS_DEL);
	assert_int_equal(ops[0].e.excl, 0);
	assert_int_equal(ops[1].verb, WS_ADD);
	assert_int_equal(ops[1].e.excl, 1);
	assert_int_equal(ws_plan(excl, 1, plain, 1, ops), 2);
	assert_int_equal(ops[0].verb, WS_DEL);
	assert_int_equal(ops[1].verb, WS_ADD);
	assert_int_equal(ops[1].e.excl, 0);
	assert_int_equal(ws_plan(excl, 1, excl_out, 1, ops), 2);
	assert_int_equal(ops[0].verb, WS_DEL);
	assert_int_equal(ops[1].verb, WS_ADD);
	/* kept while it stays exclusive: still first in line */
	assert_int_equal(ws_plan(excl, 1, excl, 1, ops), 0);
}

static void plan_same_fd_twice_polls(void **state)
{
	struct ws_entry want[] = { E(3, POLLIN, 0), E(3, POLLOUT, 0) };
	struct ws_op ops[8];

	(void)state;
	assert_int_equal(ws_plan(NULL, 0, want, 2, ops), WS_PLAN_POLL);
}

/* ---- the wait, both ways ----------------------------------------------- */

static void mode(struct waitset *w, int use_poll)
{
	if (use_poll)
		setenv("JOBPROXY_NO_EPOLL", "1", 1);
	else
		unsetenv("JOBPROXY_NO_EPOLL");
	ws_init(w);
}

/* Close the N fds of FDS. */
static void closes(const int *fds, int n)
{
	while (n-- > 0)
		close(fds[n]);
}

static void put(int fd)
{
	assert_int_equal(write(fd, "x", 1), 1);
}

static void take(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 1);
}

/* A wait set of mode USE_POLL and two pipes A and B, PFD[0] and PFD[1]
 * watching their read ends. */
static void two_pipes(struct waitset *w, int use_poll, int a[2], int b[2],
		      struct pollfd *pfd)
{
	mode(w, use_poll);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	pfd[0] = (struct pollfd){ a[0], POLLIN, 0 };
	pfd[1] = (struct pollfd){ b[0], POLLIN, 0 };
}

static void reports_as_poll(int use_poll)
{
	struct waitset w;
	int a[2], b[2];
	struct pollfd pfd[3];

	two_pipes(&w, use_poll, a, b, pfd);
	pfd[2] = (struct pollfd){ -1, POLLIN, 0 };	/* skipped */
	assert_int_equal(ws_wait(&w, pfd, 3, 1, 0), 0);
	put(b[1]);
	assert_int_equal(ws_wait(&w, pfd, 3, 1, 1000000), 1);
	assert_int_equal(pfd[0].revents, 0);
	assert_int_equal(pfd[1].revents, POLLIN);
	assert_int_equal(ws_exclusive(&w), !use_poll && EPOLL_HERE);
	take(b[0]);
	/* the write end, writable; then a read end whose writer is gone */
	pfd[2] = (struct pollfd){ a[1], POLLOUT, 0 };
	assert_int_equal(ws_wait(&w, pfd, 3, -1, 0), 1);
	assert_int_equal(pfd[2].revents, POLLOUT);
	assert_int_equal(ws_exclusive(&w), 0);
	close(b[1]);
	assert_int_equal(ws_wait(&w, pfd, 2, -1, 1000000), 1);
	assert_int_equal(pfd[1].revents, POLLHUP);
	ws_close(&w);
	close(a[0]);
	close(a[1]);
	close(b[0]);
}

/* A wait shorter than a millisecond, with no news: it times out, never
 * before it was asked to (poll()'s own wait, and epoll_wait()'s where the
 * kernel has no epoll_pwait2(), round it up to a whole millisecond), as a
 * look due in 0.3 ms needs (offer.h).  COARSE: as after epoll_pwait2()
 * failed with ENOSYS. */
static void short_wait_is_not_shorter(int use_poll, int coarse)
{
	struct waitset w;
	int a[2], b[2], i;
	struct pollfd pfd[2];

	two_pipes(&w, use_poll, a, b, pfd);
	w.coarse = coarse;
	for (i = 0; i < 5; i++) {
		int64_t t = now_us();

		assert_int_equal(ws_wait(&w, pfd, 2, 1, 300), 0);
		assert_true(now_us() - t >= (use_poll || coarse ? 1000 : 300));
	}
	ws_close(&w);
	closes((int[]){ a[0], a[1], b[0], b[1] }, 4);
}

static void short_wait_epoll(void **state)
{
	(void)state;
	short_wait_is_not_shorter(0, 0);
}

static void short_wait_epoll_coarse(void **state)
{
	(void)state;
	short_wait_is_not_shorter(0, 1);
}

static void short_wait_poll(void **state)
{
	(void)state;
	short_wait_is_not_shorter(1, 0);
}

static void wait_epoll(void **state)
{
	(void)state;
	reports_as_poll(0);
}

static void wait_poll(void **state)
{
	(void)state;
	reports_as_poll(1);
}

/* An entry closed and out of the set while a copy of its file lives on
 * (the child's end, a dup): its registration must not fire any more. */
static void closed_fd_stays_quiet(void **state)
{
	struct waitset w;
	int a[2], b[2], copy;
	struct pollfd pfd[2];

	(void)state;
	two_pipes(&w, 0, a, b, pfd);
	assert_int_equal(ws_wait(&w, pfd, 2, 0, 0), 0);
	copy = dup(a[0]);
	assert_true(copy >= 0);
	close(a[0]);
	put(a[1]);
	assert_int_equal(ws_wait(&w, pfd + 1, 1, -1, 0), 0);
	assert_int_equal(pfd[1].revents, 0);
	put(b[1]);
	assert_int_equal(ws_wait(&w, pfd + 1, 1, -1, 0), 1);
	assert_int_equal(pfd[1].revents, POLLIN);
	ws_close(&w);
	closes((int[]){ copy, a[1], b[0], b[1] }, 4);
}

/* An fd closed, out of the next wait (the caller's rule, waitset.h), then
 * its number given to a new pipe while a copy of the old file lives on:
 * the new pipe is watched, the old one is not. */
static void reused_number_is_watched(void **state)
{
	struct waitset w;
	int a[2], b[2], c[2], copy, num;
	struct pollfd pfd[2];

	(void)state;
	mode(&w, 0);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(c), 0);
	num = a[0];
	pfd[0] = (struct pollfd){ c[0], POLLIN, 0 };
	pfd[1] = (struct pollfd){ num, POLLIN, 0 };
	assert_int_equal(ws_wait(&w, pfd, 2, 1, 0), 0);
	copy = dup(a[0]);	/* the old file lives on: so would its entry */
	assert_true(copy >= 0);
	close(a[0]);
	assert_int_equal(ws_wait(&w, pfd, 1, -1, 0), 0);
	assert_int_equal(pipe(b), 0);
	if (b[0] != num) {	/* the number comes back */
		assert_int_not_equal(w.epfd, num);
		assert_int_equal(dup2(b[0], num), num);
		close(b[0]);
		b[0] = num;
	}
	put(a[1]);		/* the old pipe: no news for NUM */
	assert_int_equal(ws_wait(&w, pfd, 2, 1, 0), 0);
	put(b[1]);
	assert_int_equal(ws_wait(&w, pfd, 2, 1, 1000000), 1);
	assert_int_equal(pfd[1].revents, POLLIN);
	ws_close(&w);
	closes((int[]){ copy, a[1], b[0], b[1], c[0], c[1] }, 6);
}

#ifdef __linux__
/* The events mask the kernel holds for FD in epoll set EPFD, or -1. */
static long registered(int epfd, int fd)
{
	char path[64], line[256];
	unsigned long ev;
	int tfd;
	long found = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "tfd: %d events: %lx", &tfd, &ev) == 2 &&
		    tfd == fd)
			found = (long)ev;
	fclose(f);
	return found;
}

/* The parent's entry is exclusive in the kernel, and only that one; the
 * set is close-on-exec; an entry that leaves the set leaves the kernel. */
static void exclusive_entry_in_kernel(void **state)
{
	struct waitset w;
	int a[2], b[2];
	struct pollfd pfd[2];

	(void)state;
	two_pipes(&w, 0, a, b, pfd);
	assert_int_equal(ws_wait(&w, pfd, 2, 1, 0), 0);
	assert_true(w.epfd >= 0);
	assert_true(fcntl(w.epfd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(registered(w.epfd, a[0]) & EXCL_BIT, 0);
	assert_true(registered(w.epfd, b[0]) & EXCL_BIT);
	/* the same fd, no longer exclusive */
	assert_int_equal(ws_wait(&w, pfd, 2, -1, 0), 0);
	assert_int_equal(registered(w.epfd, b[0]) & EXCL_BIT, 0);
	assert_int_equal(ws_wait(&w, pfd, 2, 1, 0), 0);
	assert_true(registered(w.epfd, b[0]) & EXCL_BIT);
	/* out of the round, out of the set */
	assert_int_equal(ws_wait(&w, pfd, 1, -1, 0), 0);
	assert_int_equal(registered(w.epfd, b[0]), -1);
	assert_true(registered(w.epfd, a[0]) >= 0);
	ws_close(&w);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}
#endif

/* JOBPROXY_NO_EPOLL=1: no epoll set at all. */
static void no_epoll_makes_none(void **state)
{
	struct waitset w;
	int a[2];
	struct pollfd pfd[1];

	(void)state;
	mode(&w, 1);
	assert_int_equal(pipe(a), 0);
	pfd[0] = (struct pollfd){ a[0], POLLIN, 0 };
	assert_int_equal(ws_wait(&w, pfd, 1, 0, 0), 0);
	assert_int_equal(w.epfd, -1);
	assert_int_equal(ws_exclusive(&w), 0);
	setenv("JOBPROXY_NO_EPOLL", "0", 1);	/* "0": epoll */
	ws_init(&w);
	assert_int_equal(w.use_poll, !EPOLL_HERE);
	ws_close(&w);
	unsetenv("JOBPROXY_NO_EPOLL");
	close(a[0]);
	close(a[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_from_nothing_adds),
		cmocka_unit_test(plan_unchanged_is_nothing),
		cmocka_unit_test(plan_added_removed_changed),
		cmocka_unit_test(plan_exclusive_is_readded),
		cmocka_unit_test(plan_same_fd_twice_polls),
		cmocka_unit_test(wait_epoll),
		cmocka_unit_test(wait_poll),
		cmocka_unit_test(short_wait_epoll),
		cmocka_unit_test(short_wait_epoll_coarse),
		cmocka_unit_test(short_wait_poll),
		cmocka_unit_test(closed_fd_stays_quiet),
		cmocka_unit_test(reused_number_is_watched),
#ifdef __linux__
		cmocka_unit_test(exclusive_entry_in_kernel),
#endif
		cmocka_unit_test(no_epoll_makes_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
