/*
 * stress - seeded, randomized fault injection over nested jobproxy builds.
 *
 *   stress [--rounds N] [--seed S] [--quick] [--faults N] [--jobs N]
 *          [--round R [--repeat K]] [--max-seconds SEC] [--jp PATH]
 *          [--keep] [--no-fds-form] [-v [-v]]
 *   stress --client SPEC      a synthetic jobserver client (used by rounds)
 *   stress --leaf MS          a make job: sleep MS milliseconds
 *
 * Without --rounds it runs until --faults N (default 10000) faults other
 * than burst kills were injected; --quick is 40 short rounds (about 30 s).
 * --jobs N rounds run at once (default 3, --quick 1; rounds mostly wait).
 * --max-seconds stops starting rounds (default 1800).  --jp tests another
 * jobproxy binary (default: the project's, above tests/helpers/).  Both
 * binaries are copied into the run's directory first, so a rebuild during
 * a run changes nothing.  --no-fds-form never announces the root pool in the old
 * --jobserver-fds= form.  -v prints a line per round, -v -v its recipe.
 *
 * The driver is the root jobserver of every round.  A round runs
 * `jobproxy ...` (always the top process, in a session of its own) over
 * a real GNU make recursive tree or over a tree of synthetic clients
 * (this same binary in --client mode, which takes and gives back tokens
 * in loops, spawns sub-clients with or without jobproxy, bursts and kills
 * children), and injects faults:
 *
 *   kill-worker            driver SIGKILLs a make job or a synthetic client
 *   kill-submake           driver SIGKILLs a make process
 *   kill-jobproxy          driver SIGKILLs a jobproxy that has a jobproxy
 *                          above it (never the top one, see unsaveable)
 *   kill-jobproxy-inflight a client reads a token, then SIGKILLs its
 *                          nearest jobproxy before writing the token back
 *   kill-client-holding    a client reads tokens, then SIGKILLs itself
 *   kill-child-client      a client SIGKILLs a sub-client it started
 *   kill-child-jobproxy    a client SIGKILLs a `jobproxy ...` it started
 *   burst-kill             children started and SIGKILLed in bursts
 *   over-return            a client writes back more tokens than it took
 *   rlimit-nofile          a jobproxy started with so few fds that it
 *                          cannot make its pipes (must run the command
 *                          plain, with exactly one message)
 *   rlimit-nproc           a round run as an unprivileged uid under
 *                          RLIMIT_NPROC (fork fails at some depth)
 *   pool-supply-closed     the root pool stops handing out tokens
 *                          mid-build (its token pipe reads EOF)
 *   pool-gone              the root pool exits mid-build (all its ends
 *                          closed: reads EOF, returns EPIPE)
 *   kill-top-jobproxy      the top jobproxy itself is SIGKILLed: nothing
 *                          above it can give its tokens back, so the
 *                          tokens its subtree held are lost.  Unsaveable,
 *                          expected; accounted separately.
 *
 * After every round: the pool holds exactly its starting count (unless
 * the pool was gone or the top jobproxy was killed), the round ended in
 * its bound, no process of the round (its session) is left, none that
 * left the session either (each worker is a subreaper: an orphan of a
 * killed jobproxy or client becomes its child, so whatever outlives the
 * round is found and counted, wherever it went), no zombie,
 * no jobproxy fd count grew (measured by its child at start and end),
 * no child of a jobproxy got an fd it should not have, and in rlimit
 * rounds every jobproxy that ran its command plain said so in exactly one
 * line.  Round 0 is the burst scenario: 1000 children started and
 * SIGKILLed within one second under one jobproxy.
 *
 * A failed round prints its recipe and the command that replays it:
 *   stress --seed S --round R [--quick] [--repeat K]
 * Exit status: 0 all invariants held, 1 a failure, 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef unsigned long long u64;

/* ------------------------------------------------------------------ */
/* Shared utilities                                                    */

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static u64 mix(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rnd(u64 *s, int n)
{
	return n <= 0 ? 0 : (int)(mix(s) % (u64)n);
}

/* lo..hi inclusive */
static int rr(u64 *s, int lo, int hi)
{
	return hi <= lo ? lo : lo + rnd(s, hi - lo + 1);
}

static void sleep_us(long long us)
{
	struct timespec ts;

	if (us <= 0)
		return;
	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *b = buf;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

/* /proc/PID/stat: state, parent, session. */
static int read_stat(pid_t pid, char *state, pid_t *ppid, pid_t *sid)
{
	char path[64], buf[1024], st;
	const char *p;
	int pp, pg, se;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (read_file(path, buf, sizeof buf) <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %d %d", &st, &pp, &pg, &se) != 4)
		return -1;
	if (state)
		*state = st;
	if (ppid)
		*ppid = pp;
	if (sid)
		*sid = se;
	return 0;
}

static int exe_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/exe", (long)pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int exe_is(pid_t pid, const char *want)
{
	char b[PATH_MAX];

	return want && exe_of(pid, b, sizeof b) == 0 && !strcmp(b, want);
}

/* Number of open fds of PID; LIST gets "fd>target " words. */
static int count_fds(pid_t pid, char *list, size_t len)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0, self;
	size_t used = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	if (!d)
		return -1;
	self = pid == getpid() ? dirfd(d) : -1;
	if (list && len)
		list[0] = '\0';
	while ((e = readdir(d))) {
		char lp[384], tgt[256];
		ssize_t t;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd == self)
			continue;
		n++;
		if (!list || used + 1 >= len)
			continue;
		snprintf(lp, sizeof lp, "%s/%s", path, e->d_name);
		t = readlink(lp, tgt, sizeof tgt - 1);
		tgt[t < 0 ? 0 : t] = '\0';
		used += (size_t)snprintf(list + used, len - used, "%d>%s ", fd,
					 tgt);
		if (used >= len)
			used = len - 1;
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------------ */
/* Client mode: a synthetic jobserver client                           */

enum {
	CK_S, CK_D, CK_N, CK_K, CK_H, CK_PH, CK_PP, CK_PO, CK_PS, CK_PK,
	CK_PB, CK_BN, CK_BJ, CK_BW, CK_M, CK_FW, CK_ST, CK_NF, CK_T, CK_W2,
	CK_N_
};
static const char *const CKEYS[CK_N_] = {
	"s", "d", "n", "k", "h", "ph", "pp", "po", "ps", "pk",
	"pb", "bn", "bj", "bw", "m", "fw", "st", "nf", "T", "w2",
};
/*
 * s seed; d jobproxy levels it may still start below itself; n
 * iterations; k most tokens taken at once; h longest hold (us); per-mille
 * chances per iteration: ph kill self holding, pp kill nearest jobproxy
 * with a token in flight, po over-return, ps spawn a child, pb burst; pk
 * per-mille of spawned children it kills; bn burst size; bj per-mille of
 * burst children that are `jobproxy stress --client`; bw most burst
 * children alive at once; m how it reads (0 O_NONBLOCK on the shared
 * description like make 4.3, 1 private reopen like jobserver-rs, 2
 * blocking read under a timer like make 4.1, 3 pick one); fw watch the
 * parent jobproxy's fd count; st style of jobproxy children (0 auto, 1
 * pipe, 2 fifo, 3 pick); nf start jobproxy children with a low
 * RLIMIT_NOFILE; T time budget (ms); w2 per-mille of jobproxy children
 * wrapped twice (jobproxy jobproxy stress ...).
 */

static void spec_format(const long long *v, char *out, size_t len)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < CK_N_ && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s=%lld",
					 i ? "," : "", CKEYS[i], v[i]);
}

static int spec_parse(const char *s, long long *v)
{
	char buf[1024], *tok, *save = NULL;

	memset(v, 0, sizeof(long long) * CK_N_);
	snprintf(buf, sizeof buf, "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int i;

		if (!eq)
			return -1;
		*eq = '\0';
		for (i = 0; i < CK_N_; i++)
			if (!strcmp(tok, CKEYS[i]))
				break;
		if (i == CK_N_)
			return -1;
		v[i] = strtoll(eq + 1, NULL, 10);
	}
	return 0;
}

struct cjs {
	int kind;		/* 0 none, 1 pipe, 2 fifo */
	int r, w;		/* as named in MAKEFLAGS (pipe) */
	int rd, wr;		/* what we read from / write to */
	int mode;
	int rdead, wdead;
	char path[PATH_MAX];
};

struct kid {
	pid_t pid;
	long long kill_at;
	int jp;
};

#define MAXKIDS 64

struct client {
	long long v[CK_N_];
	u64 rng;
	struct cjs js;
	const char *report;
	char jp[PATH_MAX], self[PATH_MAX];
	pid_t driver, ppid0, nearest;
	int parent_jp, plain, chain;
	struct kid kids[MAXKIDS];
	int nkids, spawned;
	long long t0, tend;
};

static struct client *CL;

static void rep(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int fd, n;

	if (!CL || !CL->report)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	fd = open(CL->report, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	(void)!write(fd, buf, (size_t)n);
	close(fd);
}

/* SIGKILL one process; never a group (0, -N) or init. */
static int kill9(pid_t pid)
{
	if (pid <= 1) {
		errno = ESRCH;
		return -1;
	}
	return kill(pid, SIGKILL);
}

static void on_alarm(int s)
{
	(void)s;
}

/* The jobserver named by the last auth word of the first variable that
 * has one (CARGO_MAKEFLAGS, MAKEFLAGS, MFLAGS: jobserver-rs order). */
static void js_parse(struct cjs *j)
{
	static const char *const vars[] = { "CARGO_MAKEFLAGS", "MAKEFLAGS",
					    "MFLAGS" };
	size_t i;

	j->kind = 0;
	j->r = j->w = j->rd = j->wr = -1;
	for (i = 0; i < 3 && !j->kind; i++) {
		const char *v = getenv(vars[i]), *p;

		if (!v)
			continue;
		for (p = v; *p;) {
			const char *w = p, *val = NULL;
			size_t wl;

			while (*p && *p != ' ')
				p++;
			wl = (size_t)(p - w);
			while (*p == ' ')
				p++;
			if (wl == 2 && !strncmp(w, "--", 2))
				break;
			if (wl > 17 && !strncmp(w, "--jobserver-auth=", 17))
				val = w + 17;
			else if (wl > 16 && !strncmp(w, "--jobserver-fds=", 16))
				val = w + 16;
			if (!val)
				continue;
			if (!strncmp(val, "fifo:", 5)) {
				size_t pl = wl - (size_t)(val + 5 - w);

				if (pl >= sizeof j->path)
					continue;
				memcpy(j->path, val + 5, pl);
				j->path[pl] = '\0';
				j->kind = 2;
			} else {
				int r, wfd;

				if (sscanf(val, "%d,%d", &r, &wfd) == 2 &&
				    r >= 0 && wfd >= 0) {
					j->kind = 1;
					j->r = r;
					j->w = wfd;
				} else {
					j->kind = 0;
				}
			}
		}
	}
}

static void js_open(struct cjs *j, int mode)
{
	j->mode = mode;
	if (j->kind == 1) {
		if (fcntl(j->r, F_GETFD) < 0 || fcntl(j->w, F_GETFD) < 0) {
			j->kind = 0;
			return;
		}
		j->rd = j->r;
		j->wr = j->w;
		if (mode == 1) {
			char p[64];

			snprintf(p, sizeof p, "/proc/self/fd/%d", j->r);
			j->rd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (j->rd < 0) {
				j->rd = j->r;
				j->mode = mode = 0;
			}
		}
		if (mode == 0)
			fcntl(j->rd, F_SETFL, fcntl(j->rd, F_GETFL) | O_NONBLOCK);
	} else if (j->kind == 2) {
		j->rd = open(j->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (j->rd >= 0)
			j->wr = open(j->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (j->rd < 0 || j->wr < 0) {
			if (j->rd >= 0)
				close(j->rd);
			j->rd = j->wr = -1;
			j->kind = 0;
		}
	}
}

/* One token before DEADLINE (us): 1 got it, 0 not. */
static int take1(struct cjs *j, long long deadline)
{
	char c;
	ssize_t n;

	if (!j->kind)
		return 0;
	for (;;) {
		long long left = deadline - now_us();
		struct pollfd p;

		if (j->rdead || left <= 0)
			return 0;
		if (j->mode == 2 && j->kind == 1 &&
		    !(fcntl(j->rd, F_GETFL) & O_NONBLOCK)) {
			struct itimerval it, off;
			int e;

			memset(&it, 0, sizeof it);
			memset(&off, 0, sizeof off);
			it.it_value.tv_usec = (suseconds_t)(left < 20000 ? left
								      : 20000);
			setitimer(ITIMER_REAL, &it, NULL);
			n = read(j->rd, &c, 1);
			e = errno;
			setitimer(ITIMER_REAL, &off, NULL);
			if (n == 1)
				return 1;
			if (n == 0) {
				j->rdead = 1;
				return 0;
			}
			if (e == EINTR || e == EAGAIN)
				continue;
			j->rdead = 1;
			return 0;
		}
		p.fd = j->rd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, (int)(left / 1000 + 1 > 50 ? 50 : left / 1000 + 1)) <= 0)
			continue;
		n = read(j->rd, &c, 1);
		if (n == 1)
			return 1;
		if (n == 0) {
			if (j->kind == 1)
				j->rdead = 1;
			else
				sleep_us(1000);	/* fifo: no writer now */
			continue;
		}
		if (errno == EAGAIN || errno == EINTR)
			continue;
		j->rdead = 1;
		return 0;
	}
}

static int take(struct client *C, int k, long long deadline)
{
	int got = 0;

	while (got < k && take1(&C->js, deadline))
		got++;
	return got;
}

static void give(struct client *C, int n)
{
	static const char bytes[] = "+G|tx";
	char b[64];
	int i;

	if (n <= 0 || !C->js.kind || C->js.wdead)
		return;
	if (n > (int)sizeof b)
		n = (int)sizeof b;
	for (i = 0; i < n; i++)
		b[i] = bytes[rnd(&C->rng, 5)];
	if (write_all(C->js.wr, b, (size_t)n) < 0)
		C->js.wdead = 1;
}

/* Jobproxy processes above FROM (inclusive) up to the driver. */
static int jp_chain(const struct client *C, pid_t from, pid_t *nearest)
{
	pid_t p = from;
	int n = 0, i;

	*nearest = 0;
	for (i = 0; i < 64 && p > 1 && p != C->driver; i++) {
		pid_t pp;

		if (exe_is(p, C->jp)) {
			if (!n)
				*nearest = p;
			n++;
		}
		if (read_stat(p, NULL, &pp, NULL) < 0)
			break;
		p = pp;
	}
	return n;
}

/* A jobproxy child must get stdio and its jobserver, nothing else but
 * the "I wait" pipe that JOBPROXY_WANT names for a jobproxy below it. */
static void check_own_fds(struct client *C)
{
	char list[4096], *w, *save = NULL;
	const char *want = getenv("JOBPROXY_WANT");
	int wfd = want ? atoi(want) : -1;

	if (count_fds(getpid(), list, sizeof list) < 0)
		return;
	for (w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		int fd = atoi(w);

		if (fd <= 2 || (C->js.kind == 1 && (fd == C->js.r ||
						    fd == C->js.w)) ||
		    fd == wfd)
			continue;
		rep("L %ld %s parent=%s", (long)getpid(), w,
		    C->plain ? "plain-fallback" : "jobproxy");
	}
}

static void child_exec(struct client *C, char **argv, int via_jp, int nofile)
{
	char buf[32];
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (via_jp) {
		snprintf(buf, sizeof buf, "%ld", (long)getppid());
		setenv("STRESS_VIA_JP", buf, 1);
	} else {
		unsetenv("STRESS_VIA_JP");
	}
	if (nofile) {
		struct rlimit rl;
		int top = 2;

		if (C->js.kind == 1)
			top = C->js.r > C->js.w ? C->js.r : C->js.w;
		if (top < 2)
			top = 2;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = (rlim_t)(top + 2 + rnd(&C->rng, 7));
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	execv(argv[0], argv);
	_exit(127);
}

/* Start `[jobproxy [jobproxy]] stress --client SPEC`. */
static pid_t spawn_client(struct client *C, int via_jp, char *spec,
			  int nofile)
{
	static char client_opt[] = "--client";
	char *argv[12];
	char style[32];
	int n = 0, st = (int)C->v[CK_ST];
	pid_t pid;

	if (via_jp) {
		argv[n++] = C->jp;
		if (C->v[CK_W2] && rnd(&C->rng, 1000) < C->v[CK_W2])
			argv[n++] = C->jp;
		if (st == 3)
			st = rnd(&C->rng, 3);
		if (st) {
			snprintf(style, sizeof style, "--style=%s",
				 st == 1 ? "pipe" : "fifo");
			argv[n++] = style;
		}
	}
	argv[n++] = C->self;
	argv[n++] = client_opt;
	argv[n++] = spec;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0)
		child_exec(C, argv, via_jp, nofile);
	return pid;
}

static void burst_child(struct client *C)
{
	long long end = now_us() + 2000000;

	/* SIGALRM keeps the client's handler (no SA_RESTART) across fork. */
	for (;;) {
		if (take1(&C->js, end)) {
			if (rnd(&C->rng, 2))
				sleep_us(rnd(&C->rng, 300));
			give(C, 1);
		}
		if (now_us() >= end || C->js.rdead)
			_exit(0);
	}
}

/*
 * Burst children that can be started and killed by the thousand: fork()
 * costs 1-2 ms on a loaded VM, clone(CLONE_VM) a tenth of that.  Such a
 * child is a process of its own (own pid, own copy of the fd table,
 * killed by SIGKILL like any other) that shares our memory, so it runs on
 * its own stack and makes raw system calls only: it touches neither errno
 * nor anything else of ours.
 */
#if defined(__x86_64__) && defined(__linux__)
#include <sched.h>
#include <sys/syscall.h>
#define HAVE_VMKID 1
#define KID_STACK 65536

struct vmkid {
	int rd, wr;
	volatile int holding;	/* between its read and its write back */
	u64 seed;
	long long end_ns;
};

static long raw3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static long long raw_now_ns(void)
{
	struct timespec ts;

	raw3(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int vmkid_main(void *arg)
{
	struct vmkid k = *(struct vmkid *)arg;
	char c;

	for (;;) {
		long r = raw3(SYS_read, k.rd, (long)&c, 1);

		if (r == 1) {
			((struct vmkid *)arg)->holding = 1;
			k.seed ^= k.seed << 13;
			k.seed ^= k.seed >> 7;
			k.seed ^= k.seed << 17;
			if (k.seed & 1) {
				struct timespec ts = { 0, (long)(k.seed % 200000) };

				raw3(SYS_nanosleep, (long)&ts, 0, 0);
			}
			raw3(SYS_write, k.wr, (long)"+", 1);
			((struct vmkid *)arg)->holding = 0;
		} else if (r == 0) {
			break;		/* jobserver gone */
		} else {
			struct pollfd p;

			p.fd = k.rd;
			p.events = POLLIN;
			p.revents = 0;
			raw3(SYS_poll, (long)&p, 1, 50);
		}
		if (raw_now_ns() >= k.end_ns)
			break;
	}
	raw3(SYS_exit, 0, 0, 0);
	return 0;
}
#endif

/*
 * Start N children and SIGKILL every one of them: at most WINDOW alive,
 * each killed after a random life of 0..LIFE us (many right after a token
 * read, before the write back: counted as "holding").  BJ per-mille are
 * `jobproxy stress --client`, FORKPCT percent of the rest are fork()ed
 * copies, the others clone(CLONE_VM).
 */
static void burst(struct client *C, int n, int bj, int window, int forkpct,
		  int life)
{
	pid_t *alive = calloc((size_t)window + 2, sizeof *alive);
	int *slot = calloc((size_t)window + 2, sizeof *slot);
	long long *kill_at = calloc((size_t)window + 2, sizeof *kill_at);
	int *used = calloc((size_t)window + 2, sizeof *used);
	char *stacks = NULL;
	long long v[CK_N_];
	char spec[512];
	int na = 0, started = 0, killed = 0, reaped = 0, ffail = 0, holding = 0;
	int i = 0;
	long long t0, t1;

	if (!alive || !slot || !used || !kill_at)
		return;
#ifdef HAVE_VMKID
	stacks = malloc((size_t)(window + 2) * KID_STACK);
#endif
	memset(v, 0, sizeof v);
	v[CK_N] = 3;
	v[CK_K] = 1;
	v[CK_H] = 300;
	v[CK_M] = 3;
	v[CK_T] = 300;
	t0 = now_us();
	while (i < n || na) {
		long long now = now_us();
		pid_t p;
		int sl = -1, j, e;

		if (i < n && now >= C->tend) {
			n = i;		/* out of time: start no more */
			continue;
		}
		if (i < n && na < window) {
			i++;
			if (bj && rnd(&C->rng, 1000) < bj) {
				v[CK_S] = (long long)(mix(&C->rng) >> 2);
				spec_format(v, spec, sizeof spec);
				p = spawn_client(C, 1, spec, 0);
			} else if (!stacks || rnd(&C->rng, 100) < forkpct) {
				p = fork();
				if (p == 0)
					burst_child(C);
			} else {
#ifdef HAVE_VMKID
				struct vmkid *k;
				char *base;

				for (sl = 0; used[sl]; sl++)
					;
				base = stacks + (size_t)sl * KID_STACK;
				k = (struct vmkid *)(void *)base;
				k->rd = C->js.kind ? C->js.rd : -1;
				k->wr = C->js.kind ? C->js.wr : -1;
				k->holding = 0;
				k->seed = mix(&C->rng) | 1;
				k->end_ns = (now + 2000000) * 1000;
				p = clone(vmkid_main, base + KID_STACK - 64,
					  CLONE_VM | SIGCHLD, k);
				if (p > 0)
					used[sl] = 1;
#else
				p = -1;
#endif
			}
			if (p < 0) {
				ffail++;
				if (ffail > 50)
					n = i;	/* stop starting */
				continue;
			}
			started++;
			slot[na] = sl;
			kill_at[na] = now + rnd(&C->rng, life + 1);
			alive[na++] = p;
			continue;
		}
		for (e = 0, j = 1; j < na; j++)
			if (kill_at[j] < kill_at[e])
				e = j;
		if (kill_at[e] > now)
			sleep_us(kill_at[e] - now);
		if (kill9(alive[e]) == 0)
			killed++;
		while (waitpid(alive[e], NULL, 0) < 0 && errno == EINTR)
			;
		reaped++;
#ifdef HAVE_VMKID
		if (slot[e] >= 0) {
			struct vmkid *k = (struct vmkid *)(void *)(stacks +
					(size_t)slot[e] * KID_STACK);

			holding += k->holding;
			used[slot[e]] = 0;
		}
#endif
		na--;
		alive[e] = alive[na];
		slot[e] = slot[na];
		kill_at[e] = kill_at[na];
	}
	t1 = now_us();
	free(alive);
	free(slot);
	free(used);
	free(kill_at);
	free(stacks);
	rep("B %d %d %d %lld %d %d", started, killed, reaped, (t1 - t0) / 1000,
	    ffail, holding);
	if (killed)
		rep("F burst-kill %d", killed);
}

static void service_kids(struct client *C)
{
	int i;

	for (i = 0; i < C->nkids;) {
		struct kid *k = &C->kids[i];
		int st;

		if (k->kill_at && now_us() >= k->kill_at) {
			k->kill_at = 0;
			if (kill9(k->pid) == 0)
				rep("F %s 1", k->jp ? "kill-child-jobproxy"
						    : "kill-child-client");
		}
		if (waitpid(k->pid, &st, WNOHANG) == k->pid) {
			C->kids[i] = C->kids[--C->nkids];
			continue;
		}
		i++;
	}
}

static void spawn_kid(struct client *C)
{
	long long v[CK_N_], left = (C->tend - now_us()) / 1000;
	char spec[512];
	int via;
	pid_t pid;

	if (C->nkids >= 6 || C->spawned >= 40 || left < 50)
		return;
	memcpy(v, C->v, sizeof v);
	v[CK_S] = (long long)(mix(&C->rng) >> 2);
	via = C->v[CK_D] > 0 && rnd(&C->rng, 100) < 75;
	if (via)
		v[CK_D] = C->v[CK_D] - 1;
	else
		v[CK_D] = 0;
	v[CK_N] = C->v[CK_N] / 2 > 3 ? C->v[CK_N] / 2 : 3;
	v[CK_T] = left * rr(&C->rng, 30, 90) / 100;
	v[CK_FW] = 1;
	/* The top client is gentle with itself (the round would end);
	 * deeper ones die and kill more. */
	if (C->v[CK_PH])
		v[CK_PH] = 25;
	v[CK_PO] = 50;
	if (C->v[CK_PP])
		v[CK_PP] = 60;
	if (C->v[CK_PK])
		v[CK_PK] = 500;
	spec_format(v, spec, sizeof spec);
	pid = spawn_client(C, via, spec, via && C->v[CK_NF]);
	if (pid < 0)
		return;
	if (via && C->v[CK_NF])
		rep("F rlimit-nofile 1");
	C->spawned++;
	C->kids[C->nkids].pid = pid;
	C->kids[C->nkids].jp = via;
	C->kids[C->nkids].kill_at = 0;
	if (C->chain >= 1 && rnd(&C->rng, 1000) < C->v[CK_PK])
		C->kids[C->nkids].kill_at =
			now_us() + rnd(&C->rng, (int)(v[CK_T] * 1000) + 1);
	C->nkids++;
}

static int client_main(const char *spec)
{
	static struct client C0;
	struct client *C = &C0;
	struct sigaction sa;
	struct rlimit rl;
	const char *e;
	char before[4096], after[4096];
	int fdb = -1, iter, mode;

	CL = C;
	if (spec_parse(spec, C->v) < 0) {
		fprintf(stderr, "stress: bad client spec '%s'\n", spec);
		return 2;
	}
	C->rng = (u64)C->v[CK_S];
	/* A low RLIMIT_NOFILE was for the jobproxy above us, not for us. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 4096 ? 4096 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: read gets EINTR */
	sigaction(SIGALRM, &sa, NULL);
	C->report = getenv("STRESS_REPORT");
	e = getenv("STRESS_JP");
	snprintf(C->jp, sizeof C->jp, "%s", e ? e : "");
	e = getenv("STRESS_SELF");
	snprintf(C->self, sizeof C->self, "%s", e ? e : "");
	e = getenv("STRESS_DRIVER");
	C->driver = e ? (pid_t)atol(e) : 1;
	if (!C->jp[0] || !C->self[0])
		return 2;
	C->t0 = now_us();
	C->tend = C->t0 + C->v[CK_T] * 1000;
	js_parse(&C->js);
	C->ppid0 = getppid();
	C->parent_jp = exe_is(C->ppid0, C->jp);
	e = getenv("STRESS_VIA_JP");
	C->plain = e && (pid_t)atol(e) == C->ppid0;
	unsetenv("STRESS_VIA_JP");
	if (getenv("STRESS_DEBUG")) {
		char pexe[PATH_MAX];

		if (exe_of(C->ppid0, pexe, sizeof pexe) < 0)
			snprintf(pexe, sizeof pexe, "?");
		rep("S pid=%ld ppid=%ld (%s) via=%s MAKEFLAGS='%s' spec=%s",
		    (long)getpid(), (long)C->ppid0, pexe, e ? e : "-",
		    getenv("MAKEFLAGS") ? getenv("MAKEFLAGS") : "", spec);
	}
	/* A plain run with no jobserver named is jobproxy's silent "no
	 * jobserver here" exec, not a fallback that must say so. */
	if (C->plain)
		rep("P %ld %d MAKEFLAGS='%s'", (long)getpid(), C->js.kind != 0,
		    getenv("MAKEFLAGS") ? getenv("MAKEFLAGS") : "");
	if (C->parent_jp && !C->js.kind)
		rep("N %ld: the child of jobproxy %ld got no jobserver:"
		    " MAKEFLAGS='%s' (its parent's style/form: see recipe)",
		    (long)getpid(), (long)C->ppid0,
		    getenv("MAKEFLAGS") ? getenv("MAKEFLAGS") : "");
	if (C->parent_jp || C->plain)
		check_own_fds(C);
	C->chain = jp_chain(C, C->ppid0, &C->nearest);
	mode = C->v[CK_M] == 3 ? rnd(&C->rng, 3) : (int)C->v[CK_M];
	js_open(&C->js, mode);
	if (C->v[CK_FW] && C->parent_jp)
		fdb = count_fds(C->ppid0, before, sizeof before);

	for (iter = 0; iter < C->v[CK_N] && now_us() < C->tend; iter++) {
		int r = rnd(&C->rng, 1000), k = (int)C->v[CK_K], got;
		long long acq = now_us() + rr(&C->rng, 30, 150) * 1000LL;

		if (acq > C->tend)
			acq = C->tend;
		service_kids(C);
		if ((r -= (int)C->v[CK_PH]) < 0) {
			if (C->chain < 1)
				continue;
			got = take(C, rr(&C->rng, 1, k), acq);
			if (got) {
				rep("F kill-client-holding 1");
				kill9(getpid());
			}
			continue;
		}
		if ((r -= (int)C->v[CK_PP]) < 0) {
			pid_t near;

			if (jp_chain(C, getppid(), &near) < 2)
				continue;
			if (take1(&C->js, acq)) {
				if (exe_is(near, C->jp) && kill9(near) == 0)
					rep("F kill-jobproxy-inflight 1");
				give(C, 1);
			}
			continue;
		}
		if ((r -= (int)C->v[CK_PO]) < 0) {
			if (C->chain < 1)
				continue;
			got = take(C, rr(&C->rng, 0, k), acq);
			sleep_us(rnd(&C->rng, (int)C->v[CK_H] + 1));
			give(C, got + rr(&C->rng, 1, 3));
			rep("F over-return 1");
			continue;
		}
		if ((r -= (int)C->v[CK_PS]) < 0) {
			spawn_kid(C);
			continue;
		}
		if ((r -= (int)C->v[CK_PB]) < 0) {
			/* Killed children's tokens are saved only by a
			 * jobproxy above us. */
			if (C->chain < 1)
				continue;
			burst(C, (int)C->v[CK_BN], (int)C->v[CK_BJ],
			      rr(&C->rng, 1, C->v[CK_BW] > 1 ? (int)C->v[CK_BW] : 1),
			      C->v[CK_BN] >= 1000 ? 0 : 25,
			      C->v[CK_BN] >= 1000 ? 1500 : rr(&C->rng, 0, 5000));
			continue;
		}
		got = take(C, rr(&C->rng, 1, k), acq);
		sleep_us(rnd(&C->rng, (int)C->v[CK_H] + 1));
		give(C, got);
	}
	/* Wind down: every child ends on its own within its budget. */
	while (C->nkids && now_us() < C->tend + 5000000) {
		service_kids(C);
		if (C->nkids)
			sleep_us(2000);
	}
	while (C->nkids) {
		rep("E client %ld: its child %ld (%s) ran past its bound",
		    (long)getpid(), (long)C->kids[0].pid,
		    C->kids[0].jp ? "jobproxy" : "client");
		kill9(C->kids[0].pid);
		waitpid(C->kids[0].pid, NULL, 0);
		C->kids[0] = C->kids[--C->nkids];
	}
	if (fdb >= 0 && getppid() == C->ppid0 && exe_is(C->ppid0, C->jp)) {
		int fda = count_fds(C->ppid0, after, sizeof after), i;

		/* A look at the tree (jobproxy's proctree.c) holds a /proc
		 * fd or two for microseconds, while a token sits parked, and
		 * a count can catch one.  A leak stays: count again once
		 * whatever is parked has idled out (20 ms at most). */
		for (i = 0; i < 3 && fda > fdb; i++) {
			sleep_us(25000);
			fda = count_fds(C->ppid0, after, sizeof after);
		}
		if (fda >= 0) {
			rep("W %ld %ld %d %d", (long)getpid(), (long)C->ppid0,
			    fdb, fda);
			if (fda > fdb)
				rep("X jobproxy %ld fds grew from %d to %d:"
				    " before [%s] after [%s]", (long)C->ppid0,
				    fdb, fda, before, after);
		}
	}
	return 0;
}

static int leaf_main(const char *ms)
{
	sleep_us(atol(ms) * 1000LL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */

enum fk {
	FK_KILL_WORKER, FK_KILL_SUBMAKE, FK_KILL_JP, FK_KILL_JP_INFLIGHT,
	FK_KILL_CLIENT_HOLDING, FK_KILL_CHILD_CLIENT, FK_KILL_CHILD_JP,
	FK_BURST_KILL, FK_OVER_RETURN, FK_NOFILE, FK_NPROC,
	FK_SUPPLY_CLOSED, FK_POOL_GONE, FK_KILL_TOP, NFK
};
static const char *const FK_NAMES[NFK] = {
	"kill-worker", "kill-submake", "kill-jobproxy",
	"kill-jobproxy-inflight", "kill-client-holding", "kill-child-client",
	"kill-child-jobproxy", "burst-kill", "over-return", "rlimit-nofile",
	"rlimit-nproc", "pool-supply-closed", "pool-gone",
	"kill-top-jobproxy",
};
static const char *const FK_WHAT[NFK] = {
	"driver SIGKILLs a make job or a synthetic client",
	"driver SIGKILLs a make process",
	"driver SIGKILLs a jobproxy that has a jobproxy above it",
	"client reads a token, SIGKILLs its jobproxy before giving it back",
	"client reads tokens, then SIGKILLs itself",
	"client SIGKILLs a sub-client it started",
	"client SIGKILLs a `jobproxy ...` it started",
	"children started and SIGKILLed in bursts",
	"client writes back more tokens than it took",
	"jobproxy started with too few fds for its pipes",
	"round under RLIMIT_NPROC as an unprivileged uid",
	"root pool stops handing out tokens mid-build",
	"root pool exits mid-build (all its ends closed)",
	"the top jobproxy SIGKILLed (unsaveable, expected)",
};

enum rk { RK_BURST1000, RK_MAKE, RK_CLIENT, RK_BURST, RK_NOFILE, RK_NPROC,
	  NRK };
static const char *const RK_NAMES[NRK] = {
	"burst1000", "make", "client", "burst", "nofile", "nproc",
};

enum wk { WK_LEAF, WK_CLIENT, WK_MAKE, WK_JP, WK_TOP, NWK };
static const char *const WK_NAMES[NWK] = { "leaf", "client", "make",
					   "jobproxy", "TOP-jobproxy" };

enum ps { PS_PIPE, PS_SPLIT, PS_FIFO };
static const char *const PS_NAMES[] = { "pipe", "split", "fifo" };

#define MAXKEV 24

struct round {
	int idx, kind;
	u64 rng;
	int slots, pstyle, fdsform;
	int close_kind, close_ms;	/* 1 supply closed, 2 pool gone */
	int nkev;
	struct { int ms, what; } kev[MAXKEV];
	int nofile;			/* top's RLIMIT_NOFILE, 0 none */
	int nproc, nproc_chown;		/* RLIMIT_NPROC for uid X, 0 none */
	int depth, insert;
	int msgcheck;			/* jobproxy lines == plain fallbacks */
	int unsaveable;
	char *argv[16];
	char argbuf[16][600];
	char dir[PATH_MAX];
	char desc[4096];
};

struct result {
	int accounted;
	long start, end;
	int hang, orphans, leftovers, zombies;
	int outlived;		/* processes still alive after the round */
	int fdleak, childfd;
	int fdchecks, childchecks;
	int msgs, plains, msgbad;
	int kidhang, nojs, kev_late, kev_none;
	int badstatus;
	int burst_started, burst_killed, burst_reaped, burst_ffail;
	long long burst_ms;
	int burst_seen, bursts, burst_holding;
	long long ms;
	int top_status;
	long faults[NFK];
	char why[4096];
};

static struct {
	u64 seed;
	int quick, verbose, keep, no_fds_form;
	pid_t pid;
	uid_t xuid;
	int bound_ms;
	char dir[1024];
	char jp[PATH_MAX], self[PATH_MAX], make[PATH_MAX];
	char srcjp[PATH_MAX];
	char emfile[256];	/* jobproxy's libc's text for EMFILE */
} G;

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("stress: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(2);
}

static void why(struct result *X, const char *fmt, ...)
{
	size_t used = strlen(X->why);
	va_list ap;

	if (used + 2 >= sizeof X->why)
		return;
	va_start(ap, fmt);
	vsnprintf(X->why + used, sizeof X->why - used, fmt, ap);
	va_end(ap);
	used = strlen(X->why);
	if (used + 1 < sizeof X->why) {
		X->why[used] = '\n';
		X->why[used + 1] = '\0';
	}
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		die("open %s", from);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0)
		die("create %s", to);
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			die("write %s", to);
	close(in);
	if (close(out) < 0)
		die("close %s", to);
}

static void find_make(void)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX], *dup, *d, *save = NULL;

	if (!path)
		path = "/usr/bin:/bin";
	dup = strdup(path);
	for (d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof buf, "%s/make", d);
		if (access(buf, X_OK) == 0 && realpath(buf, G.make))
			break;
	}
	free(dup);
	if (!G.make[0])
		snprintf(G.make, sizeof G.make, "/usr/bin/make");
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[PATH_MAX];

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_rf(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(path);
}

/* ---- round recipes ---- */

static char *arg(struct round *R, int i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(R->argbuf[i], sizeof R->argbuf[i], fmt, ap);
	va_end(ap);
	return R->argbuf[i];
}

static void desc(struct round *R, const char *fmt, ...)
{
	size_t used = strlen(R->desc);
	va_list ap;

	if (used + 1 >= sizeof R->desc)
		return;
	va_start(ap, fmt);
	vsnprintf(R->desc + used, sizeof R->desc - used, fmt, ap);
	va_end(ap);
}

/* Client spec profiles. */
static void spec_rich(struct round *R, long long *v, int depth_below)
{
	int q = G.quick;

	memset(v, 0, sizeof(long long) * CK_N_);
	v[CK_S] = (long long)(mix(&R->rng) >> 2);
	v[CK_D] = depth_below;
	v[CK_N] = q ? rr(&R->rng, 10, 30) : rr(&R->rng, 20, 60);
	v[CK_K] = rr(&R->rng, 1, 3);
	v[CK_H] = rr(&R->rng, 0, 2000);
	v[CK_PH] = 3;
	v[CK_PP] = 20;
	v[CK_PO] = 30;
	v[CK_PS] = 150;
	v[CK_PK] = 400;
	v[CK_PB] = q ? 10 : 20;
	v[CK_BN] = q ? rr(&R->rng, 20, 60) : rr(&R->rng, 30, 150);
	v[CK_BJ] = rr(&R->rng, 0, 250);
	v[CK_BW] = rr(&R->rng, 1, 24);
	v[CK_M] = 3;
	v[CK_FW] = 1;
	v[CK_ST] = 3;
	v[CK_T] = q ? rr(&R->rng, 300, 800) : rr(&R->rng, 500, 1600);
	v[CK_W2] = 60;
}

/* No kills of jobproxies, no double wraps: every jobproxy line is then a
 * plain fallback, one per jobproxy. */
static void spec_clean(struct round *R, long long *v, int depth_below)
{
	spec_rich(R, v, depth_below);
	v[CK_PH] = 0;	/* an orphaned subtree may see its jobserver gone */
	v[CK_PP] = 0;
	v[CK_PK] = 0;
	v[CK_BJ] = 0;
	v[CK_W2] = 0;
	v[CK_PS] = 200;
	v[CK_BN] = rr(&R->rng, 10, 40);
}

static void spec_make(struct round *R, long long *v)
{
	spec_rich(R, v, rnd(&R->rng, 4) == 0);
	v[CK_N] = rr(&R->rng, 3, 10);
	v[CK_K] = rr(&R->rng, 1, 2);
	v[CK_PS] = 60;
	v[CK_PB] = 15;
	v[CK_BN] = rr(&R->rng, 10, 40);
	v[CK_BJ] = rr(&R->rng, 0, 100);
	v[CK_BW] = rr(&R->rng, 1, 8);
	v[CK_T] = rr(&R->rng, 150, 500);
	v[CK_W2] = 30;
}

static void gen_level(struct round *R, const char *dir, int lvl, int nocl)
{
	char path[PATH_MAX], spec[512];
	FILE *f;
	int nl = rr(&R->rng, 3, 8), nc = nocl ? 0 : rr(&R->rng, 0, 3);
	int ns = lvl < R->depth ? rr(&R->rng, 1, 2) : 0, i;
	long long v[CK_N_];

	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/Makefile", dir);
	f = fopen(path, "w");
	if (!f)
		die("create %s", path);
	fprintf(f, "all:");
	for (i = 0; i < nl; i++)
		fprintf(f, " L%d", i);
	for (i = 0; i < nc; i++)
		fprintf(f, " C%d", i);
	for (i = 0; i < ns; i++)
		fprintf(f, " S%d", i);
	fprintf(f, "\n");
	for (i = 0; i < nl; i++)
		fprintf(f, "L%d: ; @%s --leaf %d\n", i, G.self,
			rr(&R->rng, 20, 400));
	for (i = 0; i < nc; i++) {
		spec_make(R, v);
		spec_format(v, spec, sizeof spec);
		fprintf(f, "C%d: ; +@%s --client %s\n", i, G.self, spec);
	}
	for (i = 0; i < ns; i++) {
		int wrap = !R->insert && rnd(&R->rng, 100) < 85;

		fprintf(f, "S%d: ; +@%s%s$(MAKE) -C s%d\n", i,
			wrap ? G.jp : "", wrap ? " --no-insert " : "", i);
	}
	fprintf(f, ".PHONY: all");
	for (i = 0; i < nl; i++)
		fprintf(f, " L%d", i);
	for (i = 0; i < nc; i++)
		fprintf(f, " C%d", i);
	for (i = 0; i < ns; i++)
		fprintf(f, " S%d", i);
	fprintf(f, "\n");
	fclose(f);
	desc(R, " %s(%dL%dC%dS)", dir + strlen(R->dir) + 1, nl, nc, ns);
	for (i = 0; i < ns; i++) {
		char sub[PATH_MAX];

		snprintf(sub, sizeof sub, "%s/s%d", dir, i);
		gen_level(R, sub, lvl + 1, nocl);
	}
}

static void gen_kills(struct round *R, int n, int maxms, int make)
{
	int i, j;

	for (i = 0; i < n && R->nkev < MAXKEV; i++) {
		int w = rnd(&R->rng, 100), what;

		if (make)
			what = w < 25 ? WK_LEAF : w < 40 ? WK_CLIENT
				: w < 70 ? WK_MAKE : WK_JP;
		else
			what = w < 50 ? WK_CLIENT : WK_JP;
		R->kev[R->nkev].ms = rr(&R->rng, 5, maxms);
		R->kev[R->nkev].what = what;
		R->nkev++;
	}
	if (R->unsaveable && R->nkev < MAXKEV) {
		R->kev[R->nkev].ms = rr(&R->rng, 20, maxms);
		R->kev[R->nkev].what = WK_TOP;
		R->nkev++;
	}
	/* sort by time */
	for (i = 1; i < R->nkev; i++)
		for (j = i; j > 0 && R->kev[j].ms < R->kev[j - 1].ms; j--) {
			int ms = R->kev[j].ms, wh = R->kev[j].what;

			R->kev[j].ms = R->kev[j - 1].ms;
			R->kev[j].what = R->kev[j - 1].what;
			R->kev[j - 1].ms = ms;
			R->kev[j - 1].what = wh;
		}
}

static void gen_close(struct round *R)
{
	if (R->pstyle != PS_SPLIT || rnd(&R->rng, 100) >= 40)
		return;
	R->close_kind = rnd(&R->rng, 100) < 65 ? 1 : 2;
	R->close_ms = rr(&R->rng, 10, 400);
}

static void gen(struct round *R, int idx)
{
	long long v[CK_N_];
	char spec[512];
	int n = 0, w, q = G.quick;

	memset(R, 0, sizeof *R);
	R->idx = idx;
	R->rng = G.seed ^ (0xd1b54a32d192ed03ULL * (u64)(idx + 1));
	mix(&R->rng);
	snprintf(R->dir, sizeof R->dir, "%s/r%d", G.dir, idx);
	w = rnd(&R->rng, 100);
	if (idx == 0)
		R->kind = RK_BURST1000;
	else
		R->kind = w < 30 ? RK_MAKE : w < 62 ? RK_CLIENT : w < 70 ? RK_BURST
			: w < 83 ? RK_NOFILE : w < 94 ? RK_NPROC : RK_CLIENT;
	R->unsaveable = idx > 0 && w >= 94;
	R->fdsform = rnd(&R->rng, 100) < 15 && !G.no_fds_form;
	R->argv[n++] = G.jp;
	switch (R->kind) {
	case RK_BURST1000:
		R->slots = 4;
		R->pstyle = PS_PIPE;
		memset(v, 0, sizeof v);
		v[CK_S] = (long long)(mix(&R->rng) >> 2);
		v[CK_N] = 1;
		v[CK_PB] = 1000;
		v[CK_BN] = 1000;
		v[CK_BW] = 16;
		v[CK_M] = 3;
		v[CK_FW] = 1;
		v[CK_T] = 5000;
		spec_format(v, spec, sizeof spec);
		R->argv[n++] = G.self;
		R->argv[n++] = arg(R, 0, "--client");
		R->argv[n++] = arg(R, 1, "%s", spec);
		break;
	case RK_MAKE:
		R->slots = rr(&R->rng, 1, 6);
		w = rnd(&R->rng, 100);
		R->pstyle = w < 50 ? PS_PIPE : w < 85 ? PS_SPLIT : PS_FIFO;
		R->depth = rnd(&R->rng, 5) ? rr(&R->rng, 2, 3) : 1;
		R->insert = rnd(&R->rng, 2);
		if (R->pstyle == PS_FIFO)	/* make 4.3 reads pipes only */
			R->argv[n++] = arg(R, 0, "--style=pipe");
		if (!R->insert)
			R->argv[n++] = arg(R, 1, "--no-insert");
		R->argv[n++] = G.make;
		R->argv[n++] = arg(R, 2, "-k");
		R->argv[n++] = arg(R, 3, "-s");
		R->argv[n++] = arg(R, 4, "-C");
		R->argv[n++] = arg(R, 5, "%s/m", R->dir);
		gen_close(R);
		gen_kills(R, q ? rr(&R->rng, 2, 6) : rr(&R->rng, 6, 18),
			  400 * R->depth + 400, 1);
		break;
	case RK_CLIENT:
	case RK_BURST:
		R->slots = rr(&R->rng, 1, 8);
		w = rnd(&R->rng, 100);
		R->pstyle = w < 45 ? PS_PIPE : w < 80 ? PS_SPLIT : PS_FIFO;
		w = rnd(&R->rng, 10);
		if (w < 2)
			R->argv[n++] = arg(R, 0, "--style=fifo");
		else if (w < 3)
			R->argv[n++] = arg(R, 0, "--style=pipe");
		if (R->kind == RK_BURST && rnd(&R->rng, 2))
			R->argv[n++] = G.jp;	/* jobproxy jobproxy client */
		spec_rich(R, v, rr(&R->rng, 0, 2));
		if (R->kind == RK_BURST) {
			v[CK_PB] = 150;
			v[CK_BN] = q ? rr(&R->rng, 50, 150) : rr(&R->rng, 150, 500);
			v[CK_BJ] = rr(&R->rng, 0, 300);
			v[CK_N] = rr(&R->rng, 5, 15);
		}
		spec_format(v, spec, sizeof spec);
		R->argv[n++] = G.self;
		R->argv[n++] = arg(R, 1, "--client");
		R->argv[n++] = arg(R, 2, "%s", spec);
		gen_close(R);
		if (R->kind == RK_CLIENT)
			gen_kills(R, q ? rr(&R->rng, 2, 6) : rr(&R->rng, 4, 14),
				  (int)v[CK_T], 0);
		break;
	case RK_NOFILE:
		R->slots = rr(&R->rng, 1, 6);
		w = rnd(&R->rng, 100);
		R->pstyle = w < 50 ? PS_PIPE : w < 80 ? PS_SPLIT : PS_FIFO;
		w = rnd(&R->rng, 10);
		if (w < 2)
			R->argv[n++] = arg(R, 0, "--style=fifo");
		/* fds 0-2 (+ the pool's 3, 4); ld.so needs one more */
		R->nofile = (R->pstyle == PS_FIFO ? 2 : 4) + 2 +
			    rnd(&R->rng, 7);
		spec_clean(R, v, rr(&R->rng, 1, 2));
		v[CK_NF] = 1;
		spec_format(v, spec, sizeof spec);
		R->argv[n++] = G.self;
		R->argv[n++] = arg(R, 1, "--client");
		R->argv[n++] = arg(R, 2, "%s", spec);
		R->msgcheck = 1;
		break;
	case RK_NPROC:
		R->slots = rr(&R->rng, 1, 6);
		R->pstyle = rnd(&R->rng, 2) ? PS_PIPE : PS_SPLIT;
		R->nproc = rr(&R->rng, 1, 8);
		R->nproc_chown = rnd(&R->rng, 100) < 70;
		if (rnd(&R->rng, 100) < 30) {
			R->depth = rr(&R->rng, 1, 3);
			R->insert = rnd(&R->rng, 2);
			if (!R->insert)
				R->argv[n++] = arg(R, 1, "--no-insert");
			R->argv[n++] = G.make;
			R->argv[n++] = arg(R, 2, "-k");
			R->argv[n++] = arg(R, 3, "-s");
			R->argv[n++] = arg(R, 4, "-C");
			R->argv[n++] = arg(R, 5, "%s/m", R->dir);
		} else {
			spec_clean(R, v, rr(&R->rng, 1, 2));
			spec_format(v, spec, sizeof spec);
			R->argv[n++] = G.self;
			R->argv[n++] = arg(R, 1, "--client");
			R->argv[n++] = arg(R, 2, "%s", spec);
			R->msgcheck = 1;
		}
		break;
	}
	R->argv[n] = NULL;

	desc(R, "round %d [%s%s] seed-derived; slots=%d pool=%s%s", idx,
	     RK_NAMES[R->kind], R->unsaveable ? "+unsaveable" : "", R->slots,
	     PS_NAMES[R->pstyle], R->fdsform ? " (--jobserver-fds form)" : "");
	if (R->close_kind)
		desc(R, " close=%s@%dms", R->close_kind == 1 ? "supply" : "gone",
		     R->close_ms);
	if (R->nofile)
		desc(R, " RLIMIT_NOFILE=%d", R->nofile);
	if (R->nproc)
		desc(R, " uid=%ld RLIMIT_NPROC=%d%s", (long)G.xuid, R->nproc,
		     R->nproc_chown ? "" : " (pool pipes not chowned: no /proc reopen)");
	desc(R, "\n  command:");
	for (n = 0; R->argv[n]; n++)
		desc(R, " %s", R->argv[n]);
	if (R->nkev) {
		int i;

		desc(R, "\n  driver kills:");
		for (i = 0; i < R->nkev; i++)
			desc(R, " %s@%dms", WK_NAMES[R->kev[i].what],
			     R->kev[i].ms);
	}
	if (R->depth) {
		desc(R, "\n  make tree (depth %d, %s):", R->depth,
		     R->insert ? "MAKE= insertion" : "explicit jobproxy lines");
	}
}

/* Build the round's files (make trees are generated here: generation
 * draws from the round's RNG after gen(), so it is deterministic too). */
static void prepare(struct round *R)
{
	rm_rf(R->dir);
	if (mkdir(R->dir, 0755) < 0)
		die("mkdir %s", R->dir);
	if (R->depth) {
		char top[PATH_MAX + 8];

		snprintf(top, sizeof top, "%s/m", R->dir);
		gen_level(R, top, 1, R->nproc > 0);
	}
}

/* ---- processes of a round ---- */

struct proc {
	pid_t pid, ppid;
	char st;
};

static int scan_session(pid_t sid, struct proc *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		pid_t pid, pp, se;
		char st;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid = (pid_t)atol(e->d_name);
		if (read_stat(pid, &st, &pp, &se) < 0 || se != sid)
			continue;
		out[n].pid = pid;
		out[n].ppid = pp;
		out[n].st = st;
		n++;
	}
	closedir(d);
	return n;
}

static int kind_of(pid_t pid)
{
	char exe[PATH_MAX], path[64], cmd[512];
	int n;

	if (exe_of(pid, exe, sizeof exe) < 0)
		return -1;
	if (!strcmp(exe, G.jp))
		return WK_JP;
	if (!strcmp(exe, G.make))
		return WK_MAKE;
	if (strcmp(exe, G.self))
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	n = read_file(path, cmd, sizeof cmd);
	if (n <= 0)
		return -1;
	return !strcmp(cmd + strlen(cmd) + 1, "--leaf") ? WK_LEAF : WK_CLIENT;
}

/* Has PID a jobproxy above it (before the chain reaches the driver)? */
static int protected_by_jp(pid_t pid)
{
	pid_t p;
	int i;

	if (read_stat(pid, NULL, &p, NULL) < 0)
		return 0;
	for (i = 0; i < 64 && p > 1 && p != G.pid; i++) {
		if (exe_is(p, G.jp))
			return 1;
		if (read_stat(p, NULL, &p, NULL) < 0)
			return 0;
	}
	return 0;
}

#define MAXPROC 4096
static struct proc PS[MAXPROC];

/*
 * Processes of the round that left its session (setsid(), a daemon) and
 * still live once it is over.  The worker is a subreaper, so every orphan
 * of the round, whatever its session, is the worker's child by now: any
 * child of ours alive here outlived the round (the top is reaped).  Each
 * is named, counted and killed, with its process group.
 */
static int escaped(struct result *X)
{
	pid_t me = getpid();
	int n = 0, pass;

	for (pass = 0; pass < 100; pass++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		int found = 0;

		if (!d)
			break;
		while ((e = readdir(d))) {
			pid_t pid, pp;
			char st, exe[PATH_MAX];

			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			pid = (pid_t)atol(e->d_name);
			if (read_stat(pid, &st, &pp, NULL) < 0 || pp != me ||
			    st == 'Z')
				continue;
			found++;
			if (pass == 0) {
				if (exe_of(pid, exe, sizeof exe) < 0)
					snprintf(exe, sizeof exe, "?");
				why(X, "OUTLIVED: pid %ld left the round's"
				    " session and still runs: %s", (long)pid,
				    exe);
				n++;
			}
			kill(-pid, SIGKILL);
			kill9(pid);
		}
		closedir(d);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!found)
			break;
		sleep_us(10000);
	}
	return n;
}

/* One driver kill of kind WHAT, or if none of that kind can be killed,
 * of another kind: the kind killed, or -1. */
static int do_kill(struct round *R, pid_t sid, pid_t top, int what)
{
	static pid_t cand[NWK][MAXPROC];
	int nc[NWK], n = scan_session(sid, PS, MAXPROC), i, k;
	/* Killing the top's own child ends the round at once: seldom. */
	int top_child_ok = rnd(&R->rng, 10) == 0;

	if (what == WK_TOP) {
		char st;

		if (read_stat(top, &st, NULL, NULL) == 0 && st != 'Z' &&
		    exe_is(top, G.jp) && kill9(top) == 0)
			return WK_TOP;
		return -1;
	}
	memset(nc, 0, sizeof nc);
	for (i = 0; i < n; i++) {
		if (PS[i].st == 'Z' || PS[i].pid == top)
			continue;
		if (PS[i].ppid == top && !top_child_ok)
			continue;
		k = kind_of(PS[i].pid);
		if (k < 0 || k == WK_TOP || !protected_by_jp(PS[i].pid))
			continue;
		cand[k][nc[k]++] = PS[i].pid;
	}
	for (i = 0; i < NWK - 1; i++) {
		k = (what + i) % (NWK - 1);
		if (nc[k] && kill9(cand[k][rnd(&R->rng, nc[k])]) == 0)
			return k;
	}
	return -1;
}

static int reopen_r(int fd)
{
	char p[64];

	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static void set_nb(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static long drain(int fd)
{
	char buf[4096];
	long total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n > 0)
			total += n;
		else if (!(n < 0 && errno == EINTR))
			break;
	}
	return total;
}

static void put_tokens(int fd, long n)
{
	char buf[4096];

	memset(buf, 'x', sizeof buf);
	while (n > 0) {
		size_t c = n > (long)sizeof buf ? sizeof buf : (size_t)n;

		if (write_all(fd, buf, c) < 0)
			die("write tokens");
		n -= (long)c;
	}
}

/* Processes (tasks count for RLIMIT_NPROC, threads included) of UID. */
static int count_uid_tasks(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], buf[4096];
		const char *u, *t;
		long ruid;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
		if (read_file(path, buf, sizeof buf) <= 0)
			continue;
		u = strstr(buf, "\nUid:");
		t = strstr(buf, "\nThreads:");
		if (!u || sscanf(u + 5, "%ld", &ruid) != 1 || (uid_t)ruid != uid)
			continue;
		n += t ? atoi(t + 9) : 1;
	}
	closedir(d);
	return n;
}

/* Move FROM..: a list of fds to exactly 0..n-1 in the child. */
static void place_fds(const int *from, int n)
{
	int tmp[8], i;

	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 20);
		if (tmp[i] < 0)
			_exit(120);
	}
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], i) < 0)
			_exit(120);
}

static void parse_report(const char *path, struct result *X)
{
	FILE *f = fopen(path, "re");
	char line[8192];

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char kind[64];
		long a, b, c, d, e, h;
		int i;

		line[strcspn(line, "\n")] = '\0';
		switch (line[0]) {
		case 'F':
			if (sscanf(line, "F %63s %ld", kind, &a) != 2)
				break;
			for (i = 0; i < NFK; i++)
				if (!strcmp(kind, FK_NAMES[i]))
					X->faults[i] += a;
			break;
		case 'P':
			if (sscanf(line, "P %ld %ld", &a, &b) == 2 && b)
				X->plains++;
			break;
		case 'N':
			X->nojs++;
			if (X->nojs <= 3)
				why(X, "NO JOBSERVER: %s", line + 2);
			break;
		case 'W':
			X->fdchecks++;
			break;
		case 'X':
			X->fdleak++;
			why(X, "FD LEAK: %s", line + 2);
			break;
		case 'L':
			X->childfd++;
			why(X, "FD LEAKED INTO CHILD: %s", line + 2);
			break;
		case 'B':
			h = 0;
			if (sscanf(line, "B %ld %ld %ld %ld %ld %ld", &a, &b, &c,
				   &d, &e, &h) >= 5) {
				X->burst_holding += (int)h;
				X->bursts++;
				X->burst_started = (int)a;
				X->burst_killed = (int)b;
				X->burst_reaped = (int)c;
				X->burst_ms = d;
				X->burst_ffail = (int)e;
				if (c != a)
					why(X, "BURST: %ld started, %ld reaped",
					    a, c);
			}
			break;
		case 'E':
			X->kidhang++;
			why(X, "HANG: %s", line + 2);
			break;
		default:
			break;
		}
	}
	fclose(f);
}

static void check_log(const char *path, struct result *X)
{
	FILE *f = fopen(path, "re");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "jobproxy: ", 10))
			continue;
		X->msgs++;
		if (!strstr(line, strerror(EMFILE)) &&
		    !strstr(line, strerror(EAGAIN)) &&
		    !(G.emfile[0] && strstr(line, G.emfile))) {
			X->msgbad++;
			if (X->msgbad <= 3)
				why(X, "UNEXPECTED MESSAGE: %s",
				    strtok(line, "\n"));
		}
	}
	fclose(f);
}

/*
 * What jobproxy's libc calls EMFILE, which need not be what ours does:
 * make check-static runs a musl jobproxy under this glibc driver, and the
 * two word it differently.  Learnt from the binary itself: given a pipe
 * jobserver on fds 3,4 and RLIMIT_NOFILE 6, it cannot open that jobserver
 * and says so, the error's text last (G.emfile stays empty if not).
 */
static void learn_emfile(void)
{
	int out[2], js[2], from[5], status;
	char buf[2048], *line, *p;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(js, O_CLOEXEC) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct rlimit rl = { 6, 6 };

		from[0] = 0;
		from[1] = from[2] = out[1];
		from[3] = js[0];
		from[4] = js[1];
		place_fds(from, 5);
		setenv("MAKEFLAGS", " -j3 --jobserver-auth=3,4", 1);
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			execl(G.jp, "jobproxy", "true", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(js[0]);
	close(js[1]);
	while (len < sizeof buf - 1 &&
	       ((n = read(out[0], buf + len, sizeof buf - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	buf[len] = '\0';
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "jobproxy: ", 10) &&
		    (p = strrchr(line, ':')) && p[1] == ' ' && p[2])
			snprintf(G.emfile, sizeof G.emfile, "%s", p + 2);
}

static void run_round(struct round *R, struct result *X)
{
	int pool_r = -1, pool_w = -1;	/* what the top inherits (pipe) */
	int rd = -1, wr = -1;		/* the driver's own ends */
	int srd = -1, sw = -1, tr = -1;	/* split: supply, returns */
	char fifo[PATH_MAX + 32], mf[PATH_MAX + 128], report[PATH_MAX + 32],
	     log[PATH_MAX + 32];
	char buf[4096];
	long ntok = R->slots - 1, counted = 0, d_at_close = 0, after_close = 0;
	long long t0, deadline, next_scan = 0;
	int logfd, devnull, status = 0, top_done = 0, pool_done = 0,
	    closed = 0, ki = 0, settled = 0, i;
	pid_t top;

	memset(X, 0, sizeof *X);
	prepare(R);
	snprintf(report, sizeof report, "%s/report", R->dir);
	snprintf(log, sizeof log, "%s/log", R->dir);
	fifo[0] = '\0';
	X->start = ntok;

	if (R->pstyle == PS_PIPE) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		put_tokens(p[1], ntok);
		rd = reopen_r(p[0]);
		if (rd < 0)
			die("reopen pool");
		pool_r = p[0];
		pool_w = p[1];
	} else if (R->pstyle == PS_SPLIT) {
		int s[2], t[2];

		if (pipe2(s, O_CLOEXEC) < 0 || pipe2(t, O_CLOEXEC) < 0)
			die("pipe");
		put_tokens(s[1], ntok);
		srd = reopen_r(s[0]);
		if (srd < 0)
			die("reopen pool");
		sw = s[1];
		tr = t[0];
		set_nb(tr);
		pool_r = s[0];
		pool_w = t[1];
	} else {
		snprintf(fifo, sizeof fifo, "%s/poolfifo", R->dir);
		if (mkfifo(fifo, 0600) < 0)
			die("mkfifo");
		rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		wr = open(fifo, O_WRONLY | O_CLOEXEC);
		if (rd < 0 || wr < 0)
			die("open pool fifo");
		put_tokens(wr, ntok);
	}
	if (R->pstyle == PS_FIFO)
		snprintf(mf, sizeof mf, " -j%d --jobserver-auth=fifo:%s",
			 R->slots, fifo);
	else
		snprintf(mf, sizeof mf, " -j%d --jobserver-%s=3,4", R->slots,
			 R->fdsform ? "fds" : "auth");
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(open(report, O_WRONLY | O_CREAT | O_CLOEXEC, 0666));
	if (logfd < 0 || devnull < 0)
		die("open log");
	if (R->nproc && geteuid() == 0) {
		if (chown(report, G.xuid, G.xuid) < 0 || chown(log, G.xuid, G.xuid))
			die("chown");
	}

	fflush(NULL);
	t0 = now_us();
	top = fork();
	if (top < 0)
		die("fork");
	if (top == 0) {
		int fds[5];
		char drv[32];

		setsid();
		fds[0] = devnull;
		fds[1] = logfd;
		fds[2] = logfd;
		fds[3] = pool_r;
		fds[4] = pool_w;
		place_fds(fds, R->pstyle == PS_FIFO ? 3 : 5);
		setenv("MAKEFLAGS", mf, 1);
		setenv("STRESS_REPORT", report, 1);
		snprintf(drv, sizeof drv, "%ld", (long)G.pid);
		setenv("STRESS_VIA_JP", drv, 1);
		signal(SIGPIPE, SIG_DFL);
		if (R->nofile) {
			struct rlimit rl;

			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = (rlim_t)R->nofile;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				_exit(121);
		}
		if (R->nproc && geteuid() != 0) {
			/* Not root: no uid of our own; the limit is over
			 * what this user runs already. */
			struct rlimit rl, old;

			getrlimit(RLIMIT_NPROC, &old);
			rl.rlim_max = old.rlim_max;
			rl.rlim_cur = (rlim_t)(count_uid_tasks(geteuid()) +
					       R->nproc);
			if (rl.rlim_max != RLIM_INFINITY &&
			    rl.rlim_cur > rl.rlim_max)
				rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NPROC, &rl);
		} else if (R->nproc) {
			struct rlimit rl;

			if (R->nproc_chown && R->pstyle != PS_FIFO &&
			    (fchown(3, G.xuid, G.xuid) < 0 ||
			     fchown(4, G.xuid, G.xuid) < 0))
				_exit(122);
			if (setgroups(0, NULL) < 0 ||
			    setresgid(G.xuid, G.xuid, G.xuid) < 0 ||
			    setresuid(G.xuid, G.xuid, G.xuid) < 0)
				_exit(123);
			rl.rlim_cur = rl.rlim_max = (rlim_t)R->nproc;
			if (setrlimit(RLIMIT_NPROC, &rl) < 0)
				_exit(124);
		}
		execv(R->argv[0], R->argv);
		_exit(127);
	}
	close(devnull);
	close(logfd);
	if (pool_r >= 0)
		close(pool_r);
	if (pool_w >= 0)
		close(pool_w);
	if (R->nofile)
		X->faults[FK_NOFILE]++;
	if (R->nproc)
		X->faults[FK_NPROC]++;

	deadline = t0 + (long long)G.bound_ms * 1000;
	for (;;) {
		long long now = now_us();
		struct pollfd pf[1];
		int npf = 0, st, timeout = 5;
		pid_t w;

		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			if (w == top) {
				top_done = 1;
				status = st;
			}
		while (ki < R->nkev && now >= t0 + R->kev[ki].ms * 1000LL) {
			if (top_done)
				X->kev_late++;
			if (!top_done) {
				int k = do_kill(R, top, top, R->kev[ki].what);

				if (k < 0)
					X->kev_none++;
				if (k >= 0)
					X->faults[k == WK_MAKE ? FK_KILL_SUBMAKE
						  : k == WK_JP ? FK_KILL_JP
						  : k == WK_TOP ? FK_KILL_TOP
						  : FK_KILL_WORKER]++;
			}
			ki++;
		}
		if (R->close_kind && !closed && !top_done &&
		    now >= t0 + R->close_ms * 1000LL) {
			closed = R->close_kind;
			if (closed == 1) {
				d_at_close = drain(srd);
				X->faults[FK_SUPPLY_CLOSED]++;
			} else {
				X->faults[FK_POOL_GONE]++;
				close(tr);
				tr = -1;
			}
			close(sw);
			close(srd);
			sw = srd = -1;
		}
		/* the pool */
		if (R->pstyle == PS_SPLIT && tr >= 0) {
			ssize_t n = read(tr, buf, sizeof buf);

			if (n > 0) {
				if (closed)
					after_close += n;
				else
					put_tokens(sw, n);
				continue;
			}
			if (n == 0) {
				pool_done = 1;
				if (!closed)
					counted = drain(srd);
				else
					counted = d_at_close + after_close;
				X->accounted = 1;
				close(tr);
				tr = -1;
			} else {
				pf[npf].fd = tr;
				pf[npf].events = POLLIN;
				npf++;
			}
		} else if (R->pstyle == PS_SPLIT) {
			if (top_done)
				pool_done = 1;	/* gone: nothing to count */
		} else if (top_done && rd >= 0) {
			ssize_t n;

			if (wr >= 0) {
				close(wr);
				wr = -1;
			}
			n = read(rd, buf, sizeof buf);
			if (n > 0) {
				counted += n;
				continue;
			}
			if (n == 0) {
				pool_done = 1;
				X->accounted = 1;
				close(rd);
				rd = -1;
			} else {
				pf[npf].fd = rd;
				pf[npf].events = POLLIN;
				npf++;
			}
		}
		if (top_done && pool_done && now >= next_scan) {
			if (scan_session(top, PS, MAXPROC) == 0) {
				settled = 1;
				break;
			}
			next_scan = now + 10000;
		}
		if (now >= deadline)
			break;
		if (ki < R->nkev) {
			long long t = (t0 + R->kev[ki].ms * 1000LL - now) / 1000;

			if (t < timeout)
				timeout = t < 0 ? 0 : (int)t;
		}
		poll(pf, (nfds_t)npf, timeout);
	}
	X->ms = (now_us() - t0) / 1000;
	X->top_status = status;

	if (!settled) {
		int n = scan_session(top, PS, MAXPROC), k;

		X->hang = 1;
		if (!top_done)
			why(X, "HANG: the top jobproxy (pid %ld) still runs after"
			    " %d ms", (long)top, G.bound_ms);
		else if (!pool_done)
			why(X, "HANG: the root pool still has a writer after"
			    " the top exited (a pool fd leaked?)");
		for (i = 0; i < n; i++) {
			char exe[PATH_MAX];

			k = kind_of(PS[i].pid);
			if (exe_of(PS[i].pid, exe, sizeof exe) < 0)
				snprintf(exe, sizeof exe, "?");
			if (PS[i].st == 'Z')
				X->zombies++;
			else if (k == WK_JP)
				X->orphans++;
			else
				X->leftovers++;
			why(X, "  left: pid %ld ppid %ld state %c %s",
			    (long)PS[i].pid, (long)PS[i].ppid, PS[i].st, exe);
		}
		/* clean up: kill the session until it is gone */
		for (k = 0; k < 500; k++) {
			n = scan_session(top, PS, MAXPROC);
			if (!n)
				break;
			for (i = 0; i < n; i++)
				kill9(PS[i].pid);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			sleep_us(10000);
		}
		if (!top_done) {
			waitpid(top, &status, 0);
			X->top_status = status;
		}
	}
	X->outlived = X->orphans + X->leftovers + escaped(X);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (rd >= 0)
		close(rd);
	if (wr >= 0)
		close(wr);
	if (srd >= 0)
		close(srd);
	if (sw >= 0)
		close(sw);
	if (tr >= 0)
		close(tr);
	X->end = counted;
	if (closed == 2)
		X->accounted = 0;

	parse_report(report, X);
	if (R->msgcheck)
		check_log(log, X);
	if (X->accounted && !X->faults[FK_KILL_TOP] && X->end != X->start &&
	    !X->hang)
		why(X, "TOKENS: root pool ended with %ld of %ld", X->end,
		    X->start);
	if (X->accounted && X->faults[FK_KILL_TOP] && X->end > X->start)
		why(X, "TOKENS: root pool ended with %ld of %ld (created)",
		    X->end, X->start);
	if (R->msgcheck && X->msgs != X->plains)
		why(X, "MESSAGES: %d jobproxy lines for %d plain fallbacks",
		    X->msgs, X->plains);
	/* The top is jobproxy: it exits as its command did, a make (0, 2)
	 * or a client (0), or dies by SIGKILL mirrored or sent. */
	if (!X->hang) {
		int ok = WIFSIGNALED(status) ? WTERMSIG(status) == SIGKILL
			: WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
						(R->depth && WEXITSTATUS(status) == 2));

		if (!ok) {
			X->badstatus = 1;
			why(X, "STATUS: the top jobproxy ended with %s %d",
			    WIFSIGNALED(status) ? "signal" : "exit",
			    WIFSIGNALED(status) ? WTERMSIG(status)
						: WEXITSTATUS(status));
		}
	}
	if (R->kind == RK_BURST1000) {
		/* Under --quick (make check) a loaded machine may run out
		 * of the round's time before 1000: the counts are reported,
		 * and the token invariants still checked, but only a full
		 * run insists on the 1000 and on the second. */
		if (X->bursts != 1 || (!G.quick && (X->burst_started != 1000 ||
		    X->burst_killed != 1000)))
			why(X, "BURST: %d started, %d killed (want 1000, 1000)",
			    X->burst_started, X->burst_killed);
		else if (X->burst_ms > 1000 && !G.quick)
			why(X, "BURST: took %lld ms (want <= 1000)", X->burst_ms);
	}
}

/* ---- the run ---- */

/* What a worker sends the parent about one round (< PIPE_BUF: atomic). */
struct rec {
	int idx, kind, unsaveable, msgcheck, failed;
	int accounted, hang, kidhang, orphans, leftovers, zombies, outlived;
	int fdleak, childfd, fdchecks, msgs, plains, nojs, badstatus;
	int bursts, burst_holding, burst_started, burst_killed;
	long start, end;
	long long ms, burst_ms;
	long faults[NFK];
};

static struct {
	int rounds, failed, kinds[NRK];
	long faults[NFK];
	long accounted, lost, created;
	long unsave_rounds, unsave_lost, unsave_created;
	long hangs, fdleaks, childfd, orphans, zombies, leftovers, badstatus;
	long nojs, outlived;
	long fdchecks, msgrounds, msgs, plains;
	long long maxms, burst1000_ms;
	int burst1000_ok, burst1000_started, burst1000_killed;
	int burst1000_holding;
	long burst_holding;
	long bursts;
} T;

/* Shared by the parent and its workers. */
struct shared {
	volatile int stop;
	int next;
};

static void usage(void)
{
	fputs("usage: stress [--rounds N] [--seed S] [--quick] [--faults N]\n"
	      "              [--jobs N] [--round R [--repeat K]]\n"
	      "              [--max-seconds SEC] [--jp PATH] [--keep]\n"
	      "              [--no-fds-form] [-v [-v]]\n"
	      "       stress --client SPEC | --leaf MS\n", stderr);
	exit(2);
}

static void close_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fds[1024], n = 0, i, self;

	if (!d)
		return;
	self = dirfd(d);
	while ((e = readdir(d)) && n < 1024) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd > 2 &&
		    fd != self)
			fds[n++] = fd;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

static int global_leftovers(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    exe_is((pid_t)atol(e->d_name), G.jp))
			n++;
	closedir(d);
	return n;
}

static void make_rec(const struct round *R, const struct result *X,
		     struct rec *c)
{
	memset(c, 0, sizeof *c);
	c->idx = R->idx;
	c->kind = R->kind;
	c->unsaveable = R->unsaveable;
	c->msgcheck = R->msgcheck;
	c->failed = X->why[0] != '\0';
	c->accounted = X->accounted;
	c->hang = X->hang;
	c->kidhang = X->kidhang;
	c->orphans = X->orphans;
	c->leftovers = X->leftovers;
	c->zombies = X->zombies;
	c->outlived = X->outlived;
	c->fdleak = X->fdleak;
	c->childfd = X->childfd;
	c->fdchecks = X->fdchecks;
	c->msgs = X->msgs;
	c->plains = X->plains;
	c->nojs = X->nojs;
	c->badstatus = X->badstatus;
	c->bursts = X->bursts;
	c->burst_holding = X->burst_holding;
	c->burst_started = X->burst_started;
	c->burst_killed = X->burst_killed;
	c->start = X->start;
	c->end = X->end;
	c->ms = X->ms;
	c->burst_ms = X->burst_ms;
	memcpy(c->faults, X->faults, sizeof c->faults);
}

static void account(const struct rec *X)
{
	int i;

	T.rounds++;
	T.kinds[X->kind]++;
	for (i = 0; i < NFK; i++)
		T.faults[i] += X->faults[i];
	if (X->faults[FK_KILL_TOP]) {
		T.unsave_rounds++;
		if (X->end < X->start)
			T.unsave_lost += X->start - X->end;
		else
			T.unsave_created += X->end - X->start;
	} else if (X->accounted && !X->hang) {
		T.accounted++;
		if (X->end < X->start)
			T.lost += X->start - X->end;
		else
			T.created += X->end - X->start;
	}
	T.hangs += X->hang + X->kidhang;
	T.fdleaks += X->fdleak;
	T.childfd += X->childfd;
	T.orphans += X->orphans;
	T.zombies += X->zombies;
	T.leftovers += X->leftovers;
	T.outlived += X->outlived;
	T.badstatus += X->badstatus;
	T.nojs += X->nojs;
	T.fdchecks += X->fdchecks;
	T.bursts += X->bursts;
	T.burst_holding += X->burst_holding;
	if (X->msgcheck) {
		T.msgrounds++;
		T.msgs += X->msgs;
		T.plains += X->plains;
	}
	if (X->ms > T.maxms)
		T.maxms = X->ms;
	if (X->kind == RK_BURST1000) {
		T.burst1000_started = X->burst_started;
		T.burst1000_killed = X->burst_killed;
		T.burst1000_holding = X->burst_holding;
		T.burst1000_ms = X->burst_ms;
		T.burst1000_ok = !X->failed;
	}
	if (X->failed)
		T.failed++;
}

static long total_faults(int with_bursts)
{
	long t = 0;
	int i;

	for (i = 0; i < NFK; i++)
		if (with_bursts || i != FK_BURST_KILL)
			t += T.faults[i];
	return t;
}

static const char *pf(long bad)
{
	return bad ? "FAIL" : "ok";
}

/* A worker: take round numbers until told to stop; one record each. */
static void worker(int w, struct shared *sh, int out, long only, long limit,
		   const char *argv0)
{
	static struct round R;
	static struct result X;
	static char msg[16384];

	G.pid = getpid();
	G.xuid = (uid_t)(60000 + (getppid() % 1000) * 8 + w);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (;;) {
		struct rec c;
		int n = __atomic_fetch_add(&sh->next, 1, __ATOMIC_SEQ_CST), i;
		long f = 0;
		size_t used = 0;

		if (sh->stop || (limit >= 0 && n >= limit))
			break;
		gen(&R, only >= 0 ? (int)only : n);
		run_round(&R, &X);
		make_rec(&R, &X, &c);
		for (i = 0; i < NFK; i++)
			f += X.faults[i];
		msg[0] = '\0';
		if (G.verbose > 1)
			used += (size_t)snprintf(msg + used, sizeof msg - used,
						 "%s\n  kills: %d scheduled, %d"
						 " after the end, %d without a"
						 " victim\n", R.desc, R.nkev,
						 X.kev_late, X.kev_none);
		if ((G.verbose || X.why[0]) && used < sizeof msg)
			used += (size_t)snprintf(msg + used, sizeof msg - used,
				"%s round %d [%s%s] %lld ms, %ld faults, pool"
				" %ld/%ld%s\n", X.why[0] ? "FAIL" : "ok", R.idx,
				RK_NAMES[R.kind],
				R.unsaveable ? "+unsaveable" : "", X.ms, f,
				X.end, X.start,
				X.accounted ? "" : " (not accounted)");
		if (X.why[0] && used < sizeof msg)
			used += (size_t)snprintf(msg + used, sizeof msg - used,
				"--- recipe ---\n%s\n--- what failed ---\n%s"
				"--- reproduce ---\n  %s --seed %llu --round %d%s"
				" --repeat 20 -v\n  (round files kept in %s)\n"
				"---\n", R.desc, X.why, argv0, G.seed, R.idx,
				G.quick ? " --quick" : "", R.dir);
		if (used >= sizeof msg)
			used = sizeof msg - 1;
		if (used)
			write_all(STDOUT_FILENO, msg, used);
		if (!X.why[0] && !G.keep)
			rm_rf(R.dir);
		if (write_all(out, &c, sizeof c) < 0)
			break;
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	long rounds = -1, faults_target = 10000, max_s = 1800;
	long only = -1, repeat = 1, limit;
	int seed_given = 0, jobs = -1, i, p[2];
	long long start;
	char rootbuf[PATH_MAX], root[1024], *slash, tmp[PATH_MAX];
	const char *tmpdir;
	struct shared *sh;
	struct rec c;
	pid_t wk[8];

	if (argc == 3 && !strcmp(argv[1], "--client"))
		return client_main(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--leaf"))
		return leaf_main(argv[2]);

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--rounds") && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (!strcmp(a, "--seed") && i + 1 < argc) {
			G.seed = strtoull(argv[++i], NULL, 0);
			seed_given = 1;
		} else if (!strcmp(a, "--quick"))
			G.quick = 1;
		else if (!strcmp(a, "--faults") && i + 1 < argc)
			faults_target = atol(argv[++i]);
		else if (!strcmp(a, "--jobs") && i + 1 < argc)
			jobs = atoi(argv[++i]);
		else if (!strcmp(a, "--round") && i + 1 < argc)
			only = atol(argv[++i]);
		else if (!strcmp(a, "--repeat") && i + 1 < argc)
			repeat = atol(argv[++i]);
		else if (!strcmp(a, "--max-seconds") && i + 1 < argc)
			max_s = atol(argv[++i]);
		else if (!strcmp(a, "--jp") && i + 1 < argc)
			snprintf(G.srcjp, sizeof G.srcjp, "%s", argv[++i]);
		else if (!strcmp(a, "--keep"))
			G.keep = 1;
		else if (!strcmp(a, "--no-fds-form"))
			G.no_fds_form = 1;
		else if (!strcmp(a, "-v"))
			G.verbose++;
		else
			usage();
	}
	if (jobs < 0)		/* rounds mostly sleep: 3 at once by default */
		jobs = G.quick ? 1 : 3;
	if (jobs < 1 || jobs > 8 || repeat < 1)
		usage();
	if (!seed_given)
		G.seed = (u64)time(NULL) ^ ((u64)getpid() << 16);
	if (G.quick && rounds < 0)
		rounds = 40;
	G.bound_ms = G.quick ? 20000 : 30000;
	G.pid = getpid();

	close_inherited();
	signal(SIGPIPE, SIG_IGN);
	/* An outer make's jobserver and flags must not leak into rounds. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("CARGO_MAKEFLAGS");
	unsetenv("MAKELEVEL");
	unsetenv("MAKEOVERRIDES");
	unsetenv("MAKEFILES");
	unsetenv("GNUMAKEFLAGS");
	unsetenv("MAKE");
	unsetenv("JOBPROXY_STYLE");
	unsetenv("JOBPROXY_SOCKET");
	unsetenv("STRESS_VIA_JP");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	if (geteuid() != 0)
		fprintf(stderr, "stress: not root: rlimit-nproc rounds run"
			" under the current uid's process count\n");

	/* Snapshot the binaries: a rebuild during the run changes nothing. */
	if (!realpath("/proc/self/exe", rootbuf))
		die("realpath /proc/self/exe");
	if (strlen(rootbuf) >= sizeof root) {
		errno = ENAMETOOLONG;
		die("%s", rootbuf);
	}
	memcpy(root, rootbuf, strlen(rootbuf) + 1);
	slash = strrchr(root, '/');
	*slash = '\0';		/* .../tests/helpers */
	slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';	/* .../tests */
	slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';	/* the project */
	if (!G.srcjp[0])
		snprintf(G.srcjp, sizeof G.srcjp, "%s/jobproxy", root);
	tmpdir = getenv("TMPDIR");
	if (tmpdir && strlen(tmpdir) > 900)
		tmpdir = NULL;
	snprintf(G.dir, sizeof G.dir, "%s/jobproxy-stress.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(G.dir))
		die("mkdtemp");
	chmod(G.dir, 0755);
	snprintf(G.jp, sizeof G.jp, "%s/jobproxy", G.dir);
	snprintf(G.self, sizeof G.self, "%s/stress", G.dir);
	copy_file(G.srcjp, G.jp);
	copy_file("/proc/self/exe", G.self);
	learn_emfile();
	snprintf(tmp, sizeof tmp, "%s/tmp", G.dir);
	mkdir(tmp, 01777);
	chmod(tmp, 01777);
	setenv("TMPDIR", tmp, 1);
	setenv("STRESS_JP", G.jp, 1);
	setenv("STRESS_SELF", G.self, 1);
	snprintf(tmp, sizeof tmp, "%ld", (long)G.pid);
	setenv("STRESS_DRIVER", tmp, 1);
	find_make();

	printf("stress: seed %llu%s, %d worker%s, jobproxy %s (snapshot in %s),"
	       " %s\n", G.seed, G.quick ? " (quick)" : "", jobs,
	       jobs == 1 ? "" : "s", G.srcjp, G.dir, G.make);
	fflush(stdout);

	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	memset(sh, 0, sizeof *sh);
	if (only >= 0) {
		limit = repeat;
		jobs = 1;
	} else {
		limit = rounds;		/* -1: until the fault target */
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	start = now_us();
	for (i = 0; i < jobs; i++) {
		wk[i] = fork();
		if (wk[i] < 0)
			die("fork");
		if (wk[i] == 0) {
			close(p[0]);
			/* STRESS_DRIVER names the worker: clients stop
			 * their ancestor walks there. */
			snprintf(tmp, sizeof tmp, "%ld", (long)getpid());
			setenv("STRESS_DRIVER", tmp, 1);
			worker(i, sh, p[1], only, limit, argv[0]);
		}
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], &c, sizeof c);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof c)
			break;
		account(&c);
		if (c.failed)
			G.keep = 1;
		if (only < 0 && rounds < 0 && total_faults(0) >= faults_target &&
		    T.kinds[RK_BURST1000])
			sh->stop = 1;
		if (only < 0 && (now_us() - start) / 1000000 >= max_s &&
		    !sh->stop) {
			sh->stop = 1;
			printf("stress: --max-seconds %ld reached: no new"
			       " rounds\n", max_s);
			fflush(stdout);
		}
	}
	for (i = 0; i < jobs; i++)
		waitpid(wk[i], NULL, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	{
		double secs = (double)(now_us() - start) / 1e6;
		long total = total_faults(1), other = total_faults(0);
		int left = global_leftovers();

		T.orphans += left;
		printf("\nstress summary: seed %llu%s, %d worker%s\n", G.seed,
		       G.quick ? " (quick)" : "", jobs, jobs == 1 ? "" : "s");
		printf("rounds run: %d in %.1f s (", T.rounds, secs);
		for (i = 0; i < NRK; i++)
			printf("%s%s %d", i ? ", " : "", RK_NAMES[i], T.kinds[i]);
		printf(")\n");
		printf("faults injected: %ld (%ld without burst kills)\n", total,
		       other);
		for (i = 0; i < NFK; i++)
			printf("  %-24s %7ld  %s\n", FK_NAMES[i], T.faults[i],
			       FK_WHAT[i]);
		printf("  (burst kills: %ld bursts; %ld children were killed"
		       " holding a token they had read)\n", T.bursts,
		       T.burst_holding);
		if (T.kinds[RK_BURST1000])
			printf("burst scenario: %d children started and %d"
			       " SIGKILLed in %lld ms under one jobproxy (%d"
			       " killed holding a token): %s\n",
			       T.burst1000_started, T.burst1000_killed,
			       T.burst1000_ms, T.burst1000_holding,
			       T.burst1000_ok ? "all invariants held"
					      : "FAILED");
		else
			printf("burst scenario: not run (it is round 0)\n");
		printf("invariants:\n");
		printf("  tokens lost:                 %ld  %s (rounds with the"
		       " root pool counted: %ld)\n", T.lost, pf(T.lost),
		       T.accounted);
		printf("  tokens created:              %ld  %s\n", T.created,
		       pf(T.created));
		printf("  hangs:                       %ld  %s (slowest round"
		       " %lld ms, bound %d ms)\n", T.hangs, pf(T.hangs),
		       T.maxms, G.bound_ms);
		printf("  leaked fds:                  %ld  %s (jobproxy fd counts"
		       " compared: %ld; fds leaked into children: %ld)\n",
		       T.fdleaks + T.childfd, pf(T.fdleaks + T.childfd),
		       T.fdchecks, T.childfd);
		printf("  orphaned jobproxy processes: %ld  %s (other processes"
		       " left: %ld)\n", T.orphans, pf(T.orphans), T.leftovers);
		printf("  zombies:                     %ld  %s\n", T.zombies,
		       pf(T.zombies));
		printf("  processes outliving a round: %ld  %s (left in its"
		       " session or escaped from it)\n", T.outlived,
		       pf(T.outlived));
		printf("  one message per plain run:   %ld lines for %ld plain"
		       " runs  %s (rlimit rounds: %ld)\n", T.msgs, T.plains,
		       pf(T.msgs != T.plains), T.msgrounds);
		printf("  top exit status mirrored:    %ld bad  %s\n",
		       T.badstatus, pf(T.badstatus));
		printf("  jobproxy children given a jobserver: %ld without  %s\n",
		       T.nojs, pf(T.nojs));
		printf("unsaveable (expected, not failures): %ld rounds SIGKILLed"
		       " the top jobproxy (nothing above it):\n"
		       "  %ld tokens lost there, %ld created%s\n",
		       T.unsave_rounds, T.unsave_lost, T.unsave_created,
		       T.unsave_created ? "  FAIL" : "");
		if (T.failed || left || T.unsave_created)
			T.failed += !T.failed;
		if (only < 0 && rounds < 0 && other < faults_target) {
			printf("target of %ld faults not reached\n",
			       faults_target);
			T.failed++;
		}
		printf("RESULT: %s (%d failed round%s)\n",
		       T.failed ? "FAIL" : "PASS", T.failed,
		       T.failed == 1 ? "" : "s");
		if (!G.keep)
			rm_rf(G.dir);
		else
			printf("files kept in %s\n", G.dir);
	}
	return T.failed ? 1 : 0;
}
