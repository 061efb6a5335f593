/* Unit tests of offer.c: the park/withdraw policy on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "offer.h"

/* The offer's clock is in microseconds; its timeouts are poll()'s ms. */
#define MS 1000

static void idle_token_expires_after_idle_ms(void **state)
{
	struct offer o;
	int timeout = -1;

	(void)state;
	memset(&o, 0, sizeof o);
	offer_parked(&o, 1000 * MS);
	assert_int_equal(offer_expired(&o, 1000 * MS, &timeout), 0);
	assert_int_equal(timeout, OFFER_IDLE_MS);
	timeout = 5;
	assert_int_equal(offer_expired(&o, 1010 * MS, &timeout), 0);
	assert_int_equal(timeout, 5);	/* only ever lowered */
	/* a part of a millisecond left: the wait is rounded up, not down */
	timeout = -1;
	assert_int_equal(offer_expired(&o, (1000 + OFFER_IDLE_MS) * MS - 1,
				       &timeout), 0);
	assert_int_equal(timeout, 1);
	timeout = -1;
	assert_int_equal(offer_expired(&o, (1000 + OFFER_IDLE_MS) * MS,
				       &timeout), 1);
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
		assert_int_equal(offer_due(&o, now + want * MS - 1, &timeout),
				 0);
		assert_int_equal(offer_due(&o, now + want * MS, &timeout), 1);
		/* due once: the probe is spent */
		assert_int_equal(o.probe_at, 0);
		now += want * MS;
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
	offer_withdrew(&o, 100 * MS);
	offer_hungry(&o);
	assert_int_equal(offer_due(&o, 101 * MS, &timeout), 1);
	assert_int_equal(timeout, -1);
	offer_withdrew(&o, 200 * MS);
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
	while (now < 2000 * MS) {
		int timeout = -1;

		if (o.probe_at == 0) {		/* parked: wait to expire */
			offer_expired(&o, now, &timeout);
			now += timeout * MS;
			offer_withdrew(&o, now);
		} else {			/* withdrawn: wait to offer */
			offer_due(&o, now, &timeout);
			now += timeout * MS;
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
	offer_kept(&o, 1000 * MS);
	assert_int_equal(offer_expired(&o, 1000 * MS, &timeout), 0);
	assert_int_equal(timeout, OFFER_KEPT_IDLE_MS);
	assert_int_equal(offer_expired(&o, (1000 + OFFER_KEPT_IDLE_MS) * MS,
				       &timeout), 1);
	/* a fresh offer after it gets the full wait again */
	offer_parked(&o, 2000 * MS);
	assert_int_equal(offer_expired(&o, (2000 + OFFER_KEPT_IDLE_MS) * MS,
				       &timeout), 0);
	assert_int_equal(offer_expired(&o, (2000 + OFFER_IDLE_MS) * MS,
				       &timeout), 1);
}

/* Looks at a parked token come at 0.3, 0.6, 1.2, 2.4, 4.8, 9.6 and 19.2 ms
 * after the parking (up to 4.8 for a kept one, which idles out at 5), none
 * at or past its idle time, and each says when the next is, to the
 * microsecond. */
static void looks_double_until_idle(void **state)
{
	struct offer o;
	int n;
	int64_t t, wake, t0 = 1000 * MS;

	(void)state;
	memset(&o, 0, sizeof o);
	offer_parked(&o, t0);
	wake = 0;
	assert_int_equal(offer_look_due(&o, t0, &wake), 0);
	assert_int_equal(wake, t0 + OFFER_LOOK_US);
	wake = t0 + 100;	/* only ever lowered */
	assert_int_equal(offer_look_due(&o, t0, &wake), 0);
	assert_int_equal(wake, t0 + 100);
	for (n = 0, t = t0; t < t0 + (OFFER_IDLE_MS + 5) * MS; t += 10) {
		wake = 0;
		if (!offer_look_due(&o, t, &wake))
			continue;
		assert_int_equal(t - t0, OFFER_LOOK_US << n);
		n++;
		if (t - t0 < OFFER_IDLE_MS * MS / 2)
			assert_int_equal(wake, t0 + (OFFER_LOOK_US << n));
		else
			assert_int_equal(wake, 0);	/* idles out first */
	}
	assert_int_equal(n, 7);
	t0 = 2000 * MS;
	offer_kept(&o, t0);
	for (n = 0, t = t0; t < t0 + (OFFER_KEPT_IDLE_MS + 5) * MS; t += 10)
		if (offer_look_due(&o, t, &(int64_t){ 0 }))
			assert_int_equal(t - t0, OFFER_LOOK_US << n++);
	assert_int_equal(n, 5);
}

/* Taken back: no look is due until the next parking. */
static void no_look_after_withdrawal(void **state)
{
	struct offer o;
	int64_t wake = 0;

	(void)state;
	memset(&o, 0, sizeof o);
	assert_int_equal(offer_look_due(&o, 1000 * MS, &wake), 0);
	assert_int_equal(wake, 0);
	offer_parked(&o, 1000 * MS);
	offer_withdrew(&o, 1001 * MS);
	assert_int_equal(offer_look_due(&o, 1100 * MS, &wake), 0);
	assert_int_equal(wake, 0);
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

/* The first offer, and one after a sign of life, never wait for a look:
 * the zero-latency path.  Only the offer after a withdrawal is a probe. */
static void only_probes_look(void **state)
{
	struct offer o;
	int timeout = -1;

	(void)state;
	memset(&o, 0, sizeof o);
	assert_int_equal(offer_due(&o, 0, &timeout), 1);
	assert_int_equal(offer_probing(&o), 0);
	offer_withdrew(&o, 0);
	assert_int_equal(offer_due(&o, 5000 * MS, &timeout), 1);
	assert_int_equal(offer_probing(&o), 1);
	offer_hungry(&o);
	assert_int_equal(offer_due(&o, 5000 * MS, &timeout), 1);
	assert_int_equal(offer_probing(&o), 0);
}

/* A look that finds the tree not waiting parks nothing and moves the
 * probe on, doubling as a withdrawal would; one that finds it waiting, or
 * cannot tell, lets the offer stand until it is made. */
static void look_decides_the_probe(void **state)
{
	struct offer o;
	int timeout = -1;

	(void)state;
	memset(&o, 0, sizeof o);
	o.rng = 12345;
	offer_withdrew(&o, 0);
	assert_int_equal(offer_due(&o, 100 * MS, &timeout), 1);
	assert_int_equal(offer_looked(&o, 100 * MS, OFFER_NOT_WAITING,
				      &timeout), 0);
	assert_int_equal(o.backoff, 2 * OFFER_PROBE_MIN_MS);
	assert_in_range(timeout, 2 * OFFER_PROBE_MIN_MS,
			2 * OFFER_PROBE_MIN_MS * (OFFER_JITTER + 1) / OFFER_JITTER);
	assert_int_equal(offer_probing(&o), 1);
	assert_int_equal(offer_due(&o, (100 + timeout) * MS - 1,
				   &(int){ -1 }), 0);
	assert_int_equal(offer_due(&o, (100 + timeout) * MS, &(int){ -1 }), 1);
	timeout = -1;
	assert_int_equal(offer_looked(&o, 300 * MS, OFFER_WAITING, &timeout), 1);
	assert_int_equal(timeout, -1);
	/* the offer stands: no second look while a token is on its way */
	assert_int_equal(offer_due(&o, 301 * MS, &timeout), 1);
	assert_int_equal(offer_probing(&o), 0);
	offer_withdrew(&o, 400 * MS);
	assert_int_equal(offer_due(&o, 9000 * MS, &timeout), 1);
	assert_int_equal(offer_looked(&o, 9000 * MS, OFFER_CANNOT_TELL,
				      &timeout), 1);
	assert_int_equal(offer_probing(&o), 0);
}

/* An idle tree that /proc tells about: after its first second, at most
 * one wakeup (a look) a second, and never a token parked. */
static void idle_tree_one_look_a_second(void **state)
{
	struct offer o;
	int64_t now = 0, last = 0;
	int looks = 0;

	(void)state;
	memset(&o, 0, sizeof o);
	o.rng = 99;
	offer_parked(&o, 0);		/* the first offer, at start */
	offer_withdrew(&o, OFFER_IDLE_MS * MS);
	while (now < 11000 * MS) {
		int timeout = -1;

		assert_int_equal(offer_due(&o, now, &timeout), 0);
		now += timeout * MS;
		assert_int_equal(offer_due(&o, now, &(int){ -1 }), 1);
		assert_int_equal(offer_probing(&o), 1);
		assert_int_equal(offer_looked(&o, now, OFFER_NOT_WAITING,
					      &(int){ -1 }), 0);
		if (last >= 1000 * MS)
			assert_true(now - last >= 1000 * MS);
		if (now >= 1000 * MS && now < 11000 * MS)
			looks++;
		last = now;
	}
	assert_in_range(looks, 8, 10);
}

/* Children started together, withdrawn at the same moment: their probes
 * spread over the quarter after the back-off instead of coinciding. */
static void jitter_spreads_probes(void **state)
{
	int64_t at[50];
	int i, j, distinct = 0;

	(void)state;
	for (i = 0; i < 50; i++) {
		struct offer o;

		memset(&o, 0, sizeof o);
		o.rng = (uint32_t)(i + 1) * 2654435761u | 1;
		for (j = 0; j < 10; j++)	/* up to the cap */
			offer_withdrew(&o, 0);
		at[i] = o.probe_at;
		assert_in_range(at[i], OFFER_PROBE_MAX_MS * MS,
				(OFFER_PROBE_MAX_MS + OFFER_PROBE_MAX_MS /
				 OFFER_JITTER) * MS);
	}
	for (i = 0; i < 50; i++) {
		for (j = 0; j < i && at[j] != at[i]; j++)
			;
		distinct += j == i;
	}
	assert_true(distinct >= 40);
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
		cmocka_unit_test(looks_double_until_idle),
		cmocka_unit_test(no_look_after_withdrawal),
		cmocka_unit_test(only_probes_look),
		cmocka_unit_test(look_decides_the_probe),
		cmocka_unit_test(idle_tree_one_look_a_second),
		cmocka_unit_test(jitter_spreads_probes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
