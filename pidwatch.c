/*
 * pidwatch: see pidwatch.h.
 *
 * Exec failures travel back over a close-on-exec pipe: the parent reads
 * nothing (EOF) when the exec succeeded, or the child's errno when it did
 * not.  That is the only way to tell "not found" (127) from a program that
 * ran and happened to exit 127 itself.  Child exit is noticed through
 * SIGCHLD on the self-pipe (signals.c); waitpid(WNOHANG) does the rest.
 */
#include "pidwatch.h"
#include "msg.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int pw_exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

static void report_exec(const char *cmd, int err)
{
	errno = err;
	jp_warn("cannot run %s:", cmd);
}

static void child_side(const struct pw_child *c, int errfd)
{
	const char *const *e;
	int i, err;

	sig_child_reset();
	for (i = 0; i < c->ndrop; i++)
		close(c->drop[i]);
	for (i = 0; i < c->nkeep; i++)
		fcntl(c->keep[i], F_SETFD, 0);
	for (e = c->setenv; e && e[0]; e += 2)
		if (setenv(e[0], e[1], 1) < 0)
			jp_warn("cannot set %s:", e[0]);
	execvp(c->argv[0], c->argv);
	err = errno;
	while (write(errfd, &err, sizeof err) < 0 && errno == EINTR)
		;
	_exit(pw_exec_status(err));
}

pid_t pw_spawn(const struct pw_child *c, int *exec_err)
{
	int p[2], err = 0;
	pid_t pid;
	ssize_t n;

	*exec_err = 0;
	if (pipe(p) < 0)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	/* Signals stay blocked across fork: the child must not run our
	 * handlers, and a signal for us is held until we can forward it. */
	sig_block();
	pid = fork();
	if (pid == 0)
		child_side(c, p[1]);
	sig_unblock();
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	do
		n = read(p[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof err) {
		int st;

		*exec_err = err;
		report_exec(c->argv[0], err);
		/* It has already called _exit: do not leave a zombie. */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	return pid;
}

int pw_reap(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	return r == pid;
}

void pw_exec(char *const argv[])
{
	int err;

	execvp(argv[0], argv);
	err = errno;
	report_exec(argv[0], err);
	exit(pw_exec_status(err));
}

void pw_exit_like(int status)
{
	if (WIFSIGNALED(status))
		sig_die(WTERMSIG(status));
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
