/*
 * libFuzzer harness for makeflags.c: invariants, not just crashes.
 *
 * Input layout: byte 0 picks the auxiliary choices (fds NULL or not, which
 * AUTH and FDS values to rewrite with, -jN for mf_add_auth), byte 1 picks
 * the sizes of the small buffers, the rest is the MAKEFLAGS value (cut at
 * its first NUL, as getenv() would).  The corpus files in
 * tests/fuzz/corpus/makeflags/ start with two printable control bytes for this.
 *
 * Every violated invariant prints what broke on stderr and abort()s, which
 * libFuzzer reports as a crash and saves as a crash-* file.
 *
 * Build and run: sh tests/fuzz/fuzz.sh [SECONDS] [fuzz_makeflags]; by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       tests/fuzz/fuzz_makeflags.c makeflags.c -o build/fuzz/fuzz_makeflags
 *   build/fuzz/fuzz_makeflags -max_total_time=60 CORPUS_DIR
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "makeflags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AUTHP "--jobserver-auth="
#define FDSP "--jobserver-fds="
#define AUTHL (sizeof AUTHP - 1)
#define FDSL (sizeof FDSP - 1)

/* Values to rewrite with.  None has a blank or a backslash: such a value
 * would change the word boundaries, which is the caller's business. */
static const char *const AUTHS[] = { "7,8", "fifo:/tmp/GMfifo1", "-2,-2",
				     "" };
static const char *const FDSS[] = { "7,8", "10,11" };

#define FDSNAME(f) ((f) ? (f) : "NULL")

static const char *cur_in;	/* the value under test, for messages */

/*
 * Known bugs, reported and not yet fixed, can be stepped over with
 * FUZZ_SKIP_KNOWN=1 so a long run can look for new ones.  Never set by
 * default: a known bug still fails tests/fuzz/fuzz.sh.
 */
static int skip_known;

int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__asan_default_options(void);

/* Every run mallocs exact-size buffers; ASan's default 256 MB quarantine
 * hands out fresh pages for each, which costs a third of the run time in
 * page faults.  ASAN_OPTIONS still overrides this. */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e = getenv("FUZZ_SKIP_KNOWN");

	(void)argc;
	(void)argv;
	skip_known = e && *e && strcmp(e, "0") != 0;
	if (skip_known)
		fprintf(stderr, "fuzz_makeflags: FUZZ_SKIP_KNOWN set: known"
			" bugs are not checked\n");
	return 0;
}

static void dump(const char *what, const char *s, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes): \"", what, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "\"\n");
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\nfuzz_makeflags: INVARIANT VIOLATED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cur_in)
		dump("input value", cur_in, strlen(cur_in));
	abort();
}

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond))                                                  \
			fail(__VA_ARGS__);                                    \
	} while (0)

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

/* ------------------------------------------------------------------ */
/* An independent model of the word rules, written from makeflags.h:   */
/* words are split at unescaped ' ', '\t', '\n'; '\' escapes the next   */
/* byte (not the terminating NUL); a lone "--" starts the variable tail */

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

struct word {
	size_t bstart;	/* the blanks before it */
	size_t start, end;
	int kind;	/* 0 other, 1 auth, 2 fds, 3 the "--" */
	int tail;	/* in the variable tail (after "--") or is "--" */
};

#define MAXW 8192

/* Split S into words; returns the count, the end offset in *END (where
 * trailing blanks begin). */
static size_t split(const char *s, struct word *w, size_t maxw, size_t *end)
{
	size_t i = 0, n = 0;
	int tail = 0;

	for (;;) {
		size_t b = i;

		while (blank(s[i]))
			i++;
		if (!s[i]) {
			*end = b;
			return n;
		}
		if (n == maxw)
			abort();	/* cannot happen: input is < MAXW */
		w[n].bstart = b;
		w[n].start = i;
		while (s[i] && !blank(s[i]))
			i += (s[i] == '\\' && s[i + 1]) ? 2 : 1;
		w[n].end = i;
		w[n].kind = 0;
		if (!tail && i - w[n].start == 2 && s[w[n].start] == '-' &&
		    s[w[n].start + 1] == '-') {
			w[n].kind = 3;
			tail = 1;
		} else if (!tail && i - w[n].start >= AUTHL &&
			   !memcmp(s + w[n].start, AUTHP, AUTHL)) {
			w[n].kind = 1;
		} else if (!tail && i - w[n].start >= FDSL &&
			   !memcmp(s + w[n].start, FDSP, FDSL)) {
			w[n].kind = 2;
		}
		w[n].tail = tail;
		n++;
	}
}

/* S with the auth values removed (prefixes kept) into OUT, which must hold
 * strlen(S) + strlen(S) / 16 + 2 (an fds prefix grows by a byte).  FDS_AS_AUTH (a rewrite with fds NULL turns every
 * "--jobserver-fds=" word into a "--jobserver-auth=" one): write the
 * prefix of an fds word as "--jobserver-auth=". */
static size_t normalize(const char *s, int fds_as_auth, char *out)
{
	static struct word w[MAXW];
	size_t n, i, end, o = 0;

	n = split(s, w, MAXW, &end);
	for (i = 0; i < n; i++) {
		memcpy(out + o, s + w[i].bstart, w[i].start - w[i].bstart);
		o += w[i].start - w[i].bstart;
		if (w[i].kind == 1 || (w[i].kind == 2 && fds_as_auth)) {
			memcpy(out + o, AUTHP, AUTHL);
			o += AUTHL;
		} else if (w[i].kind == 2) {
			memcpy(out + o, FDSP, FDSL);
			o += FDSL;
		} else {
			memcpy(out + o, s + w[i].start, w[i].end - w[i].start);
			o += w[i].end - w[i].start;
		}
	}
	memcpy(out + o, s + end, strlen(s + end));
	o += strlen(s + end);
	out[o] = '\0';
	return o;
}

/* Where the "--" word starts in S, or NULL; *BLANKS: where the blanks
 * before it start (S's end when there is no tail). */
static const char *tail_of(const char *s, size_t *blanks)
{
	static struct word w[MAXW];
	size_t n, i, end;

	n = split(s, w, MAXW, &end);
	for (i = 0; i < n; i++)
		if (w[i].kind == 3) {
			if (blanks)
				*blanks = w[i].bstart;
			return s + w[i].start;
		}
	if (blanks)
		*blanks = strlen(s);
	return NULL;
}

/* How many words of S are of KIND (1 auth, 2 fds, in the options). */
static size_t count_kind(const char *s, int kind)
{
	static struct word w[MAXW];
	size_t n, i, end, c = 0;

	n = split(s, w, MAXW, &end);
	for (i = 0; i < n; i++)
		c += w[i].kind == kind;
	return c;
}

/* Reference classification of an auth value (see makeflags.h). */
struct ref {
	enum js_kind kind;
	int rfd, wfd;
	size_t pathoff, pathlen;	/* offsets into the value */
	int nauth;
	size_t wstart, wlen;		/* the deciding word */
};

static int ref_int(const char *s, size_t len, long long *v)
{
	size_t i = 0;
	int neg = 0;

	*v = 0;
	if (i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
		if (*v > INT_MAX)
			return -1;
	}
	if (neg)
		*v = -*v;
	return 0;
}

static void ref_value(const char *v, size_t len, int fifo_ok, struct ref *r)
{
	const char *comma;
	long long a, b;

	r->rfd = r->wfd = -1;
	r->pathoff = r->pathlen = 0;
	if (fifo_ok && len >= 5 && !memcmp(v, "fifo:", 5)) {
		r->kind = len > 5 ? JS_FIFO : JS_BAD;
		if (len > 5) {
			r->pathoff = 5;
			r->pathlen = len - 5;
		}
		return;
	}
	comma = memchr(v, ',', len);
	if (!comma || ref_int(v, (size_t)(comma - v), &a) ||
	    ref_int(comma + 1, len - (size_t)(comma - v) - 1, &b)) {
		r->kind = JS_BAD;
		return;
	}
	if (a < 0 && b < 0) {
		r->kind = JS_NONE;
	} else if (a < 0 || b < 0) {
		r->kind = JS_BAD;
	} else {
		r->kind = JS_PIPE;
		r->rfd = (int)a;
		r->wfd = (int)b;
	}
}

static void ref_parse(const char *s, struct ref *r)
{
	static struct word w[MAXW];
	size_t n, i, end;

	memset(r, 0, sizeof *r);
	r->kind = JS_NONE;
	r->rfd = r->wfd = -1;
	n = split(s, w, MAXW, &end);
	for (i = 0; i < n; i++) {
		size_t pl;

		if (w[i].kind != 1 && w[i].kind != 2)
			continue;
		pl = w[i].kind == 1 ? AUTHL : FDSL;
		r->nauth++;
		r->wstart = w[i].start;
		r->wlen = w[i].end - w[i].start;
		ref_value(s + w[i].start + pl, r->wlen - pl, w[i].kind == 1, r);
		if (r->kind == JS_FIFO)
			r->pathoff += w[i].start + pl;
	}
}

static int ref_dry_run(const char *s)
{
	size_t i = 0, st;

	while (blank(s[i]))
		i++;
	st = i;
	if (!s[i] || s[i] == '-')
		return 0;
	while (s[i] && !blank(s[i]))
		i += (s[i] == '\\' && s[i + 1]) ? 2 : 1;
	/* any '=' or 'n' byte of the word, escaped or not (make unescapes
	 * the word before it looks) */
	if (memchr(s + st, '=', i - st))
		return 0;
	return memchr(s + st, 'n', i - st) != NULL;
}

/* The unescaped form of S[0..LEN); returns its length. */
static size_t ref_unescape(const char *s, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		out[n++] = s[i];
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Known bugs (see the comment at skip_known) */

/* Known bug 1: mf_add_auth glues its words to a "--" that starts the value:
 * "-- X=1" gives " -j4 --jobserver-auth=7,8-- X=1".  Regression input:
 * tests/fuzz/corpus/makeflags/bug-add-auth-leading-dashdash */
static int known_add_auth_dashdash(const char *in)
{
	return in[0] == '-' && in[1] == '-' && (!in[2] || blank(in[2]));
}

/* Known bug 2: mf_add_auth after a value that ends in an unpaired '\':
 * the blank it puts first is escaped, so "-jN" joins the last word.
 * Regression input: tests/fuzz/corpus/makeflags/bug-add-auth-trailing-backslash */
static int known_add_auth_backslash(const char *in)
{
	size_t n = strlen(in), k = 0;

	while (k < n && in[n - 1 - k] == '\\')
		k++;
	return k % 2 == 1 && !tail_of(in, NULL);
}

/* (Bug 3, fixed in 1a37d98's tree: mf_rewrite with fds NULL dropped a
 * first word "--jobserver-fds=..." with the blanks before it, so the next
 * word became the flags word: "--jobserver-fds=3,4 n" gave " n", a dry
 * run.  Regression input: tests/fuzz/corpus/makeflags/bug-rewrite-drop-first-fds
 * -- now it must pass.) */

/* ------------------------------------------------------------------ */

/* mf_parse agrees with the reference, and its pointers lie inside S. */
static void check_parse(const char *s, const struct js_auth *a)
{
	struct ref r;
	size_t len = strlen(s);

	ref_parse(s, &r);
	CHECK(a->nauth == r.nauth, "mf_parse: nauth differs from the model");
	CHECK(a->kind == r.kind, "mf_parse: kind differs from the model");
	if (r.nauth) {
		CHECK(a->word == s + r.wstart && a->wordlen == r.wlen,
		      "mf_parse: deciding word is not the last auth word");
	}
	switch (a->kind) {
	case JS_PIPE:
		CHECK(a->rfd == r.rfd && a->wfd == r.wfd && a->rfd >= 0 &&
			      a->wfd >= 0,
		      "mf_parse: pipe fds differ from the model");
		break;
	case JS_FIFO:
		CHECK(a->path == s + r.pathoff && a->pathlen == r.pathlen &&
			      a->pathlen > 0 &&
			      a->path + a->pathlen <= s + len,
		      "mf_parse: fifo path differs from the model");
		break;
	case JS_BAD:
		CHECK(a->why != NULL, "mf_parse: JS_BAD without a reason");
		break;
	case JS_NONE:
		CHECK(a->rfd < 0 && a->wfd < 0,
		      "mf_parse: JS_NONE with fds");
		break;
	default:
		fail("mf_parse: kind out of range");
	}
}

/* A buffer size no rewrite of IN with values up to VMAX bytes can reach:
 * every auth word has a prefix of >= 16 bytes. */
static size_t bound(size_t inlen, size_t vmax)
{
	return inlen + (inlen / FDSL + 1) * vmax + 64;
}

/*
 * mf_rewrite(IN, AUTH, FDS) into a big buffer and into one of a size SEL
 * picks (an exact malloc, so ASan sees one byte too far); checks the result
 * and returns the big-buffer output (malloc'd).
 */
static char *check_rewrite(const char *in, const struct js_auth *ai,
			   const char *auth, const char *fds, unsigned sel)
{
	size_t inlen = strlen(in);
	size_t bigsz = bound(inlen, strlen(auth) > 5 ? strlen(auth) : 5);
	char *big = xmalloc(bigsz), *small, *normin, *normout;
	size_t len, slen, sz, i;
	struct js_auth ao;
	const char *ti, *to;
	static struct word w[MAXW];
	size_t nw, end;

	memset(big, 0x5a, bigsz);
	len = mf_rewrite(in, auth, fds, big, bigsz);
	CHECK(len < bigsz, "mf_rewrite: result longer than any rewrite can be");
	CHECK(big[len] == '\0' && strlen(big) == len,
	      "mf_rewrite: big-buffer output not NUL-terminated at the returned"
	      " length");
	for (i = len + 1; i < bigsz; i++)
		CHECK(big[i] == 0x5a,
		      "mf_rewrite: wrote past the end of its result");

	/* a small buffer of a size picked by the input, around the result;
	 * size 0 goes with out == NULL, the way proxy.c asks for the length */
	sz = sel % (len + 3);
	small = xmalloc(sz);
	memset(small, 0x5a, sz);
	slen = mf_rewrite(in, auth, fds, sz ? small : NULL, sz);
	CHECK(slen == len,
	      "mf_rewrite: small buffer returns a different length");
	if (sz) {
		size_t keep = len < sz ? len : sz - 1;

		CHECK(memcmp(small, big, keep) == 0 && small[keep] == '\0',
		      "mf_rewrite: small-buffer output is not a NUL-terminated"
		      " prefix of the full one");
	}
	free(small);

	/* the same number of auth words; with FDS NULL the fds words have
	 * become "--jobserver-auth=AUTH" words */
	mf_parse(big, &ao);
	check_parse(big, &ao);
	CHECK(ao.nauth == ai->nauth,
	      "mf_rewrite: output has another number of auth words");
	if (!fds) {
		CHECK(count_kind(big, 1) == count_kind(in, 1) +
					    count_kind(in, 2) &&
			      count_kind(big, 2) == 0,
		      "mf_rewrite: fds NULL left a --jobserver-fds option");
	}

	/* every auth value of the output is exactly AUTH / FDS */
	nw = split(big, w, MAXW, &end);
	for (i = 0; i < nw; i++) {
		const char *v = w[i].kind == 1 ? auth : fds;
		size_t pl = w[i].kind == 1 ? AUTHL : FDSL;

		if (w[i].kind != 1 && w[i].kind != 2)
			continue;
		CHECK(v && w[i].end - w[i].start - pl == strlen(v) &&
			      !memcmp(big + w[i].start + pl, v, strlen(v)),
		      "mf_rewrite: an auth value in the output is not %s"
		      " (fds %s)", auth, FDSNAME(fds));
	}
	/* bytes outside the auth values are preserved */
	normin = xmalloc(inlen + inlen / FDSL + 2);
	normout = xmalloc(len + len / FDSL + 2);
	normalize(in, !fds, normin);
	normalize(big, !fds, normout);
	if (strcmp(normin, normout)) {
		dump("input without auth values", normin, strlen(normin));
		dump("output without auth values", normout, strlen(normout));
		dump("output", big, len);
		fail("mf_rewrite(auth \"%s\", fds \"%s\") changed bytes outside"
		     " the auth values", auth, FDSNAME(fds));
	}
	free(normin);
	free(normout);

	/* the "--" tail is byte-identical */
	ti = tail_of(in, NULL);
	to = tail_of(big, NULL);
	CHECK((!ti && !to) || (ti && to && !strcmp(ti, to)),
	      "mf_rewrite(auth \"%s\", fds \"%s\"): the -- tail changed", auth,
	      FDSNAME(fds));

	/* the flags word stays the flags word: a dry run stays one, a wet run
	 * wet (makeflags.c: "a child sees the same flags word") */
	CHECK(mf_dry_run(big) == mf_dry_run(in),
	      "mf_rewrite(auth \"%s\", fds \"%s\") changed mf_dry_run"
	      " (the flags word)", auth, FDSNAME(fds));
	return big;
}

static void check_unescape(const char *s, size_t len, unsigned sel)
{
	char *ref = xmalloc(len + 1), *buf;
	size_t rlen = ref_unescape(s, len, ref);
	size_t bufsz = sel % (rlen + 3), bigsz = rlen + 1;
	int ok;

	buf = xmalloc(bufsz);
	memset(buf, 0x5a, bufsz);
	ok = mf_unescape(s, len, bufsz ? buf : NULL, bufsz);
	CHECK(ok == (rlen + 1 <= bufsz),
	      "mf_unescape: wrong verdict on whether it fits");
	if (ok)
		CHECK(!memcmp(buf, ref, rlen) && buf[rlen] == '\0',
		      "mf_unescape: result differs from the model");
	free(buf);

	buf = xmalloc(bigsz);
	ok = mf_unescape(s, len, buf, bigsz);
	CHECK(ok && !memcmp(buf, ref, rlen) && buf[rlen] == '\0',
	      "mf_unescape: exact-size buffer refused or wrong");
	free(buf);
	free(ref);
}

static void check_add_auth(const char *in, const struct js_auth *ai,
			   int jobs, const char *auth, unsigned sel)
{
	size_t bigsz = strlen(in) + strlen(auth) + 64, len, sz, i;
	char *big = xmalloc(bigsz), *small;
	struct js_auth ao;
	struct ref want;
	const char *ti, *to;

	len = mf_add_auth(in, jobs, auth, big, bigsz);
	CHECK(len < bigsz && big[len] == '\0' && strlen(big) == len,
	      "mf_add_auth: big-buffer output wrong");
	sz = sel % (len + 3);
	small = xmalloc(sz);
	CHECK(mf_add_auth(in, jobs, auth, sz ? small : NULL, sz) == len,
	      "mf_add_auth: small buffer returns a different length");
	if (sz) {
		size_t keep = len < sz ? len : sz - 1;

		CHECK(!memcmp(small, big, keep) && small[keep] == '\0',
		      "mf_add_auth: small output is not a prefix");
	}
	free(small);

	mf_parse(big, &ao);
	check_parse(big, &ao);
	ref_value(auth, strlen(auth), 1, &want);
	CHECK(ao.nauth == ai->nauth + 1 && ao.kind == want.kind &&
		      ao.rfd == want.rfd && ao.wfd == want.wfd,
	      "mf_add_auth(auth \"%s\"): the added auth word does not decide",
	      auth);
	/* the input's options come first, unchanged; the tail is kept */
	ti = tail_of(in, &i);
	to = tail_of(big, NULL);
	CHECK(len >= i && !memcmp(big, in, i),
	      "mf_add_auth: options before the new words changed");
	CHECK((!ti && !to) || (ti && to && !strcmp(ti, to)),
	      "mf_add_auth(auth \"%s\"): the -- tail changed", auth);
	/* ... and between them two words of their own: -jN and the auth */
	{
		static struct word wi[MAXW], wo[MAXW];
		char j[32];
		size_t ni, no, k, e;

		snprintf(j, sizeof j, "-j%d", jobs);
		ni = split(in, wi, MAXW, &e);
		no = split(big, wo, MAXW, &e);
		for (k = 0; k < ni && wi[k].kind != 3; k++)
			;
		CHECK(no == ni + 2 && wo[k].end - wo[k].start == strlen(j) &&
			      !memcmp(big + wo[k].start, j, strlen(j)) &&
			      wo[k + 1].kind == 1 &&
			      wo[k + 1].end - wo[k + 1].start ==
				      AUTHL + strlen(auth),
		      "mf_add_auth(%d, \"%s\"): \"%s\" and the auth word are not"
		      " two words of their own after the options", jobs, auth,
		      j);
	}
	CHECK(mf_dry_run(big) == mf_dry_run(in),
	      "mf_add_auth: changed mf_dry_run (the flags word)");
	free(big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned c0, c1;
	char *in, *out;
	const char *auth, *fds;
	struct js_auth a, a2;

	if (size < 2 || size > 4096)
		return 0;
	c0 = data[0];
	c1 = data[1];
	data += 2;
	size -= 2;
	in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	cur_in = in;

	/* mf_parse against the model; NULL counts as empty */
	mf_parse(in, &a);
	check_parse(in, &a);
	mf_parse(NULL, &a2);
	CHECK(a2.kind == JS_NONE && a2.nauth == 0,
	      "mf_parse(NULL) is not empty");
	CHECK(mf_dry_run(in) == ref_dry_run(in),
	      "mf_dry_run differs from the model");

	/* the rewrite the input picked */
	auth = AUTHS[(c0 >> 1) & 3];
	fds = (c0 & 1) ? NULL : FDSS[(c0 >> 3) & 1];
	out = check_rewrite(in, &a, auth, fds, c1);
	free(out);

	/* a live jobserver, or a broken one, always becomes ours */
	if (a.kind == JS_PIPE || a.kind == JS_FIFO || a.kind == JS_BAD) {
		size_t sz = bound(strlen(in), 5);

		out = xmalloc(sz);
		CHECK(mf_rewrite(in, "7,8", "7,8", out, sz) < sz,
		      "mf_rewrite: result longer than any rewrite can be");
		mf_parse(out, &a2);
		CHECK(a2.kind == JS_PIPE && a2.rfd == 7 && a2.wfd == 8,
		      "parse(rewrite(input, \"7,8\", \"7,8\")) is not JS_PIPE"
		      " 7,8");
		free(out);
	}

	/* the fifo path as the proxy unescapes it, and the raw bytes */
	if (a.kind == JS_FIFO)
		check_unescape(a.path, a.pathlen, c1);
	check_unescape((const char *)data, size, c1 * 13u + c0);

	/* a root pool's flags */
	if (!(skip_known && (known_add_auth_dashdash(in) ||
			     known_add_auth_backslash(in))))
		check_add_auth(in, &a, (int)(c0 >> 4) - 2,
			       AUTHS[(c0 >> 1) & 3], c1 + 5);

	cur_in = NULL;
	free(in);
	return 0;
}
