/*
 * pidwatch: see pidwatch.h.
 *
 * The child starts through posix_spawn (see pw_spawn for why), which also
 * tells a failed exec ("not found", 127) from a program that ran and
 * happened to exit 127 itself.  Child exit is noticed through SIGCHLD on
 * the self-pipe (signals.c); waitpid(WNOHANG) does the rest, stops and
 * continues included.
 */
#include "pidwatch.h"
#include "msg.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int pw_exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

static void report_exec(const char *cmd, int err)
{
	errno = err;
	jp_warn("cannot run %s:", cmd);
}

/* Is ENTRY (NAME=VALUE) the variable NAME? */
static int names(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(entry, name, n) && entry[n] == '=';
}

/*
 * environ with SET's NAME, VALUE pairs put in, into ENV (room for every
 * entry of environ and of SET, and a NULL); the new strings go to BUF, of
 * LEN bytes.  -1 if BUF is too short.
 */
static int child_env(const char *const *set, char **env, char *buf,
		     size_t len)
{
	const char *const *e;
	char **out = env;
	size_t i;

	for (i = 0; environ[i]; i++) {
		for (e = set; e && e[0] && !names(environ[i], e[0]); e += 2)
			;
		if (!e || !e[0])
			*out++ = environ[i];
	}
	for (e = set; e && e[0]; e += 2) {
		int n = snprintf(buf, len, "%s=%s", e[0], e[1]);

		if (n < 0 || (size_t)n >= len)
			return -1;
		*out++ = buf;
		buf += n + 1;
		len -= (size_t)n + 1;
	}
	*out = NULL;
	return 0;
}

/* Set or clear FD_CLOEXEC on FDS, their old flags to OLD (left -1 for an
 * fd that is not open); restore_fdflags puts them back. */
static void cloexec(const int *fds, int n, int on, int *old)
{
	int i;

	for (i = 0; i < n; i++) {
		int fl = fcntl(fds[i], F_GETFD);

		if (fl < 0)
			continue;
		old[i] = fl;
		fcntl(fds[i], F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
	}
}

static void restore_fdflags(const int *fds, int n, const int *old)
{
	int i;

	for (i = 0; i < n; i++)
		if (old[i] >= 0)
			fcntl(fds[i], F_SETFD, old[i]);
}

/*
 * posix_spawn, not fork: on this kind of VM every page fault costs tens of
 * microseconds, and fork's copy-on-write faults in both processes were a
 * third of what one jobproxy added to each sub-make.  posix_spawn reports
 * a failed exec as its own return value (glibc, musl, the BSDs, macOS), so
 * 127 and 126 stay apart.  Which fds the child inherits is settled by
 * FD_CLOEXEC, set and cleared around the call: we have no threads, so no
 * other spawn can see the flags in between.  Signals: a caught signal is
 * reset to its default by the exec itself, one we inherited ignored is
 * ignored again around the call (sig_block), and the mask is restored.
 * SIGCHLD inherited as ignored comes out as default: POSIX leaves that
 * unspecified across exec anyway.
 */
pid_t pw_spawn(const struct pw_child *c, int *exec_err)
{
	posix_spawnattr_t attr;
	sigset_t def, mask;
	int oldkeep[8], olddrop[8], err;
	size_t nenv = 0, nset = 0, len = 1;
	const char *const *e;
	char **env;
	pid_t pid = -1;

	*exec_err = 0;
	if (c->nkeep > 8 || c->ndrop > 8) {
		errno = EINVAL;
		return -1;
	}
	while (environ[nenv])
		nenv++;
	for (e = c->setenv; e && e[0]; e += 2, nset++)
		len += strlen(e[0]) + strlen(e[1]) + 2;
	env = malloc((nenv + nset + 1) * sizeof *env + len);
	if (!env)
		return -1;
	if (child_env(c->setenv, env, (char *)(env + nenv + nset + 1), len)) {
		free(env);	/* cannot happen: LEN counted every byte */
		errno = EOVERFLOW;
		return -1;
	}
	if ((err = posix_spawnattr_init(&attr)) != 0) {
		free(env);
		errno = err;
		return -1;
	}
	sig_spawn_sets(&def, &mask);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETSIGMASK);
	memset(oldkeep, -1, sizeof oldkeep);
	memset(olddrop, -1, sizeof olddrop);
	cloexec(c->keep, c->nkeep, 0, oldkeep);
	cloexec(c->drop, c->ndrop, 1, olddrop);
	sig_block();
	/* A masquerade link's real tool runs by its file, argv[0] kept. */
	err = c->file ? posix_spawn(&pid, c->file, NULL, &attr, c->argv, env)
		      : posix_spawnp(&pid, c->argv[0], NULL, &attr, c->argv,
				     env);
	sig_unblock();
	restore_fdflags(c->drop, c->ndrop, olddrop);
	restore_fdflags(c->keep, c->nkeep, oldkeep);
	posix_spawnattr_destroy(&attr);
	free(env);
	if (err == 0)
		return pid;
	/* No process to run it in; or no fd for the pipe on which musl's
	 * posix_spawn hands back the exec's error (glibc needs none): the
	 * caller runs the command itself, without us. */
	if (err == EAGAIN || err == ENOMEM || err == EMFILE || err == ENFILE) {
		errno = err;
		return -1;
	}
	*exec_err = err;
	report_exec(c->argv[0], err);
	return 0;
}

enum pw_state pw_wait(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, WNOHANG | WUNTRACED | WCONTINUED);
	while (r < 0 && errno == EINTR);
	if (r != pid)
		return PW_NOTHING;
	if (WIFSTOPPED(*status))
		return PW_STOPPED;
	if (WIFCONTINUED(*status))
		return PW_CONTINUED;
	return PW_EXITED;
}

void pw_exec(const char *file, char *const argv[])
{
	int err;

	if (file)
		execv(file, argv);
	else
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
