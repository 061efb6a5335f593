/* proctree: see proctree.h. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* process_vm_readv() */
#endif
#include "proctree.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>
#include <sys/uio.h>
#endif

#define PATHLEN 512

struct list {
	pid_t *pid;
	int n, size;
};

/*
 * A stat file's state letter and parent: "pid (comm) S ppid ...".  The
 * command name may hold spaces and ')', so look after the last ')'.
 */
static int parse_stat(const char *path, char *state, pid_t *ppid)
{
	char buf[1024], *p;
	long pp;

	if (read_text(path, buf, sizeof buf) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	if (p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		return -1;
	*state = p[2];
	pp = strtol(p + 4, &p, 10);
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return -1;
	*ppid = (pid_t)pp;
	return 0;
}

/* A /proc entry name that is a number: the number, else -1. */
static long numeric(const char *name)
{
	char *end;
	long v;

	if (*name < '0' || *name > '9')
		return -1;
	v = strtol(name, &end, 10);
	return *end == '\0' ? v : -1;
}

static int push(struct list *l, pid_t pid)
{
	int i;

	for (i = 0; i < l->n; i++)	/* a pid reused during the walk */
		if (l->pid[i] == pid)
			return 0;
	if (l->n == TREE_MAX)
		return -1;
	if (l->n == l->size) {
		int size = l->size ? l->size * 2 : 64;
		pid_t *p = realloc(l->pid, (size_t)size * sizeof *p);

		if (!p)
			return -1;
		l->pid = p;
		l->size = size;
	}
	l->pid[l->n++] = pid;
	return 0;
}

/*
 * tree_waits: is a task blocked waiting to read our token pipe?  What it
 * is blocked in is /proc/PID/task/TID/syscall: the number, then the
 * arguments in hex.  Where the fds it waits on are, the answer is exact
 * (the fd of a read, the read set of a select, the array of a poll, an
 * epoll's interest list in fdinfo); where they cannot be read (not our
 * memory to read, too many), a task that holds our pipe open at all is
 * taken to wait for it.
 */
struct look {
	const struct tree_target *t;
	int waits;		/* a task waits for it */
	int unsure;		/* a task we could not tell */
};

enum { K_OTHER, K_READ, K_SELECT, K_POLL, K_EPOLL, K_ASLEEP };

/* The calls a reader can block in, and those of a process that waits for
 * something else (make in wait4 while its one job runs; a lock, a
 * socket).  Any other call cannot be told (a 32-bit task's numbers are
 * another table). */
static const struct {
	long nr;
	int kind;
} calls[] = {
#ifdef __linux__
	{ SYS_read, K_READ }, { SYS_readv, K_READ }, { SYS_pread64, K_READ },
	{ SYS_preadv, K_READ },
#ifdef SYS_preadv2
	{ SYS_preadv2, K_READ },
#endif
#ifdef SYS_select
	{ SYS_select, K_SELECT },
#endif
#ifdef SYS_pselect6
	{ SYS_pselect6, K_SELECT },
#endif
#ifdef SYS_poll
	{ SYS_poll, K_POLL },
#endif
#ifdef SYS_ppoll
	{ SYS_ppoll, K_POLL },
#endif
#ifdef SYS_epoll_wait
	{ SYS_epoll_wait, K_EPOLL },
#endif
	{ SYS_epoll_pwait, K_EPOLL },
#ifdef SYS_epoll_pwait2
	{ SYS_epoll_pwait2, K_EPOLL },
#endif
	{ SYS_wait4, K_ASLEEP }, { SYS_waitid, K_ASLEEP },
	{ SYS_rt_sigsuspend, K_ASLEEP },
#if defined(SYS_clock_nanosleep) && defined(SYS_futex)
	{ SYS_clock_nanosleep, K_ASLEEP }, { SYS_futex, K_ASLEEP },
#endif
#ifdef SYS_nanosleep
	{ SYS_nanosleep, K_ASLEEP },
#endif
#ifdef SYS_pause
	{ SYS_pause, K_ASLEEP },
#endif
	/* Blocked on a lock, a signal, a socket or a System V queue: none of
	 * them reads a pipe (a recv on a pipe fails with ENOTSOCK). */
	{ SYS_flock, K_ASLEEP }, { SYS_fcntl, K_ASLEEP },
	{ SYS_rt_sigtimedwait, K_ASLEEP },
#ifdef SYS_accept
	{ SYS_accept, K_ASLEEP },
#endif
	{ SYS_accept4, K_ASLEEP }, { SYS_connect, K_ASLEEP },
#ifdef SYS_recvfrom
	{ SYS_recvfrom, K_ASLEEP },
#endif
	{ SYS_recvmsg, K_ASLEEP },
#ifdef SYS_semop
	{ SYS_semop, K_ASLEEP },
#endif
	{ SYS_semtimedop, K_ASLEEP }, { SYS_msgrcv, K_ASLEEP },
#endif
	{ -1, K_OTHER }
};

static int kind_of(long nr)
{
	int i;

	for (i = 0; calls[i].nr >= 0; i++)
		if (calls[i].nr == nr)
			return calls[i].kind;
	return K_OTHER;
}

/* Is the task's FD our pipe? */
static int is_ours(const char *root, pid_t pid, long tid, long fd,
		   const struct look *lk)
{
	char path[PATHLEN];
	struct stat st;

	if (fd < 0)
		return TREE_NOT_WAITING;
	snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/fd/%ld", root,
		 (long)pid, tid, fd);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? TREE_NOT_WAITING : TREE_CANNOT_TELL;
	return st.st_dev == lk->t->dev && st.st_ino == lk->t->ino
		       ? TREE_WAITING : TREE_NOT_WAITING;
}

/* Fold one more answer into *SO_FAR: waiting wins, then cannot tell. */
static void fold(int *so_far, int r)
{
	if (r == TREE_WAITING || (r == TREE_CANNOT_TELL && *so_far == 0))
		*so_far = r;
}

/* Does the task hold our pipe open at an fd below BELOW? */
static int holds(const char *root, pid_t pid, long tid, long below,
		 const struct look *lk)
{
	char path[PATHLEN];
	struct dirent *e;
	int r = TREE_NOT_WAITING;
	long fd;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/fd", root,
		 (long)pid, tid);
	if (!(d = opendir(path)))	/* gone: it holds nothing */
		return errno == ENOENT ? TREE_NOT_WAITING : TREE_CANNOT_TELL;
	while (r != TREE_WAITING && (e = readdir(d)))
		if ((fd = numeric(e->d_name)) >= 0 && fd < below)
			fold(&r, is_ours(root, pid, tid, fd, lk));
	closedir(d);
	return r;
}

/* LEN bytes of the task's memory at ADDR: 0, or -1 (a fake tree has no
 * memory; a kernel or a sandbox may refuse). */
static int peek(const char *root, long tid, unsigned long long addr,
		void *buf, size_t len)
{
#ifdef __linux__
	struct iovec here = { buf, len }, there = { (void *)(uintptr_t)addr,
						     len };

	if (*root == '\0' && addr != 0 &&
	    process_vm_readv((pid_t)tid, &here, 1, &there, 1, 0) ==
		    (ssize_t)len)
		return 0;
#else
	(void)root, (void)tid, (void)addr, (void)buf, (void)len;
#endif
	return -1;
}

/* poll(FDS, N): one of them ours, for reading? */
static int polled(const char *root, pid_t pid, long tid,
		  unsigned long long fds, unsigned long long n,
		  const struct look *lk)
{
	struct pollfd p[64];
	int r = TREE_NOT_WAITING;
	unsigned i;

	if (n > 64 || peek(root, tid, fds, p, (size_t)n * sizeof *p) < 0)
		return holds(root, pid, tid, 1L << 30, lk);
	for (i = 0; i < n && r != TREE_WAITING; i++)
		if (p[i].events & POLLIN)
			fold(&r, is_ours(root, pid, tid, p[i].fd, lk));
	return r;
}

/* select(NFDS, READFDS...): one of the read set ours? */
static int selected(const char *root, pid_t pid, long tid,
		    unsigned long long nfds, unsigned long long set,
		    const struct look *lk)
{
	unsigned long bits[1024 / (8 * sizeof(unsigned long))];
	size_t per = 8 * sizeof bits[0];
	int r = TREE_NOT_WAITING;
	unsigned long long fd;

	if (set == 0)
		return TREE_NOT_WAITING;	/* no read set at all */
	if (nfds > 1024 || peek(root, tid, set, bits, (size_t)(nfds + per - 1)
				 / per * sizeof bits[0]) < 0)
		return holds(root, pid, tid, nfds > 1024 ? 1L << 30 : (long)nfds,
			     lk);
	for (fd = 0; fd < nfds && r != TREE_WAITING; fd++)
		if (bits[fd / per] >> (fd % per) & 1)
			fold(&r, is_ours(root, pid, tid, (long)fd, lk));
	return r;
}

/* epoll_wait(EPFD...): its interest list, "tfd: N events: HEX" lines of
 * fdinfo, holds ours for reading? */
static int epolled(const char *root, pid_t pid, long tid, long epfd,
		   const struct look *lk)
{
	char path[PATHLEN], buf[4096], *p;
	int r = TREE_NOT_WAITING, len;
	unsigned long ev;
	long fd;

	snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/fdinfo/%ld", root,
		 (long)pid, tid, epfd);
	len = read_text(path, buf, sizeof buf);
	if (len < 0 || len == (int)sizeof buf - 1)	/* none, or cut */
		return holds(root, pid, tid, 1L << 30, lk);
	for (p = buf; (p = strstr(p, "tfd:")) && r != TREE_WAITING;) {
		fd = strtol(p + 4, &p, 10);
		if (sscanf(p, " events: %lx", &ev) == 1 && (ev & 1))
			fold(&r, is_ours(root, pid, tid, fd, lk));
	}
	return r;
}

/* Is the task a jobproxy of this binary?  One below us holds our pipe
 * open all its life, and runs at its own looks and relay rounds: counted
 * as a client on its way to read, it had a token parked for an idle tree
 * whenever our look met its own (3 runs in 24 of t_idle's nested tree
 * under ASan beside stress-ng --cpu 2). */
static int is_us(const char *root, pid_t pid, long tid, const struct look *lk)
{
	char path[PATHLEN];
	struct stat st;

	if (lk->t->self_ino == 0)
		return 0;
	snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/exe", root,
		 (long)pid, tid);
	return stat(path, &st) == 0 && st.st_dev == lk->t->self_dev &&
	       st.st_ino == lk->t->self_ino;
}

/* One task: is it blocked waiting for our pipe (TREE_WAITING...)? */
static int task_waits(const char *root, pid_t pid, long tid,
		      const struct look *lk)
{
	char path[PATHLEN], buf[256], *p, *q;
	unsigned long long a[6] = { 0 };
	long nr;
	int i, r;

	snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/syscall", root,
		 (long)pid, tid);
	if (read_text(path, buf, sizeof buf) < 0) {
		/* hidepid, no permission, no such file; or the task exited
		 * since its stat was read: then it waits for nothing */
		snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/stat", root,
			 (long)pid, tid);
		return access(path, F_OK) < 0 ? TREE_NOT_WAITING
					      : TREE_CANNOT_TELL;
	}
	nr = strtol(buf, &p, 10);
	/* Running, or stopped outside a call: not waiting this instant, but
	 * a client of the pipe may be on its way to read it (a make that has
	 * just reaped a job and starts the next ones); a compiler, which has
	 * no fd of it, is not; nor is a jobproxy below (is_us). */
	if (strncmp(buf, "running", 7) == 0 || (p != buf && nr < 0)) {
		r = holds(root, pid, tid, 1L << 30, lk);
		return r == TREE_WAITING && is_us(root, pid, tid, lk)
			       ? TREE_NOT_WAITING : r;
	}
	if (p == buf)
		return TREE_CANNOT_TELL;
	for (i = 0; i < 6; i++, p = q)
		if (a[i] = strtoull(p, &q, 16), q == p)
			return TREE_CANNOT_TELL;
	switch (kind_of(nr)) {
	case K_READ:
		return is_ours(root, pid, tid, (long)a[0], lk);
	case K_SELECT:
		return selected(root, pid, tid, a[0], a[1], lk);
	case K_POLL:
		return polled(root, pid, tid, a[0], a[1], lk);
	case K_EPOLL:
		return epolled(root, pid, tid, (long)a[0], lk);
	case K_ASLEEP:
		return TREE_NOT_WAITING;
	}
	return TREE_CANNOT_TELL;
}

/* Runnable tasks of PID; with CHILDREN, its threads' children go on L;
 * with LK, what each task waits for is folded in. */
static int tasks(const char *root, pid_t pid, struct list *children,
		 struct look *lk)
{
	char path[PATHLEN], buf[4096], state, *p, *end;
	struct dirent *e;
	pid_t ppid;
	long tid, kid;
	int running = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc/%ld/task", root, (long)pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d))) {
		if ((tid = numeric(e->d_name)) < 0)
			continue;
		snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/stat", root,
			 (long)pid, tid);
		if (parse_stat(path, &state, &ppid) < 0)
			continue;	/* gone since readdir() */
		running += state == 'R';
		if (lk && !lk->waits && state != 'Z') {
			int r = task_waits(root, pid, tid, lk);

			lk->waits = r == TREE_WAITING;
			lk->unsure |= r == TREE_CANNOT_TELL;
		}
		snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/children",
			 root, (long)pid, tid);
		if (!children || read_text(path, buf, sizeof buf) < 0)
			continue;
		for (p = buf; (kid = strtol(p, &end, 10)) > 0; p = end)
			push(children, (pid_t)kid);
	}
	closedir(d);
	return running;
}

/* Every process's parent, read once: PIDS[i] is the child of PARENTS[i]. */
static int scan(const char *root, struct list *pids, struct list *parents)
{
	char path[PATHLEN], state;
	struct dirent *e;
	pid_t ppid;
	long pid;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc", root);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)) && pids->n < 16 * TREE_MAX) {
		if ((pid = numeric(e->d_name)) < 0)
			continue;
		snprintf(path, sizeof path, "%s/proc/%ld/stat", root, pid);
		if (parse_stat(path, &state, &ppid) < 0)
			continue;
		/* no duplicates here: append without push's search */
		if (pids->n == pids->size) {
			int size = pids->size ? pids->size * 2 : 256;
			pid_t *a = realloc(pids->pid, (size_t)size * sizeof *a);
			pid_t *b = a ? realloc(parents->pid,
					       (size_t)size * sizeof *b) : NULL;

			if (a)
				pids->pid = a;
			if (!b)
				break;
			parents->pid = b;
			pids->size = parents->size = size;
		}
		pids->pid[pids->n++] = (pid_t)pid;
		parents->pid[parents->n++] = ppid;
	}
	closedir(d);
	return 0;
}

static int walk(const char *root, pid_t top, int how, struct list *tree,
		struct look *lk)
{
	struct list all = { NULL, 0, 0 }, parent = { NULL, 0, 0 };
	int i, j, n, running = 0;

	if (how == TREE_SCAN && scan(root, &all, &parent) < 0)
		return -1;
	push(tree, top);
	for (i = 0; i < tree->n; i++) {
		n = tasks(root, tree->pid[i],
			  how == TREE_CHILDREN ? tree : NULL, lk);
		if (n < 0 && i == 0) {
			running = -1;	/* the command itself is gone */
			break;
		}
		running += n > 0 ? n : 0;
		for (j = 0; how == TREE_SCAN && j < all.n; j++)
			if (parent.pid[j] == tree->pid[i])
				push(tree, all.pid[j]);
	}
	free(all.pid);
	free(parent.pid);
	return running;
}

int tree_runnable(const char *root, pid_t pid, int how)
{
	struct list tree = { NULL, 0, 0 };
	int running;

	if (how == TREE_NONE || pid <= 0)
		return -1;
	running = walk(root, pid, how, &tree, NULL);
	free(tree.pid);
	return running;
}

int tree_waits(const char *root, pid_t pid, int how,
	       const struct tree_target *t)
{
	struct list tree = { NULL, 0, 0 };
	struct look lk = { t, 0, 0 };
	int r;

	if (how == TREE_NONE || pid <= 0)
		return TREE_CANNOT_TELL;
	r = walk(root, pid, how, &tree, &lk);
	if (tree.n == TREE_MAX)
		lk.unsure = 1;		/* a part we did not look at */
	free(tree.pid);
	if (r < 0)
		return TREE_CANNOT_TELL;
	return lk.waits ? TREE_WAITING : lk.unsure ? TREE_CANNOT_TELL
						   : TREE_NOT_WAITING;
}

int tree_usable(const char *root)
{
	char path[PATHLEN], state;
	struct dirent *e;
	pid_t ppid;
	int how = TREE_NONE;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc/self/stat", root);
	if (parse_stat(path, &state, &ppid) < 0)
		return TREE_NONE;
	snprintf(path, sizeof path, "%s/proc/self/task", root);
	if (!(d = opendir(path)))
		return TREE_NONE;
	while (how == TREE_NONE && (e = readdir(d)))
		if (numeric(e->d_name) >= 0) {
			snprintf(path, sizeof path,
				 "%s/proc/self/task/%s/children", root,
				 e->d_name);
			how = access(path, R_OK) == 0 ? TREE_CHILDREN
						      : TREE_SCAN;
		}
	closedir(d);
	return how;
}

int tree_pressure(const char *root, int window_ms)
{
	char path[PATHLEN], trigger[64];
	int fd, n;
	ssize_t w;

	n = snprintf(trigger, sizeof trigger, "some %ld %ld",
		     (long)window_ms * 100, (long)window_ms * 1000);
	if (snprintf(path, sizeof path, "%s/proc/pressure/cpu", root) >=
	    (int)sizeof path)
		return -1;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the kernel takes the string with its terminating NUL */
	do
		w = write(fd, trigger, (size_t)n + 1);
	while (w < 0 && errno == EINTR);
	if (w != n + 1) {
		close(fd);
		return -1;
	}
	return fd;
}

int64_t tree_stall(int fd)
{
	char buf[256], *t;
	ssize_t n;

	do
		n = pread(fd, buf, sizeof buf - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	t = strstr(buf, "total=");	/* the first line is "some" */
	return t ? (int64_t)strtoll(t + 6, NULL, 10) : -1;
}
