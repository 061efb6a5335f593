/*
 * budget: may the pool hand out one more token now?  One policy for the
 * root pool of `jobproxy -j N` and for the `--serve` daemon.  Pure: the
 * caller passes the readings (machine.h) and the time, in milliseconds of
 * a monotonic clock (>= 0); nothing here reads a file or a clock.
 *
 * A token goes out only while (1) fewer than N are out, (2) the memory
 * left would still hold one more job of --mem-per-job SIZE, and (3) the
 * estimated load stays below --load-average L.  (2) and (3) never hold
 * the pool below one job, so the build always progresses: where a job
 * runs on an implicit slot, that is the one (tokens may be held back to
 * none); with no implicit slot, one token always goes out.
 *
 * JOBS.  A job is a token out, or a job on an implicit slot (the root
 * pool's command, one per daemon client): the caller reports both counts
 * whenever either changes (budget_jobs), so this file knows when jobs
 * started and how many run.  Each is assumed to be one runnable process
 * that may grow to SIZE.
 *
 * MEMORY.  A job that just started has not allocated yet: a pool reading
 * "memory left" at each request would hand out every token in the first
 * millisecond of a build and let the kernel kill a third of them a few
 * seconds later.  So each start is owed SIZE: "spare" is the memory left
 * minus what the recent starts still owe, and a token goes out while
 * spare >= SIZE.  A drop of memory left between two readings is taken as
 * those jobs growing and paid off their debt, oldest first, so a job that
 * has shown its memory is not counted twice; a debt lapses BUDGET_GROW_MS
 * after its start (the job is taken to be as large as it will get), and
 * never exceeds SIZE per running job.  Cap: the jobs running plus
 * spare / SIZE.
 *
 * UNSEEN STARTS.  Not every job that starts shows in the counts: the
 * next job of a build that runs on the implicit slot its previous job
 * left, or on a token a jobproxy below kept for it (the daemon's clients
 * are such jobproxies: their make gives a token back, takes it again, and
 * the daemon sees no change).  What the pool sees then is the ended job's
 * memory coming back, and taken as spare it let a third 600 MiB job into
 * 1.5 GiB beside two (issue 13).  So memory left that rises between two
 * readings by more than SIZE per job seen to end meanwhile is owed again,
 * as by a start: the job that took the slot will take it.  (Memory freed
 * outside the pool is owed the same way, for at most BUDGET_GROW_MS: a
 * pool held back a little longer, never one that lets too much out.)
 *
 * LOAD.  GNU make -l (job.c, load_too_high) compares getloadavg() plus a
 * guess for jobs it started lately: 0.25 x (jobs started in this second,
 * minus those that ended) + 0.25 x 0.25 x (those of the previous second),
 * and holds a job while that is >= L; the weights were tuned on Solaris,
 * whose load is recomputed every second.  (make 4.4 uses the count of
 * runnable tasks from /proc/loadavg instead, where it exists.)  Linux's
 * 1-minute load is recomputed every 5 seconds as a moving average with a
 * 60 s time constant, so a job started t seconds ago shows in it as only
 * 1 - e^(-t/60) of itself: a burst that make's 2-second window forgets
 * still pushes the load up a minute later, and make -l overshoots.  Here
 * the pool keeps the same moving average of its own jobs count (it knows
 * when every token went out and came back), takes load - that average as
 * the load of everything else (never below 0), and adds the jobs running
 * now:  estimate = max(0, load1 - avg(jobs)) + jobs.  A burst counts in
 * full at once, a job that ended stops counting at once, and in a steady
 * state the correction is zero.  A token goes out while estimate < L,
 * make's comparison.
 *
 * Unknown readings (BUDGET_UNKNOWN: no /proc/meminfo, no cgroup, no load
 * on this OS) switch that rule off; the caller says so once.
 *
 * WHAT IT DOES NOT PROMISE.  SIZE is the user's word: a job that grows
 * past SIZE, or grows later than BUDGET_GROW_MS after it started, can
 * still be killed; so can any job when something outside the pool eats
 * the memory after its token went out.  Tokens out are never taken back:
 * the cap may fall below the tokens out, and the pool waits for returns.
 * The load rule counts every job as one busy process (a job waiting on
 * I/O counts as busy; one with 8 threads as one).  A job that starts on
 * an implicit slot or a kept token is not seen (no byte says so): it is
 * taken to need the memory its predecessor freed, up to SIZE.
 */
#ifndef JOBPROXY_BUDGET_H
#define JOBPROXY_BUDGET_H

#include <stdint.h>

#define BUDGET_UNKNOWN (-1)
#define BUDGET_GROW_MS 30000	/* a start is owed SIZE for this long */
#define BUDGET_GROW_SLOTS 30	/* owed memory in 1 s buckets */
#define BUDGET_LOAD_TAU_MS 60000 /* the kernel's 1-minute average */
#define BUDGET_RECHECK_MS 1000	/* holding: read again after this */
#define BUDGET_SIZE_MAX ((int64_t)1 << 40) /* a larger SIZE counts as this */
#define BUDGET_JOBS_MAX (1 << 20) /* and more jobs as this many */

struct budget_conf {
	int pool;		/* N: most tokens out at once */
	int64_t mem_per_job;	/* --mem-per-job SIZE in bytes, 0: off */
	double load_max;	/* --load-average L, 0: off */
};

struct budget_reading {
	int64_t mem_left;	/* bytes, or BUDGET_UNKNOWN (any value < 0) */
	double load1;		/* 1-minute load, or BUDGET_UNKNOWN */
};

enum budget_why {
	BUDGET_OK,		/* a token may go out */
	BUDGET_FULL,		/* N out: not a hold, the pool is spent */
	BUDGET_MEM,		/* held back: memory */
	BUDGET_LOAD		/* held back: load */
};

/* For --stats, --trace and --status. */
struct budget_stats {
	unsigned long holds;	/* times a token was held back */
	unsigned long by_mem;	/* holds (or their parts) due to memory */
	unsigned long by_load;	/* ... and to the load */
	int64_t held_ms;	/* time held back, holds that ended */
	int64_t since;		/* the current hold began, or -1 */
	enum budget_why why;	/* of the current or the last hold */
	/* what the last budget_ask or budget_cap saw */
	int cap;		/* most tokens out now (<= N) */
	int64_t spare;		/* memory for new jobs, or BUDGET_UNKNOWN */
	double estimate;	/* load estimate, or BUDGET_UNKNOWN */
};

struct budget_owed {
	int64_t sec;		/* start time / 1000 */
	int64_t bytes;		/* still owed by the starts of that second */
};

struct budget {
	struct budget_conf conf;
	int out, implicit;	/* the jobs as last reported */
	int64_t at;		/* when the average was last brought up */
	double avg;		/* the jobs count as the 1-minute load has it */
	int64_t last_left;	/* previous memory reading, or unknown */
	int ended;		/* jobs seen to end since that reading */
	struct budget_owed owed[BUDGET_GROW_SLOTS];
	struct budget_stats st;
};

/* Start at NOW with no job running. */
void budget_init(struct budget *b, const struct budget_conf *conf,
		 int64_t now);

/* Which readings budget_ask needs: none (0) lets the caller skip them. */
#define BUDGET_NEED_MEM 1
#define BUDGET_NEED_LOAD 2
int budget_needs(const struct budget *b);

/*
 * At NOW, OUT tokens are out and IMPLICIT jobs run on implicit slots.
 * Call after every hand-out and every return, when the command starts
 * (implicit 1), and as daemon clients come and go.
 */
void budget_jobs(struct budget *b, int out, int implicit, int64_t now);

/*
 * Someone waits for a token (or the pool wants one parked): may it go
 * out now?  R holds fresh readings (budget_needs says which).  A hold
 * starts or goes on for BUDGET_MEM and BUDGET_LOAD; it ends at the next
 * BUDGET_OK or BUDGET_FULL, or at budget_quiet.  While held, *TIMEOUT
 * (ms, -1 for none) is lowered to when the answer may change with no
 * token coming back: ask again then, with new readings.
 */
enum budget_why budget_ask(struct budget *b, const struct budget_reading *r,
			   int64_t now, int *timeout);

/* Nobody waits any more: a hold in progress ends at NOW. */
void budget_quiet(struct budget *b, int64_t now);

/* The cap on tokens out at NOW (for --status), with no hold counted. */
int budget_cap(struct budget *b, const struct budget_reading *r,
	       int64_t now);

/* Time held back in all at NOW, the current hold included. */
int64_t budget_held_ms(const struct budget *b, int64_t now);

/* "memory", "load", "pool" or "none". */
const char *budget_why_name(enum budget_why why);

#endif
