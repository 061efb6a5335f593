/* Unit tests of proctree.c: the runnable count of a real tree of busy
 * processes, and of fake /proc trees for both ways down. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* syscall(): pselect6 with a bit set of our own */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "proctree.h"

#include "fakeroot.h"

static void unlink_fake(const char *path)
{
	char full[1024];

	snprintf(full, sizeof full, "%s%s", root, path);
	assert_int_equal(unlink(full), 0);
}

static pid_t groups[2];		/* the real tree's process groups */

/* However the test ended, no spinner outlives it. */
static int kill_groups(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 2; i++)
		if (groups[i] > 0)
			kill(-groups[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}

static void spin(int ready)
{
	volatile unsigned long n = 0;

	if (write(ready, "x", 1) != 1)
		_exit(1);
	for (;;)
		n++;
}

/* A child that starts a process per letter of SPEC ("x" spins, "s"
 * waits for a spinner of its own), then waits; GROUP: in a process group
 * of its own, with all it starts. */
static pid_t spawn(const char *spec, int ready, int group)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	if (group)
		setpgid(0, 0);
	for (; *spec; spec++) {
		pid_t kid = fork();

		if (kid < 0)
			_exit(1);
		if (kid == 0) {
			if (*spec == 'x')
				spin(ready);
			spawn("x", ready, 0);
			for (;;)
				if (wait(NULL) < 0)
					_exit(0);
		}
	}
	for (;;)
		if (wait(NULL) < 0)
			_exit(0);
}

static char state_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return '?';
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	return p && (p = strrchr(buf, ')')) ? p[2] : '?';
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	struct timespec t = { 0, ms * 1000000L };

	nanosleep(&t, NULL);
}

/*
 * Wait until PID's descendants that have children of their own (the
 * sleepers between the command and its spinners) sit in wait(): until
 * then one of them may be runnable for a moment, a fifth task to count.
 * Needs /proc/PID/task/PID/children; without it, nothing to wait on.
 */
static void wait_sleepers(pid_t pid, double limit)
{
	char path[96];
	long kid;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children",
		 (long)pid, (long)pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fscanf(f, "%ld", &kid) == 1) {
		char sub[96];
		FILE *g;
		int parent = 0;
		long any;

		snprintf(sub, sizeof sub, "/proc/%ld/task/%ld/children", kid,
			 kid);
		if ((g = fopen(sub, "r"))) {
			parent = fscanf(g, "%ld", &any) == 1;
			fclose(g);
		}
		if (!parent)
			continue;	/* a spinner */
		while (state_of((pid_t)kid) != 'S' && now_s() < limit)
			pause_ms(10);
		assert_int_equal(state_of((pid_t)kid), 'S');
		wait_sleepers((pid_t)kid, limit);
	}
	fclose(f);
}

/*
 * A command (asleep in wait) running 4 busy processes, one of them a
 * grandchild under another sleeper; and a busy process outside its tree.
 * The count is never above 4, and reads 4 once the spinners all run.
 */
static void four_busy_processes(void **state)
{
	int fds[2], hows[2], nhow = 0, i, got = 0;
	pid_t cmd, outside;
	char buf[5];
	double limit;

	(void)state;
#ifdef PR_SET_CHILD_SUBREAPER
	prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif
	assert_int_equal(pipe(fds), 0);
	groups[0] = outside = spawn("x", fds[1], 1);
	assert_int_equal(read(fds[0], buf, 1), 1);
	groups[1] = cmd = spawn("xxsx", fds[1], 1);
	setpgid(cmd, cmd);		/* before or after the child's own */
	for (i = 0; i < 4; i++)		/* every spinner has started */
		assert_int_equal(read(fds[0], buf, 1), 1);
	hows[nhow++] = TREE_SCAN;
	if (tree_usable("") == TREE_CHILDREN)
		hows[nhow++] = TREE_CHILDREN;
	/* the command and the middle sleeper reach wait(): a process state */
	limit = now_s() + 30;
	while (state_of(cmd) != 'S' && now_s() < limit)
		pause_ms(10);
	assert_int_equal(state_of(cmd), 'S');
	wait_sleepers(cmd, limit);
	for (i = 0; i < nhow; i++) {
		got = 0;
		limit = now_s() + 30;
		while (got != 4 && now_s() < limit) {
			got = tree_runnable("", cmd, hows[i]);
			assert_true(got >= 0 && got <= 4);
		}
		assert_int_equal(got, 4);
	}
	/* the command's group holds its whole tree; we reap the orphans */
	kill_groups(NULL);
	assert_int_equal(tree_runnable("", cmd, TREE_SCAN), -1);
	close(fds[0]);
	close(fds[1]);
}

static void this_system_has_a_proc(void **state)
{
	(void)state;
#ifdef __linux__
	assert_int_not_equal(tree_usable(""), TREE_NONE);
	assert_true(tree_runnable("", getpid(), tree_usable("")) >= 1);
#endif
	assert_int_equal(tree_runnable("", 0, TREE_SCAN), -1);
	assert_int_equal(tree_runnable("", getpid(), TREE_NONE), -1);
}

/* A fake tree: 10 (make, asleep) has children 11 (2 threads running) and
 * 12 (a name with ") R" in it, running), 12 has 14 (running); 13 runs
 * outside the tree; 15 has a stat that is garbage. */
static void fake_tree(int children)
{
	put("/proc/self/stat", "7 (test) R 1 7 7 0\n");
	put("/proc/self/task/7/stat", "7 (test) R 1 7 7 0\n");
	if (children)
		put("/proc/self/task/7/children", "");
	put("/proc/10/stat", "10 (make) S 1 10\n");
	put("/proc/10/task/10/stat", "10 (make) S 1 10\n");
	put("/proc/11/stat", "11 (ld) R 10 10\n");
	put("/proc/11/task/11/stat", "11 (ld) R 10 10\n");
	put("/proc/11/task/16/stat", "16 (ld) R 10 10\n");
	put("/proc/12/stat", "12 (a ) R b) R 10 10\n");
	put("/proc/12/task/12/stat", "12 (a ) R b) R 10 10\n");
	put("/proc/13/stat", "13 (other) R 1 13\n");
	put("/proc/13/task/13/stat", "13 (other) R 1 13\n");
	put("/proc/14/stat", "14 (cc1) R 12 10\n");
	put("/proc/14/task/14/stat", "14 (cc1) R 12 10\n");
	put("/proc/15/stat", "garbage");
	put("/proc/15/task/15/stat", "garbage");
	put("/proc/17/stat", "17 (sh) S 12 10\n");
	put("/proc/17/task/17/stat", "17 (sh) D 12 10\n");
	if (children) {
		put("/proc/10/task/10/children", "11 12 ");
		put("/proc/11/task/11/children", "");
		put("/proc/11/task/16/children", "");
		put("/proc/12/task/12/children", "14 17 15 99");
		put("/proc/14/task/14/children", "");
	}
}

static void fake_scan(void **state)
{
	(void)state;
	assert_int_equal(tree_usable(root), TREE_NONE);
	fake_tree(0);
	assert_int_equal(tree_usable(root), TREE_SCAN);
	assert_int_equal(tree_runnable(root, 10, TREE_SCAN), 4);
	assert_int_equal(tree_runnable(root, 12, TREE_SCAN), 2);
	assert_int_equal(tree_runnable(root, 13, TREE_SCAN), 1);
	assert_int_equal(tree_runnable(root, 99, TREE_SCAN), -1);
}

static void fake_children(void **state)
{
	(void)state;
	fake_tree(1);
	assert_int_equal(tree_usable(root), TREE_CHILDREN);
	assert_int_equal(tree_runnable(root, 10, TREE_CHILDREN), 4);
	assert_int_equal(tree_runnable(root, 11, TREE_CHILDREN), 2);
	/* both ways agree */
	assert_int_equal(tree_runnable(root, 10, TREE_SCAN), 4);
}

/* The CPU pressure trigger: written with its NUL where the file is, the
 * stall a tenth of the window; none where there is no such file. */
static void pressure_trigger(void **state)
{
	char path[512], buf[64];
	FILE *f;
	size_t n;
	int fd;

	(void)state;
	assert_int_equal(tree_pressure(root, 2000), -1);
	put("/proc/pressure/cpu", "");
	fd = tree_pressure(root, 4000);
	assert_true(fd > 2);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	snprintf(path, sizeof path, "%s/proc/pressure/cpu", root);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_int_equal(n, sizeof "some 400000 4000000");
	assert_memory_equal(buf, "some 400000 4000000", n);
}

/* The stall total a fired trigger is checked against: the "some" line's. */
static int stall_of(const char *text)
{
	char path[512];
	int fd;
	int64_t v;

	put("/proc/pressure/cpu", text);
	snprintf(path, sizeof path, "%s/proc/pressure/cpu", root);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	v = tree_stall(fd);
	close(fd);
	return (int)v;
}

static void stall_total(void **state)
{
	(void)state;
	assert_int_equal(stall_of("some avg10=0.00 avg60=0.00 avg300=0.00 "
				  "total=12345\nfull avg10=0.00 avg60=0.00 "
				  "avg300=0.00 total=7\n"), 12345);
	assert_int_equal(stall_of("nonsense\n"), -1);
	assert_int_equal(stall_of(""), -1);
}

/* ---- tree_waits ------------------------------------------------------ */

#ifdef __linux__
/* A child blocked in call NR on pipe A (B open too, in a poll for
 * writing only), and its parent asleep in wait(): a tree of two under
 * the returned pid.  The pselect6 stands in for GNU make's own wait for a
 * token, which tree_waits must recognise; jobproxy itself never selects.
 * It is the system call with a bit set as long as A needs, not libc's
 * fixed fd_set: FD_SET of an fd at or above FD_SETSIZE writes past it. */
static pid_t blocked_in(long nr, int a, int b)
{
	enum { BITS = 8 * sizeof(unsigned long) };
	pid_t pid;

	assert_true(a >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		if (fork() == 0) {
			struct pollfd p[2] = { { b, POLLOUT, 0 }, { a, POLLIN, 0 } };
			unsigned long *set = calloc((size_t)a / BITS + 1,
						    sizeof *set);
			char c;

			if (!set)
				_exit(1);
			set[a / BITS] = 1UL << (a % BITS);
			if (nr == SYS_read && read(a, &c, 1) < 0)
				_exit(1);
			if (nr == SYS_pselect6)
				syscall(SYS_pselect6, a + 1, set, NULL, NULL,
					NULL, NULL);
			if (nr != SYS_read && nr != SYS_pselect6)
				poll(p, 2, -1);
			_exit(0);
		}
		for (;;)
			if (wait(NULL) < 0)
				_exit(0);
	}
	setpgid(pid, pid);
	return pid;
}

/* The call a task of PID's (its one child) is in, as /proc says. */
static long child_call(pid_t pid)
{
	char path[96], buf[256];
	long kid = -1, nr = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid,
		 (long)pid);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &kid) != 1)
			kid = -1;
		fclose(f);
	}
	snprintf(path, sizeof path, "/proc/%ld/syscall", kid);
	if (kid > 0 && (f = fopen(path, "r"))) {
		if (fgets(buf, sizeof buf, f))
			nr = strtol(buf, NULL, 10);
		fclose(f);
	}
	return nr;
}
#endif

/* Real processes: a read, a pselect, a poll on one pipe (a second one
 * open beside it) waits for that pipe and not for the other: the fd of
 * the read, the set and the array read from the task's memory. */
static void real_tree_waits_for_its_pipe(void **state)
{
#ifdef __linux__
#ifdef SYS_poll
	static const long calls[] = { SYS_read, SYS_pselect6, SYS_poll };
#else
	static const long calls[] = { SYS_read, SYS_pselect6, SYS_ppoll };
#endif
	int a[2], b[2], i, how = tree_usable("");
	struct stat sa, sb;
	struct tree_target ta = { 0, 0, 0, 0 }, tb = ta;
	double limit;

	(void)state;
	if (how == TREE_NONE)
		skip();
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	assert_int_equal(fstat(a[0], &sa), 0);
	assert_int_equal(fstat(b[0], &sb), 0);
	ta.dev = sa.st_dev, ta.ino = sa.st_ino;
	tb.dev = sb.st_dev, tb.ino = sb.st_ino;
	for (i = 0; i < 3; i++) {
		pid_t pid = groups[0] = blocked_in(calls[i], a[0], b[0]);

		limit = now_s() + 30;
		while ((child_call(pid) != calls[i] ||
			state_of(pid) != 'S') && now_s() < limit)
			pause_ms(10);
		assert_int_equal(child_call(pid), calls[i]);
		assert_int_equal(tree_waits("", pid, how, &ta), TREE_WAITING);
		assert_int_equal(tree_waits("", pid, how, &tb),
				 TREE_NOT_WAITING);
		kill_groups(NULL);
	}
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
#else
	(void)state;
	skip();
#endif
}

/* A process that runs (spins, never in a call) holding our pipe open: a
 * make on its way to read it, for all a look can tell, unless it is this
 * binary, as a jobproxy below is.  A fork of the test is this binary. */
static void real_running_jobproxy_does_not_wait(void **state)
{
#ifdef __linux__
	int a[2], ready[2], how = tree_usable("");
	struct tree_target t = { 0, 0, 0, 0 };
	struct stat st, self;
	char c;

	(void)state;
	if (how == TREE_NONE || stat("/proc/self/exe", &self) < 0)
		skip();
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(fstat(a[0], &st), 0);
	t.dev = st.st_dev, t.ino = st.st_ino;
	groups[0] = fork();
	assert_true(groups[0] >= 0);
	if (groups[0] == 0) {
		setpgid(0, 0);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)	/* runnable from here on: "running" in /proc */
			;
	}
	setpgid(groups[0], groups[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(tree_waits("", groups[0], how, &t), TREE_WAITING);
	t.self_dev = self.st_dev, t.self_ino = self.st_ino;
	assert_int_equal(tree_waits("", groups[0], how, &t), TREE_NOT_WAITING);
	kill_groups(NULL);
	close(a[0]), close(a[1]), close(ready[0]), close(ready[1]);
#else
	(void)state;
	skip();
#endif
}

/* ROOT/proc/PID/task/PID/fd/FD: a link to ROOT/TARGET. */
static void fd_link(long pid, int fd, const char *target)
{
	char path[1024], to[1024];

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/fd/.keep", pid, pid);
	put(path, "");
	snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/fd/%d", root, pid,
		 pid, fd);
	snprintf(to, sizeof to, "%s/%s", root, target);
	unlink(path);
	assert_int_equal(symlink(to, path), 0);
}

/* ROOT/proc/PID/task/PID/syscall: call NR with arguments A0, A1. */
static void in_call(long pid, long nr, long a0, long a1)
{
	char path[128], text[160];

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/syscall", pid, pid);
	snprintf(text, sizeof text, "%ld 0x%lx 0x%lx 0x0 0x0 0x0 0x0 0x7ffe0"
		 " 0x7f000\n", nr, a0, a1);
	put(path, text);
}

static struct tree_target target; /* "our token pipe" in the fake root,
				    * and "jobproxy", this binary */

static int waits(pid_t pid)
{
	return tree_waits(root, pid, TREE_CHILDREN, &target);
}

/* ROOT/proc/PID/task/PID/exe: a link to ROOT/TARGET. */
static void exe_link(long pid, const char *file)
{
	char path[1024], to[1024];

	snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/exe", root, pid,
		 pid);
	snprintf(to, sizeof to, "%s/%s", root, file);
	unlink(path);
	assert_int_equal(symlink(to, path), 0);
}

/* The fake tree's tasks all idle: make (10) in wait4, 11's two threads
 * and 12 running, 14 in nanosleep, 17 not in a call at all.  14 holds
 * our pipe at fd 3 and another file at fd 4. */
static void idle_fake_tree(void)
{
	char path[1024];
	struct stat st;

	fake_tree(1);
	put("/pipe", "");
	put("/other", "");
	put("/jobproxy", "");
	snprintf(path, sizeof path, "%s/pipe", root);
	assert_int_equal(stat(path, &st), 0);
	target.dev = st.st_dev, target.ino = st.st_ino;
	snprintf(path, sizeof path, "%s/jobproxy", root);
	assert_int_equal(stat(path, &st), 0);
	target.self_dev = st.st_dev, target.self_ino = st.st_ino;
	in_call(10, SYS_wait4, -1, 0);
	put("/proc/11/task/11/syscall", "running\n");
	put("/proc/11/task/16/syscall", "running\n");
	put("/proc/12/task/12/syscall", "running\n");
	in_call(14, SYS_clock_nanosleep, 0, 0);
	put("/proc/17/task/17/syscall", "-1 0x7ffe0 0x7f000\n");
	fd_link(14, 3, "pipe");
	fd_link(14, 4, "other");
}

static void fake_tree_idle_or_waiting(void **state)
{
	(void)state;
	idle_fake_tree();
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	/* a read of our pipe, of another file */
	in_call(14, SYS_read, 3, 0);
	assert_int_equal(waits(10), TREE_WAITING);
	assert_int_equal(waits(11), TREE_NOT_WAITING);	/* not its tree */
	in_call(14, SYS_read, 4, 0);
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	in_call(14, SYS_read, 9, 0);			/* closed since */
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	/* a select whose range (no memory to read here) holds our pipe, or
	 * stops below it; one with no read set */
	in_call(14, SYS_pselect6, 4, 0x1000);
	assert_int_equal(waits(10), TREE_WAITING);
	in_call(14, SYS_pselect6, 3, 0x1000);
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	in_call(14, SYS_pselect6, 4, 0);
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	/* a poll (no memory to read): it holds our pipe */
	in_call(14, SYS_ppoll, 0x1000, 2);
	assert_int_equal(waits(10), TREE_WAITING);
	fd_link(14, 3, "other");
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	/* running (12), or outside a call (17), with our pipe: a client on
	 * its way to read it, maybe; a compiler without it is not */
	fd_link(12, 3, "other");
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	fd_link(12, 3, "pipe");
	assert_int_equal(waits(10), TREE_WAITING);
	/* unless it is a jobproxy below (this binary), which says when it
	 * waits; another binary still counts */
	exe_link(12, "jobproxy");
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	exe_link(12, "other");
	assert_int_equal(waits(10), TREE_WAITING);
	fd_link(12, 3, "other");
	fd_link(17, 5, "pipe");
	assert_int_equal(waits(10), TREE_WAITING);
	exe_link(17, "jobproxy");
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	/* blocked in a read of it, a jobproxy waits like any client */
	in_call(17, SYS_read, 5, 0);
	assert_int_equal(waits(10), TREE_WAITING);
}

static void fake_tree_epoll_interest_list(void **state)
{
	(void)state;
	idle_fake_tree();
	in_call(14, SYS_epoll_pwait, 5, 0x1000);
	put("/proc/14/task/14/fdinfo/5", "pos:\t0\nflags:\t02000002\n"
	    "tfd:        4 events:       19 data:                4  pos:0\n"
	    "tfd:        3 events:       19 data:                3  pos:0\n");
	assert_int_equal(waits(10), TREE_WAITING);
	/* our pipe registered for writing only, or not at all */
	put("/proc/14/task/14/fdinfo/5", "tfd:        3 events:        4 data:"
	    "                3  pos:0\ntfd: 4 events: 19 data: 4\n");
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	put("/proc/14/task/14/fdinfo/5", "pos:\t0\n");
	assert_int_equal(waits(10), TREE_NOT_WAITING);
}

/* Where the tree cannot be told about, say so: a task whose syscall file
 * is missing (hidepid, no permission), a call we do not know.  A task
 * that waits outweighs them. */
static void fake_tree_cannot_tell(void **state)
{
	(void)state;
	idle_fake_tree();
	unlink_fake("/proc/14/task/14/syscall");
	assert_int_equal(waits(10), TREE_CANNOT_TELL);
	in_call(14, SYS_flock, 3, 2);			/* a lock wait: asleep */
	assert_int_equal(waits(10), TREE_NOT_WAITING);
	in_call(14, SYS_ioctl, 3, 0);			/* ioctl(): anything */
	assert_int_equal(waits(10), TREE_CANNOT_TELL);
	in_call(10, SYS_read, 3, 0);		/* 10 has no fd 3 */
	assert_int_equal(waits(10), TREE_CANNOT_TELL);
	in_call(17, SYS_read, 7, 0);
	put("/proc/17/task/17/fd/.keep", "");
	fd_link(17, 7, "pipe");
	assert_int_equal(waits(10), TREE_WAITING);
	assert_int_equal(waits(99), TREE_CANNOT_TELL);	/* gone */
	assert_int_equal(tree_waits(root, 10, TREE_NONE, &target),
			 TREE_CANNOT_TELL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(four_busy_processes, kill_groups),
		cmocka_unit_test(this_system_has_a_proc),
		cmocka_unit_test_setup_teardown(fake_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(fake_children, setup, teardown),
		cmocka_unit_test_setup_teardown(pressure_trigger, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stall_total, setup, teardown),
		cmocka_unit_test_teardown(real_tree_waits_for_its_pipe,
					  kill_groups),
		cmocka_unit_test_teardown(real_running_jobproxy_does_not_wait,
					  kill_groups),
		cmocka_unit_test_setup_teardown(fake_tree_idle_or_waiting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fake_tree_epoll_interest_list,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fake_tree_cannot_tell, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
