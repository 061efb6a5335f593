/*
 * Unit tests for proto.c, the daemon protocol's parse and format: every
 * request a peer may send, byte by byte as it arrives, and every answer a
 * client may read.  What the daemon reads comes from any local user that
 * can reach its socket: untrusted input.
 *
 * make tests/unit/test_proto && ./tests/unit/test_proto
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto.h"

static struct proto_req req(const char *s, size_t len)
{
	struct proto_req r;

	proto_request(s, len, &r);
	return r;
}

#define REQ(lit) req(lit, sizeof lit - 1)

static void good_requests(void **state)
{
	struct proto_req r;

	(void)state;
	assert_int_equal(REQ("jobserver\n").kind, PR_JOBSERVER);
	assert_int_equal(REQ("status\n").kind, PR_STATUS);
	r = REQ("jobs 16\n");
	assert_int_equal(r.kind, PR_JOBS);
	assert_int_equal(r.jobs, 16);
	r = REQ("jobs 65536\n");
	assert_int_equal(r.kind, PR_JOBS);
	assert_int_equal(r.jobs, 65536);
	assert_int_equal(REQ("jobs 1\n").jobs, 1);
}

/* A request arrives in pieces: every proper prefix of a good line is
 * PR_MORE, never a verdict. */
static void partial_lines_wait(void **state)
{
	static const char *const lines[] = {
		"jobserver\n", "status\n", "jobs 12\n", "hello\n"
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		for (n = 0; n < strlen(lines[i]); n++)
			assert_int_equal(req(lines[i], n).kind, PR_MORE);
}

static void expect_bad(const char *s, size_t len, const char *why,
		       size_t shown)
{
	struct proto_req r = req(s, len);

	assert_int_equal(r.kind, PR_BAD);
	assert_string_equal(r.why, why);
	assert_int_equal(r.shown, shown);
}

#define BAD(lit, why, shown) expect_bad(lit, sizeof lit - 1, why, shown)

static void bad_requests(void **state)
{
	char big[PROTO_LINE];

	(void)state;
	BAD("jobs 0\n", "bad job count: 1..65536", 6);
	BAD("jobs 65537\n", "bad job count: 1..65536", 10);
	BAD("jobs 99999999999999999999\n", "bad job count: 1..65536", 25);
	BAD("jobs -3\n", "bad job count: 1..65536", 7);
	BAD("jobs +3\n", "bad job count: 1..65536", 7);
	BAD("jobs \n", "bad job count: 1..65536", 5);
	BAD("jobs 3 \n", "bad job count: 1..65536", 7);
	BAD("hello\n", "bad request: unknown", 5);
	BAD("STATUS\n", "bad request: unknown", 6);
	BAD("status \n", "bad request: unknown", 7);
	BAD("\n", "bad request: unknown", 0);
	/* A NUL ends no line: "status\0junk" is no "status". */
	BAD("status\0junk\n", "bad request: not a line of text", 11);
	BAD("jobserver\0\n", "bad request: not a line of text", 10);
	BAD("status\nstatus\n", "bad request: more than one line", 14);
	BAD("\xff\x00\x01garbage\n", "bad request: not a line of text", 10);
	/* Not text: said at once, before any "\n". */
	BAD("\xff", "bad request: not a line of text", 1);
	memset(big, 'x', sizeof big);
	expect_bad(big, PROTO_LINE - 1, "bad request: longer than 63 bytes",
		   PROTO_LINE - 1);
	assert_int_equal(req(big, PROTO_LINE - 2).kind, PR_MORE);
}

static void shown_is_printable_and_bounded(void **state)
{
	char buf[20], small[16];

	(void)state;
	assert_string_equal(proto_shown("ab\\c\n\xff", 6, buf, sizeof buf),
			    "ab\\x5cc\\x0a\\xff");
	/* Cut to fit, whole escapes only, NUL-terminated. */
	proto_shown("ab\\c\n\xff", 6, small, sizeof small);
	assert_string_equal(small, "ab\\x5cc\\x0a");
	proto_shown("\xff\xff\xff\xff\xff", 5, small, sizeof small);
	assert_string_equal(small, "\\xff\\xff\\xff");
}

static void answers(void **state)
{
	char buf[PROTO_ANSWER];
	size_t n;

	(void)state;
	proto_hello(buf, sizeof buf, 16);
	assert_string_equal(buf, "jobproxy 1 16\n");
	proto_error(buf, sizeof buf, "not allowed");
	assert_string_equal(buf, "error: not allowed\n");
	n = proto_status_head(buf, sizeof buf, 4, 3, 1);
	assert_string_equal(buf, "pool 4 free 3 clients 1\n");
	assert_int_equal(n, strlen(buf));
	/* A shrunk pool still owed tokens shows free 0, not below. */
	proto_status_head(buf, sizeof buf, 2, -3, 2);
	assert_string_equal(buf, "pool 2 free 0 clients 2\n");
	n = proto_status_client(buf, sizeof buf, -1, 1000, 2);
	assert_string_equal(buf, "client -1 1000 held 2\n");
	/* Cut: the count says what is there, never past the buffer. */
	n = proto_status_client(buf, 8, 12345, 1000, 2);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "client ");
}

static int answer(const char *s, size_t len, int *jobs, char *why)
{
	return proto_answer(s, len, jobs, why, 200);
}

#define ANS(lit, jobs, why) answer(lit, sizeof lit - 1, jobs, why)

static void client_reads_answers(void **state)
{
	char why[200];
	int jobs = 0;

	(void)state;
	assert_int_equal(ANS("jobproxy 1 16\n", &jobs, why), 1);
	assert_int_equal(jobs, 16);
	assert_int_equal(ANS("error: not allowed: uid 5\n", &jobs, why), 0);
	assert_string_equal(why, "not allowed: uid 5");
	assert_int_equal(ANS("error: a\x01" "b\n", &jobs, why), 0);
	assert_string_equal(why, "a?b");
	assert_int_equal(ANS("jobproxy 2 16\n", &jobs, why), 0);
	assert_string_equal(why, "it speaks another protocol version");
	assert_int_equal(ANS("jobproxy 1 0\n", &jobs, why), 0);
	assert_string_equal(why, "it speaks another protocol version");
	assert_int_equal(ANS("jobproxy 1 65537\n", &jobs, why), 0);
	assert_int_equal(ANS("jobproxy 1 4\0\n", &jobs, why), 0);
	assert_string_equal(why, "it answered something that is not a"
			    " jobserver");
	assert_int_equal(ANS("jobproxy 1 4\nx", &jobs, why), 0);
	assert_int_equal(ANS("HTTP/1.1 400\n", &jobs, why), 0);
	assert_int_equal(ANS("jobproxy 1 4", &jobs, why), 0);
	assert_int_equal(ANS("", &jobs, why), 0);
}

static void says(void **state)
{
	char why[8];

	(void)state;
	assert_int_equal(proto_says("error: busy\n", 12, why, sizeof why), 1);
	assert_string_equal(why, "busy");
	assert_int_equal(proto_says("error: a long reason\n", 21, why,
				    sizeof why), 1);
	assert_string_equal(why, "a long ");
	assert_int_equal(proto_says("pool 1 free 1", 13, why, sizeof why), 0);
	assert_int_equal(proto_says("error:", 6, why, sizeof why), 0);
	assert_int_equal(proto_says("error: \n", 8, why, sizeof why), 1);
	assert_string_equal(why, "no reas");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_requests),
		cmocka_unit_test(partial_lines_wait),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(shown_is_printable_and_bounded),
		cmocka_unit_test(answers),
		cmocka_unit_test(client_reads_answers),
		cmocka_unit_test(says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
