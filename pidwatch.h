/*
 * pidwatch: start the child, notice its exit, and leave the way it left.
 */
#ifndef JOBPROXY_PIDWATCH_H
#define JOBPROXY_PIDWATCH_H

#include <sys/types.h>

/* What the child gets that jobproxy itself does not have. */
struct pw_child {
	char *const *argv;
	const char *file;	/* the file to run, or NULL: argv[0] on PATH */
	const int *keep;	/* fds made inheritable */
	int nkeep;
	const int *drop;	/* fds closed (the parent's jobserver) */
	int ndrop;
	const char *const *setenv; /* NAME, VALUE pairs, NULL-terminated */
};

/*
 * Start C->argv (posix_spawnp) with signals as jobproxy inherited them and
 * the environment changed by C->setenv (for the child only, so a fallback
 * exec of our own still sees the original).  Every other fd of ours is
 * close-on-exec already.  Returns the pid, or -1 with errno when no
 * process could be made (EAGAIN, ENOMEM).  *EXEC_ERR is 0 once the exec
 * succeeded, else the errno of the failed exec (reported already; nothing
 * is left to reap, and the return value is 0).
 */
pid_t pw_spawn(const struct pw_child *c, int *exec_err);

/* What waitpid(2) reported of the child. */
enum pw_state { PW_NOTHING, PW_EXITED, PW_STOPPED, PW_CONTINUED };

/*
 * Next change of PID's state, without waiting: PW_EXITED (reaped: exit
 * status or death in *STATUS), PW_STOPPED (*STATUS as waitpid gave it:
 * WSTOPSIG), PW_CONTINUED, or PW_NOTHING.  A stop is reported once, and
 * only while PID is still stopped.
 */
enum pw_state pw_wait(pid_t pid, int *status);

/*
 * Exec ARGV in place of jobproxy (FILE, or argv[0] found on PATH when FILE
 * is NULL); on failure report and exit 127/126.
 */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
void pw_exec(const char *file, char *const argv[]);

/* The exit code for a failed exec: 127 not found, 126 found but unusable. */
int pw_exec_status(int err);

/* Exit as the child did: its code, or death by its signal. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
void pw_exit_like(int status);

#endif
