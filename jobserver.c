/*
 * jobserver: see jobserver.h.
 *
 * Two kernel facts shape this file:
 *
 *  - make 4.3 sets O_NONBLOCK on the read end it shares with every client,
 *    and that flag lives in the open file description.  Flipping it would
 *    change it under everyone else, so we read through a description of our
 *    own: open("/proc/self/fd/N") on a pipe gives exactly that on Linux.
 *    Without /proc we dup, and if that shared description is blocking we
 *    read under a one-shot timer, so losing the poll-then-read race to
 *    another client costs a timer tick, never a hang.
 *
 *  - A pipe whose size is cut to one page has one slot: after we write a
 *    token, poll() says "not writable" until a reader has emptied it.  That
 *    makes "the child took its token" an event instead of a timer.
 *
 * The child's own ends (tok_r, ret_w) stay blocking: make 4.1 treats EAGAIN
 * on its token pipe as fatal.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#endif
#include "jobserver.h"
#include "msg.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef FIONREAD
#include <sys/filio.h>		/* Solaris, illumos */
#endif

/* Our own description of the pipe behind FD (Linux), or -1. */
static int reopen(int fd, int mode)
{
	char path[64];
	int r;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	do
		r = open(path, mode | O_NONBLOCK | O_CLOEXEC);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Is FD an open pipe we may use in direction ACC (O_RDONLY/O_WRONLY)? */
static int usable(int fd, int acc, const char *what)
{
	static const char *const std[] = {
		"standard input", "standard output", "standard error"
	};
	struct stat st;
	int fl;

	/* Never a jobserver, even when it is a pipe: tokens would be read
	 * from the command's input, or written into its output. */
	if (fd >= 0 && fd <= 2) {
		jp_warn("jobserver %s fd %d is %s: running without jobproxy",
			what, fd, std[fd]);
		return 0;
	}
	if (fcntl(fd, F_GETFD) < 0) {
		jp_warn("jobserver %s fd %d is closed (a recipe line without"
			" '+'?): running without jobproxy", what, fd);
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		jp_warn("jobserver %s fd %d is not a pipe (closed and reused):"
			" running without jobproxy", what, fd);
		return 0;
	}
	fl = fcntl(fd, F_GETFL) & O_ACCMODE;
	if (fl != O_RDWR && fl != acc) {
		jp_warn("jobserver %s fd %d is not open for %s: running"
			" without jobproxy", what, fd,
			acc == O_RDONLY ? "reading" : "writing");
		return 0;
	}
	return 1;
}

static int open_pipe(const struct js_auth *a, struct parent_js *p)
{
	if (!usable(a->rfd, O_RDONLY, "read") ||
	    !usable(a->wfd, O_WRONLY, "write"))
		return -1;
	p->rfd = reopen(a->rfd, O_RDONLY);
	if (p->rfd < 0 && (errno == EMFILE || errno == ENFILE)) {
		jp_warn("cannot open the parent jobserver:");
		return -1;
	}
	if (p->rfd < 0) {
		/* No /proc: share the description, guard if it blocks. */
		p->rfd = fcntl(a->rfd, F_DUPFD_CLOEXEC, 3);
		if (p->rfd >= 0)
			p->guarded = !(fcntl(p->rfd, F_GETFL) & O_NONBLOCK);
	}
	p->wfd = fcntl(a->wfd, F_DUPFD_CLOEXEC, 3);
	if (p->rfd < 0 || p->wfd < 0) {
		jp_warn("cannot open the parent jobserver:");
		js_close_parent(p);
		return -1;
	}
	return 0;
}

static int open_fifo(const struct js_auth *a, struct parent_js *p)
{
	char path[PATH_MAX];
	struct stat st;

	if (!mf_unescape(a->path, a->pathlen, path, sizeof path)) {
		jp_warn("jobserver fifo path is too long: running without"
			" jobproxy");
		return -1;
	}
	/* O_NONBLOCK: an O_RDONLY open of a fifo waits for a writer. */
	p->rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (p->rfd < 0) {
		jp_warn("cannot open jobserver fifo %s:", path);
		return -1;
	}
	if (fstat(p->rfd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		jp_warn("jobserver %s is not a fifo: running without jobproxy",
			path);
		js_close_parent(p);
		return -1;
	}
	p->wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (p->wfd < 0) {
		jp_warn("cannot open jobserver fifo %s for writing:", path);
		js_close_parent(p);
		return -1;
	}
	p->owner = mf_fifo_owner(path);
	return 0;
}

void js_parent_init(struct parent_js *p)
{
	p->rfd = p->wfd = -1;
	p->guarded = 0;
	p->owner = 0;
}

void js_child_init(struct child_js *c)
{
	c->tok_r = c->tok_w = c->ret_r = c->ret_w = -1;
	c->tok_peek = c->watch = -1;
	c->oneslot = 0;
	c->fifo = NULL;
}

int js_open_parent(const struct js_auth *a, struct parent_js *p)
{
	js_parent_init(p);
	return a->kind == JS_FIFO ? open_fifo(a, p) : open_pipe(a, p);
}

/* Cut the token pipe to one slot; 1 if poll() now tracks "emptied". */
static int one_slot(int fd)
{
#ifdef F_SETPIPE_SZ
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 && fcntl(fd, F_SETPIPE_SZ, (int)page) == page;
#else
	(void)fd;
	return 0;
#endif
}

int js_make_child(struct child_js *c)
{
	int t[2], r[2];

	js_child_init(c);
	if (pipe_cloexec(t) < 0)
		return -1;
	if (pipe_cloexec(r) < 0) {
		int e = errno;

		close(t[0]);
		close(t[1]);
		errno = e;
		return -1;
	}
	c->tok_r = t[0];
	c->tok_w = t[1];
	c->ret_r = r[0];
	c->ret_w = r[1];
	fd_nonblock(c->tok_w);
	fd_nonblock(c->ret_r);
	c->oneslot = one_slot(c->tok_w);
	c->tok_peek = reopen(c->tok_r, O_RDONLY);
	return 0;
}

/*
 * A jobproxy killed by SIGKILL cannot remove its fifo.  Its directory is
 * named after its pid, so the next one to make a fifo removes what dead
 * pids of the same user left behind: nothing piles up in TMPDIR.
 */
static void sweep_leftovers(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	char path[2 * PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		long pid;

		/* the name js_make_child_fifo() gives, mf_fifo_owner() reads */
		snprintf(path, sizeof path, "%s/%s/fifo", tmp, e->d_name);
		pid = mf_fifo_owner(path);
		if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
		if (lstat(path, &st) || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		snprintf(path, sizeof path, "%s/%s/fifo", tmp, e->d_name);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
		rmdir(path);
	}
	closedir(d);
}

/*
 * A fifo child writes its returns, and its over-returns, where it reads
 * its tokens, and no pipe event says so while the fifo is not empty.  On
 * Linux every write(2) through the fifo's path reaches inotify as
 * IN_MODIFY (vfs_write() calls fsnotify_modify(), pipes included), queued
 * before the writer's write() returns: an event for each of the child's
 * writes, with no tick.  Elsewhere -1, and the relay falls back to a
 * timer.
 */
static int watch_fifo(const char *path)
{
#if defined(__linux__) && !defined(JOBPROXY_NO_INOTIFY)
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 && inotify_add_watch(fd, path, IN_MODIFY) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
#else
	(void)path;
	return -1;
#endif
}

int js_watch_drain(int fd)
{
	char buf[4096];
	ssize_t n;
	int any = 0;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0 ||
	       (n < 0 && errno == EINTR))
		any |= n > 0;
	return any;
}

int js_make_child_fifo(struct child_js *c)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX + 8];
	int e;

	js_child_init(c);
	if (!tmp || !*tmp)
		tmp = "/tmp";
	sweep_leftovers(tmp);
	if (snprintf(dir, sizeof dir, "%s/jobproxy-%ld.XXXXXX", tmp,
		     (long)getpid()) >= (int)sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!mkdtemp(dir))	/* mode 0700 */
		return -1;
	snprintf(path, sizeof path, "%s/fifo", dir);
	if (mkfifo(path, 0600) < 0)
		goto fail;
	c->fifo = strdup(path);
	/* Reader first: a non-blocking O_WRONLY open needs one. */
	c->tok_peek = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->tok_peek >= 0)
		c->tok_w = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (!c->fifo || c->tok_w < 0)
		goto fail;
	c->oneslot = one_slot(c->tok_w);
	c->watch = watch_fifo(path);
	return 0;
fail:
	e = errno;
	if (c->tok_peek >= 0)
		close(c->tok_peek);
	c->tok_peek = -1;
	free(c->fifo);
	c->fifo = NULL;
	unlink(path);
	rmdir(dir);
	errno = e;
	return -1;
}

void js_close_parent(struct parent_js *p)
{
	close_fd(&p->rfd);
	close_fd(&p->wfd);
	p->owner = 0;
}

int js_parent_ended(const struct parent_js *p)
{
	struct stat st;

	return p->owner > 0 && fstat(p->rfd, &st) == 0 &&
	       st.st_nlink == 0 && kill((pid_t)p->owner, 0) < 0 &&
	       errno == ESRCH;
}

void js_close_child(struct child_js *c)
{
	close_fd(&c->tok_r);
	close_fd(&c->tok_w);
	close_fd(&c->ret_r);
	close_fd(&c->ret_w);
	close_fd(&c->tok_peek);
	close_fd(&c->watch);
	if (c->fifo) {
		char *slash = strrchr(c->fifo, '/');

		unlink(c->fifo);
		*slash = '\0';
		rmdir(c->fifo);
		free(c->fifo);
		c->fifo = NULL;
	}
}

static void on_alarm(int signo)
{
	(void)signo;
}

/* read(2) that a blocking shared description cannot hang for long. */
static ssize_t guarded_read(int fd, char *b)
{
	struct sigaction sa, old;
	struct itimerval t, off;
	ssize_t n;
	int e;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: read gets EINTR */
	sigaction(SIGALRM, &sa, &old);
	memset(&t, 0, sizeof t);
	memset(&off, 0, sizeof off);
	t.it_value.tv_usec = 20000;
	setitimer(ITIMER_REAL, &t, NULL);
	n = read(fd, b, 1);
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (n < 0 && e == EINTR)
		e = EAGAIN;
	errno = e;
	return n;
}

int js_take_byte(int fd, int guarded, unsigned char *b)
{
	char c;
	ssize_t n;

	do
		n = guarded ? guarded_read(fd, &c) : read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1) {
		*b = (unsigned char)c;
		return JS_TOOK;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return JS_EMPTY;
	return n == 0 ? JS_EOF : JS_FAIL;
}

long js_take_upto(int fd, unsigned char *buf, unsigned long max)
{
	ssize_t n;

	do
		n = read(fd, buf, max);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return (long)n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return JS_EMPTY;
	return n == 0 ? JS_EOF : JS_FAIL;
}

unsigned long js_put_bytes(int fd, const unsigned char *b, unsigned long n)
{
	unsigned long done = 0;
	int waited = 0;

	while (done < n) {
		ssize_t w = write(fd, b + done, n - done);

		if (w > 0) {
			done += (unsigned long)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    waited < 30) {
			/* A full pool pipe: only if the pool is larger than
			 * the pipe.  Wait for room, a bounded while. */
			struct pollfd pfd = { fd, POLLOUT, 0 };

			waited++;
			poll(&pfd, 1, 1000);
			continue;
		}
		break;
	}
	return done;
}

unsigned long js_give_bytes(int fd, const unsigned char *b, unsigned long n)
{
	ssize_t w;

	/* Never wait: a full pipe means the child filled it (fifo style,
	 * over-returns), and the relay takes those out first.  One write:
	 * a client asleep in read() is woken once for all of them, and a
	 * pipe takes up to PIPE_BUF bytes whole or not at all. */
	do
		w = write(fd, b, n);
	while (w < 0 && errno == EINTR);
	return w > 0 ? (unsigned long)w : 0;
}

int js_give(int fd, unsigned char b)
{
	return js_give_bytes(fd, &b, 1) == 1;
}

unsigned long js_pending(int fd)
{
	int n = 0;

	if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0 || n < 0)
		return 0;
	return (unsigned long)n;
}

unsigned long js_drain(int fd)
{
	char buf[256];
	unsigned long n, total = 0;
	ssize_t r;

	/* Reads bounded by what is there: safe on a blocking end too. */
	while ((n = js_pending(fd)) > 0) {
		do
			r = read(fd, buf, n < sizeof buf ? n : sizeof buf);
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			break;
		total += (unsigned long)r;
	}
	return total;
}
