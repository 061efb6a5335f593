/*
 * charge: `jobproxy --charge`, for commands that ignore the jobserver (a
 * `cmake --build -j16`, a `go build`, ninja < 1.13, a test runner with its
 * own workers).  They run many processes on one slot and the pool, which
 * counts one job, oversubscribes the machine.  jobproxy looks at how many
 * processes of its command's tree are runnable (proctree.h) and takes
 * tokens from its parent to cover those beyond the slots the tree holds,
 * so that the rest of the pool makes room; it gives them back as the tree
 * calms down, and all of them at exit.  This file is the decision, pure,
 * on a millisecond clock the caller passes in.
 *
 * SLOTS.  The tree holds HELD tokens it read from our jobserver, plus its
 * implicit slot: runnable - (held + 1) is its excess.  Tokens charged are
 * not the tree's: jobproxy holds them on its behalf.
 *
 * WHEN TO LOOK.  Where Linux's pressure stall information can wake us
 * when the CPU is contended (a PSI trigger, proctree.h: tasks waited for
 * a CPU a tenth of its window), nothing is looked at until it does: a
 * tree that runs more processes than the machine has cores makes tasks
 * wait for a CPU, and an idle command (or a busy one on an idle machine,
 * which costs nobody anything yet) costs no wake-up at all.  A trigger
 * fires at most once per window, so after each one the tree is looked at
 * once every CHARGE_EVERY_MS for as long as it runs more than it holds or
 * tokens are charged, then not until the next.  On a machine that stays
 * contended an idle command would still be looked at once per window: so
 * each calm look doubles the window the trigger is set for (WINDOW, from
 * CHARGE_PSI_MIN_MS up to CHARGE_PSI_MAX_MS, the kernel's largest), and a
 * look that finds an excess sets it back.  The kernel's first event comes
 * 0.5 to 1.5 s after contention starts (measured): a tree is charged
 * about a second later than with timed looks.
 * Without PSI (not Linux, kernels before 4.20 or built without it, a
 * trigger refused to an unprivileged user before 6.4): the first look
 * CHARGE_FIRST_MS after the command starts, then once every
 * CHARGE_EVERY_MS while the tree runs more than it holds or tokens are
 * charged; while it is calm the interval doubles up to
 * CHARGE_IDLE_MAX_MS, so an idle command costs a handful of wake-ups, not
 * one a second, and charge_poke brings the next look forward (a sign of
 * life: a token taken or returned).
 *
 * HYSTERESIS.  A charge rises only when the last CHARGE_UP looks all saw
 * more excess than is charged, and then to the least of them: a pipeline
 * that is briefly runnable (cc1 | as) costs nothing.  It falls only when
 * the last CHARGE_DOWN looks all saw less, and then to the most of them.
 * So a charge moves at most once a second, and never back and forth
 * between two looks.
 *
 * WHAT IT DOES NOT PROMISE.  A token is taken only when the parent has one
 * free: jobs already running elsewhere are not stopped, they just are not
 * replaced until the pool covers the tree.  A sample is one instant:
 * processes waiting on I/O, or a tree whose bursts are shorter than a
 * second, are not counted.
 */
#ifndef JOBPROXY_CHARGE_H
#define JOBPROXY_CHARGE_H

#include <stddef.h>
#include <stdint.h>

#define CHARGE_FIRST_MS 500
#define CHARGE_EVERY_MS 1000
#define CHARGE_IDLE_MAX_MS 60000
#define CHARGE_UP 2
#define CHARGE_DOWN 3
#define CHARGE_PSI_MIN_MS 2000	/* unprivileged: a multiple of 2 s */
#define CHARGE_PSI_MAX_MS 10000

struct charge {
	int charged;		/* tokens held for the tree (charge_took) */
	int warned;		/* the one warning was given */
	int runnable, slots;	/* of the look that decided the first charge */
	int n;			/* looks in EXCESS */
	int excess[CHARGE_DOWN]; /* of the last looks, the newest first */
	int64_t last;		/* the last look */
	int64_t next;		/* the next look is due */
	int64_t every;		/* the interval after the next look */
	int pressure;		/* looks wait for the CPU to be contended */
	int window;		/* ms: the pressure trigger's window wanted */
	/* for --stats and --trace */
	unsigned long looks;	/* samples taken */
	int peak;		/* most tokens charged at once */
};

/* The command started at NOW. */
void charge_init(struct charge *c, int64_t now);

/* 1 when a look is due at NOW; else 0 and *TIMEOUT (ms, -1 none) lowered. */
int charge_due(const struct charge *c, int64_t now, int *timeout);

/*
 * A look at NOW found RUNNABLE processes in the tree, which holds HELD
 * tokens of ours.  Returns how many tokens to take for it (> 0) or to
 * give back (< 0); the caller reports what it did with charge_took.
 */
int charge_look(struct charge *c, int runnable, int held, int64_t now);

/* N tokens were taken for the tree (N < 0: given back). */
void charge_took(struct charge *c, int n);

/* Look again soon: the tree shows a sign of life at NOW (not heeded
 * where pressure wakes us: token traffic is no contention). */
void charge_poke(struct charge *c, int64_t now);

/* From now on a pressure event (charge_pressure) starts the looks: none
 * is due before one. */
void charge_by_pressure(struct charge *c);

/* The CPU is contended (a pressure event at NOW): look now, or a second
 * after the last look. */
void charge_pressure(struct charge *c, int64_t now);

/* Pressure cannot wake us any more: timed looks from NOW on. */
void charge_pressure_lost(struct charge *c, int64_t now);

/*
 * Once, after the first charge: "NAME runs 8 processes on 1 slot: it
 * ignores the jobserver" in BUF (for jp_warn, which adds "jobproxy: ").
 * 1 then, 0 before and after.
 */
int charge_warning(struct charge *c, const char *name, char *buf,
		   size_t size);

#endif
