/*
 * client - a minimal jobserver client for the jobproxy bench.
 *
 *   client [-k K] [-w WARMUP] [--hold-us U] [--timeout SEC]
 *       Find the jobserver in MAKEFLAGS, then K times: read 1 byte from
 *       its R fd (acquire), write it back to W (release).  With
 *       --hold-us U each token is held U microseconds (nanosleep: a job
 *       that occupies its slot without using the CPU) before it goes
 *       back, so N clients on J slots take about N*K*U/J of work.  Prints
 *       "ns_per_iter=F k=K" on stdout: wall time of the K loops / K.
 *       WARMUP loops (default K/20, at most 1000) run first, not timed.
 *
 *       A barrier, from the environment (set by `bh scale`):
 *         BENCH_READY=FIFO  write one byte there when ready
 *         BENCH_LOCK=FILE   then wait for a shared flock() on FILE
 *         BENCH_AFTER=1     do the K loops before the barrier (default:
 *                           after it)
 *
 *   client --pingpong K
 *       The cost floor of any relay: two processes pass one byte back and
 *       forth over two pipes K times.  Prints "ns_per_iter=F k=K".
 *
 * Every wait is bounded: SIGALRM after --timeout seconds (default 60)
 * gives back a token still held and exits 4.
 */
#define _GNU_SOURCE
#include "jsauth.h"

#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

static struct bjs J;
static volatile sig_atomic_t held = -1;	/* the byte we hold, or -1 */
static long hold_us;	/* --hold-us: the job each token is for */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_alarm(int sig)
{
	static const char msg[] = "client: timed out\n";
	unsigned char b;

	(void)sig;
	if (held >= 0) {
		b = (unsigned char)held;
		if (write(J.wfd, &b, 1) < 0) {
			/* nothing more we can do */
		}
	}
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* ignore */
	}
	_exit(4);
}

static void die(const char *what)
{
	fprintf(stderr, "client: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The job a token is for: U us asleep in its slot (EINTR: the rest). */
static void job(void)
{
	struct timespec ts = { hold_us / 1000000, (hold_us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void loops(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int b = bjs_take(&J);

		if (b < 0)
			die("acquire");
		held = b;
		if (hold_us > 0)
			job();
		if (bjs_give(&J, b) < 0)
			die("release");
		held = -1;
	}
}

static void barrier(void)
{
	const char *ready = getenv("BENCH_READY");
	const char *lock = getenv("BENCH_LOCK");
	int fd;

	if (ready && *ready) {
		char b = 'r';

		fd = open(ready, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die("open BENCH_READY");
		if (write(fd, &b, 1) != 1)
			die("write BENCH_READY");
		close(fd);
	}
	if (lock && *lock) {
		fd = open(lock, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open BENCH_LOCK");
		while (flock(fd, LOCK_SH) < 0)
			if (errno != EINTR)
				die("flock");
		close(fd);
	}
}

static void pingpong(long k)
{
	int a[2], b[2];
	pid_t pid;
	long i;
	char c = 'x';
	long long t0, t1;
	int st;

	if (pipe(a) < 0 || pipe(b) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(a[1]);	/* else our own write end hides the EOF */
		close(b[0]);
		for (;;) {
			if (read(a[0], &c, 1) != 1)
				_exit(0);
			if (write(b[1], &c, 1) != 1)
				_exit(1);
		}
	}
	close(a[0]);
	close(b[1]);
	for (i = 0; i < 100; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			die("pingpong");
	t0 = now_ns();
	for (i = 0; i < k; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			die("pingpong");
	t1 = now_ns();
	close(a[1]);
	waitpid(pid, &st, 0);
	printf("ns_per_iter=%.1f k=%ld\n", (double)(t1 - t0) / (double)k, k);
}

int main(int argc, char **argv)
{
	long k = 10000, warm = -1, timeout = 60;
	const char *why;
	struct sigaction sa;
	long long t0, t1;
	int i, after;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-k") && i + 1 < argc)
			k = atol(argv[++i]);
		else if (!strcmp(argv[i], "-w") && i + 1 < argc)
			warm = atol(argv[++i]);
		else if (!strcmp(argv[i], "--hold-us") && i + 1 < argc)
			hold_us = atol(argv[++i]);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atol(argv[++i]);
		else if (!strcmp(argv[i], "--pingpong") && i + 1 < argc) {
			alarm((unsigned)timeout);
			pingpong(atol(argv[++i]));
			return 0;
		} else {
			fprintf(stderr, "usage: client [-k K] [-w WARMUP] "
				"[--hold-us U] [--timeout SEC] | "
				"client --pingpong K\n");
			return 2;
		}
	}
	if (k < 0)
		k = 0;
	if (warm < 0)
		warm = k / 20 < 1000 ? k / 20 : 1000;
	alarm((unsigned)timeout);
	if (bjs_open(&J, &why) < 0) {
		fprintf(stderr, "client: %s\n", why);
		return 3;
	}
	after = getenv("BENCH_AFTER") && !strcmp(getenv("BENCH_AFTER"), "1");
	if (!after)
		barrier();
	loops(warm);
	t0 = now_ns();
	loops(k);
	t1 = now_ns();
	if (after)
		barrier();
	if (k > 0)
		printf("ns_per_iter=%.1f k=%ld\n",
		       (double)(t1 - t0) / (double)k, k);
	return 0;
}
