/*
 * makeflags: parse and rewrite the jobserver auth words of MAKEFLAGS,
 * MFLAGS and CARGO_MAKEFLAGS.
 *
 * Rules that shape this file (GNU make's src/main.c and src/posixos.c,
 * and what make 4.3, make 4.4.1 and gcc 12 do with MAKEFLAGS):
 *  - the LAST auth word wins: make 4.4 appends "--jobserver-auth=-2,-2" to
 *    disable the jobserver for non-recursive recipe lines, and make and gcc
 *    both honour the last one;
 *  - negative fds mean "no jobserver", not an error;
 *  - words after a lone "--" are "VAR=value" assignments passed down from the
 *    command line, with "\ " escapes; they are data, never options;
 *  - a rewrite touches the bytes of auth values only, nothing else, so a
 *    child sees the same flags word, -jN and variable tail as before.
 */
#include "makeflags.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char AUTH[] = "--jobserver-auth=";
static const char FDS[] = "--jobserver-fds=";

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Length of the word at S: up to the first blank not escaped by '\'. */
static size_t word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && !is_blank(s[n])) {
		if (s[n] == '\\' && s[n + 1])
			n++;
		n++;
	}
	return n;
}

static int has_prefix(const char *w, size_t len, const char *p, size_t plen)
{
	return len >= plen && memcmp(w, p, plen) == 0;
}

/* Which auth option the word is, and where its value starts (0: none). */
static size_t auth_prefix(const char *w, size_t len)
{
	if (has_prefix(w, len, AUTH, sizeof AUTH - 1))
		return sizeof AUTH - 1;
	if (has_prefix(w, len, FDS, sizeof FDS - 1))
		return sizeof FDS - 1;
	return 0;
}

/* A decimal int with an optional '-' in S[0..LEN); 0 on success. */
static int parse_int(const char *s, size_t len, int *out)
{
	long v = 0;
	int neg = 0;
	size_t i = 0;

	if (i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (INT_MAX - (s[i] - '0')) / 10)
			return -1;	/* checked before it could overflow */
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? (int)-v : (int)v;
	return 0;
}

static void bad(struct js_auth *a, const char *why)
{
	a->kind = JS_BAD;
	a->why = why;
}

/* Decide what the auth value V[0..LEN) of option word W means. */
static void parse_value(const char *v, size_t len, int fifo_ok,
			struct js_auth *a)
{
	const char *comma;
	int r, w;

	a->path = NULL;
	a->pathlen = 0;
	a->rfd = a->wfd = -1;
	if (fifo_ok && has_prefix(v, len, "fifo:", 5)) {
		if (len == 5)
			return bad(a, "empty fifo path");
		a->kind = JS_FIFO;
		a->path = v + 5;
		a->pathlen = len - 5;
		return;
	}
	comma = memchr(v, ',', len);
	if (!comma)
		return bad(a, "expected R,W or fifo:PATH");
	if (parse_int(v, (size_t)(comma - v), &r) ||
	    parse_int(comma + 1, len - (size_t)(comma - v) - 1, &w))
		return bad(a, "fds are not numbers");
	if (r < 0 && w < 0) {
		a->kind = JS_NONE;
		return;
	}
	if (r < 0 || w < 0)
		return bad(a, "one fd is negative");
	a->kind = JS_PIPE;
	a->rfd = r;
	a->wfd = w;
}

void mf_parse(const char *flags, struct js_auth *out)
{
	const char *s = flags ? flags : "";

	memset(out, 0, sizeof *out);
	out->kind = JS_NONE;
	out->rfd = out->wfd = -1;
	for (;;) {
		size_t len, pre;

		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		len = word_len(s);
		if (len == 2 && s[0] == '-' && s[1] == '-')
			break;		/* the VAR=value tail */
		pre = auth_prefix(s, len);
		if (pre) {
			out->nauth++;
			out->word = s;
			out->wordlen = len;
			out->why = NULL;
			out->kind = JS_NONE;
			parse_value(s + pre, len - pre,
				    pre == sizeof AUTH - 1, out);
		}
		s += len;
	}
}

/* Output sink that counts everything and stores what fits. */
struct sink {
	char *buf;
	size_t size, len;
};

static void put(struct sink *k, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, k->len++)
		if (k->len + 1 < k->size)
			k->buf[k->len] = s[i];
}

size_t mf_rewrite(const char *flags, const char *auth, const char *fds,
		  char *out, size_t outsz)
{
	const char *s = flags ? flags : "";
	struct sink k = { out, outsz, 0 };
	int options = 1;

	while (*s) {
		size_t len, pre;
		const char *b = s;

		while (is_blank(*s))
			s++;
		if (!*s) {
			put(&k, b, (size_t)(s - b));
			break;
		}
		len = word_len(s);
		pre = options ? auth_prefix(s, len) : 0;
		if (len == 2 && s[0] == '-' && s[1] == '-')
			options = 0;
		put(&k, b, (size_t)(s - b));
		if (pre == sizeof FDS - 1 && !fds) {
			/* No fds to name (a fifo): the old form cannot say
			 * it, so the word becomes the new form. */
			put(&k, AUTH, sizeof AUTH - 1);
			put(&k, auth, strlen(auth));
		} else if (pre) {
			const char *v = pre == sizeof AUTH - 1 ? auth : fds;

			put(&k, s, pre);
			put(&k, v, strlen(v));
		} else {
			put(&k, s, len);
		}
		s += len;
	}
	if (outsz)
		out[k.len < outsz ? k.len : outsz - 1] = '\0';
	return k.len;
}

int mf_unescape(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		if (n + 1 >= bufsz)
			return 0;
		buf[n++] = s[i];
	}
	if (bufsz == 0)
		return 0;
	buf[n] = '\0';
	return 1;
}

/* The digits at S as a pid (parse_int: at most INT_MAX), their end in
 * *END; 0 if none. */
static long pid_at(const char *s, const char **end)
{
	int v;

	for (*end = s; **end >= '0' && **end <= '9'; (*end)++)
		;
	return *end > s && parse_int(s, (size_t)(*end - s), &v) == 0 ? v : 0;
}

long mf_fifo_owner(const char *path)
{
	const char *base = strrchr(path, '/'), *dir, *end;
	long pid;

	base = base ? base + 1 : path;
	if (strncmp(base, "GMfifo", 6) == 0) {
		pid = pid_at(base + 6, &end);
		return *end == '\0' ? pid : 0;
	}
	if (strcmp(base, "fifo") != 0 || base - path < 2)
		return 0;
	for (dir = base - 1; dir > path && dir[-1] != '/'; dir--)
		;
	if (strncmp(dir, "jobproxy-", 9) != 0)
		return 0;
	pid = pid_at(dir + 9, &end);
	return *end == '.' ? pid : 0;
}

/* Where the "--" tail starts in S (its blank included), or S's end. */
static const char *tail_start(const char *s)
{
	const char *p = s;

	for (;;) {
		const char *b = p;
		size_t len;

		while (is_blank(*p))
			p++;
		if (!*p)
			return p;
		len = word_len(p);
		if (len == 2 && p[0] == '-' && p[1] == '-')
			return b;
		p += len;
	}
}

/* Does [S, END) end in an odd run of backslashes (a dangling escape)? */
static int odd_backslashes(const char *s, const char *end)
{
	size_t n = 0;

	while (end > s && end[-1] == '\\') {
		end--;
		n++;
	}
	return n % 2;
}

size_t mf_add_auth(const char *flags, int jobs, const char *auth,
		   char *out, size_t outsz)
{
	const char *s = flags ? flags : "";
	const char *t = tail_start(s);
	struct sink k = { out, outsz, 0 };
	char j[32];
	int n = snprintf(j, sizeof j, " -j%d --jobserver-auth=", jobs);

	put(&k, s, (size_t)(t - s));
	/* A lone backslash ending the options was a literal one; before our
	 * blank it would escape it, so it is written escaped. */
	if (t > s && t[-1] == '\\' && odd_backslashes(s, t))
		put(&k, "\\", 1);
	put(&k, j, n > 0 ? (size_t)n : 0);
	put(&k, auth, strlen(auth));
	/* "-- X=1" with no blank before its "--": keep the words apart. */
	if (*t && !is_blank(*t))
		put(&k, " ", 1);
	put(&k, t, strlen(t));
	if (outsz)
		out[k.len < outsz ? k.len : outsz - 1] = '\0';
	return k.len;
}

int mf_has_var(const char *flags, const char *name)
{
	const char *s = tail_start(flags ? flags : "");
	size_t nl = strlen(name);

	while (*s) {
		size_t len;

		while (is_blank(*s))
			s++;
		len = word_len(s);
		if (len > nl && memcmp(s, name, nl) == 0 &&
		    (s[nl] == '=' || (s[nl] == ':' && s[nl + 1] == '=')))
			return 1;
		s += len;
	}
	return 0;
}

int mf_argv_sets_jobs(char *const *argv)
{
	for (; *argv; argv++) {
		const char *a = *argv;

		if (!strcmp(a, "--"))
			break;
		if (!strncmp(a, "--jobs", 6))
			return 1;
		/* A cluster of short options: "-j8", "-kj", "-sj4", but not
		 * "-Cj" (the directory "j"): the first letter that takes an
		 * argument must be the j. */
		if (a[0] == '-' && a[1] != '-' && strchr(a, 'j') &&
		    strcspn(a + 1, "CfIjoW") ==
			    (size_t)(strchr(a, 'j') - a - 1))
			return 1;
	}
	return 0;
}

int mf_dry_run(const char *flags)
{
	const char *s = flags ? flags : "";
	size_t len;

	while (is_blank(*s))
		s++;
	len = word_len(s);
	/* The single-letter word comes first and has no leading '-'. */
	if (len == 0 || s[0] == '-' || memchr(s, '=', len))
		return 0;
	return memchr(s, 'n', len) != NULL;
}
