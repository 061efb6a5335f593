/* Unit tests of nowait.c: parking for a client that never waits, below a
 * parent jobserver, on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nowait.h"
#include "offer.h"

/* Its first look: a fill due at once; a serial first step keeps what was
 * parked for NOWAIT_IDLE_MAX_MS, the longest, so a fan-out after it finds
 * the tokens there. */
static void first_fill_at_once_and_kept_longest(void **state)
{
	struct nowait w;
	int timeout = -1;

	(void)state;
	nowait_init(&w);
	assert_int_equal(nowait_fill_due(&w, 5000, &timeout), 1);
	assert_int_equal(nowait_fill_due(&w, 5000, &timeout), 0);
	assert_int_equal(timeout, NOWAIT_AWAY_MS);	/* no news: a look later */
	nowait_parked(&w, 5000);
	nowait_parked(&w, 5300);	/* the clock runs from the first */
	assert_int_equal(nowait_expired(&w, 5000 + NOWAIT_IDLE_MAX_MS - 1,
					&timeout), 0);
	assert_int_equal(timeout, 1);
	assert_int_equal(nowait_expired(&w, 5000 + NOWAIT_IDLE_MAX_MS,
					&timeout), 1);
}

/* Each look that emptied the fifo asks for a fill at once, and the idle
 * time follows twice the gap between looks, within its bounds. */
static void idle_follows_the_rhythm(void **state)
{
	struct nowait w;
	int timeout = -1;

	(void)state;
	nowait_init(&w);
	assert_int_equal(nowait_idle(&w), NOWAIT_IDLE_MAX_MS);
	nowait_emptied(&w, 1000);
	assert_int_equal(nowait_fill_due(&w, 1000, &timeout), 1);
	assert_int_equal(nowait_idle(&w), NOWAIT_IDLE_MAX_MS);	/* one look */
	nowait_emptied(&w, 1080);
	assert_int_equal(nowait_idle(&w), 160);
	nowait_emptied(&w, 1082);
	assert_int_equal(nowait_idle(&w), OFFER_IDLE_MS);
	nowait_emptied(&w, 5000);
	assert_int_equal(nowait_idle(&w), NOWAIT_IDLE_MAX_MS);
	nowait_emptied(&w, 5090);
	nowait_parked(&w, 5100);
	assert_int_equal(nowait_expired(&w, 5279, &timeout), 0);
	assert_int_equal(nowait_expired(&w, 5280, &timeout), 1);
}

/* Taken back: away for NOWAIT_AWAY_MS (siblings first), then a fill;
 * a return (a job ended: it looks now) ends the away at once and
 * restarts the idle clock. */
static void away_then_fill_or_news(void **state)
{
	struct nowait w;
	int timeout = -1;

	(void)state;
	nowait_init(&w);
	assert_int_equal(nowait_fill_due(&w, 0, &timeout), 1);
	nowait_parked(&w, 0);
	nowait_withdrew(&w, 1000);
	assert_int_equal(nowait_expired(&w, 9000, &timeout), 0);
	timeout = -1;
	assert_int_equal(nowait_fill_due(&w, 1010, &timeout), 0);
	assert_int_equal(timeout, NOWAIT_AWAY_MS - 10);
	assert_int_equal(nowait_fill_due(&w, 1000 + NOWAIT_AWAY_MS, &timeout),
			 1);
	nowait_withdrew(&w, 2000);
	nowait_returned(&w, 2001);
	timeout = -1;
	assert_int_equal(nowait_fill_due(&w, 2001, &timeout), 1);
	assert_int_equal(nowait_expired(&w, 2000 + NOWAIT_IDLE_MAX_MS,
					&timeout), 0);
	assert_int_equal(nowait_expired(&w, 2001 + NOWAIT_IDLE_MAX_MS,
					&timeout), 1);
}

/* Emptied: nothing waits unread, so no idle clock until the next park. */
static void emptied_stops_the_idle_clock(void **state)
{
	struct nowait w;
	int timeout = -1;

	(void)state;
	nowait_init(&w);
	nowait_parked(&w, 0);
	nowait_emptied(&w, 10);
	assert_int_equal(nowait_expired(&w, 100000, &timeout), 0);
	assert_int_equal(timeout, -1);
	nowait_parked(&w, 20);
	assert_int_equal(nowait_expired(&w, 20 + NOWAIT_IDLE_MAX_MS,
					&timeout), 1);
}

/* Its returns in its last jobs, nothing more to start: they do not keep
 * what idles parked for it from going back. */
static void returns_do_not_extend_the_idle(void **state)
{
	struct nowait w;
	int timeout = -1, t;

	(void)state;
	nowait_init(&w);
	nowait_parked(&w, 0);
	for (t = 10; t < NOWAIT_IDLE_MAX_MS; t += 10)
		nowait_returned(&w, t);
	assert_int_equal(nowait_expired(&w, NOWAIT_IDLE_MAX_MS, &timeout), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_fill_at_once_and_kept_longest),
		cmocka_unit_test(idle_follows_the_rhythm),
		cmocka_unit_test(away_then_fill_or_news),
		cmocka_unit_test(emptied_stops_the_idle_clock),
		cmocka_unit_test(returns_do_not_extend_the_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
