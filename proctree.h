/*
 * proctree: how many tasks of a command's process tree are runnable, read
 * from Linux's /proc.  The thin system-call half of --charge; charge.h
 * decides what to do with the count.
 *
 * THE TREE is PID and its descendants, found from PID downwards, so only
 * our own descendants are ever looked at (a daemonised grandchild whose
 * parent died is re-parented away from the tree and is no longer counted).
 * Two ways down:
 *   TREE_CHILDREN  /proc/PID/task/TID/children lists each thread's
 *                  children (kernels built with CONFIG_PROC_CHILDREN, as
 *                  most distributions' are);
 *   TREE_SCAN      else every /proc/N/stat is read once and the tree is
 *                  built from their parent pids.
 * RUNNABLE counts tasks in state R (running or waiting for a CPU) from
 * /proc/PID/task/TID/stat: a linker running 8 threads is 8, a make asleep
 * in wait() is none.  A process that exits during the walk just is not
 * counted; the walk stops at TREE_MAX processes.
 *
 * ROOT is "" on a real system and a fake tree's directory in the tests.
 */
#ifndef JOBPROXY_PROCTREE_H
#define JOBPROXY_PROCTREE_H

#include <sys/types.h>

#define TREE_NONE 0		/* no /proc we can read: --charge cannot work */
#define TREE_SCAN 1
#define TREE_CHILDREN 2
#define TREE_MAX 8192

/* Which way works under ROOT (a look at our own /proc/self). */
int tree_usable(const char *root);

/* Runnable tasks in PID's tree, the HOW way; -1 if PID is not there. */
int tree_runnable(const char *root, pid_t pid, int how);

/*
 * A PSI trigger on ROOT/proc/pressure/cpu (Linux 4.20+, see the kernel's
 * Documentation/accounting/psi.rst): its fd polls POLLPRI once tasks
 * have waited for a CPU a tenth of WINDOW_MS in all within a window of
 * WINDOW_MS (500 ms to 10 s), at most once per window.  An unprivileged
 * user may set one only with a window that is a multiple of 2 s (Linux
 * 6.4+; none before).  The fd (close-on-exec), or -1 where none can be
 * had.
 */
int tree_pressure(const char *root, int window_ms);

#endif
