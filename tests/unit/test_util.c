/*
 * Unit tests for util.c: the one bounded number parser that every option,
 * environment variable and file holding a number goes through, the poll
 * timeout helper and the clock.
 *
 * make tests/unit/test_util && ./tests/unit/test_util
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>

#include "util.h"

static void decimal_whole_strings(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(num_parse("0", 10, 10, NULL, &v), 1);
	assert_int_equal(v, 0);
	assert_int_equal(num_parse("007", 10, 10, NULL, &v), 1);
	assert_int_equal(v, 7);
	assert_int_equal(num_parse("65536", 10, 65536, NULL, &v), 1);
	assert_int_equal(v, 65536);
	/* Nothing but digits: no sign, no blank, no base prefix. */
	assert_int_equal(num_parse("", 10, 10, NULL, &v), 0);
	assert_int_equal(num_parse(NULL, 10, 10, NULL, &v), 0);
	assert_int_equal(num_parse("+1", 10, 10, NULL, &v), 0);
	assert_int_equal(num_parse("-1", 10, 10, NULL, &v), 0);
	assert_int_equal(num_parse(" 1", 10, 10, NULL, &v), 0);
	assert_int_equal(num_parse("1 ", 10, 10, NULL, &v), 0);
	assert_int_equal(num_parse("4x", 10, 10, NULL, &v), 0);
	assert_int_equal(num_parse("0x1", 10, 10, NULL, &v), 0);
}

static void bounds_never_wrap(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(num_parse("65537", 10, 65536, NULL, &v), 0);
	assert_int_equal(num_parse("18446744073709551615", 10, UINT64_MAX,
				   NULL, &v), 1);
	assert_true(v == UINT64_MAX);
	/* One more than 2^64 - 1, and far more: above, not wrapped. */
	assert_int_equal(num_parse("18446744073709551616", 10, UINT64_MAX,
				   NULL, &v), 0);
	assert_int_equal(num_parse("99999999999999999999999", 10, 100, NULL,
				   &v), 0);
	assert_int_equal(num_parse("5", 10, 0, NULL, &v), 0);
	assert_int_equal(num_parse("0", 10, 0, NULL, &v), 1);
}

static void octal(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(num_parse("0666", 8, 07777, NULL, &v), 1);
	assert_int_equal(v, 0666);
	assert_int_equal(num_parse("7777", 8, 07777, NULL, &v), 1);
	assert_int_equal(num_parse("17777", 8, 07777, NULL, &v), 0);
	assert_int_equal(num_parse("8", 8, 07777, NULL, &v), 0);
	assert_int_equal(num_parse("09", 8, 07777, NULL, &v), 0);
}

static void end_pointer(void **state)
{
	const char *s = "12:34", *end = NULL;
	uint64_t v;

	(void)state;
	assert_int_equal(num_parse(s, 10, 100, &end, &v), 1);
	assert_int_equal(v, 12);
	assert_ptr_equal(end, s + 2);
	assert_int_equal(num_parse(end + 1, 10, 100, &end, &v), 1);
	assert_int_equal(v, 34);
	assert_int_equal(*end, '\0');
	assert_int_equal(num_parse(":1", 10, 100, &end, &v), 0);
}

static void num_int_ranges(void **state)
{
	int v = -5;

	(void)state;
	assert_int_equal(num_int("1", 1, 65536, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(num_int("0", 1, 65536, &v), 0);
	assert_int_equal(num_int("65537", 1, 65536, &v), 0);
	assert_int_equal(num_int("2147483647", 0, INT_MAX, &v), 1);
	assert_int_equal(v, INT_MAX);
	assert_int_equal(num_int("2147483648", 0, INT_MAX, &v), 0);
	assert_int_equal(num_int(NULL, 0, 1, &v), 0);
}

static void sizes(void **state)
{
	int64_t v = -1;

	(void)state;
	assert_int_equal(num_size("700M", &v), 1);
	assert_int_equal(v, 700LL << 20);
	assert_int_equal(num_size("2g", &v), 1);
	assert_int_equal(v, 2LL << 30);
	assert_int_equal(num_size("64k", &v), 1);
	assert_int_equal(v, 64LL << 10);
	assert_int_equal(num_size("4096", &v), 1);
	assert_int_equal(v, 4096);
	assert_int_equal(num_size("1048576G", &v), 1);
	assert_int_equal(v, 1LL << 50);
	v = 7;
	assert_int_equal(num_size("1048577G", &v), 0);
	assert_int_equal(num_size("0", &v), 0);
	assert_int_equal(num_size("0M", &v), 0);
	assert_int_equal(num_size("M", &v), 0);
	assert_int_equal(num_size("", &v), 0);
	assert_int_equal(num_size("7MB", &v), 0);
	assert_int_equal(num_size("7T", &v), 0);
	assert_int_equal(num_size("-1M", &v), 0);
	assert_int_equal(num_size(" 1M", &v), 0);
	assert_int_equal(num_size("99999999999999999999999M", &v), 0);
	assert_int_equal(v, 7);
}

static void timeouts(void **state)
{
	int t = -1;

	(void)state;
	timeout_lower(&t, 20);
	assert_int_equal(t, 20);
	timeout_lower(&t, 40);
	assert_int_equal(t, 20);
	timeout_lower(&t, -3);
	assert_int_equal(t, 0);
	t = -1;
	timeout_lower(&t, (int64_t)INT_MAX * 4);
	assert_int_equal(t, INT_MAX);
}

/* Microseconds to a wait in milliseconds: rounded up, never below 0, and
 * the finer moment (wake_lower) only ever lowered, 0 being none. */
static void finer_waits(void **state)
{
	int64_t w = 0;

	(void)state;
	assert_int_equal(ms_ceil(0), 0);
	assert_int_equal(ms_ceil(1), 1);
	assert_int_equal(ms_ceil(1000), 1);
	assert_int_equal(ms_ceil(1001), 2);
	assert_int_equal(ms_ceil(-5000), 0);
	wake_lower(&w, 700);
	assert_int_equal(w, 700);
	wake_lower(&w, 900);
	assert_int_equal(w, 700);
	wake_lower(&w, 300);
	assert_int_equal(w, 300);
}

static void clock_is_monotonic_64_bit(void **state)
{
	int64_t a = now_us(), b = now_us(), m = now_ms();

	(void)state;
	assert_true(b >= a);
	assert_true(m >= a / 1000);
	assert_int_equal(sizeof a, 8);
}

static void cores_from_nix(void **state)
{
	(void)state;
	setenv("NIX_BUILD_CORES", "7", 1);
	assert_int_equal(cores(), 7);
	setenv("NIX_BUILD_CORES", "0", 1);	/* nix's 0: all CPUs */
	assert_true(cores() >= 1);
	setenv("NIX_BUILD_CORES", "junk", 1);
	assert_true(cores() >= 1);
	unsetenv("NIX_BUILD_CORES");
	assert_true(cores() >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decimal_whole_strings),
		cmocka_unit_test(bounds_never_wrap),
		cmocka_unit_test(octal),
		cmocka_unit_test(end_pointer),
		cmocka_unit_test(num_int_ranges),
		cmocka_unit_test(sizes),
		cmocka_unit_test(timeouts),
		cmocka_unit_test(finer_waits),
		cmocka_unit_test(clock_is_monotonic_64_bit),
		cmocka_unit_test(cores_from_nix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
