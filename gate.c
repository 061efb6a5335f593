/*
 * gate: see gate.h.  The system half of the pool's policy: the readings
 * and the clock go in here, the decision is budget.c's.
 */
#include "gate.h"
#include "msg.h"
#include "trace.h"
#include "util.h"

#include <inttypes.h>

void gate_init(struct gate *g, int pool, int64_t mem_per_job,
	       double load_max)
{
	struct budget_conf c;
	int found, needs;

	c.pool = pool;
	c.mem_per_job = mem_per_job;
	c.load_max = load_max;
	g->on = mem_per_job > 0 || load_max > 0;
	g->holding = 0;
	g->trace = NULL;
	budget_init(&g->b, &c, now_ms());
	if (!g->on)
		return;
	found = machine_open(&g->m, machine_root());
	needs = budget_needs(&g->b);
	if ((needs & BUDGET_NEED_MEM) &&
	    !(found & (MACHINE_MEMINFO | MACHINE_CGROUP)))
		jp_warn("--mem-per-job: no MemAvailable and no memory cgroup"
			" limit here: counting CPUs only");
	if ((needs & BUDGET_NEED_LOAD) && !(found & MACHINE_LOAD))
		jp_warn("--load-average: no load average here: counting CPUs"
			" only");
}

void gate_jobs(struct gate *g, int out, int implicit)
{
	if (g->on)
		budget_jobs(&g->b, out, implicit, now_ms());
}

static void readings(struct gate *g, struct budget_reading *r)
{
	int needs = budget_needs(&g->b);

	r->mem_left = needs & BUDGET_NEED_MEM ? machine_mem_left(&g->m)
					      : BUDGET_UNKNOWN;
	r->load1 = needs & BUDGET_NEED_LOAD ? machine_load1(g->m.root)
					    : BUDGET_UNKNOWN;
}

int gate_ask(struct gate *g, int *timeout)
{
	struct budget_reading r;
	enum budget_why why;

	if (!g->on)
		return 1;
	readings(g, &r);
	why = budget_ask(&g->b, &r, now_ms(), timeout);
	if (why == BUDGET_MEM || why == BUDGET_LOAD) {
		if (!g->holding)
			trace_instant(g->trace, why == BUDGET_MEM ?
				      "hold: memory" : "hold: load",
				      (unsigned long)g->b.st.cap);
		g->holding = 1;
		return 0;
	}
	gate_quiet(g);
	return 1;
}

void gate_quiet(struct gate *g)
{
	if (!g->on)
		return;
	budget_quiet(&g->b, now_ms());
	if (g->holding)
		trace_instant(g->trace, "hold ends", 0);
	g->holding = 0;
}

int gate_cap(struct gate *g)
{
	struct budget_reading r;

	if (!g->on)
		return g->b.conf.pool;
	readings(g, &r);
	return budget_cap(&g->b, &r, now_ms());
}

void gate_summary(const struct gate *g, char *buf, size_t size)
{
	const struct budget_stats *s = &g->b.st;
	int64_t ms = budget_held_ms(&g->b, now_ms());

	snprintf(buf, size, "held back %lu time(s) (memory %lu, load %lu)"
		 " for %" PRId64 ".%03" PRId64 " s, cap %d",
		 s->holds, s->by_mem, s->by_load, ms / 1000, ms % 1000,
		 s->cap);
}
