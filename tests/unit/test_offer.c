/* Unit tests of offer.c: the park/withdraw policy on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "offer.h"

static void idle_token_expires_after_idle_ms(void **state)
{
	struct offer o;
	int timeout = -1;

	(void)state;
	memset(&o, 0, sizeof o);
	offer_parked(&o, 1000);
	assert_int_equal(offer_expired(&o, 1000, &timeout), 0);
	assert_int_equal(timeout, OFFER_IDLE_MS);
	timeout = 5;
	assert_int_equal(offer_expired(&o, 1010, &timeout), 0);
	assert_int_equal(timeout, 5);	/* only ever lowered */
	timeout = -1;
	assert_int_equal(offer_expired(&o, 1000 + OFFER_IDLE_MS, &timeout), 1);
	assert_int_equal(timeout, -1);
}

static void backoff_doubles_to_the_cap(void **state)
{
	struct offer o;
	long now = 0, want = OFFER_PROBE_MIN_MS;
	int i;

	(void)state;
	memset(&o, 0, sizeof o);
	for (i = 0; i < 20; i++) {
		int timeout = -1;

		offer_withdrew(&o, now);
		assert_int_equal(o.backoff, want);
		assert_int_equal(offer_due(&o, now, &timeout), 0);
		assert_int_equal(timeout, want);
		assert_int_equal(offer_due(&o, now + want - 1, &timeout), 0);
		assert_int_equal(offer_due(&o, now + want, &timeout), 1);
		/* due once: the probe is spent */
		assert_int_equal(o.probe_at, 0);
		now += want;
		want = want * 2 > OFFER_PROBE_MAX_MS ? OFFER_PROBE_MAX_MS
						     : want * 2;
	}
}

static void hunger_resets_everything(void **state)
{
	struct offer o;
	int timeout = -1;

	(void)state;
	memset(&o, 0, sizeof o);
	offer_withdrew(&o, 0);
	offer_withdrew(&o, 100);
	offer_hungry(&o);
	assert_int_equal(offer_due(&o, 101, &timeout), 1);
	assert_int_equal(timeout, -1);
	offer_withdrew(&o, 200);
	assert_int_equal(o.backoff, OFFER_PROBE_MIN_MS);
}

static void fresh_offer_is_due_at_once(void **state)
{
	struct offer o;
	int timeout = -1;

	(void)state;
	memset(&o, 0, sizeof o);
	assert_int_equal(offer_due(&o, 0, &timeout), 1);
	assert_int_equal(timeout, -1);
}

/* An idle child costs a logarithmic number of wakeups, not a periodic
 * stream: count withdraw + probe pairs over 2 s of a child that never
 * reads (the footprint benchmark's case). */
static void idle_child_wakeups_are_few(void **state)
{
	struct offer o;
	long now = 0;
	int wakeups = 0;

	(void)state;
	memset(&o, 0, sizeof o);
	offer_parked(&o, now);
	while (now < 2000) {
		int timeout = -1;

		if (o.probe_at == 0) {		/* parked: wait to expire */
			offer_expired(&o, now, &timeout);
			now += timeout;
			offer_withdrew(&o, now);
		} else {			/* withdrawn: wait to offer */
			offer_due(&o, now, &timeout);
			now += timeout;
			offer_due(&o, now, &timeout);
			offer_parked(&o, now);
		}
		wakeups++;
	}
	assert_true(wakeups <= 14);
}

static void kept_return_idles_shorter(void **state)
{
	struct offer o;
	int timeout = -1;

	(void)state;
	memset(&o, 0, sizeof o);
	offer_kept(&o, 1000);
	assert_int_equal(offer_expired(&o, 1000, &timeout), 0);
	assert_int_equal(timeout, OFFER_KEPT_IDLE_MS);
	assert_int_equal(offer_expired(&o, 1000 + OFFER_KEPT_IDLE_MS, &timeout),
			 1);
	/* a fresh offer after it gets the full wait again */
	offer_parked(&o, 2000);
	assert_int_equal(offer_expired(&o, 2000 + OFFER_KEPT_IDLE_MS, &timeout),
			 0);
	assert_int_equal(offer_expired(&o, 2000 + OFFER_IDLE_MS, &timeout), 1);
}

static void spare_only_for_fast_returns(void **state)
{
	struct offer o;
	long long t = 5000000;

	(void)state;
	memset(&o, 0, sizeof o);
	/* the first return ever: nothing to compare with */
	assert_int_equal(offer_keep(&o, t), 1);
	/* jobs of a millisecond or more: one token parked, never two */
	t += 1000;
	assert_int_equal(offer_keep(&o, t), 1);
	t += OFFER_HOT_US;
	assert_int_equal(offer_keep(&o, t), 1);
	/* a tight acquire+release loop: keep a spare */
	t += OFFER_HOT_US - 1;
	assert_int_equal(offer_keep(&o, t), 2);
	t += 10;
	assert_int_equal(offer_keep(&o, t), 2);
	/* it slowed down: back to one */
	t += 20000;
	assert_int_equal(offer_keep(&o, t), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_token_expires_after_idle_ms),
		cmocka_unit_test(backoff_doubles_to_the_cap),
		cmocka_unit_test(hunger_resets_everything),
		cmocka_unit_test(fresh_offer_is_due_at_once),
		cmocka_unit_test(idle_child_wakeups_are_few),
		cmocka_unit_test(spare_only_for_fast_returns),
		cmocka_unit_test(kept_return_idles_shorter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
