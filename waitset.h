/*
 * waitset: one round's wait, as poll() takes it (an array of pollfd), with
 * one entry that may be waited on exclusively: the parent's token fd.
 *
 * Every jobproxy of a build that wants a token waits on the same pipe.  A
 * poll() waiter is woken by every write into it, so each token returned
 * wakes every waiting jobproxy, and all but one find nothing: O(N) wakeups
 * per token.  On Linux the entry is instead registered in an epoll set
 * with EPOLLEXCLUSIVE, and the kernel wakes only one of the waiters that
 * registered so for each write (those not asleep in epoll_wait() at that
 * moment see it at their next wait).  Two rules follow, for the caller:
 * the whole wait must be epoll_wait() (poll() on an epoll fd wakes every
 * poller again), and a waiter woken exclusively that leaves a token in the
 * pipe must pass the wake-up on (relay.c: pass_on), else that token sleeps
 * unseen until the next write.
 *
 * The epoll set is kept in step with the rounds by difference: epoll_ctl()
 * only for what changed since the last wait.  A registration belongs to
 * the open file, not to the fd number.  So the caller's one rule: an fd it
 * closes leaves the round (is not in the next wait) before its number may
 * come back in it; relay.c opens no fd to wait on while it runs, so a
 * number never comes back there.  Taking the closed fd out of the set then
 * fails (EBADF, or ENOENT when the number names another file already),
 * and the set is made again from nothing: a registration that lives on in
 * a copy of the file (a dup, the child's end) goes with the old set.
 * Checking each fd's identity at every wait instead (fstat) cost a fifth
 * of a relayed token's time.  The epoll fd is close-on-exec.
 *
 * poll() is used where epoll does not exist (not Linux, or built with
 * -DJP_NO_EPOLL), when JOBPROXY_NO_EPOLL is set to anything but "" or "0",
 * and for good after any epoll call fails as it should not.
 */
#ifndef JOBPROXY_WAITSET_H
#define JOBPROXY_WAITSET_H

#include <poll.h>
#include <stdint.h>

#define WS_MAX 8		/* most entries one wait takes */

/* One registration, or one that a round asks for. */
struct ws_entry {
	int fd;
	short events;		/* POLLIN, POLLOUT */
	int excl;		/* EPOLLEXCLUSIVE */
};

/* What ws_plan() asks of epoll_ctl(). */
enum ws_verb { WS_ADD, WS_MOD, WS_DEL };
struct ws_op {
	enum ws_verb verb;
	struct ws_entry e;
};

#define WS_PLAN_POLL (-1)	/* this round cannot be one epoll set */

/*
 * From the registrations OLD (NOLD of them) to the round's WANT (NWANT):
 * the operations, at most NOLD + 2 * NWANT, into OPS, removals first.
 * Returns how many, or WS_PLAN_POLL when one fd is asked for twice.
 * Pure: unit tested.
 */
int ws_plan(const struct ws_entry *old, int nold, const struct ws_entry *want,
	    int nwant, struct ws_op *ops);

struct waitset {
	int epfd;		/* the epoll set, or -1 (none yet, or poll) */
	int use_poll;		/* poll() for good */
	int excl;		/* the last wait was exclusive on an entry */
	int stale;		/* an event came for no entry: make it again */
	int coarse;		/* no epoll_pwait2(): waits in milliseconds */
	int n;			/* registrations, as the kernel has them */
	struct ws_entry reg[WS_MAX];
};

/* Nothing registered yet; the epoll set is made now (so that a caller
 * can have it before it starts a command whose fds are counted), unless
 * JOBPROXY_NO_EPOLL, read here, says poll(). */
void ws_init(struct waitset *w);

/*
 * poll(PFD, N, ...) for US microseconds (-1: until news), with PFD[EXCL]
 * (EXCL -1 for none) waited on exclusively where epoll can.  Fills every
 * revents as poll() does (POLLNVAL aside) and returns as it does: entries
 * with news, 0 at the timeout, -1 with errno (EINTR).  An epoll failure
 * falls back to poll().  To the microsecond with epoll where the kernel
 * can (waitset.c), else in milliseconds rounded up.
 */
int ws_wait(struct waitset *w, struct pollfd *pfd, int n, int excl,
	    int64_t us);

/* Did the last ws_wait() wait on its EXCL entry exclusively? */
int ws_exclusive(const struct waitset *w);

/* Drop the epoll set; poll() from now on. */
void ws_close(struct waitset *w);

#endif
