/*
 * signals: see signals.h.
 *
 * Design: jobproxy stays in its parent's process group, so whatever the
 * terminal sends (SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGHUP) reaches the
 * child directly.  Forwarding those again would deliver them twice, so a
 * handler records si_code and only signals sent by kill(2) to our pid
 * (SI_USER, SI_QUEUE) are passed on.  Job-control stops are left at their
 * default: Ctrl-Z stops both processes and `fg` (SIGCONT to the group)
 * resumes both.  SIGPIPE is ignored here so a vanished parent jobserver is
 * an EPIPE to handle, not our death; the child gets its own disposition
 * back before exec, as we inherited it, SIG_IGN included.
 */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Signals the child gets when they are sent to jobproxy alone. */
static const int forwarded[] = {
	SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
};
#define NFWD (sizeof forwarded / sizeof forwarded[0])

/* The handler needs these, so they are file-level: nothing else is. */
static struct {
	int rd, wr;			/* the self-pipe */
	struct sigaction old[NFWD];	/* as inherited, restored in the child */
	struct sigaction oldchld, oldpipe;
	sigset_t oldmask, handled;
} S;

static void on_signal(int signo, siginfo_t *si, void *ctx)
{
	unsigned char rec[2];
	int saved = errno;

	(void)ctx;
	rec[0] = (unsigned char)signo;
	rec[1] = si && (si->si_code == SI_USER || si->si_code == SI_QUEUE);
	/* Full pipe: drop; SIGCHLD is re-checked on every wakeup anyway. */
	if (write(S.wr, rec, 2) < 0) {
		/* nothing sane to do in a handler */
	}
	errno = saved;
}

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	       fcntl(fd, F_SETFD, FD_CLOEXEC) < 0;
}

int sig_init(void)
{
	struct sigaction sa;
	int p[2];
	size_t i;

	if (pipe(p) < 0)
		return -1;
	if (set_flags(p[0]) || set_flags(p[1])) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	S.rd = p[0];
	S.wr = p[1];

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigemptyset(&S.handled);
	for (i = 0; i < NFWD; i++) {
		sigaction(forwarded[i], NULL, &S.old[i]);
		/* Ignored when we started (e.g. SIGINT in a background job):
		 * stay ignored, and the child inherits that. */
		if (S.old[i].sa_handler == SIG_IGN)
			continue;
		sigaction(forwarded[i], &sa, NULL);
		sigaddset(&S.handled, forwarded[i]);
	}
	/* Always ours, even if inherited as SIG_IGN: we must reap. */
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &S.oldchld);
	sigaddset(&S.handled, SIGCHLD);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &S.oldpipe);
	return S.rd;
}

int sig_next(int *signo, int *forward)
{
	unsigned char rec[2];
	ssize_t n;

	do
		n = read(S.rd, rec, 2);
	while (n < 0 && errno == EINTR);
	if (n != 2)
		return 0;
	*signo = rec[0];
	*forward = rec[1] && rec[0] != SIGCHLD;
	return 1;
}

void sig_block(void)
{
	sigprocmask(SIG_BLOCK, &S.handled, &S.oldmask);
}

void sig_unblock(void)
{
	sigprocmask(SIG_SETMASK, &S.oldmask, NULL);
}

void sig_spawn_sets(sigset_t *def, sigset_t *mask)
{
	sigemptyset(def);
	if (S.oldpipe.sa_handler != SIG_IGN)
		sigaddset(def, SIGPIPE);
	sigprocmask(SIG_BLOCK, NULL, mask);	/* as inherited: never changed */
}

void sig_child_reset(void)
{
	size_t i;

	for (i = 0; i < NFWD; i++)
		sigaction(forwarded[i], &S.old[i], NULL);
	sigaction(SIGCHLD, &S.oldchld, NULL);
	sigaction(SIGPIPE, &S.oldpipe, NULL);
	sigprocmask(SIG_SETMASK, &S.oldmask, NULL);
}

void sig_die(int signo)
{
	struct sigaction sa;
	struct rlimit nocore = { 0, 0 };
	sigset_t one;

	/* The child dumped core already if it was going to; a second core
	 * from us would only mislead. */
	setrlimit(RLIMIT_CORE, &nocore);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(signo, &sa, NULL);
	sigemptyset(&one);
	sigaddset(&one, signo);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(signo);
	/* A signal whose default is not to terminate (it can only get here
	 * if the child's death by it was faked): the shell's convention. */
	_exit(128 + signo);
}
