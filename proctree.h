/*
 * proctree: how many tasks of a command's process tree are runnable, read
 * from Linux's /proc.  The thin system-call half of --charge; charge.h
 * decides what to do with the count.  And whether the tree waits for a
 * token (tree_waits): the offer policy's look before a probe (offer.h).
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

/* What tree_waits() found. */
#define TREE_CANNOT_TELL (-1)	/* a task we may not look at (hidepid, no
				 * permission, no such file), a call we do
				 * not know */
#define TREE_NOT_WAITING 0	/* every task runs or waits for something
				 * else (make in wait4 while its one job runs) */
#define TREE_WAITING 1		/* a task is blocked reading the pipe, or
				 * in a select, poll or epoll on it; or it
				 * runs holding it open (a make that has just
				 * reaped a job, on its way to read) */

/* What a look looks for: the command's token pipe or fifo, and this
 * binary (SELF_INO 0: not known).  A jobproxy below that runs with the
 * pipe open is not on its way to read it: it reads the pipe only from an
 * epoll wait that names it, which a look sees, and says so first on its
 * "I wait" pipe where it has one. */
struct tree_target {
	dev_t dev;
	ino_t ino;
	dev_t self_dev;
	ino_t self_ino;
};

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

/* The "some" stall total (microseconds) the trigger FD's file holds now,
 * or -1. */
int64_t tree_stall(int fd);

/*
 * Is a task of PID's tree blocked waiting to read the pipe or fifo T names
 * (the command's token pipe)?  Read from each task's
 * /proc/PID/task/TID/syscall; the fds it waits on from the call's
 * arguments (a read's fd; a select's read set, a poll's array, read from
 * the task's memory; an epoll's interest list from fdinfo).  Where those
 * cannot be read, a task in select, poll or epoll that holds the pipe
 * open counts as waiting for it, and so does a task that runs holding it
 * open, unless it is this binary (T's self; /proc/PID/task/TID/exe).
 * Linux only: else TREE_CANNOT_TELL.
 */
int tree_waits(const char *root, pid_t pid, int how,
	       const struct tree_target *t);

#endif
