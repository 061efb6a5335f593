/* Unit tests of budget.c: the load rule (--load-average), on fake
 * readings and a fake clock.  test_budget.c has the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "budget_fixture.h"


/* On an idle machine -l 4 runs 4 jobs, the implicit one included, at
 * once: the burst counts in full before the 1-minute load shows it. */
static void load_counts_a_burst_at_once(void **state)
{
	int i;

	(void)state;
	start(8, 0, 4);
	budget_jobs(&B, 0, 1, T0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ask(-1, 0.0, T0 + i), BUDGET_OK);
		budget_jobs(&B, i + 1, 1, T0 + i);
	}
	assert_int_equal(ask(-1, 0.0, T0 + 3), BUDGET_LOAD);
	assert_true(B.st.estimate > 3.99 && B.st.estimate < 4.01);
	assert_int_equal(B.st.cap, 3);
}

/* Four jobs for ten minutes: the load has caught up and the correction
 * is gone; one ends, and its slot is free at once, not when the load
 * has decayed below L. */
static void load_steady_state_and_an_end(void **state)
{
	int64_t t = T0 + 600000;

	(void)state;
	start(8, 0, 4);
	budget_jobs(&B, 3, 1, T0);
	assert_int_equal(ask(-1, 4.0, t), BUDGET_LOAD);
	assert_true(B.avg > 3.99);
	assert_true(B.st.estimate > 3.99 && B.st.estimate < 4.01);
	budget_jobs(&B, 2, 1, t + 10);
	assert_int_equal(ask(-1, 4.0, t + 10), BUDGET_OK);
	assert_true(B.st.estimate < 3.01);
}

/* The load of others counts; ours is never counted below what runs. */
static void load_of_others(void **state)
{
	(void)state;
	start(8, 0, 4);
	budget_jobs(&B, 0, 1, T0);
	assert_int_equal(ask(-1, 2.5, T0), BUDGET_OK);	/* 3.5 < 4 */
	budget_jobs(&B, 1, 1, T0);
	assert_int_equal(ask(-1, 2.5, T0), BUDGET_LOAD);	/* 4.5 */
	/* our jobs wait on disk: the load is below our own average */
	start(8, 0, 4);
	budget_jobs(&B, 2, 1, T0);
	assert_int_equal(ask(-1, 0.0, T0 + 600000), BUDGET_OK);
	assert_true(B.st.estimate > 2.99 && B.st.estimate < 3.01);
}

static void load_cap_rounds_up(void **state)
{
	(void)state;
	start(16, 0, 4.5);
	budget_jobs(&B, 0, 1, T0);
	/* 1 + k - 1 < 4.5: k = 4 more jobs */
	assert_int_equal(ask(-1, 0.0, T0), BUDGET_OK);
	assert_int_equal(B.st.cap, 4);
	start(16, 0, 1e9);
	assert_int_equal(ask(-1, 0.0, T0), BUDGET_OK);
	assert_int_equal(B.st.cap, 16);
}

/* The average is the kernel's: 1 - 1/e of a new job after a minute. */
static void average_follows_a_60s_time_constant(void **state)
{
	(void)state;
	start(8, 0, 100);
	budget_jobs(&B, 1, 0, T0);
	budget_jobs(&B, 1, 0, T0 + BUDGET_LOAD_TAU_MS);
	assert_true(B.avg > 0.6318 && B.avg < 0.6326);
	budget_jobs(&B, 1, 0, T0 + 100 * (int64_t)BUDGET_LOAD_TAU_MS);
	assert_true(B.avg > 0.99999);
	budget_jobs(&B, 0, 0, T0 + 101 * (int64_t)BUDGET_LOAD_TAU_MS);
	budget_jobs(&B, 0, 0, T0 + 102 * (int64_t)BUDGET_LOAD_TAU_MS);
	assert_true(B.avg > 0.3676 && B.avg < 0.3682);
	/* time standing still or going back changes nothing */
	budget_jobs(&B, 5, 0, T0 + 102 * (int64_t)BUDGET_LOAD_TAU_MS);
	budget_jobs(&B, 5, 0, T0);
	assert_true(B.avg > 0.3676 && B.avg < 0.3682);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_counts_a_burst_at_once),
		cmocka_unit_test(load_steady_state_and_an_end),
		cmocka_unit_test(load_of_others),
		cmocka_unit_test(load_cap_rounds_up),
		cmocka_unit_test(average_follows_a_60s_time_constant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
