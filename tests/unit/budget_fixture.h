/* The fixture test_budget.c and test_budget_load.c share: one budget on a
 * fake clock, and fake readings.  Included once by each. */
#ifndef JOBPROXY_BUDGET_FIXTURE_H
#define JOBPROXY_BUDGET_FIXTURE_H

#include "budget.h"

#define T0 1000000		/* a monotonic clock well past zero */

static struct budget B;

static void start(int pool, int64_t size, double load)
{
	struct budget_conf c;

	c.pool = pool;
	c.mem_per_job = size;
	c.load_max = load;
	budget_init(&B, &c, T0);
}

static struct budget_reading rd(int64_t left, double load)
{
	struct budget_reading r;

	r.mem_left = left;
	r.load1 = load;
	return r;
}

static enum budget_why ask(int64_t left, double load, int64_t now)
{
	struct budget_reading r = rd(left, load);
	int timeout = -1;

	return budget_ask(&B, &r, now, &timeout);
}

#endif
