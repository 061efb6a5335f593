/*
 * gate: the pool's budget (budget.h) with its readings (machine.h): may
 * one more token go out of a pool of our own now?  The root pool of
 * `jobproxy -j N` and the --serve daemon both ask it before they hand a
 * token out.  Readings are taken only when a token is asked for, and
 * only those the options need: with neither --mem-per-job nor
 * --load-average nothing is read and nothing wakes up.
 */
#ifndef JOBPROXY_GATE_H
#define JOBPROXY_GATE_H

#include "budget.h"
#include "machine.h"

#include <stdint.h>
#include <stdio.h>

struct gate {
	int on;			/* a rule to check: --mem-per-job, --load-average */
	struct budget b;
	struct machine m;
	int holding;		/* a hold in progress (for the trace) */
	FILE *trace;		/* --trace, or NULL */
};

/*
 * POOL tokens at most out, MEM_PER_JOB bytes (0: off), LOAD_MAX (0: off).
 * Says once when a reading the options need cannot be had on this system
 * ("counting CPUs only").
 */
void gate_init(struct gate *g, int pool, int64_t mem_per_job,
	       double load_max);

/* OUT tokens are out, IMPLICIT jobs run on implicit slots (budget_jobs). */
void gate_jobs(struct gate *g, int out, int implicit);

/*
 * Someone waits for a token and the pool has one: may it go out?  1 yes;
 * 0 held back, *TIMEOUT (poll()'s ms) lowered to when to ask again.
 */
int gate_ask(struct gate *g, int *timeout);

/* Nobody waits any more (a hold in progress ends). */
void gate_quiet(struct gate *g);

/* The cap on tokens out now, from fresh readings (for --status). */
int gate_cap(struct gate *g);

/* For --stats and --status: "held back H time(s) (memory M, load L) for
 * S s, cap C", C as the last ask or gate_cap saw it. */
void gate_summary(const struct gate *g, char *buf, size_t size);

#endif
