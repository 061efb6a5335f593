/*
 * signals: a self-pipe that turns signals into poll() events, and the
 * rules for which signals reach the child.
 */
#ifndef JOBPROXY_SIGNALS_H
#define JOBPROXY_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

/* Install the handlers; returns the fd to poll for POLLIN, or -1. */
int sig_init(void);

/*
 * Next signal from the self-pipe: 1 and *SIGNO set, 0 when none is left.
 * *FORWARD tells whether the child should get it too: only when it was sent
 * to us alone (kill(2) from another process), not when the kernel sent it
 * to the whole foreground process group (Ctrl-C, Ctrl-\, hangup, resize),
 * which reached the child already.
 */
int sig_next(int *signo, int *forward);

/* Block every handled signal around the spawn, saving the mask to restore. */
void sig_block(void);
void sig_unblock(void);

/*
 * For posix_spawn: DEF, the signals a spawned child must get back at their
 * default action (SIGPIPE, unless we inherited it ignored; caught signals
 * are reset by exec anyway), and MASK, the signal mask we inherited.
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
