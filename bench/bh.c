/*
 * bh - bench helper for bench/run.sh.  Every wait here has a deadline.
 *
 *   bh run [--timeout SEC] [--grace SEC] [--out FILE] -- CMD...
 *       Run CMD in a process group of its own, stdin from /dev/null, as a
 *       child subreaper (orphans come back to us).  Wall time is from fork
 *       to CMD's exit.  Then wait up to --grace (default 10) s for every
 *       orphaned descendant; what is still alive then (or everything, on
 *       --timeout, default 600) is killed and counted as "leftover".
 *       FILE (default stdout) gets key=value lines: all_ns (until the
 *       last descendant, orphans included, was gone) wall_ns start_ns
 *       end_ns status maxrss_kb utime_us stime_us timeout leftover.
 *       Exit status: CMD's (128+sig if killed), 124 on timeout.
 *
 *   bh conc --log FILE --start NS --end NS -n N
 *       From a tests/helpers/tjob log ("<ns> +1" / "<ns> -1" lines): prints
 *       "mean=F util=F max=M jobs=J unbalanced=U": F the time integral of
 *       running jobs over [start, end] / (end - start), util = mean / N.
 *
 *   bh tailstat OUT -- CMD...
 *       Run CMD, then write the PARENT's (a jobproxy's) counters to OUT:
 *       vmhwm_kb vmrss_kb rssanon_kb pss_kb cpu_ns (schedstat) vctx
 *       nvctx.  Exits as CMD.
 *
 *   bh sleepstat [--take N] [--ms MS] [--settle MS] [--strace FILE] OUT
 *       Take N tokens from the jobserver in MAKEFLAGS, wait --settle ms
 *       (default 300), then count the parent's context switches over --ms
 *       (default 2000) of sleep: "wakeups=W cpu_ns=C".  With --strace,
 *       strace -c -p PARENT runs over a second window of the same length
 *       and its summary goes to FILE.  Gives the tokens back.
 *
 *   bh scale -n N [--hungry] [--timeout SEC] --dir DIR [--out FILE] -- CMD...
 *       Start N copies of CMD (stdout to /dev/null), with BENCH_READY and
 *       BENCH_LOCK set for client's barrier.  When all N said ready (or
 *       --timeout, default 120, ran out), sum the RSS and PSS of every
 *       process below us, release the barrier, reap them all.
 *       --hungry: a barrier that keeps the clients hungry, as a build's
 *       waiting jobs are.  Before the first fork take every free token of
 *       the jobserver in OUR MAKEFLAGS; start the clients with BENCH_READY
 *       only, so each goes from its ready byte straight to its acquire and
 *       blocks there (on the pool, or on its wrapper's pipe while the
 *       wrapper waits on the pool); the release is giving the tokens
 *       back, one write() each, as a make ending jobs does (held=T in
 *       the output: how many).  Writes
 *       cpu_ms csw (CPU time and context switches of all of them, from
 *       their rusage) n ready ready_ms run_ms total_ms rss_kb pss_kb
 *       rss_top_kb pss_top_kb failed timeout leftover.
 *       With --hold MS (after --settle MS, default 0) the clients are
 *       held at the barrier that long while the free tokens of the
 *       jobserver in OUR MAKEFLAGS are sampled every 2 ms (FIONREAD on
 *       its read end: bytes in the pipe, taken by no one): free_mean
 *       free_min free_samples.  This is how tokens parked by idle
 *       wrappers show: they are out of the pool while nobody runs a job.
 *
 *   bh starts -n N [--out FILE] -- CMD...
 *       Run CMD N times, one after the other (stdout to /dev/null):
 *       ms_mean ms_min ms_median per run, fork to reap.
 */
#define _GNU_SOURCE
#include "jsauth.h"

#include <dirent.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bh: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "bh: usage: bh run|conc|tailstat|sleepstat|scale|starts ..."
		" (see bench/bh.c)\n");
	exit(2);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static FILE *out_file(const char *path)
{
	FILE *f;

	if (!path)
		return stdout;
	f = fopen(path, "w");
	if (!f)
		die(path);
	return f;
}

/* ---- descendants ---------------------------------------------------- */

/* Children of PID, from /proc/PID/task/TID/children; n found. */
static int children_of(pid_t pid, pid_t *out, int max)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char p[128];
		FILE *f;
		long c;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "/proc/%ld/task/%.20s/children", (long)pid,
			 e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		while (n < max && fscanf(f, "%ld", &c) == 1)
			out[n++] = (pid_t)c;
		fclose(f);
	}
	closedir(d);
	return n;
}

#define MAXDESC 16384

/* All descendants of PID (breadth first); n found. */
static int descendants(pid_t pid, pid_t *out, int max)
{
	int n = children_of(pid, out, max), i;

	for (i = 0; i < n && n < max; i++)
		n += children_of(out[i], out + n, max - n);
	return n;
}

/* Kill every descendant of ours with SIG; returns how many were there. */
static int kill_descendants(int sig)
{
	static pid_t d[MAXDESC];
	int n = descendants(getpid(), d, MAXDESC), i;

	for (i = 0; i < n; i++)
		kill(d[i], sig);
	return n;
}

/* Reap every child; stop at DEADLINE.  Returns 1 when none is left. */
static int reap_all(long long deadline)
{
	for (;;) {
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);

		if (r < 0 && errno == ECHILD)
			return 1;
		if (r > 0)
			continue;
		if (now_ns() >= deadline)
			return 0;
		msleep(2);
	}
}

/* Bring everything below us down: TERM, a moment, KILL, reap. */
static int cleanup_below(pid_t pgid)
{
	int n = kill_descendants(SIGTERM);

	if (pgid > 0)
		kill(-pgid, SIGTERM);
	if (n == 0 && reap_all(now_ns()))
		return 0;
	if (!reap_all(now_ns() + 1000000000LL)) {
		kill_descendants(SIGKILL);
		if (pgid > 0)
			kill(-pgid, SIGKILL);
		reap_all(now_ns() + 5000000000LL);
	}
	return n;
}

/* ---- run ------------------------------------------------------------ */

/* SIGCHLD, and the signals that mean "stop the bench": all blocked, so
 * they are taken with sigtimedwait() and never kill us before we have
 * brought down what we started. */
static void wait_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

/* A stop signal pending?  Its number, else 0. */
static int stop_pending(const sigset_t *set)
{
	struct timespec zero = { 0, 0 };
	sigset_t stop = *set;
	int s;

	sigdelset(&stop, SIGCHLD);
	s = sigtimedwait(&stop, NULL, &zero);
	return s > 0 ? s : 0;
}

/* 1 CMD exited, 0 deadline, -SIG a stop signal came. */
static int wait_main(pid_t pid, long long deadline, int *status,
		     struct rusage *ru)
{
	sigset_t set;

	wait_set(&set);
	for (;;) {
		int st;
		struct rusage r;
		pid_t w = wait4(-1, &st, WNOHANG, &r);
		long long left;
		struct timespec ts;

		if (w == pid) {
			*status = st;
			*ru = r;
			return 1;
		}
		if (w > 0)
			continue;	/* an orphan came back to us */
		if (w < 0 && errno != EINTR)
			die("wait4");
		left = deadline - now_ns();
		if (left <= 0)
			return 0;
		if (left > 50000000LL)
			left = 50000000LL;	/* look again at least so often */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		w = sigtimedwait(&set, NULL, &ts);
		if (w == SIGINT || w == SIGTERM || w == SIGHUP)
			return -(int)w;
	}
}

static int cmd_run(int argc, char **argv)
{
	double timeout = 600, grace = 10;
	const char *out = NULL;
	int i, status = 0, rc, timed_out = 0, leftover = 0, w;
	pid_t pid;
	sigset_t set;
	long long t0, t1, t2 = 0;
	struct rusage ru;
	FILE *f;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--timeout"))
			timeout = atof(argv[++i]);
		else if (!strcmp(argv[i], "--grace"))
			grace = atof(argv[++i]);
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else
			usage();
	}
	if (i >= argc - 1)
		usage();
	argv += i + 1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	wait_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	memset(&ru, 0, sizeof ru);
	fflush(NULL);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, 0);
			if (fd > 0)
				close(fd);
		}
		setpgid(0, 0);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "bh: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	w = wait_main(pid, t0 + (long long)(timeout * 1e9), &status, &ru);
	if (w < 0) {
		fprintf(stderr, "bh: signal %d: stopping %s\n", -w, argv[0]);
		cleanup_below(pid);
		signal(-w, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(-w);
		return 128 - w;
	}
	if (!w) {
		timed_out = 1;
		fprintf(stderr, "bh: %s timed out after %.0f s: killing it\n",
			argv[0], timeout);
		leftover = cleanup_below(pid);
		t1 = t2 = now_ns();
		rc = 124;
	} else {
		t1 = now_ns();
		if (reap_all(t1 + (long long)(grace * 1e9))) {
			t2 = now_ns();
		} else {
			leftover = cleanup_below(pid);
			fprintf(stderr, "bh: %d process(es) of %s still alive"
				" %.0f s after it exited: killed\n", leftover,
				argv[0], grace);
			t2 = now_ns();
		}
		rc = WIFEXITED(status) ? WEXITSTATUS(status)
		     : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	}
	f = out_file(out);
	fprintf(f, "all_ns=%lld\n", t2 - t0);
	fprintf(f, "wall_ns=%lld\nstart_ns=%lld\nend_ns=%lld\nstatus=%d\n"
		"maxrss_kb=%ld\nutime_us=%lld\nstime_us=%lld\ntimeout=%d\n"
		"leftover=%d\n", t1 - t0, t0, t1, rc, ru.ru_maxrss,
		(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
		timed_out, leftover);
	if (f != stdout)
		fclose(f);
	return rc;
}

/* ---- conc ----------------------------------------------------------- */

struct ev {
	long long t;
	int d;
};

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->d - y->d;	/* at the same ns, ends before starts */
}

static int cmd_conc(int argc, char **argv)
{
	const char *log = NULL;
	long long start = 0, end = 0, prev, integral = 0;
	int n = 1, i, cur = 0, max = 0, jobs = 0, bal = 0;
	struct ev *e = NULL;
	size_t ne = 0, cap = 0;
	FILE *f;
	long long t;
	char d[8];

	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--log"))
			log = argv[i + 1];
		else if (!strcmp(argv[i], "--start"))
			start = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--end"))
			end = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "-n"))
			n = atoi(argv[i + 1]);
		else
			usage();
	}
	if (!log || end <= start || n < 1)
		usage();
	f = fopen(log, "r");
	if (!f)
		die(log);
	while (fscanf(f, "%lld %7s", &t, d) == 2) {
		if (ne == cap) {
			cap = cap ? 2 * cap : 1024;
			e = realloc(e, cap * sizeof *e);
			if (!e)
				die("realloc");
		}
		e[ne].t = t;
		e[ne].d = d[0] == '-' ? -1 : 1;
		jobs += e[ne].d > 0;
		bal += e[ne].d;
		ne++;
	}
	fclose(f);
	if (ne)
		qsort(e, ne, sizeof *e, ev_cmp);
	prev = start;
	for (i = 0; i < (int)ne; i++) {
		long long at = e[i].t < start ? start
			       : e[i].t > end ? end : e[i].t;

		integral += (long long)cur * (at - prev);
		prev = at;
		cur += e[i].d;
		if (cur > max)
			max = cur;
	}
	if (end > prev)
		integral += (long long)cur * (end - prev);
	printf("mean=%.3f util=%.3f max=%d jobs=%d unbalanced=%d\n",
	       (double)integral / (double)(end - start),
	       (double)integral / (double)(end - start) / n, max, jobs, bal);
	free(e);
	return 0;
}

/* ---- /proc counters ------------------------------------------------- */

struct pstat {
	long vmhwm, vmrss, rssanon, vctx, nvctx;
	long long cpu_ns;
};

static int read_pstat(pid_t pid, struct pstat *s)
{
	char path[64], line[256];
	FILE *f;

	memset(s, 0, sizeof *s);
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "VmHWM: %ld", &s->vmhwm);
		sscanf(line, "VmRSS: %ld", &s->vmrss);
		sscanf(line, "RssAnon: %ld", &s->rssanon);
		sscanf(line, "voluntary_ctxt_switches: %ld", &s->vctx);
		sscanf(line, "nonvoluntary_ctxt_switches: %ld", &s->nvctx);
	}
	fclose(f);
	snprintf(path, sizeof path, "/proc/%ld/schedstat", (long)pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &s->cpu_ns) != 1)
			s->cpu_ns = -1;
		fclose(f);
	}
	return 0;
}

static long pss_of(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long v = 0;

	snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Pss: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int run_wait(char **argv)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "bh: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int cmd_tailstat(int argc, char **argv)
{
	struct pstat s;
	FILE *f;
	int rc;

	if (argc < 3 || strcmp(argv[1], "--"))
		usage();
	rc = run_wait(argv + 2);
	if (read_pstat(getppid(), &s) < 0)
		die("read parent's /proc");
	f = out_file(argv[0]);
	fprintf(f, "vmhwm_kb=%ld\nvmrss_kb=%ld\nrssanon_kb=%ld\npss_kb=%ld\n"
		"cpu_ns=%lld\nvctx=%ld\nnvctx=%ld\n", s.vmhwm, s.vmrss,
		s.rssanon, pss_of(getppid()), s.cpu_ns, s.vctx, s.nvctx);
	fclose(f);
	return rc;
}

static int cmd_sleepstat(int argc, char **argv)
{
	long take = 0, ms = 2000, settle = 300, i;
	const char *strace_out = NULL, *out = NULL, *why;
	struct pstat a, b;
	struct bjs j;
	int toks[64];
	pid_t pp = getppid();
	FILE *f;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--take") && i + 1 < argc)
			take = atol(argv[++i]);
		else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
			ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--settle") && i + 1 < argc)
			settle = atol(argv[++i]);
		else if (!strcmp(argv[i], "--strace") && i + 1 < argc)
			strace_out = argv[++i];
		else if (!out)
			out = argv[i];
		else
			usage();
	}
	if (!out || take > 64)
		usage();
	alarm((unsigned)((ms * 2 + settle) / 1000 + 30));
	if (take > 0 && bjs_open(&j, &why) < 0) {
		fprintf(stderr, "bh sleepstat: %s\n", why);
		return 3;
	}
	for (i = 0; i < take; i++)
		if ((toks[i] = bjs_take(&j)) < 0)
			die("take token");
	msleep(settle);
	read_pstat(pp, &a);
	msleep(ms);
	read_pstat(pp, &b);
	f = out_file(out);
	fprintf(f, "wakeups=%ld\ncpu_ns=%lld\n",
		(b.vctx + b.nvctx) - (a.vctx + a.nvctx), b.cpu_ns - a.cpu_ns);
	if (strace_out) {
		pid_t sp;
		int st;
		char pidbuf[32];

		snprintf(pidbuf, sizeof pidbuf, "%ld", (long)pp);
		fflush(NULL);
		sp = fork();
		if (sp == 0) {
			execlp("strace", "strace", "-qq", "-c", "-o",
			       strace_out, "-p", pidbuf, (char *)NULL);
			_exit(127);
		}
		msleep(settle);	/* let it attach */
		msleep(ms);
		kill(sp, SIGINT);	/* detach and write the summary */
		waitpid(sp, &st, 0);
		fprintf(f, "strace_status=%d\n",
			WIFEXITED(st) ? WEXITSTATUS(st) : 128);
	}
	fclose(f);
	for (i = 0; i < take; i++)
		bjs_give(&j, toks[i]);
	return 0;
}

/* ---- scale ---------------------------------------------------------- */

struct sampled {
	double mean;
	long min, n;
};

/* Free tokens of the jobserver in MAKEFLAGS, every 2 ms for hold ms.
 * FIONREAD counts the bytes in the pipe (or fifo) without taking any: a
 * token parked in some wrapper's private pipe is not among them. */
static void sample_free(long settle, long hold, struct sampled *s)
{
	struct bjs j;
	const char *why;
	long long end, sum = 0;
	int avail;

	s->mean = -1;
	s->min = -1;
	s->n = 0;
	if (hold <= 0)
		return;
	if (bjs_open(&j, &why) < 0) {
		fprintf(stderr, "bh scale --hold: %s\n", why);
		return;
	}
	msleep(settle);
	end = now_ns() + hold * 1000000LL;
	while (now_ns() < end) {
		if (ioctl(j.rfd, FIONREAD, &avail) < 0)
			die("FIONREAD on the jobserver");
		sum += avail;
		if (s->min < 0 || avail < s->min)
			s->min = avail;
		s->n++;
		msleep(2);
	}
	s->mean = (double)sum / (double)s->n;
}

/* The tokens `bh scale --hungry` holds back until the release. */
struct held {
	int on;
	struct bjs j;
	int n;
	unsigned char tok[4096];
};

/* Take every free token of the jobserver in MAKEFLAGS.  Nothing else
 * runs on the pool yet (no client is started), so the bytes FIONREAD
 * counts are all ours to read, and a blocking read cannot hang. */
static int hold_all(struct held *h)
{
	const char *why;
	int avail, got = 0;

	if (bjs_open(&h->j, &why) < 0) {
		fprintf(stderr, "bh scale --hungry: %s\n", why);
		return -1;
	}
	if (ioctl(h->j.rfd, FIONREAD, &avail) < 0)
		die("FIONREAD on the jobserver");
	if (avail > (int)sizeof h->tok)
		avail = (int)sizeof h->tok;
	while (got < avail) {
		int b = bjs_take(&h->j);

		if (b < 0)
			die("take a free token");
		h->tok[got++] = (unsigned char)b;
	}
	h->n = got;
	return 0;
}

/* The release: every token back, one write each (as a make whose jobs
 * end returns them), each a wake-up of whoever waits on the pool. */
static void give_all(struct held *h)
{
	int i;

	for (i = 0; i < h->n; i++)
		if (bjs_give(&h->j, h->tok[i]) < 0)
			die("give a token back");
}

static int cmd_scale(int argc, char **argv)
{
	long n = 0, i;
	double timeout = 120;
	const char *dir = NULL, *out = NULL;
	char ready[4096], lock[4096];
	int rfd, lfd, devnull, timed_out = 0, failed = 0, leftover = 0;
	long got = 0, rss = 0, pss = 0, rss_top = 0, pss_top = 0;
	long long t0, t_ready, t_rel, t_end, deadline, t_measure;
	pid_t *pids;
	struct rlimit rl;
	sigset_t set;
	FILE *f;
	int nd, stop = 0;
	struct rusage ru;
	static pid_t d[MAXDESC];
	long hold = 0, settle = 0;
	struct sampled smp;
	struct held hungry = { 0, { -1, -1 }, 0, { 0 } };

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--hungry")) {
			hungry.on = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "-n"))
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--timeout"))
			timeout = atof(argv[++i]);
		else if (!strcmp(argv[i], "--dir"))
			dir = argv[++i];
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else if (!strcmp(argv[i], "--hold"))
			hold = atol(argv[++i]);
		else if (!strcmp(argv[i], "--settle"))
			settle = atol(argv[++i]);
		else
			usage();
	}
	if (i >= argc - 1 || n < 1 || !dir)
		usage();
	if (hungry.on && hold_all(&hungry) < 0)
		return 3;
	argv += i + 1;
	/* Room for n children and their children. */
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	    && rl.rlim_cur < (rlim_t)(4 * n + 256)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NPROC, &rl);
	}
	snprintf(ready, sizeof ready, "%s/ready", dir);
	snprintf(lock, sizeof lock, "%s/lock", dir);
	unlink(ready);
	if (mkfifo(ready, 0600) < 0)
		die("mkfifo");
	rfd = open(ready, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (rfd < 0 || lfd < 0 || devnull < 0)
		die("open");
	if (!hungry.on && flock(lfd, LOCK_EX) < 0)
		die("flock");
	setenv("BENCH_READY", ready, 1);
	if (hungry.on)
		unsetenv("BENCH_LOCK");
	else
		setenv("BENCH_LOCK", lock, 1);
	pids = calloc((size_t)n, sizeof *pids);
	if (!pids)
		die("calloc");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	wait_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fflush(NULL);
	t0 = now_ns();
	deadline = t0 + (long long)(timeout * 1e9);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "bh scale: fork #%ld: %s\n", i,
				strerror(errno));
			break;
		}
		if (pids[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			dup2(devnull, 0);
			dup2(devnull, 1);
			execvp(argv[0], argv);
			_exit(127);
		}
	}
	if (i < n) {
		fprintf(stderr, "bh scale: only %ld of %ld started\n", i, n);
		n = i;
		failed++;
	}
	/* all alive: count the ready bytes */
	while (got < n) {
		char buf[4096];
		ssize_t r = read(rfd, buf, sizeof buf);
		struct pollfd pfd = { rfd, POLLIN, 0 };
		long long left;

		if (r > 0) {
			got += r;
			continue;
		}
		left = deadline - now_ns();
		if (left <= 0 || (stop = stop_pending(&set)))
			break;
		poll(&pfd, 1, left / 1000000 > 1000 ? 1000
						     : (int)(left / 1000000) + 1);
	}
	t_ready = now_ns();
	if (got < n)
		fprintf(stderr, "bh scale: only %ld of %ld ready after %.0f s\n",
			got, n, timeout);
	/* memory of everything below us, while it is all alive */
	nd = descendants(getpid(), d, MAXDESC);
	for (i = 0; i < nd; i++) {
		struct pstat s;
		long p = pss_of(d[i]);
		int top = 0;
		long k;

		for (k = 0; k < n; k++)
			if (pids[k] == d[i]) {
				top = 1;
				break;
			}
		read_pstat(d[i], &s);
		rss += s.vmrss;
		pss += p;
		if (top) {
			rss_top += s.vmrss;
			pss_top += p;
		}
	}
	t_measure = now_ns();
	sample_free(settle, hold, &smp);
	t_rel = now_ns();
	if (hungry.on)
		give_all(&hungry);
	else
		flock(lfd, LOCK_UN);
	/* reap; a child that failed counts */
	deadline = t_rel + (long long)(timeout * 1e9);
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);
		struct timespec ts = { 0, 50000000L };

		if (w > 0) {
			long k;

			for (k = 0; k < n; k++)
				if (pids[k] == w)
					break;
			if (k < n && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
				failed++;
			continue;
		}
		if (w < 0 && errno == ECHILD)
			break;
		if (stop || now_ns() >= deadline) {
			timed_out = 1;
			leftover = cleanup_below(0);
			break;
		}
		w = sigtimedwait(&set, NULL, &ts);
		if (w == SIGINT || w == SIGTERM || w == SIGHUP)
			stop = w;
	}
	t_end = now_ns();
	getrusage(RUSAGE_CHILDREN, &ru);
	f = out_file(out);
	fprintf(f, "cpu_ms=%.1f\ncsw=%ld\n",
		(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
		ru.ru_nvcsw + ru.ru_nivcsw);
	fprintf(f, "n=%ld\nready=%ld\nready_ms=%.1f\nrun_ms=%.1f\n"
		"total_ms=%.1f\nprocs=%d\nrss_kb=%ld\npss_kb=%ld\n"
		"rss_top_kb=%ld\npss_top_kb=%ld\nfailed=%d\ntimeout=%d\n"
		"leftover=%d\n", n, got, (t_ready - t0) / 1e6,
		(t_end - t_rel) / 1e6,
		((t_ready - t0) + (t_end - t_rel)) / 1e6, nd, rss, pss,
		rss_top, pss_top, failed, timed_out, leftover);
	if (hungry.on)
		fprintf(f, "held=%d\n", hungry.n);
	if (smp.n > 0)
		fprintf(f, "free_mean=%.4f\nfree_min=%ld\nfree_samples=%ld\n",
			smp.mean, smp.min, smp.n);
	(void)t_measure;
	if (f != stdout)
		fclose(f);
	unlink(ready);
	unlink(lock);
	if (stop) {
		signal(stop, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(stop);
	}
	return failed || timed_out || got < n ? 1 : 0;
}

/* ---- starts --------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int cmd_starts(int argc, char **argv)
{
	long n = 0, i;
	const char *out = NULL;
	long long *t, sum = 0;
	int devnull, st;
	FILE *f;

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "-n"))
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else
			usage();
	}
	if (i >= argc - 1 || n < 1)
		usage();
	argv += i + 1;
	t = calloc((size_t)n, sizeof *t);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!t || devnull < 0)
		die("set-up");
	alarm(600);	/* bounded, like every wait here */
	for (i = 0; i < n; i++) {
		long long t0 = now_ns();
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			dup2(devnull, 1);
			execvp(argv[0], argv);
			_exit(127);
		}
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				die("waitpid");
		t[i] = now_ns() - t0;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "bh starts: %s: status %d\n", argv[0], st);
			return 1;
		}
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof *t, cmp_ll);
	f = out_file(out);
	fprintf(f, "ms_mean=%.4f\nms_min=%.4f\nms_median=%.4f\n",
		sum / 1e6 / (double)n, t[0] / 1e6, t[n / 2] / 1e6);
	if (f != stdout)
		fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "conc"))
		return cmd_conc(argc - 2, argv + 2);
	if (!strcmp(argv[1], "tailstat"))
		return cmd_tailstat(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sleepstat"))
		return cmd_sleepstat(argc - 2, argv + 2);
	if (!strcmp(argv[1], "scale"))
		return cmd_scale(argc - 2, argv + 2);
	if (!strcmp(argv[1], "starts"))
		return cmd_starts(argc - 2, argv + 2);
	usage();
	return 2;
}
