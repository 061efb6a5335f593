/* Unit tests of charge.c: when --charge looks at the command's tree, how
 * many tokens it takes for it and when it gives them back, on a fake
 * clock and fake looks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "charge.h"

#define T0 5000000

static struct charge C;

/* Take or give back what the look asks, all of it. */
static int look(int runnable, int held, int64_t now)
{
	int d = charge_look(&C, runnable, held, now);

	charge_took(&C, d);
	return d;
}

static void first_look_after_first_ms(void **state)
{
	int timeout = -1;

	(void)state;
	charge_init(&C, T0);
	assert_int_equal(charge_due(&C, T0, &timeout), 0);
	assert_int_equal(timeout, CHARGE_FIRST_MS);
	timeout = 7;
	assert_int_equal(charge_due(&C, T0 + 1, &timeout), 0);
	assert_int_equal(timeout, 7);
	assert_int_equal(charge_due(&C, T0 + CHARGE_FIRST_MS, &timeout), 1);
}

/* The case: 4 busy processes on the implicit slot are charged
 * within 2 s, and said once. */
static void four_busy_on_one_slot(void **state)
{
	char msg[128];

	(void)state;
	charge_init(&C, T0);
	assert_int_equal(charge_warning(&C, "cmake", msg, sizeof msg), 0);
	assert_int_equal(look(4, 0, T0 + CHARGE_FIRST_MS), 0);
	assert_int_equal(C.next, T0 + CHARGE_FIRST_MS + CHARGE_EVERY_MS);
	assert_int_equal(look(4, 0, C.next), 3);
	assert_true(C.last <= T0 + 2000);
	assert_int_equal(C.charged, 3);
	assert_int_equal(charge_warning(&C, "cmake", msg, sizeof msg), 1);
	assert_string_equal(msg, "cmake runs 4 processes on 1 slot: it "
			    "ignores the jobserver");
	assert_int_equal(charge_warning(&C, "cmake", msg, sizeof msg), 0);
	/* steady: nothing moves, still once a second */
	assert_int_equal(look(4, 0, C.next), 0);
	assert_int_equal(C.next - C.last, CHARGE_EVERY_MS);
}

static void a_blip_costs_nothing(void **state)
{
	char msg[128];

	(void)state;
	charge_init(&C, T0);
	assert_int_equal(look(3, 0, T0 + 500), 0);
	assert_int_equal(look(1, 0, T0 + 1500), 0);
	assert_int_equal(look(3, 0, T0 + 2500), 0);
	assert_int_equal(look(0, 0, T0 + 3500), 0);
	assert_int_equal(C.charged, 0);
	assert_int_equal(charge_warning(&C, "x", msg, sizeof msg), 0);
	/* runnable up to held + 1 is no excess */
	charge_init(&C, T0);
	assert_int_equal(look(3, 2, T0 + 500), 0);
	assert_int_equal(look(3, 2, T0 + 1500), 0);
	assert_int_equal(look(3, 2, T0 + 2500), 0);
}

static void rises_to_the_least_of_the_last_looks(void **state)
{
	char msg[128];

	(void)state;
	charge_init(&C, T0);
	assert_int_equal(look(6, 0, T0 + 500), 0);
	assert_int_equal(look(4, 1, T0 + 1500), 2);	/* 5 then 2 over */
	assert_int_equal(charge_warning(&C, "go", msg, sizeof msg), 1);
	assert_string_equal(msg, "go runs 4 processes on 2 slots: it ignores "
			    "the jobserver");
	assert_int_equal(look(9, 1, T0 + 2500), 0);	/* 2 and 7: least 2 */
	assert_int_equal(look(9, 1, T0 + 3500), 5);
	assert_int_equal(C.charged, 7);
	assert_int_equal(C.peak, 7);
}

/* The tree calms down: the charge comes back after three calmer looks,
 * to the most of them. */
static void falls_to_the_most_of_the_last_looks(void **state)
{
	(void)state;
	charge_init(&C, T0);
	look(5, 0, T0 + 500);
	look(5, 0, T0 + 1500);
	assert_int_equal(C.charged, 4);
	assert_int_equal(look(2, 0, T0 + 2500), 0);
	assert_int_equal(look(3, 0, T0 + 3500), 0);
	assert_int_equal(look(1, 0, T0 + 4500), -2);	/* 1, 2, 0: most 2 */
	assert_int_equal(C.charged, 2);
	assert_int_equal(look(1, 0, T0 + 5500), 0);
	assert_int_equal(look(1, 0, T0 + 6500), -2);
	assert_int_equal(C.charged, 0);
	assert_int_equal(C.peak, 4);
}

/* The tree starts to read the jobserver: what it holds covers it. */
static void tokens_held_replace_the_charge(void **state)
{
	(void)state;
	charge_init(&C, T0);
	look(4, 0, T0 + 500);
	look(4, 0, T0 + 1500);
	assert_int_equal(C.charged, 3);
	look(4, 3, T0 + 2500);
	look(4, 3, T0 + 3500);
	assert_int_equal(look(4, 3, T0 + 4500), -3);
	assert_int_equal(C.next - C.last, CHARGE_EVERY_MS);	/* the last */
	look(4, 3, C.next);
	assert_int_equal(C.next - C.last, 2 * CHARGE_EVERY_MS);
}

static void no_flapping(void **state)
{
	int i, moves = 0;

	(void)state;
	charge_init(&C, T0);
	for (i = 0; i < 50; i++)
		moves += look(i % 2 ? 4 : 1, 0, T0 + 500 + 1000 * i) != 0;
	assert_int_equal(moves, 0);
	charge_init(&C, T0);
	look(3, 0, T0 + 500);
	look(3, 0, T0 + 1500);
	for (i = 0; i < 50; i++)
		moves += look(i % 2 ? 4 : 1, 0, T0 + 2500 + 1000 * i) != 0;
	assert_int_equal(moves, 0);
	assert_int_equal(C.charged, 2);
}

/* An idle command costs a few looks, not one a second. */
static void idle_tree_backs_off(void **state)
{
	int64_t now = T0;
	int looks = 0;

	(void)state;
	charge_init(&C, T0);
	while (now < T0 + 600000) {
		int timeout = -1;

		if (charge_due(&C, now, &timeout)) {
			look(0, 0, now);
			looks++;
			continue;
		}
		now += timeout;
	}
	assert_true(looks <= 16);
	assert_int_equal(C.next - C.last, CHARGE_IDLE_MAX_MS);
	/* it wakes up: one second after a poke, and every second then */
	charge_poke(&C, C.last + 200);
	assert_int_equal(C.next, C.last + CHARGE_EVERY_MS);
	now = C.next;
	look(5, 0, now);
	assert_int_equal(C.next, now + CHARGE_EVERY_MS);
	charge_poke(&C, now + 5000);	/* late: at once */
	assert_int_equal(C.next, now + CHARGE_EVERY_MS);
}

/* However it is driven, two looks are a second apart at least. */
static void at_most_once_a_second(void **state)
{
	int64_t now = T0, prev = -1;
	int i;

	(void)state;
	charge_init(&C, T0);
	for (i = 0; i < 400; i++) {
		int timeout = -1;

		if (i % 3 == 0)
			charge_poke(&C, now);
		if (charge_due(&C, now, &timeout)) {
			if (prev >= 0)
				assert_true(now - prev >= CHARGE_EVERY_MS);
			prev = now;
			look(i % 7, 0, now);
		} else {
			now += timeout < 100 ? timeout : 100;
		}
	}
	assert_true(C.looks > 10);
}

/* Where a PSI trigger wakes us, an idle command costs no look at all, and
 * its token traffic (pokes) none either. */
static void no_look_without_pressure(void **state)
{
	int64_t now;
	int timeout = -1;

	(void)state;
	charge_init(&C, T0);
	charge_by_pressure(&C);
	for (now = T0; now < T0 + 600000; now += 250) {
		charge_poke(&C, now);
		assert_int_equal(charge_due(&C, now, &timeout), 0);
	}
	assert_int_equal(timeout, -1);
	assert_int_equal(C.looks, 0);
}

/* A pressure event starts the looks: once a second while the tree runs
 * more than it holds or holds a charge, none once it is calm again. */
static void pressure_starts_the_looks(void **state)
{
	int timeout = -1;

	(void)state;
	charge_init(&C, T0);
	charge_by_pressure(&C);
	charge_pressure(&C, T0 + 300);
	assert_int_equal(charge_due(&C, T0 + 300, &timeout), 1);
	assert_int_equal(look(4, 0, T0 + 300), 0);
	assert_int_equal(C.next, T0 + 1300);
	charge_pressure(&C, T0 + 400);		/* no sooner than a second */
	assert_int_equal(C.next, T0 + 1300);
	assert_int_equal(look(4, 0, T0 + 1300), 3);	/* within 2 s */
	look(1, 0, T0 + 2300);
	look(1, 0, T0 + 3300);
	assert_int_equal(look(1, 0, T0 + 4300), -3);
	assert_int_equal(C.next, T0 + 5300);	/* the last, for a charge */
	assert_int_equal(C.window, CHARGE_PSI_MIN_MS);
	assert_int_equal(look(1, 0, T0 + 5300), 0);
	assert_int_equal(C.next, -1);		/* calm: wait for pressure */
	assert_int_equal(charge_due(&C, T0 + 99000, &timeout), 0);
	assert_int_equal(timeout, -1);
	charge_pressure(&C, T0 + 5400);
	assert_int_equal(C.next, T0 + 6300);
	/* calm looks on a machine that stays contended: the trigger's window
	 * widens to the kernel's largest; an excess narrows it again */
	assert_int_equal(C.window, 2 * CHARGE_PSI_MIN_MS);
	look(0, 0, T0 + 6300);
	look(0, 0, T0 + 7300);
	look(0, 0, T0 + 8300);
	assert_int_equal(C.window, CHARGE_PSI_MAX_MS);
	look(3, 0, T0 + 9300);
	assert_int_equal(C.window, CHARGE_PSI_MIN_MS);
	/* the trigger is gone (an error on it): timed looks again */
	charge_init(&C, T0);
	charge_by_pressure(&C);
	charge_pressure_lost(&C, T0 + 700);
	assert_int_equal(charge_due(&C, T0 + 700, &timeout), 1);
	look(0, 0, T0 + 700);
	assert_int_equal(C.next, T0 + 700 + 2 * CHARGE_EVERY_MS);
}

static void took_counts_what_was_got(void **state)
{
	(void)state;
	charge_init(&C, T0);
	charge_look(&C, 9, 0, T0 + 500);
	assert_int_equal(charge_look(&C, 9, 0, T0 + 1500), 8);
	charge_took(&C, 2);		/* the parent had only 2 free */
	assert_int_equal(charge_look(&C, 9, 0, T0 + 2500), 6);
	charge_took(&C, -5);
	assert_int_equal(C.charged, 0);
	assert_int_equal(C.peak, 2);
	assert_int_equal(charge_look(&C, 9, -3, T0 + 3500), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_look_after_first_ms),
		cmocka_unit_test(four_busy_on_one_slot),
		cmocka_unit_test(a_blip_costs_nothing),
		cmocka_unit_test(rises_to_the_least_of_the_last_looks),
		cmocka_unit_test(falls_to_the_most_of_the_last_looks),
		cmocka_unit_test(tokens_held_replace_the_charge),
		cmocka_unit_test(no_flapping),
		cmocka_unit_test(idle_tree_backs_off),
		cmocka_unit_test(at_most_once_a_second),
		cmocka_unit_test(took_counts_what_was_got),
		cmocka_unit_test(no_look_without_pressure),
		cmocka_unit_test(pressure_starts_the_looks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
