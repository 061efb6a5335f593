/* proto: see proto.h. */
#include "proto.h"
#include "makeflags.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Requests are plain text: anything else is garbage at once. */
static int printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
			if (s[i] != '\n')
				return 0;
	return 1;
}

static void bad(struct proto_req *r, const char *why, size_t shown)
{
	r->kind = PR_BAD;
	r->why = why;
	r->shown = shown;
}

/* Does the line L (N bytes, no "\n") equal WORD? */
static int is(const char *l, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(l, word, n);
}

/* A whole line L of N bytes, its "\n" left out. */
static void line(const char *l, size_t n, struct proto_req *r)
{
	char num[PROTO_LINE];

	/* The line ends at its "\n", not at a NUL before it:
	 * "status\0junk" is no "status". */
	if (!printable(l, n)) {
		bad(r, "bad request: not a line of text", n);
	} else if (is(l, n, "jobserver")) {
		r->kind = PR_JOBSERVER;
	} else if (is(l, n, "status")) {
		r->kind = PR_STATUS;
	} else if (n >= 5 && !memcmp(l, "jobs ", 5)) {
		memcpy(num, l + 5, n - 5);
		num[n - 5] = '\0';
		if (num_int(num, 1, MF_MAX_JOBS, &r->jobs))
			r->kind = PR_JOBS;
		else
			bad(r, "bad job count: 1..65536", n);
	} else {
		bad(r, "bad request: unknown", n);
	}
}

void proto_request(const char *buf, size_t len, struct proto_req *r)
{
	const char *nl = memchr(buf, '\n', len);

	r->kind = PR_MORE;
	r->jobs = 0;
	r->why = NULL;
	r->shown = 0;
	if (nl && (size_t)(nl - buf) + 1 == len)
		line(buf, len - 1, r);
	else if (nl)
		bad(r, "bad request: more than one line", len);
	else if (len >= PROTO_LINE - 1)
		bad(r, "bad request: longer than 63 bytes", len);
	else if (!printable(buf, len))
		bad(r, "bad request: not a line of text", len);
}

const char *proto_shown(const char *s, size_t len, char *buf, size_t sz)
{
	size_t i, k = 0;

	for (i = 0; i < len && k + 5 < sz; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 32 && ch < 127 && ch != '\\')
			buf[k++] = (char)ch;
		else
			k += (size_t)snprintf(buf + k, sz - k, "\\x%02x", ch);
	}
	if (sz)
		buf[k] = '\0';
	return buf;
}

void proto_hello(char *buf, size_t sz, int jobs)
{
	snprintf(buf, sz, "jobproxy 1 %d\n", jobs);
}

void proto_error(char *buf, size_t sz, const char *why)
{
	snprintf(buf, sz, "error: %s\n", why);
}

/* snprintf's count, bounded by what fit. */
static size_t fitted(int n, size_t sz)
{
	if (n < 0 || sz == 0)
		return 0;
	return (size_t)n < sz ? (size_t)n : sz - 1;
}

size_t proto_status_head(char *buf, size_t sz, int jobs, long free,
			 unsigned long clients)
{
	return fitted(snprintf(buf, sz, "pool %d free %ld clients %lu\n",
			       jobs, free > 0 ? free : 0, clients), sz);
}

size_t proto_status_client(char *buf, size_t sz, long pid, long uid,
			   unsigned long held)
{
	return fitted(snprintf(buf, sz, "client %ld %ld held %lu\n", pid, uid,
			       held), sz);
}

int proto_says(const char *line, size_t len, char *why, size_t sz)
{
	size_t i, k = 0;

	if (len < 7 || memcmp(line, "error: ", 7) || sz == 0)
		return 0;
	for (i = 7; i < len && line[i] != '\n' && k + 1 < sz; i++)
		why[k++] = line[i] >= 32 && line[i] < 127 ? line[i] : '?';
	why[k] = '\0';
	if (k == 0)
		snprintf(why, sz, "no reason given");
	return 1;
}

int proto_answer(const char *buf, size_t len, int *jobs, char *why,
		 size_t sz)
{
	const char *nl = memchr(buf, '\n', len);
	char num[PROTO_ANSWER];
	size_t n;

	if (proto_says(buf, len, why, sz))
		return 0;
	if (!nl || (size_t)(nl - buf) + 1 != len || len < 9 ||
	    memcmp(buf, "jobproxy ", 9) || memchr(buf, '\0', len)) {
		snprintf(why, sz, "it answered something that is not a"
			 " jobserver");
		return 0;
	}
	n = (size_t)(nl - buf);
	if (n < 11 || memcmp(buf + 9, "1 ", 2) || n - 11 >= sizeof num) {
		snprintf(why, sz, "it speaks another protocol version");
		return 0;
	}
	memcpy(num, buf + 11, n - 11);
	num[n - 11] = '\0';
	if (!num_int(num, 1, MF_MAX_JOBS, jobs)) {
		snprintf(why, sz, "it speaks another protocol version");
		return 0;
	}
	return 1;
}
