/* Unit tests of proctree.c: the runnable count of a real tree of busy
 * processes, and of fake /proc trees for both ways down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
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
#endif

#include "proctree.h"

#include "fakeroot.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(four_busy_processes, kill_groups),
		cmocka_unit_test(this_system_has_a_proc),
		cmocka_unit_test_setup_teardown(fake_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(fake_children, setup, teardown),
		cmocka_unit_test_setup_teardown(pressure_trigger, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
