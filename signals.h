/*
 * signals: a self-pipe that turns signals into poll() events, and the
 * rules for which signals reach the child.
 */
#ifndef JOBPROXY_SIGNALS_H
#define JOBPROXY_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

/* One signal as the handler saw it. */
struct sig_event {
	int signo;
	int forward;		/* the child should get it too (sig_next) */
	int queued;		/* sent by sigqueue(3): VALUE goes with it */
	union sigval value;
};

/*
 * The daemon's handlers (SIGTERM, SIGINT, SIGHUP... recorded, SIGPIPE
 * ignored); returns the fd to poll for POLLIN, or -1.
 */
int sig_init(void);

/*
 * The wrapper's: every signal that can be caught is, so that none sent to
 * jobproxy kills it while its child runs on with the tokens (only SIGKILL
 * can); child stops are reported too.  Returns the fd to poll, or -1.
 */
int sig_init_all(void);

/* The child's pid, once known: what it sends us is never sent back. */
void sig_set_child(pid_t pid);

/*
 * Next signal from the self-pipe: 1 and *EV set, 0 when none is left.
 * EV->forward tells whether the child should get it too: only when
 * another process sent it to us (kill, sigqueue), not when the kernel
 * sent it to the whole foreground process group (Ctrl-C, Ctrl-\, hangup,
 * resize), which reached the child already; never a signal of our own
 * making (SIGPIPE, SIGXFSZ of a failed write) or one the child sent; and
 * not the SIGCONT that ended a stop of our own (sig_stop_self).  The
 * daemon's form, sig_next, leaves out the rest.
 */
int sig_get(struct sig_event *ev);
int sig_next(int *signo, int *forward);

/* A signal came since sig_get last read the self-pipe: the next wait
 * returns at once for it (a cheap test, no system call). */
int sig_pending(void);

/* Send EV to PID as it came: kill(2), or sigqueue(3) with its value. */
void sig_forward(pid_t pid, const struct sig_event *ev);

/*
 * Stop jobproxy itself by SIGNO at its default action (a stop signal:
 * SIGTSTP, SIGTTIN, SIGTTOU or SIGSTOP), and return once continued.
 */
void sig_stop_self(int signo);

/*
 * Around the spawn: block every handled signal (saving the mask to
 * restore), and give the signals we inherited ignored back their SIG_IGN,
 * which the child must inherit; sig_unblock undoes both.
 */
void sig_block(void);
void sig_unblock(void);

/*
 * For posix_spawn: DEF, the signals a spawned child gets back at their
 * default action (those we catch: what the exec itself would do, in fewer
 * calls), and MASK, the signal mask we inherited.
 */
void sig_spawn_sets(sigset_t *def, sigset_t *mask);

/* Before an exec in place of jobproxy: dispositions and mask as jobproxy
 * inherited them. */
void sig_child_reset(void);

/* Die by SIGNO, as the child did: default action, unblocked, no core. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
void sig_die(int signo);

#endif
