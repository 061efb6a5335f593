/*
 * machine: the readings the pool's budget (budget.h) needs, read where the
 * system keeps them.  A thin layer over files: the policy is in budget.c.
 *
 * MEMORY LEFT is the tighter of the machine's and the cgroup's:
 *   - the machine: MemAvailable in /proc/meminfo (Linux >= 3.14), the
 *     kernel's own estimate of what can be allocated without swapping;
 *   - the cgroup the process runs in (/proc/self/cgroup, its hierarchy's
 *     mount point from /proc/self/mountinfo): cgroup v2 memory.max -
 *     memory.current ("max": no limit), cgroup v1 memory.limit_in_bytes -
 *     memory.usage_in_bytes (a limit of 2^62 or more: none, the kernel
 *     writes 2^63 - 4096 for "unlimited").  Usage counts the inactive page
 *     cache (memory.stat "inactive_file", v1 "total_inactive_file"), which
 *     the kernel reclaims before it kills anything: it is taken off, or a
 *     build that wrote its objects through the cache would read as a full
 *     cgroup.  (The same "working set" the kubelet watches.)
 *   The walk goes up the hierarchy to its mount point and keeps the least
 *   left at any level: a parent's limit covers all its children, and
 *   siblings may have used it up, so the nearest limit is not always the
 *   tightest.  In v1 the walk stops below a parent whose
 *   memory.use_hierarchy is 0 (its limit does not cover its children).
 *   v2's memory.high throttles rather than kills, and swap is not counted.
 *
 * LOAD is the 1-minute load average: /proc/loadavg, else getloadavg()
 * where the C library has one (the BSDs, macOS).  On Linux glibc's
 * getloadavg() reads /proc/loadavg too, so reading it here loses nothing
 * and lets the tests give a fake one.
 *
 * ROOT.  Every path is read under ROOT: "" on a real system, a directory
 * holding a fake proc/ and sys/fs/cgroup/ in the tests (getloadavg() is
 * used only under ""; an absolute path in mountinfo is taken under ROOT).
 *
 * Nothing here warns: machine_open says what was found, and the caller
 * says once that it counts CPUs only when nothing was.
 *
 * TEST KNOB.  JOBPROXY_TEST_ROOT=DIR makes machine_root() DIR: the pool's
 * readings and --charge's pressure trigger then come from DIR/proc/...
 * (a fake load in DIR/proc/loadavg, say), so the integration tests can
 * give a daemon a load that a real machine cannot be made to have
 * reliably.  For tests only; a reading missing under DIR is unknown.
 */
#ifndef JOBPROXY_MACHINE_H
#define JOBPROXY_MACHINE_H

#include <stdint.h>

#define MACHINE_PATH 4096

#define MACHINE_MEMINFO 1	/* /proc/meminfo has MemAvailable */
#define MACHINE_CGROUP 2	/* a memory cgroup with a limit somewhere */
#define MACHINE_LOAD 4		/* a load average */

struct machine {
	char root[MACHINE_PATH];
	char cg[MACHINE_PATH];	/* ROOT/mount/path of our memory cgroup, or "" */
	char top[MACHINE_PATH];	/* ROOT/mount: the walk up stops here */
	int version;		/* 1 or 2: cgroup version of CG; 0: none */
};

/* "" on a real system, or the test knob's directory. */
const char *machine_root(void);

/*
 * Find our memory cgroup under ROOT and look at what can be read.
 * Returns the MACHINE_* found (0: none of these on this system).
 */
int machine_open(struct machine *m, const char *root);

/* Memory left in bytes (>= 0): the tighter of the two, or -1 unknown. */
int64_t machine_mem_left(const struct machine *m);

/* MemAvailable in bytes, or -1. */
int64_t machine_meminfo(const char *root);

/* Least memory left in the cgroup or its ancestors, or -1 (no limit). */
int64_t machine_cgroup_left(const struct machine *m);

/* The 1-minute load average, or -1. */
double machine_load1(const char *root);

#endif
