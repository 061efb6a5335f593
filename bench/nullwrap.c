/*
 * nullwrap - the least a wrapper inserted before every sub-make can do:
 * start the command (posix_spawnp, as jobproxy does), wait for it, and
 * exit as it did.  No jobserver, no relay, no signals.  Bench scenario 2
 * puts it where jobproxy goes (MAKE="nullwrap make") to measure what one
 * more process per sub-make costs on this machine, whatever it does.
 *
 *   nullwrap CMD [ARG...]
 */
#define _XOPEN_SOURCE 700
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	pid_t pid;
	int st, err;

	if (argc < 2) {
		fputs("usage: nullwrap CMD [ARG...]\n", stderr);
		return 2;
	}
	err = posix_spawnp(&pid, argv[1], NULL, NULL, argv + 1, environ);
	if (err) {
		fprintf(stderr, "nullwrap: %s: %s\n", argv[1], strerror(err));
		return 127;
	}
	while (waitpid(pid, &st, 0) < 0)
		;
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
