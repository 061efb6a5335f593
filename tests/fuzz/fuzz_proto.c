/*
 * libFuzzer harness for proto.c, the daemon protocol: what the daemon
 * reads from any local user that reaches its socket, and what a client
 * reads from whatever listens where it dials.
 *
 * Input: byte 0 picks how the request arrives (1 + byte0 % 8 bytes a
 * read); the rest is the bytes a peer sends, and also the answer a client
 * gets.  Checked (abort() with a message on violation):
 *   - the daemon's reading, piece by piece as recv() would give it, never
 *     reads past what came nor past a line's room, and stops at the first
 *     verdict;
 *   - a verdict matches the bytes: "jobserver\n", "status\n", "jobs N\n"
 *     with N in 1..65536 and nothing else, exactly; PR_MORE only for
 *     printable bytes with no "\n", shorter than a line may be; PR_BAD
 *     with a reason and no more bytes to show than came;
 *   - what a log line shows is printable, NUL-terminated, in its buffer;
 *   - the client takes an answer only if it is "jobproxy 1 N\n" exactly,
 *     N in 1..65536; every reason it gives is printable;
 *   - what the daemon writes, the client reads back the same.
 *
 * Build and run: sh tests/fuzz/fuzz.sh [SECONDS] [fuzz_proto]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const uint8_t *d, size_t n)
{
	size_t i;

	fprintf(stderr, "\nfuzz_proto: INVARIANT VIOLATED: %s\n  input:", what);
	for (i = 0; i < n && i < 80; i++)
		fprintf(stderr, " %02x", d[i]);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, what)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			fail(what, data, size);                               \
	} while (0)

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126)
			return 0;
	return 1;
}

/* "jobs " and a decimal N in 1..65536 (leading zeros allowed), "\n". */
static int is_jobs(const char *b, size_t n, int jobs)
{
	size_t i = 5;
	long v = 0;

	if (n < 7 || memcmp(b, "jobs ", 5) || b[n - 1] != '\n')
		return 0;
	for (; i < n - 1; i++) {
		if (b[i] < '0' || b[i] > '9')
			return 0;
		v = v * 10 + (b[i] - '0');
		if (v > 65536)
			return 0;
	}
	return v == jobs && v >= 1;
}

/* The daemon's reading of the peer's bytes, CHUNK at a time. */
static void daemon_side(const uint8_t *data, size_t size, size_t chunk)
{
	const char *b = (const char *)data + 1;
	size_t n = size - 1, len = 0, cap = PROTO_LINE - 1;
	struct proto_req r;
	char shown[4 * PROTO_LINE];

	r.kind = PR_MORE;
	while (r.kind == PR_MORE && len < n && len < cap) {
		size_t got = n - len < chunk ? n - len : chunk;

		if (got > cap - len)
			got = cap - len;
		len += got;
		proto_request(b, len, &r);
	}
	switch (r.kind) {
	case PR_JOBSERVER:
		CHECK(len == 10 && !memcmp(b, "jobserver\n", 10),
		      "PR_JOBSERVER for other bytes");
		break;
	case PR_STATUS:
		CHECK(len == 7 && !memcmp(b, "status\n", 7),
		      "PR_STATUS for other bytes");
		break;
	case PR_JOBS:
		CHECK(r.jobs >= 1 && r.jobs <= 65536 && is_jobs(b, len, r.jobs),
		      "PR_JOBS for other bytes, or N out of range");
		break;
	case PR_MORE:
		CHECK(len < cap && !memchr(b, '\n', len),
		      "PR_MORE for a whole line, or a line too long");
		break;
	case PR_BAD:
		CHECK(r.why && *r.why && printable(r.why) && r.shown <= len,
		      "PR_BAD without a printable reason, or shows too much");
		proto_shown(b, r.shown, shown, sizeof shown);
		CHECK(strlen(shown) < sizeof shown && printable(shown),
		      "a log line shows what is not printable");
		break;
	}
}

/* The client's reading of the same bytes as an answer. */
static void client_side(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data + 1;
	size_t n = size - 1;
	char why[200], again[PROTO_ANSWER];
	int jobs = -1;

	if (n >= PROTO_ANSWER)
		n = PROTO_ANSWER - 1;
	why[0] = '\0';
	if (proto_answer(b, n, &jobs, why, sizeof why)) {
		CHECK(jobs >= 1 && jobs <= 65536, "an answer's N out of range");
		CHECK(n > 11 && !memcmp(b, "jobproxy 1 ", 11) &&
		      b[n - 1] == '\n' && !memchr(b, '\0', n) &&
		      !memchr(b, '\n', n - 1), "an answer taken that is not one");
		proto_hello(again, sizeof again, jobs);
		CHECK(strtol(again + 11, NULL, 10) == jobs,
		      "written and read back differ");
	} else {
		CHECK(strlen(why) < sizeof why && *why && printable(why),
		      "no printable reason for a refused answer");
	}
	if (proto_says(b, n, why, sizeof why))
		CHECK(printable(why), "an error's reason is not printable");
}

/* What the daemon writes, read back by the client. */
static void round_trip(const uint8_t *data, size_t size)
{
	char buf[PROTO_ANSWER], why[200];
	int jobs = 1 + (int)(data[0] * 257u % 65536), got = 0;
	struct proto_req r;

	proto_hello(buf, sizeof buf, jobs);
	CHECK(proto_answer(buf, strlen(buf), &got, why, sizeof why) &&
	      got == jobs, "the client misreads the daemon's hello");
	snprintf(buf, sizeof buf, "jobs %d\n", jobs);
	proto_request(buf, strlen(buf), &r);
	CHECK(r.kind == PR_JOBS && r.jobs == jobs, "\"jobs N\" misread");
	proto_error(buf, sizeof buf, "busy");
	CHECK(proto_says(buf, strlen(buf), why, sizeof why) &&
	      !strcmp(why, "busy"), "an error line misread");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	daemon_side(data, size, 1 + data[0] % 8);
	client_side(data, size);
	round_trip(data, size);
	return 0;
}
