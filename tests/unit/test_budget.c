/* Unit tests of budget.c: the pool's memory rule, holds and floor, on fake
 * readings and a fake clock (the load rule: test_budget_load.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "budget_fixture.h"

#define MiB ((int64_t)1 << 20)
#define GiB ((int64_t)1 << 30)

static void off_is_the_plain_pool(void **state)
{
	int i;

	(void)state;
	start(4, 0, 0);
	assert_int_equal(budget_needs(&B), 0);
	budget_jobs(&B, 0, 1, T0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ask(BUDGET_UNKNOWN, BUDGET_UNKNOWN, T0),
				 BUDGET_OK);
		budget_jobs(&B, i + 1, 1, T0);
	}
	assert_int_equal(ask(BUDGET_UNKNOWN, BUDGET_UNKNOWN, T0), BUDGET_FULL);
	assert_int_equal(B.st.holds, 0);
	assert_int_equal(B.st.cap, 4);
	start(4, 100, 2.5);
	assert_int_equal(budget_needs(&B), BUDGET_NEED_MEM | BUDGET_NEED_LOAD);
}

/* make asks for every token in the first millisecond: the starts owe
 * their memory before any of it shows. */
static void burst_is_held_by_what_starts_owe(void **state)
{
	(void)state;
	start(8, 100 * MiB, 0);
	budget_jobs(&B, 0, 1, T0);		/* the command's implicit job */
	assert_int_equal(ask(350 * MiB, -1, T0), BUDGET_OK);
	budget_jobs(&B, 1, 1, T0);
	assert_int_equal(ask(350 * MiB, -1, T0), BUDGET_OK);
	budget_jobs(&B, 2, 1, T0);
	assert_int_equal(ask(350 * MiB, -1, T0 + 1), BUDGET_MEM);
	assert_int_equal(B.st.spare, 50 * MiB);
	assert_int_equal(B.st.cap, 2);
	assert_int_equal(B.st.why, BUDGET_MEM);
}

/* Once a job has shown its memory it owes nothing more: the memory it
 * holds is not counted twice. */
static void growth_pays_the_debt(void **state)
{
	(void)state;
	start(8, 100 * MiB, 0);
	budget_jobs(&B, 0, 1, T0);
	assert_int_equal(ask(250 * MiB, -1, T0), BUDGET_OK);
	budget_jobs(&B, 1, 1, T0);
	assert_int_equal(ask(250 * MiB, -1, T0), BUDGET_MEM);
	/* both grew to 90 MiB: 10 MiB each still owed */
	assert_int_equal(ask(70 * MiB, -1, T0 + 2000), BUDGET_MEM);
	assert_int_equal(B.st.spare, 50 * MiB);
	/* one ended: its 90 MiB are back, no job owes more than SIZE */
	budget_jobs(&B, 0, 1, T0 + 3000);
	assert_int_equal(ask(160 * MiB, -1, T0 + 3000), BUDGET_OK);
	assert_int_equal(B.st.spare, 140 * MiB);
}

/* Memory that comes back with no job seen to end went to a job started
 * unseen (a kept token, an implicit slot): owed again, not spare.  Memory
 * that comes back with an end seen is spare. */
static void memory_back_unseen_is_owed(void **state)
{
	(void)state;
	start(8, 100 * MiB, 0);
	budget_jobs(&B, 1, 1, T0);
	assert_int_equal(ask(50 * MiB, -1, T0 + 40000), BUDGET_MEM);
	assert_int_equal(B.st.spare, 50 * MiB);
	assert_int_equal(ask(140 * MiB, -1, T0 + 41000), BUDGET_MEM);
	assert_int_equal(B.st.spare, 50 * MiB);
	/* the new job grows: paid, as any growth */
	assert_int_equal(ask(80 * MiB, -1, T0 + 42000), BUDGET_MEM);
	assert_int_equal(B.st.spare, 50 * MiB);
	/* one ends, seen: what it freed is spare */
	budget_jobs(&B, 0, 1, T0 + 43000);
	assert_int_equal(ask(170 * MiB, -1, T0 + 43000), BUDGET_OK);
	assert_int_equal(B.st.spare, 140 * MiB);
	/* the debt is no more than SIZE per job, and lapses */
	assert_int_equal(ask(2 * GiB, -1, T0 + 44000), BUDGET_OK);
	assert_int_equal(B.st.spare, 2 * GiB - 100 * MiB);
	assert_int_equal(ask(2 * GiB, -1, T0 + 44000 + BUDGET_GROW_MS),
			 BUDGET_OK);
	assert_int_equal(B.st.spare, 2 * GiB);
}

static void debt_lapses_after_grow_ms(void **state)
{
	(void)state;
	start(8, 100 * MiB, 0);
	budget_jobs(&B, 0, 1, T0);
	assert_int_equal(ask(150 * MiB, -1, T0), BUDGET_MEM);
	assert_int_equal(ask(150 * MiB, -1, T0 + BUDGET_GROW_MS - 1000),
			 BUDGET_MEM);
	/* a job that never grew is as large as it gets */
	assert_int_equal(ask(150 * MiB, -1, T0 + BUDGET_GROW_MS), BUDGET_OK);
	assert_int_equal(B.st.spare, 150 * MiB);
}

static void ended_jobs_owe_nothing(void **state)
{
	(void)state;
	start(8, 100 * MiB, 0);
	budget_jobs(&B, 3, 0, T0);
	budget_jobs(&B, 1, 0, T0 + 10);
	assert_int_equal(budget_cap(&B, &(struct budget_reading){ 150 * MiB,
				    -1 }, T0 + 10), 1);
	assert_int_equal(B.st.spare, 50 * MiB);
	budget_jobs(&B, 0, 0, T0 + 20);
	assert_int_equal(budget_cap(&B, &(struct budget_reading){ 150 * MiB,
				    -1 }, T0 + 20), 1);
	assert_int_equal(B.st.spare, 150 * MiB);
	assert_int_equal(B.st.holds, 0);	/* budget_cap holds nothing */
}

/* The build always progresses: one job runs, whatever the readings. */
static void never_below_one_job(void **state)
{
	(void)state;
	/* the implicit slot is the one job: no token needed */
	start(8, 1 * GiB, 0);
	budget_jobs(&B, 0, 1, T0);
	assert_int_equal(ask(10 * MiB, -1, T0), BUDGET_MEM);
	assert_int_equal(B.st.cap, 0);
	/* no implicit slot: one token always goes out, never two */
	start(8, 1 * GiB, 0);
	assert_int_equal(ask(10 * MiB, -1, T0), BUDGET_OK);
	budget_jobs(&B, 1, 0, T0);
	assert_int_equal(ask(10 * MiB, -1, T0), BUDGET_MEM);
	assert_int_equal(B.st.cap, 1);
	/* the same for the load */
	start(8, 0, 2);
	assert_int_equal(ask(-1, 50, T0), BUDGET_OK);
	budget_jobs(&B, 1, 0, T0);
	assert_int_equal(ask(-1, 50, T0), BUDGET_LOAD);
	/* a pool of one is never held below it */
	start(1, 1 * GiB, 0);
	assert_int_equal(ask(0, -1, T0), BUDGET_OK);
}

/* Memory eaten from outside: the cap falls below the tokens out, which
 * are not taken back; no token goes out until it rises again. */
static void cap_may_fall_below_tokens_out(void **state)
{
	(void)state;
	start(8, 100 * MiB, 0);
	budget_jobs(&B, 4, 1, T0);
	assert_int_equal(ask(250 * MiB, -1, T0), BUDGET_MEM);
	assert_int_equal(B.st.spare, -250 * MiB);
	assert_int_equal(B.st.cap, 1);
	/* grown jobs owe nothing: what fits is what runs plus spare/SIZE */
	assert_int_equal(ask(30 * MiB, -1, T0 + BUDGET_GROW_MS), BUDGET_MEM);
	assert_int_equal(B.st.cap, 4);
	assert_int_equal(ask(2 * GiB, -1, T0 + BUDGET_GROW_MS), BUDGET_OK);
	assert_int_equal(B.st.cap, 8);
}

static void unknown_readings_switch_the_rule_off(void **state)
{
	(void)state;
	start(4, 1 * GiB, 1);
	budget_jobs(&B, 3, 1, T0);
	assert_int_equal(ask(BUDGET_UNKNOWN, BUDGET_UNKNOWN, T0), BUDGET_OK);
	assert_int_equal(B.st.spare, BUDGET_UNKNOWN);
	assert_true(B.st.estimate < 0);
	assert_int_equal(ask(BUDGET_UNKNOWN, 10, T0), BUDGET_LOAD);
	assert_int_equal(ask(1, BUDGET_UNKNOWN, T0), BUDGET_MEM);
}

static void holds_are_counted_and_timed(void **state)
{
	int timeout = -1;
	struct budget_reading low = rd(10 * MiB, 9), hot = rd(GiB, 9),
			      fine = rd(GiB, 0);

	(void)state;
	start(8, 100 * MiB, 4);
	budget_jobs(&B, 1, 1, T0 + BUDGET_GROW_MS);
	assert_int_equal(budget_ask(&B, &low, T0 + 40000, &timeout),
			 BUDGET_MEM);
	assert_int_equal(timeout, BUDGET_RECHECK_MS);
	assert_int_equal(B.st.since, T0 + 40000);
	timeout = 5;			/* only ever lowered */
	assert_int_equal(budget_ask(&B, &low, T0 + 41000, &timeout),
			 BUDGET_MEM);
	assert_int_equal(timeout, 5);
	/* the same hold goes on for the load */
	assert_int_equal(budget_ask(&B, &hot, T0 + 42000, &timeout),
			 BUDGET_LOAD);
	assert_int_equal(B.st.holds, 1);
	assert_int_equal(B.st.by_mem, 1);
	assert_int_equal(B.st.by_load, 1);
	assert_int_equal(budget_held_ms(&B, T0 + 43000), 3000);
	timeout = -1;
	assert_int_equal(budget_ask(&B, &fine, T0 + 44000, &timeout),
			 BUDGET_OK);
	assert_int_equal(timeout, -1);
	assert_int_equal(B.st.since, -1);
	assert_int_equal(B.st.held_ms, 4000);
	assert_int_equal(B.st.why, BUDGET_LOAD);
	/* a second hold, ended by nobody waiting */
	assert_int_equal(budget_ask(&B, &low, T0 + 50000, &timeout),
			 BUDGET_MEM);
	budget_quiet(&B, T0 + 50500);
	budget_quiet(&B, T0 + 59000);
	assert_int_equal(B.st.holds, 2);
	assert_int_equal(B.st.by_mem, 2);
	assert_int_equal(budget_held_ms(&B, T0 + 60000), 4500);
}

/* Memory names the hold when both rules bind at the same cap. */
static void memory_named_first(void **state)
{
	(void)state;
	start(8, 100 * MiB, 2);
	budget_jobs(&B, 1, 1, T0 + BUDGET_GROW_MS);
	assert_int_equal(ask(50 * MiB, 5, T0 + BUDGET_GROW_MS), BUDGET_MEM);
	start(8, 100 * MiB, 2);
	budget_jobs(&B, 1, 1, T0 + BUDGET_GROW_MS);
	assert_int_equal(ask(GiB, 5, T0 + BUDGET_GROW_MS), BUDGET_LOAD);
	assert_string_equal(budget_why_name(BUDGET_MEM), "memory");
	assert_string_equal(budget_why_name(BUDGET_LOAD), "load");
	assert_string_equal(budget_why_name(BUDGET_FULL), "pool");
	assert_string_equal(budget_why_name(BUDGET_OK), "none");
}

/* A pool that is spent is no hold, and ends one. */
static void full_is_not_a_hold(void **state)
{
	(void)state;
	start(2, 100 * MiB, 0);
	budget_jobs(&B, 2, 1, T0);
	assert_int_equal(ask(10 * GiB, -1, T0), BUDGET_FULL);
	assert_int_equal(B.st.holds, 0);
	budget_jobs(&B, 1, 1, T0 + BUDGET_GROW_MS);
	assert_int_equal(ask(0, -1, T0 + BUDGET_GROW_MS), BUDGET_MEM);
	budget_jobs(&B, 2, 1, T0 + BUDGET_GROW_MS + 10);
	assert_int_equal(ask(0, -1, T0 + BUDGET_GROW_MS + 500), BUDGET_FULL);
	assert_int_equal(B.st.since, -1);
	assert_int_equal(B.st.held_ms, 500);
}

static void huge_sizes_do_not_overflow(void **state)
{
	(void)state;
	start(65536, (int64_t)1 << 50, 0);
	budget_jobs(&B, 65536, 1, T0);
	assert_int_equal(ask((int64_t)1 << 40, -1, T0), BUDGET_FULL);
	budget_jobs(&B, 2, 1, T0 + 1);
	assert_int_equal(ask((int64_t)1 << 40, -1, T0 + 1), BUDGET_MEM);
	assert_int_equal(B.st.cap, 0);
	assert_true(B.st.spare < 0);
}

/*
 * The figure, simulated: 4 jobs that each take 600 MiB within
 * half a second and hold it 3 s, under a 1.5 GiB limit, behind `-j 4
 * --mem-per-job 700M`.  The command (make) asks for a token whenever it
 * has a job left and a token would let it start one.  Every job runs,
 * never more than two at once, and the memory never runs out.
 */
struct job {
	int64_t began;		/* or -1: not started */
	int done;
};

static int64_t used(const struct job *j, int n, int64_t now)
{
	int64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		if (j[i].began >= 0 && !j[i].done)
			sum += now - j[i].began >= 500 ? 600 * MiB
				 : (now - j[i].began) * 600 * MiB / 500;
	return sum;
}

static void four_600m_jobs_in_1536m(void **state)
{
	struct job j[4];
	int64_t now = T0, limit = 1536 * MiB;
	int next = 0, running, peak = 0, out = 0, i;

	(void)state;
	memset(j, 0, sizeof j);
	for (i = 0; i < 4; i++)
		j[i].began = -1;
	start(3, 700 * MiB, 0);			/* -j 4: 3 tokens */
	j[next++].began = now;			/* the implicit job */
	running = 1;
	budget_jobs(&B, 0, 1, now);
	for (; now < T0 + 60000; now += 100) {
		for (i = 0; i < next; i++)
			if (!j[i].done && now - j[i].began >= 3500) {
				j[i].done = 1;
				running--;
				if (out > running - 1 && out > 0)
					budget_jobs(&B, --out, 1, now);
			}
		assert_true(used(j, 4, now) <= limit);
		if (next < 4 && running == 0) {	/* the implicit slot */
			j[next++].began = now;
			running++;
		}
		while (next < 4 && out < 3) {
			if (ask(limit - used(j, 4, now), -1, now) != BUDGET_OK)
				break;
			budget_jobs(&B, ++out, 1, now);
			j[next++].began = now;
			running++;
		}
		if (running > peak)
			peak = running;
	}
	for (i = 0; i < 4; i++)
		assert_true(j[i].done);
	assert_int_equal(peak, 2);
	assert_true(B.st.holds >= 1);
	assert_true(B.st.held_ms > 0);
}

/*
 * What the daemon saw (issue 13: 3 jobs of 600 MiB at once in 1.5 GiB
 * under load): its client is a jobproxy that keeps a token its make gives
 * back for make's next job, so a job that ends and the next that starts
 * on the same token make no change in the tokens out; the same goes for
 * a job started on an implicit slot the previous one left.  The pool
 * only sees the memory of the ended job come back.  Jobs grow slowly (3 s
 * to 600 MiB, a loaded machine) and do not all last as long.  The freed
 * memory is not spare: the next job will take it.  At most 2 at once, and
 * the memory never runs out.
 */
struct sjob {
	int64_t began, hold;	/* began -1: not started */
	int done;
};

static int64_t sused(const struct sjob *j, int n, int64_t now)
{
	int64_t sum = 0, t;
	int i;

	for (i = 0; i < n; i++) {
		t = now - j[i].began;
		if (j[i].began >= 0 && !j[i].done)
			sum += t >= 3000 ? 600 * MiB : t * 600 * MiB / 3000;
	}
	return sum;
}

static void unseen_restarts_do_not_free_memory(void **state)
{
	struct sjob j[6] = { { -1, 1000, 0 }, { -1, 4000, 0 },
			     { -1, 1000, 0 }, { -1, 1000, 0 },
			     { -1, 2000, 0 }, { -1, 1000, 0 } };
	int64_t now = T0, limit = 1536 * MiB;
	int next = 0, running = 0, peak = 0, out = 0, i;

	(void)state;
	start(4, 700 * MiB, 0);		/* the daemon: -j 4 */
	budget_jobs(&B, 0, 1, now);	/* one client: its implicit slot */
	for (; now < T0 + 120000; now += 100) {
		for (i = 0; i < next; i++)
			if (!j[i].done && now - j[i].began >= 3000 + j[i].hold) {
				j[i].done = 1;
				running--;
				if (next < 6) {	/* its slot to the next: unseen */
					j[next++].began = now;
					running++;
				} else if (out > 0 && out > running - 1)
					budget_jobs(&B, --out, 1, now);
			}
		assert_true(sused(j, 6, now) <= limit);
		if (next < 6 && running == 0) {	/* the implicit slot */
			j[next++].began = now;
			running++;
		}
		while (next < 6 && out < 4 &&
		       ask(limit - sused(j, 6, now), -1, now) == BUDGET_OK) {
			budget_jobs(&B, ++out, 1, now);
			j[next++].began = now;
			running++;
		}
		if (running > peak)
			peak = running;
	}
	for (i = 0; i < 6; i++)
		assert_true(j[i].done);
	assert_int_equal(peak, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(off_is_the_plain_pool),
		cmocka_unit_test(burst_is_held_by_what_starts_owe),
		cmocka_unit_test(growth_pays_the_debt),
		cmocka_unit_test(memory_back_unseen_is_owed),
		cmocka_unit_test(debt_lapses_after_grow_ms),
		cmocka_unit_test(ended_jobs_owe_nothing),
		cmocka_unit_test(never_below_one_job),
		cmocka_unit_test(cap_may_fall_below_tokens_out),
		cmocka_unit_test(unknown_readings_switch_the_rule_off),
		cmocka_unit_test(holds_are_counted_and_timed),
		cmocka_unit_test(memory_named_first),
		cmocka_unit_test(full_is_not_a_hold),
		cmocka_unit_test(huge_sizes_do_not_overflow),
		cmocka_unit_test(four_600m_jobs_in_1536m),
		cmocka_unit_test(unseen_restarts_do_not_free_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
