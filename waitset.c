/*
 * waitset: see waitset.h.
 *
 * The kernel facts behind it (Linux, fs/eventpoll.c): a write into a pipe
 * wakes its waiters in queue order and stops at the first EPOLLEXCLUSIVE
 * registration whose epoll set has a task asleep in epoll_wait() (one that
 * is not asleep there only gets the file on its ready list), so a token
 * wakes exactly one sleeping jobproxy, and never one that is busy.  Since
 * Linux 5.11 a woken task leaves the set's queue at once, so the next
 * write wakes the next sleeper even before the first has run.  Level
 * triggered: a file still readable is reported again at the next wait.
 *
 * A wait finer than a millisecond (a parked token's first look, offer.h)
 * is epoll_pwait2() (Linux 5.11), called by its number: C libraries older
 * than glibc 2.35 have no wrapper.  Where the kernel has none (ENOSYS) or a
 * seccomp filter refuses it (EPERM, ENOSYS), the wait is epoll_wait()'s
 * milliseconds, rounded up, for good: the look comes a little later.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* syscall() */
#endif
#include "waitset.h"
#include "msg.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__) && !defined(JP_NO_EPOLL)
#define WS_EPOLL 1
#include <sys/epoll.h>
#include <sys/syscall.h>
#ifndef EPOLLEXCLUSIVE
#define EPOLLEXCLUSIVE (1u << 28)	/* Linux 4.5; older C libraries */
#endif
#endif

#define WS_POLL_ROUND (-2)	/* ep_wait(): poll() this round */

/* A wait of US microseconds (-1: for ever) in poll()'s milliseconds,
 * rounded up: never shorter than asked. */
static int ms_of(int64_t us)
{
	if (us < 0)
		return -1;
	return ms_ceil(us) >= INT_MAX ? INT_MAX : (int)ms_ceil(us);
}

static const struct ws_entry *find(const struct ws_entry *e, int n, int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (e[i].fd == fd)
			return &e[i];
	return NULL;
}

/* Must the registration O be taken out and W added (EPOLLEXCLUSIVE can
 * only be given at EPOLL_CTL_ADD, and an exclusive entry cannot be
 * modified)? */
static int readd(const struct ws_entry *o, const struct ws_entry *w)
{
	return o->excl != w->excl || (o->excl && o->events != w->events);
}

int ws_plan(const struct ws_entry *old, int nold, const struct ws_entry *want,
	    int nwant, struct ws_op *ops)
{
	const struct ws_entry *w, *o;
	int i, k = 0;

	for (i = 0; i < nwant; i++)
		if (find(want, i, want[i].fd))
			return WS_PLAN_POLL;
	for (i = 0; i < nold; i++) {
		w = find(want, nwant, old[i].fd);
		if (!w || readd(&old[i], w))
			ops[k++] = (struct ws_op){ WS_DEL, old[i] };
	}
	for (i = 0; i < nwant; i++) {
		o = find(old, nold, want[i].fd);
		if (!o || readd(o, &want[i]))
			ops[k++] = (struct ws_op){ WS_ADD, want[i] };
		else if (o->events != want[i].events)
			ops[k++] = (struct ws_op){ WS_MOD, want[i] };
	}
	return k;
}

#ifdef WS_EPOLL
static int rebuild(struct waitset *w, const struct ws_entry *want, int n);
#endif

void ws_init(struct waitset *w)
{
	const char *no = getenv("JOBPROXY_NO_EPOLL");

	w->epfd = -1;
	w->use_poll = no && *no && strcmp(no, "0") != 0;
	w->excl = 0;
	w->stale = 0;
	w->coarse = 0;
	w->n = 0;
#ifdef WS_EPOLL
	if (!w->use_poll)
		rebuild(w, NULL, 0);
#else
	w->use_poll = 1;
#endif
}

void ws_close(struct waitset *w)
{
	close_fd(&w->epfd);
	w->use_poll = 1;
	w->n = 0;
}

int ws_exclusive(const struct waitset *w)
{
	return w->excl;
}

#ifdef WS_EPOLL
/* An epoll call failed as it should not: poll() for good. */
static int give_up(struct waitset *w, const char *what)
{
	jp_verbose("%s: waiting with poll() from now on:", what);
	ws_close(w);
	return WS_POLL_ROUND;
}

static int ctl(struct waitset *w, int op, const struct ws_entry *e)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = (uint32_t)e->events | (e->excl ? EPOLLEXCLUSIVE : 0);
	ev.data.fd = e->fd;
	return epoll_ctl(w->epfd, op, e->fd, &ev);
}

/* A new epoll set with WANT in it: 0, or WS_POLL_ROUND (for good). */
static int rebuild(struct waitset *w, const struct ws_entry *want, int n)
{
	int i;

	close_fd(&w->epfd);
	w->n = 0;
	w->stale = 0;
	w->coarse = 0;
	/* Close-on-exec: a command started later must not hold it. */
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return give_up(w, "epoll_create1");
	for (i = 0; i < n; i++)
		if (ctl(w, EPOLL_CTL_ADD, &want[i]) < 0)
			return give_up(w, "epoll_ctl");
	if (n)
		memcpy(w->reg, want, (size_t)n * sizeof *want);
	w->n = n;
	return 0;
}

/* The round's entries: how many, or WS_POLL_ROUND (too many). */
static int wanted(const struct pollfd *pfd, int n, int excl,
		  struct ws_entry *want)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (pfd[i].fd < 0)
			continue;	/* poll() skips it too */
		if (k == WS_MAX)
			return WS_POLL_ROUND;
		want[k++] = (struct ws_entry){ pfd[i].fd, pfd[i].events,
					       i == excl };
	}
	return k;
}

/* Bring the epoll set in step with the round: 0, or WS_POLL_ROUND. */
static int sync_set(struct waitset *w, const struct pollfd *pfd, int n,
		    int excl)
{
	static const int op[] = { EPOLL_CTL_ADD, EPOLL_CTL_MOD,
				  EPOLL_CTL_DEL };
	struct ws_entry want[WS_MAX];
	struct ws_op ops[3 * WS_MAX];
	int nw = wanted(pfd, n, excl, want), k, i;

	if (nw < 0)
		return nw;
	if (w->epfd < 0 || w->stale)
		return rebuild(w, want, nw);
	k = ws_plan(w->reg, w->n, want, nw, ops);
	if (k == WS_PLAN_POLL)
		return WS_POLL_ROUND;
	for (i = 0; i < k; i++) {
		if (ctl(w, op[ops[i].verb], &ops[i].e) == 0)
			continue;
		/* Taking out or changing what was closed since (its
		 * registration is gone, or lives on in a copy of the file),
		 * or adding what is there already: start again. */
		if (ops[i].verb != WS_ADD || errno == EEXIST)
			return rebuild(w, want, nw);
		return give_up(w, "epoll_ctl");
	}
	memcpy(w->reg, want, (size_t)nw * sizeof *want);
	w->n = nw;
	return 0;
}

/* Every entry of FD gets what EV says of it (masked as poll() would). */
static int report(struct pollfd *pfd, int n, const struct epoll_event *ev)
{
	int i, hit = 0;

	for (i = 0; i < n; i++) {
		if (pfd[i].fd != ev->data.fd)
			continue;
		hit = 1;
		pfd[i].revents = (short)(ev->events &
					 (uint32_t)(pfd[i].events | POLLERR |
						    POLLHUP));
	}
	return hit;
}

/* epoll_wait() for US microseconds: to the microsecond where it can. */
static int ep_timed(struct waitset *w, struct epoll_event *ev, int64_t us)
{
#ifdef SYS_epoll_pwait2
	if (us > 0 && us % 1000 && !w->coarse) {
		/* the kernel's struct __kernel_timespec, on every ABI */
		struct { long long sec, nsec; } ts = { us / 1000000,
						       us % 1000000 * 1000 };
		long r = syscall(SYS_epoll_pwait2, w->epfd, ev, WS_MAX, &ts,
				 NULL, 0);

		if (r >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)r;
		w->coarse = 1;
	}
#endif
	return epoll_wait(w->epfd, ev, WS_MAX, ms_of(us));
}

static int ep_wait(struct waitset *w, struct pollfd *pfd, int n, int excl,
		   int64_t us)
{
	struct epoll_event ev[WS_MAX];
	int r, i, news = 0;

	if (sync_set(w, pfd, n, excl) < 0)
		return WS_POLL_ROUND;
	for (i = 0; i < n; i++)
		pfd[i].revents = 0;
	r = ep_timed(w, ev, us);
	if (r < 0 && errno == EINTR)
		return -1;
	if (r < 0)
		return give_up(w, "epoll_wait");
	for (i = 0; i < r; i++)
		if (!report(pfd, n, &ev[i]))
			w->stale = 1;	/* a registration outlived its fd */
	for (i = 0; i < n; i++)
		news += pfd[i].revents != 0;
	w->excl = excl >= 0 && pfd[excl].fd >= 0;
	return news;
}
#endif

int ws_wait(struct waitset *w, struct pollfd *pfd, int n, int excl,
	    int64_t us)
{
	w->excl = 0;
#ifdef WS_EPOLL
	if (!w->use_poll) {
		int r = ep_wait(w, pfd, n, excl, us);

		if (r != WS_POLL_ROUND)
			return r;
		w->excl = 0;
	}
#else
	(void)excl;
#endif
	return poll(pfd, (nfds_t)n, ms_of(us));
}
