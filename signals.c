/*
 * signals: see signals.h.
 *
 * Design: jobproxy stays in its parent's process group, so whatever the
 * terminal sends (SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGHUP) reaches the
 * child directly.  Forwarding those again would deliver them twice, so a
 * handler records si_code and only signals another process sent with
 * kill(2) or sigqueue(3) (SI_USER, SI_QUEUE) are passed on.
 *
 * The wrapper catches every signal it can.  One left at its default would
 * kill jobproxy (SIGALRM, SIGXFSZ, a real-time signal...) while the child
 * runs on, orphaned, with its tokens, and the caller would get a status
 * for a command still running; only SIGKILL may do that.  What the kernel
 * itself sends is handled as its default action would, where that matters:
 *  - a fault of ours (SIGSEGV, SIGBUS... with a kernel si_code) still
 *    kills jobproxy, at once: returning from the handler would loop;
 *  - SIGTTIN and SIGTTOU from the terminal stop jobproxy, as their default
 *    would: the terminal sends them to the whole process group when one
 *    of it reads or writes in the background, and restarts the call, so a
 *    write of ours that only recorded one would be retried for ever;
 *  - SIGTSTP from the terminal (Ctrl-Z) is recorded, not passed on: the
 *    child got it too, and if it stops, relay.c stops jobproxy with it
 *    (if it ignores or handles it, as a shell or an editor may, nothing
 *    stops yet, as without us);
 *  - SIGPIPE and SIGXFSZ of our own writes are recorded and dropped: the
 *    write fails with EPIPE or EFBIG and the caller handles that.
 * A signal we inherited ignored is caught too, so that one sent to us
 * still reaches the child, which gets SIG_IGN back for it around the spawn
 * (sig_block) and so inherits it ignored, as it would without us.  Not
 * SIGTTIN and SIGTTOU: the terminal lets a background process that ignores
 * them read or write, and would signal one that catches them instead,
 * again at every retry of the call.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* syscall() */
#endif
#include "signals.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/*
 * The signals libc keeps for itself: sigaction() refuses 32..34 under musl
 * (its timer, cancel and synccall signals) and 32, 33 under glibc, with
 * EINVAL, but the kernel lets any process catch them and anyone may send
 * one to our pid (34 is glibc's SIGRTMIN, a Go child catches them all).
 * Left at its default, one would kill jobproxy while the child runs on
 * with the tokens.  So on Linux these are caught through the rt_sigaction
 * system call itself.  The kernel's struct sigaction differs between
 * architectures; we never build one: we read back the record of a signal
 * libc did let us catch (our handler, flags, mask and the libc's own
 * sa_restorer, without which x86-64 cannot return from a handler) and
 * write that same record for the refused one.  Only the handler's place
 * is assumed (the first word: not so on MIPS, where this is left out)
 * and the kernel's sigset size, 8 bytes.  libc needs these signals only
 * to cancel, time or change the ids of other threads: jobproxy has none.
 */
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__) || \
	defined(__aarch64__) || defined(__arm__) || defined(__riscv))
#include <sys/syscall.h>
#define RAW_SIGNALS 1
#define KSIGSET 8		/* the kernel's sigset_t: 64 signals */
#endif

/* A kernel struct sigaction, opaque: larger than any of them. */
struct ksig {
	unsigned long w[8];
};

/* The daemon's set: what it acts on, and what would kill it for nothing. */
static const int daemon_set[] = {
	SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
};
#define NDAEMON (sizeof daemon_set / sizeof daemon_set[0])

#define MAXSIG 128		/* above any signal number of any system */

/* The handler needs these, so they are file-level: nothing else is. */
static struct {
	int rd, wr;			/* the self-pipe */
	pid_t self;
	volatile sig_atomic_t child;	/* its signals are not sent back */
	volatile sig_atomic_t stopped;	/* we stopped ourselves: the next
					 * SIGCONT ends that, and is ours */
	volatile sig_atomic_t pending;	/* written since sig_get drained */
	int all;			/* the wrapper's set */
	struct sigaction old[MAXSIG];	/* as inherited, for the child */
	unsigned char changed[MAXSIG];	/* old[] is to be restored */
	struct sigaction ours;
	sigset_t initmask, spawnmask, handled;
	sigset_t ignored;		/* caught, but SIG_IGN for the child */
	/* The signals libc refuses (see RAW_SIGNALS): */
	unsigned char raw[MAXSIG];	/* RAW_CAUGHT, RAW_IGNORED or 0 */
	int rawready;			/* rawours is read */
	struct ksig rawours;		/* our handler, as the kernel has it */
	struct ksig rawold[MAXSIG];	/* as inherited */
} S;

enum { RAW_CAUGHT = 1, RAW_IGNORED };	/* ignored: SIG_IGN for the child */

static int last_signal(void)
{
#ifdef SIGRTMAX
	int n = SIGRTMAX;
#else
	int n = 31;
#endif
	return n < MAXSIG ? n : MAXSIG - 1;
}

/* Sent by a process (kill, sigqueue, tgkill), not by the kernel? */
static int sent(const siginfo_t *si)
{
	return si->si_code == SI_USER || si->si_code == SI_QUEUE
#ifdef SI_TKILL
	       || si->si_code == SI_TKILL
#endif
		;
}

static int is_fault(int signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL ||
	       signo == SIGFPE || signo == SIGTRAP || signo == SIGSYS;
}

static int is_tty_stop(int signo)
{
	return signo == SIGTTIN || signo == SIGTTOU;
}

/* rt_sigaction(2) itself: -1 where there is none. */
static int ksig(int signo, const struct ksig *act, struct ksig *old)
{
#ifdef RAW_SIGNALS
	return (int)syscall(SYS_rt_sigaction, signo, act, old, KSIGSET);
#else
	(void)signo, (void)act, (void)old;
	errno = ENOSYS;
	return -1;
#endif
}

/* Our record with HANDLER in the handler's place. */
static struct ksig with_handler(void (*handler)(int))
{
	struct ksig k = S.rawours;

	memcpy(&k.w[0], &handler, sizeof handler);
	return k;
}

/* Async-signal-safe (the handler and sig_stop_self call it). */
static void set_default(int signo)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	if (sigaction(signo, &sa, NULL) < 0 && S.raw[signo]) {
		struct ksig k = with_handler(SIG_DFL);

		ksig(signo, &k, NULL);
	}
}

/* Catch SIGNO, which libc refuses, through the system call: 1 if done.
 * Not in the daemon, which takes only the signals it acts on. */
static int raw_take(int signo)
{
	void (*h)(int);

	if (!S.all || !S.rawready || ksig(signo, NULL, &S.rawold[signo]) < 0)
		return 0;
	memcpy(&h, &S.rawold[signo].w[0], sizeof h);
	if (ksig(signo, &S.rawours, NULL) < 0)
		return 0;
	S.raw[signo] = h == SIG_IGN ? RAW_IGNORED : RAW_CAUGHT;
	return 1;
}

static void on_signal(int signo, siginfo_t *si, void *ctx)
{
	struct sig_event ev;
	int saved = errno, user = sent(si);

	(void)ctx;
	if (S.all && !user && is_fault(signo)) {
		/* A real fault: die of it.  The signal is blocked here, so
		 * it is delivered, at its default, as we return. */
		set_default(signo);
		raise(signo);
		return;
	}
	if (S.all && !user && is_tty_stop(signo)) {
		sig_stop_self(signo);	/* never caught if inherited ignored */
		errno = saved;
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.signo = signo;
	ev.forward = user && si->si_pid != S.self && si->si_pid != S.child;
	/* An alarm() survives exec: one set before jobproxy was meant for
	 * the command.  (guarded_read's own timer has its own handler.) */
	if (S.all && signo == SIGALRM && !user)
		ev.forward = 1;
	if (signo == SIGCONT) {
		if (S.stopped)
			ev.forward = 0;
		S.stopped = 0;
	}
	ev.queued = ev.forward && si->si_code == SI_QUEUE;
	if (ev.queued)
		ev.value = si->si_value;
	S.pending = 1;
	/* Full pipe: drop; SIGCHLD is re-checked on every wakeup anyway. */
	if (write(S.wr, &ev, sizeof ev) < 0) {
		/* nothing sane to do in a handler */
	}
	errno = saved;
}

/* Put our handler on SIGNO (saving the inherited action, in the same
 * call: one system call a signal, some 60 of them at every start): 1 if
 * done. */
static int take(int signo, const struct sigaction *sa)
{
	if (signo <= 0 || signo >= MAXSIG)
		return 0;
	if (sigaction(signo, sa, &S.old[signo]) < 0)
		return raw_take(signo);	/* or not a signal we may catch */
	S.changed[signo] = 1;
	sigaddset(&S.handled, signo);
	if (S.all && !S.rawready && ksig(signo, NULL, &S.rawours) == 0)
		S.rawready = 1;
	return 1;
}

/* Give SIGNO its inherited action back, as if never taken. */
static void untake(int signo)
{
	sigaction(signo, &S.old[signo], NULL);
	S.changed[signo] = 0;
	sigdelset(&S.handled, signo);
}

static int install(int all)
{
	struct sigaction sa;
	int p[2], i;

	if (pipe_cloexec(p) < 0)
		return -1;
	if (fd_nonblock(p[0]) < 0 || fd_nonblock(p[1]) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	S.rd = p[0];
	S.wr = p[1];
	S.self = getpid();
	S.all = all;
	sigprocmask(SIG_BLOCK, NULL, &S.initmask);
#ifdef RAW_SIGNALS
	/* libc leaves its own signals out of the mask it reports (and musl
	 * unblocks them at its first handler): the kernel's word is the one
	 * the child must inherit; sigset_t starts with it in either libc. */
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &S.initmask, KSIGSET);
#endif

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	S.ours = sa;
	sigemptyset(&S.handled);
	sigemptyset(&S.ignored);
	for (i = 1; all && i <= last_signal(); i++) {
		if (i == SIGKILL || i == SIGSTOP || i == SIGCHLD)
			continue;
		/* take() falls back to rt_sigaction for a signal libc keeps
		 * for itself; S.old then stays as memset, not SIG_IGN. */
		if (!take(i, &sa) || S.old[i].sa_handler != SIG_IGN)
			continue;
		if (i == SIGTTIN || i == SIGTTOU)
			untake(i);	/* ignored: a background job's */
		else
			sigaddset(&S.ignored, i);
	}
	for (i = 0; !all && i < (int)NDAEMON; i++) {
		struct sigaction now;

		/* Ignored when we started (e.g. SIGINT in a background
		 * job): stay ignored. */
		if (sigaction(daemon_set[i], NULL, &now) == 0 &&
		    now.sa_handler != SIG_IGN)
			take(daemon_set[i], &sa);
	}
	/* Always ours, even if inherited as SIG_IGN: we must reap.  The
	 * wrapper also hears of the child's stops (relay.c mirrors them). */
	if (!all)
		sa.sa_flags |= SA_NOCLDSTOP;
	take(SIGCHLD, &sa);
	if (!all) {
		/* The daemon: a vanished peer is an EPIPE to handle. */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_IGN;
		if (sigaction(SIGPIPE, NULL, &S.old[SIGPIPE]) == 0 &&
		    sigaction(SIGPIPE, &sa, NULL) == 0)
			S.changed[SIGPIPE] = 1;
	}
	return S.rd;
}

int sig_init(void)
{
	return install(0);
}

int sig_init_all(void)
{
	return install(1);
}

void sig_set_child(pid_t pid)
{
	S.child = (sig_atomic_t)pid;
}

int sig_get(struct sig_event *ev)
{
	ssize_t n;

	S.pending = 0;	/* before the read: one written after it sets it */
	do
		n = read(S.rd, ev, sizeof *ev);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *ev;
}

int sig_pending(void)
{
	return S.pending;
}

int sig_next(int *signo, int *forward)
{
	struct sig_event ev;

	if (!sig_get(&ev))
		return 0;
	*signo = ev.signo;
	*forward = ev.forward;
	return 1;
}

void sig_forward(pid_t pid, const struct sig_event *ev)
{
	if (pid <= 0)
		return;
	if (ev->queued)
		sigqueue(pid, ev->signo, ev->value);
	else
		kill(pid, ev->signo);
}

/* Async-signal-safe: the handler calls it for the terminal's stops. */
void sig_stop_self(int signo)
{
	struct sigaction old;
	sigset_t one, mask;

	if (signo == SIGSTOP || sigaction(signo, NULL, &old) < 0) {
		S.stopped = 1;
		raise(SIGSTOP);
		return;
	}
	set_default(signo);
	sigemptyset(&one);
	sigaddset(&one, signo);
	S.stopped = 1;
	sigprocmask(SIG_UNBLOCK, &one, &mask);
	raise(signo);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	sigaction(signo, &old, NULL);
}

/*
 * Setting SIG_IGN discards an instance of that signal already pending: one
 * sent to us in the microseconds between the block and this is lost.
 */
void sig_block(void)
{
	struct sigaction ign;
	int i;

	sigprocmask(SIG_BLOCK, &S.handled, &S.spawnmask);
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	for (i = 1; i < MAXSIG; i++)
		if (S.changed[i] && sigismember(&S.ignored, i))
			sigaction(i, &ign, NULL);
		else if (S.raw[i] == RAW_IGNORED)
			ksig(i, &S.rawold[i], NULL);
}

void sig_unblock(void)
{
	int i;

	for (i = 1; i < MAXSIG; i++)
		if (S.changed[i] && sigismember(&S.ignored, i))
			sigaction(i, &S.ours, NULL);
		else if (S.raw[i] == RAW_IGNORED)
			ksig(i, &S.rawours, NULL);
	sigprocmask(SIG_SETMASK, &S.spawnmask, NULL);
}

void sig_spawn_sets(sigset_t *def, sigset_t *mask)
{
	int i;

	/* The signals that carry our handler while the child is spawned.
	 * Its exec would reset them anyway; named here, glibc's spawn child
	 * resets each in one call where it otherwise asks first (two calls
	 * a signal, some 120 at every start).  Not those sig_block() gives
	 * SIG_IGN for the child, nor those libc refuses (RAW_SIGNALS). */
	sigemptyset(def);
	for (i = 1; i < MAXSIG; i++)
		if (S.changed[i] && !sigismember(&S.ignored, i))
			sigaddset(def, i);
	*mask = S.initmask;	/* as inherited: never changed */
}

void sig_child_reset(void)
{
	int i;

	for (i = 1; i < MAXSIG; i++)
		if (S.changed[i])
			sigaction(i, &S.old[i], NULL);
		else if (S.raw[i])
			ksig(i, &S.rawold[i], NULL);
	sigprocmask(SIG_SETMASK, &S.initmask, NULL);
}

void sig_die(int signo)
{
	struct rlimit nocore = { 0, 0 };
	sigset_t one;

	/* The child dumped core already if it was going to; a second core
	 * from us would only mislead. */
	setrlimit(RLIMIT_CORE, &nocore);
	set_default(signo);
	sigemptyset(&one);
	sigaddset(&one, signo);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(signo);
	/* A signal whose default is not to terminate (it can only get here
	 * if the child's death by it was faked): the shell's convention. */
	_exit(128 + signo);
}
