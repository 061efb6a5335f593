/*
 * Unit tests for makeflags.c: mf_parse, mf_rewrite, mf_unescape, mf_dry_run.
 *
 * The literal inputs are the forms real tools write (checked on this machine:
 * make 4.3 writes "k -j4 --jobserver-auth=3,4 -- X=... FOO=a\ b", make 4.4.1
 * writes "--jobserver-auth=fifo:/tmp/GMfifoNNNN" and, with the pipe style,
 * appends "--jobserver-auth=-2,-2" for non-recursive recipe lines).
 * A property test at the end checks mf_parse and mf_rewrite against an
 * independent reference model on 100k generated values.
 *
 * make tests/unit/test_makeflags && ./tests/unit/test_makeflags
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "makeflags.h"

#define AUTHP "--jobserver-auth="
#define FDSP "--jobserver-fds="

/* ------------------------------------------------------------------ */
/* helpers                                                            */

/* Assert that A's deciding word is the substring of FLAGS equal to W. */
static void assert_word(const char *flags, const struct js_auth *a,
			const char *w)
{
	const char *at = strstr(flags, w);

	assert_non_null(at);
	assert_ptr_equal(a->word, at);
	assert_int_equal(a->wordlen, strlen(w));
}

static void assert_pipe(const char *flags, int r, int w, int nauth)
{
	struct js_auth a;

	mf_parse(flags, &a);
	assert_int_equal(a.kind, JS_PIPE);
	assert_int_equal(a.rfd, r);
	assert_int_equal(a.wfd, w);
	assert_null(a.path);
	assert_int_equal(a.pathlen, 0);
	assert_null(a.why);
	assert_int_equal(a.nauth, nauth);
}

static void assert_none(const char *flags, int nauth)
{
	struct js_auth a;

	mf_parse(flags, &a);
	assert_int_equal(a.kind, JS_NONE);
	assert_int_equal(a.rfd, -1);
	assert_int_equal(a.wfd, -1);
	assert_null(a.path);
	assert_null(a.why);
	assert_int_equal(a.nauth, nauth);
	if (nauth == 0) {
		assert_null(a.word);
		assert_int_equal(a.wordlen, 0);
	}
}

static void assert_bad(const char *flags, int nauth, const char *lastword)
{
	struct js_auth a;

	mf_parse(flags, &a);
	assert_int_equal(a.kind, JS_BAD);
	assert_non_null(a.why);
	assert_true(strlen(a.why) > 0);
	assert_int_equal(a.rfd, -1);
	assert_int_equal(a.wfd, -1);
	assert_null(a.path);
	assert_int_equal(a.nauth, nauth);
	if (lastword) {
		/* the LAST occurrence: search from the end */
		const char *p = flags, *last = NULL, *q;

		while ((q = strstr(p, lastword)) != NULL) {
			last = q;
			p = q + 1;
		}
		assert_non_null(last);
		assert_ptr_equal(a.word, last);
		assert_int_equal(a.wordlen, strlen(lastword));
	}
}

/* Rewrite into an exactly sized heap buffer (so ASan sees any overflow)
 * and compare with EXPECT; also checks the snprintf-like return value. */
static void assert_rewrite(const char *flags, const char *auth,
			   const char *fds, const char *expect)
{
	size_t n = mf_rewrite(flags, auth, fds, NULL, 0);
	char *buf = malloc(n + 1);

	assert_non_null(buf);
	assert_int_equal(n, strlen(expect));
	assert_int_equal(mf_rewrite(flags, auth, fds, buf, n + 1), n);
	assert_string_equal(buf, expect);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* mf_parse: the forms real tools write                               */

static void parse_make43(void **state)
{
	struct js_auth a;
	const char *f;

	(void)state;
	f = " -j4 --jobserver-auth=3,4";
	assert_pipe(f, 3, 4, 1);
	mf_parse(f, &a);
	assert_word(f, &a, "--jobserver-auth=3,4");

	f = "kw -j4 --jobserver-auth=3,4";
	assert_pipe(f, 3, 4, 1);
	mf_parse(f, &a);
	assert_word(f, &a, "--jobserver-auth=3,4");

	assert_pipe("-j4 --jobserver-auth=3,4", 3, 4, 1);
	assert_pipe("--jobserver-auth=3,4", 3, 4, 1);
	assert_pipe("\t-j4\t--jobserver-auth=3,4\t", 3, 4, 1);
	assert_pipe("kw\t \t-j4 \t--jobserver-auth=3,4", 3, 4, 1);
	assert_pipe("k\n-j4\n--jobserver-auth=3,4\n", 3, 4, 1);
	assert_pipe("   --jobserver-auth=3,4   ", 3, 4, 1);
	/* exactly what make 4.3 wrote here for make -j4 -k FOO='a b' X=... */
	assert_pipe("k -j4 --jobserver-auth=3,4 -- X=--jobserver-auth=9,9 "
		    "FOO=a\\ b", 3, 4, 1);
	/* R and W may be ends of different pipes, any values */
	assert_pipe(" -j4 --jobserver-auth=10,3", 10, 3, 1);
	assert_pipe(" -j4 --jobserver-auth=0,1", 0, 1, 1);
	assert_pipe(" -j --jobserver-auth=2147483647,2147483646",
		    INT_MAX, INT_MAX - 1, 1);
	assert_pipe("--jobserver-auth=007,08", 7, 8, 1);
}

static void parse_old_fds_and_cargo(void **state)
{
	struct js_auth a;
	const char *f;

	(void)state;
	/* make 3.82 / 4.1 */
	f = "--jobserver-fds=3,4 -j";
	assert_pipe(f, 3, 4, 1);
	mf_parse(f, &a);
	assert_word(f, &a, "--jobserver-fds=3,4");
	assert_pipe(" --jobserver-fds=3,4 -j", 3, 4, 1);
	assert_pipe("kw --jobserver-fds=5,6 -j", 5, 6, 1);

	/* cargo's CARGO_MAKEFLAGS: both words, the auth one comes last */
	f = "-j --jobserver-fds=3,4 --jobserver-auth=3,4";
	assert_pipe(f, 3, 4, 2);
	mf_parse(f, &a);
	assert_word(f, &a, "--jobserver-auth=3,4");

	/* the last one decides even between the two spellings */
	assert_pipe("--jobserver-auth=3,4 --jobserver-fds=5,6", 5, 6, 2);
	assert_pipe("--jobserver-fds=5,6 --jobserver-auth=3,4", 3, 4, 2);
	assert_none("--jobserver-auth=3,4 --jobserver-fds=-1,-1", 2);

	/* the old spelling never had fifos */
	assert_bad("--jobserver-fds=fifo:/tmp/x", 1, "--jobserver-fds=fifo:/tmp/x");
	assert_bad("--jobserver-fds=", 1, "--jobserver-fds=");
}

static void parse_make44_fifo(void **state)
{
	struct js_auth a;
	const char *f;

	(void)state;
	f = " -j4 --jobserver-auth=fifo:/tmp/GMfifo1234";
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_FIFO);
	assert_int_equal(a.nauth, 1);
	assert_null(a.why);
	assert_int_equal(a.rfd, -1);
	assert_int_equal(a.wfd, -1);
	assert_ptr_equal(a.path, strstr(f, "/tmp/GMfifo1234"));
	assert_int_equal(a.pathlen, strlen("/tmp/GMfifo1234"));
	assert_word(f, &a, "--jobserver-auth=fifo:/tmp/GMfifo1234");

	/* path followed by more words and a tail */
	f = "k -j4 --jobserver-auth=fifo:/tmp/GMfifo9208 -- FOO=a\\ b";
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_FIFO);
	assert_int_equal(a.pathlen, strlen("/tmp/GMfifo9208"));
	assert_memory_equal(a.path, "/tmp/GMfifo9208", a.pathlen);

	/* an escaped blank stays in the path, still escaped */
	f = "-j4 --jobserver-auth=fifo:/tmp/a\\ b -k";
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_FIFO);
	assert_int_equal(a.pathlen, strlen("/tmp/a\\ b"));
	assert_memory_equal(a.path, "/tmp/a\\ b", a.pathlen);
	{
		char buf[64];

		assert_int_equal(mf_unescape(a.path, a.pathlen, buf,
					     sizeof buf), 1);
		assert_string_equal(buf, "/tmp/a b");
	}

	/* a one-byte path is a path; a relative one too */
	f = "--jobserver-auth=fifo:x";
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_FIFO);
	assert_int_equal(a.pathlen, 1);
	assert_int_equal(a.path[0], 'x');
	/* a comma in a fifo path is part of the path */
	f = "--jobserver-auth=fifo:/tmp/3,4";
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_FIFO);
	assert_int_equal(a.pathlen, strlen("/tmp/3,4"));

	/* "fifo:" with nothing after it */
	assert_bad("-j4 --jobserver-auth=fifo:", 1, "--jobserver-auth=fifo:");
	/* prefix is case sensitive and needs the colon */
	assert_bad("--jobserver-auth=FIFO:/x", 1, NULL);
	assert_bad("--jobserver-auth=fifo/x", 1, NULL);
}

static void parse_last_wins(void **state)
{
	struct js_auth a;
	const char *f;

	(void)state;
	/* make 4.4 pipe style, non-recursive recipe line */
	f = " -j4 --jobserver-auth=3,4 --jobserver-auth=-2,-2";
	assert_none(f, 2);
	mf_parse(f, &a);
	assert_word(f, &a, "--jobserver-auth=-2,-2");
	assert_none(" -j4 --jobserver-auth=fifo:/tmp/GMfifo1 "
		    "--jobserver-auth=-2,-2", 2);
	assert_none("--jobserver-auth=-1,-1", 1);
	assert_none("--jobserver-auth=-2,-2", 1);
}

/*
 * "-0" is read as 0, so "-0,-0" is JS_PIPE 0,0, not JS_NONE.  This pins what
 * the code does; make's sscanf("%d,%d") reads it the same way.
 */
static void parse_minus_zero(void **state)
{
	(void)state;
	assert_pipe("--jobserver-auth=-0,4", 0, 4, 1);
	assert_pipe("--jobserver-auth=-0,-0", 0, 0, 1);
	assert_pipe("--jobserver-auth=-00,-000", 0, 0, 1);
}

static void parse_several_auth_words(void **state)
{
	struct js_auth a;
	const char *f;

	(void)state;
	/* last valid after malformed and disabled ones */
	f = "--jobserver-auth=x --jobserver-auth=-2,-2 --jobserver-auth=5,6";
	assert_pipe(f, 5, 6, 3);
	mf_parse(f, &a);
	assert_word(f, &a, "--jobserver-auth=5,6");

	/* last is a fifo after a pipe */
	f = "--jobserver-auth=3,4 --jobserver-auth=fifo:/f";
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_FIFO);
	assert_int_equal(a.nauth, 2);
	assert_int_equal(a.pathlen, 2);
	assert_int_equal(a.rfd, -1);

	/* last is a pipe after a fifo: path is cleared */
	assert_pipe("--jobserver-auth=fifo:/f --jobserver-auth=3,4", 3, 4, 2);

	/* last is malformed after valid ones: JS_BAD with a why */
	f = "-j4 --jobserver-auth=3,4 --jobserver-auth=3,4x";
	assert_bad(f, 2, "--jobserver-auth=3,4x");
	f = "--jobserver-auth=fifo:/f --jobserver-auth=";
	assert_bad(f, 2, NULL);
	mf_parse(f, &a);
	assert_ptr_equal(a.word, strrchr(f, ' ') + 1);
	assert_int_equal(a.wordlen, strlen(AUTHP));
	f = "--jobserver-auth=3,4 --jobserver-auth=-2,-2 --jobserver-auth=3,-1";
	assert_bad(f, 3, "--jobserver-auth=3,-1");

	/* a bad word followed by a disabled one: NONE, why cleared */
	assert_none("--jobserver-auth=bad --jobserver-auth=-2,-2", 2);

	/* many words: nauth counts all of them */
	{
		char buf[4096] = "";
		int i;

		for (i = 0; i < 100; i++)
			strcat(buf, " --jobserver-auth=1,2");
		strcat(buf, " --jobserver-auth=9,10");
		assert_pipe(buf, 9, 10, 101);
	}
}

static void parse_var_tail(void **state)
{
	struct js_auth a;
	const char *f;

	(void)state;
	f = "-j4 --jobserver-auth=3,4 -- CC=gcc FOO=a\\ b X=--jobserver-auth=9,9";
	assert_pipe(f, 3, 4, 1);
	mf_parse(f, &a);
	assert_word(f, &a, "--jobserver-auth=3,4");

	/* a tail word that IS an auth word is data */
	assert_pipe("-j4 --jobserver-auth=3,4 -- --jobserver-auth=9,9", 3, 4, 1);
	assert_pipe("-j4 --jobserver-auth=3,4 -- --jobserver-auth=bad", 3, 4, 1);
	assert_none("-j4 -- --jobserver-auth=9,9", 0);
	assert_none("-- --jobserver-auth=9,9 --jobserver-fds=9,9", 0);
	assert_none(" -- --jobserver-auth=9,9", 0);
	assert_none("--\t--jobserver-auth=9,9", 0);
	/* an escaped blank glues words: "a\ --" is not the marker */
	assert_pipe("a\\ -- --jobserver-auth=3,4", 3, 4, 1);
	/* neither is "---" nor "--x" nor "\--" */
	assert_pipe("--- --jobserver-auth=3,4", 3, 4, 1);
	assert_pipe("--x --jobserver-auth=3,4", 3, 4, 1);
	assert_pipe("\\-- --jobserver-auth=3,4", 3, 4, 1);
	/* a "--" at the very end */
	assert_pipe("--jobserver-auth=3,4 --", 3, 4, 1);
	/* an escaped blank inside a value glues the next text into it */
	assert_none("FOO=a\\ --jobserver-auth=3,4", 0);
}

static void parse_garbage_values(void **state)
{
	static const char *const bad[] = {
		"", "=3", "3", "a,b", "3,", ",4", ",", "3,-1", "-1,3",
		"-2,5", "99999999999,4", "3,99999999999", "2147483648,4",
		"4,2147483648", "-2147483648,-1", "18446744073709551616,4",
		"3,4x", "x3,4", "3,4,5", "+3,4", "3,+4", "-,4", "3,-",
		"--3,4", "3,4\\", "3\\,4", "3,4\\ x", "0x3,4", "3 ", "fifo:",
		"fifo", "FIFO:/x", "=", "==3,4", "=3,4",
	};
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(buf, sizeof buf, "-j4 " AUTHP "%s", bad[i]);
		if (strcmp(bad[i], "3 ") == 0) {
			/* the blank ends the word: value "3" */
			assert_bad(buf, 1, AUTHP "3");
			continue;
		}
		assert_bad(buf, 1, buf + 4);
		/* fds spelling too (fifo is never valid there) */
		snprintf(buf, sizeof buf, FDSP "%s -j", bad[i]);
		{
			struct js_auth a;

			mf_parse(buf, &a);
			assert_int_equal(a.kind, JS_BAD);
			assert_non_null(a.why);
			assert_int_equal(a.nauth, 1);
		}
	}
}

static void parse_garbage_flags(void **state)
{
	(void)state;
	assert_none(NULL, 0);
	assert_none("", 0);
	assert_none(" ", 0);
	assert_none(" \t \n\t", 0);
	assert_none("=3", 0);
	assert_none("3", 0);
	assert_none("a,b", 0);
	assert_none("3,4", 0);
	assert_none("\\", 0);
	assert_none("-j4 \\", 0);
	assert_none("-j4\\", 0);
	assert_none("\\ ", 0);
	assert_none("--", 0);
	assert_none("-j4 --", 0);
	assert_none("--jobserver-auth", 0);
	assert_none("--jobserver-auth 3,4", 0);
	assert_none("--jobserver-authx=3,4", 0);
	assert_none("--jobserver-fd=3,4", 0);
	assert_none("-jobserver-auth=3,4", 0);
	assert_none("x--jobserver-auth=3,4", 0);
	assert_none("\\--jobserver-auth=3,4", 0);
	assert_none("--JOBSERVER-AUTH=3,4", 0);
	assert_none("kw -j4", 0);
	/* a lone backslash closing an auth word is part of its value */
	assert_bad("-j4 --jobserver-auth=3,4\\", 1, "--jobserver-auth=3,4\\");
	/* a backslash before the blank glues the next word on */
	assert_bad("--jobserver-auth=3,4\\ -j4", 1, "--jobserver-auth=3,4\\ -j4");
}

/* 1 MiB values: the auth word at the very end, the very start, a huge path */
#define HUGE (1u << 20)

static void parse_huge(void **state)
{
	struct js_auth a;
	char *f = malloc(HUGE + 64);
	size_t i, n;

	(void)state;
	assert_non_null(f);

	/* one 1 MiB word, then the auth word at the very end */
	memcpy(f, "FOO=", 4);
	for (i = 4; i < HUGE; i++)
		f[i] = (char)('a' + i % 26);
	n = HUGE;
	memcpy(f + n, " --jobserver-auth=3,4", 22);
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_PIPE);
	assert_int_equal(a.rfd, 3);
	assert_int_equal(a.nauth, 1);
	assert_ptr_equal(a.word, f + n + 1);

	/* auth word at the very start, 1 MiB of words after it */
	n = (size_t)sprintf(f, "--jobserver-auth=5,6");
	for (i = n; i < HUGE; i++)
		f[i] = i % 7 == 0 ? ' ' : (i % 7 == 3 ? '\\' : 'x');
	f[n] = ' ';
	f[HUGE] = '\0';
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_PIPE);
	assert_int_equal(a.rfd, 5);
	assert_int_equal(a.wfd, 6);
	assert_int_equal(a.nauth, 1);
	assert_ptr_equal(a.word, f);

	/* a 1 MiB run of blanks then the auth word */
	memset(f, ' ', HUGE);
	strcpy(f + HUGE, "--jobserver-auth=7,8");
	assert_pipe(f, 7, 8, 1);

	/* a 1 MiB fifo path */
	n = (size_t)sprintf(f, "-j4 --jobserver-auth=fifo:");
	memset(f + n, 'p', HUGE);
	f[n + HUGE] = '\0';
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_FIFO);
	assert_ptr_equal(a.path, f + n);
	assert_int_equal(a.pathlen, HUGE);

	/* a 1 MiB auth value of digits: overflow, bad */
	n = (size_t)sprintf(f, "--jobserver-auth=");
	memset(f + n, '9', HUGE);
	strcpy(f + n + HUGE, ",4");
	mf_parse(f, &a);
	assert_int_equal(a.kind, JS_BAD);
	assert_int_equal(a.wordlen, n + HUGE + 2);

	/* 1 MiB of auth-looking text in the tail only */
	n = (size_t)sprintf(f, "-j4 --jobserver-auth=3,4 --");
	while (n + 22 < HUGE)
		n += (size_t)sprintf(f + n, " --jobserver-auth=9,9");
	assert_pipe(f, 3, 4, 1);

	free(f);
}

/* ------------------------------------------------------------------ */
/* mf_rewrite                                                         */

static void rewrite_forms(void **state)
{
	(void)state;
	/* make 4.3 */
	assert_rewrite(" -j4 --jobserver-auth=3,4", "7,8", "7,8",
		       " -j4 --jobserver-auth=7,8");
	assert_rewrite("kw -j4 --jobserver-auth=3,4", "7,8", "7,8",
		       "kw -j4 --jobserver-auth=7,8");
	assert_rewrite("-j4 --jobserver-auth=3,4", "7,8", NULL,
		       "-j4 --jobserver-auth=7,8");
	assert_rewrite("\t-j4\t--jobserver-auth=3,4\t", "7,8", "7,8",
		       "\t-j4\t--jobserver-auth=7,8\t");
	assert_rewrite("  kw \t -j4\n--jobserver-auth=10,11  \n", "7,8", "7,8",
		       "  kw \t -j4\n--jobserver-auth=7,8  \n");
	/* make 3.82 / 4.1 */
	assert_rewrite("--jobserver-fds=3,4 -j", "7,8", "7,8",
		       "--jobserver-fds=7,8 -j");
	assert_rewrite(" --jobserver-fds=3,4 -j", "7,8", "7,8",
		       " --jobserver-fds=7,8 -j");
	/* cargo */
	assert_rewrite("-j --jobserver-fds=3,4 --jobserver-auth=3,4", "7,8",
		       "7,8", "-j --jobserver-fds=7,8 --jobserver-auth=7,8");
	/* make 4.4 fifo, to a pipe and to a fifo */
	assert_rewrite(" -j4 --jobserver-auth=fifo:/tmp/GMfifo1234", "7,8",
		       "7,8", " -j4 --jobserver-auth=7,8");
	assert_rewrite(" -j4 --jobserver-auth=fifo:/tmp/GMfifo1234",
		       "fifo:/x/y", NULL, " -j4 --jobserver-auth=fifo:/x/y");
	assert_rewrite(" -j4 --jobserver-auth=3,4", "fifo:/x/y", NULL,
		       " -j4 --jobserver-auth=fifo:/x/y");
	/* every auth word is replaced, the disabling one too (the contract
	 * says "every"; a caller must look at mf_parse's kind first) */
	assert_rewrite(" -j4 --jobserver-auth=3,4 --jobserver-auth=-2,-2",
		       "7,8", "7,8",
		       " -j4 --jobserver-auth=7,8 --jobserver-auth=7,8");
	/* malformed values are replaced whole */
	assert_rewrite("--jobserver-auth=3,4x", "7,8", "7,8",
		       "--jobserver-auth=7,8");
	assert_rewrite("--jobserver-auth=", "7,8", "7,8",
		       "--jobserver-auth=7,8");
	assert_rewrite("--jobserver-auth=3,4\\", "7,8", "7,8",
		       "--jobserver-auth=7,8");
	assert_rewrite("--jobserver-auth=fifo:/tmp/a\\ b -k", "7,8", "7,8",
		       "--jobserver-auth=7,8 -k");
	/* an empty replacement is allowed */
	assert_rewrite("--jobserver-auth=3,4 -j", "", "",
		       "--jobserver-auth= -j");
	/* a longer replacement */
	assert_rewrite("--jobserver-auth=3,4 -j", "fifo:/very/long/path/to/a/fifo",
		       NULL, "--jobserver-auth=fifo:/very/long/path/to/a/fifo -j");
}

static void rewrite_tail_untouched(void **state)
{
	(void)state;
	assert_rewrite(
	    "-j4 --jobserver-auth=3,4 -- CC=gcc FOO=a\\ b X=--jobserver-auth=9,9",
	    "7,8", "7,8",
	    "-j4 --jobserver-auth=7,8 -- CC=gcc FOO=a\\ b X=--jobserver-auth=9,9");
	assert_rewrite(
	    "k -j4 --jobserver-auth=3,4 -- X=--jobserver-auth=9,9 FOO=a\\ b",
	    "fifo:/x/y", NULL,
	    "k -j4 --jobserver-auth=fifo:/x/y -- X=--jobserver-auth=9,9 FOO=a\\ b");
	/* tail words that are auth words are data, never rewritten */
	assert_rewrite("-j4 -- --jobserver-auth=9,9 --jobserver-fds=9,9",
		       "7,8", NULL,
		       "-j4 -- --jobserver-auth=9,9 --jobserver-fds=9,9");
	assert_rewrite("--jobserver-fds=3,4 --  --jobserver-fds=9,9\\ \\\\ ",
		       "7,8", NULL,
		       "--jobserver-auth=7,8 --  --jobserver-fds=9,9\\ \\\\ ");
	/* escapes, odd blanks and a trailing lone backslash kept byte for byte */
	assert_rewrite("--jobserver-auth=3,4 -- A=\\\\ B=\\\t\tC=x\\",
		       "7,8", "7,8",
		       "--jobserver-auth=7,8 -- A=\\\\ B=\\\t\tC=x\\");
	/* "a\ --" is one word, so the auth word after it is an option */
	assert_rewrite("a\\ -- --jobserver-auth=3,4", "7,8", "7,8",
		       "a\\ -- --jobserver-auth=7,8");
}

static void rewrite_fds_for_fifo(void **state)
{
	(void)state;
	/* no fds to name: the old form becomes the new one, blanks kept */
	assert_rewrite("--jobserver-fds=3,4 -j", "fifo:/x/y", NULL,
		       "--jobserver-auth=fifo:/x/y -j");
	assert_rewrite("kw --jobserver-fds=3,4 -j", "fifo:/x/y", NULL,
		       "kw --jobserver-auth=fifo:/x/y -j");
	assert_rewrite("  --jobserver-fds=3,4  ", "fifo:/x/y", NULL,
		       "  --jobserver-auth=fifo:/x/y  ");
	assert_rewrite("a\t--jobserver-fds=3,4\tb", "fifo:/x/y", NULL,
		       "a\t--jobserver-auth=fifo:/x/y\tb");
	/* cargo: both words name the same fifo */
	assert_rewrite("-j --jobserver-fds=3,4 --jobserver-auth=3,4",
		       "fifo:/x/y", NULL,
		       "-j --jobserver-auth=fifo:/x/y --jobserver-auth=fifo:/x/y");
	/* a malformed fds word is replaced as well */
	assert_rewrite("-j --jobserver-fds=zz -k", "7,8", NULL,
		       "-j --jobserver-auth=7,8 -k");
	/* escaped backslash before the word stays intact */
	assert_rewrite("a\\\\ --jobserver-fds=3,4", "7,8", NULL,
		       "a\\\\ --jobserver-auth=7,8");

	/* the make <= 4.1 form under a fifo child still names a jobserver */
	{
		const char *in = "kw -j --jobserver-fds=3,4 -- X=1";
		char out[128];
		struct js_auth a;

		mf_rewrite(in, "fifo:/x/y", NULL, out, sizeof out);
		assert_null(strstr(out, "--jobserver-fds"));
		assert_string_equal(out, "kw -j --jobserver-auth=fifo:/x/y -- X=1");
		mf_parse(out, &a);
		assert_int_equal(a.kind, JS_FIFO);
		assert_int_equal(a.nauth, 1);
	}
}

static void rewrite_no_auth_unchanged(void **state)
{
	static const char *const same[] = {
		"", " ", "\t\n", "kw -j4", " -j4", "-j", "-- --jobserver-auth=9,9",
		"--jobserver-auth", "--jobserver-authx=3,4", "x--jobserver-fds=3,4",
		"FOO=a\\ --jobserver-auth=3,4", "\\", "a\\", "  a  b  ",
		"k -j4 -- X=--jobserver-auth=9,9 FOO=a\\ b",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		assert_rewrite(same[i], "7,8", "7,8", same[i]);
		assert_rewrite(same[i], "7,8", NULL, same[i]);
	}
	/* NULL flags count as empty */
	assert_rewrite(NULL, "7,8", "7,8", "");
	{
		char buf[4] = "zzz";

		assert_int_equal(mf_rewrite(NULL, "7,8", NULL, buf, sizeof buf), 0);
		assert_string_equal(buf, "");
	}
}

/* snprintf-like truncation for every buffer size around the full length */
static void check_truncation(const char *in, const char *auth, const char *fds)
{
	size_t full = mf_rewrite(in, auth, fds, NULL, 0);
	char *ref = malloc(full + 1);
	size_t sz;

	assert_non_null(ref);
	assert_int_equal(mf_rewrite(in, auth, fds, ref, full + 1), full);
	assert_int_equal(strlen(ref), full);
	for (sz = 0; sz <= full + 3; sz++) {
		/* exactly SZ bytes on the heap: ASan catches a 1-byte overflow */
		char *buf = malloc(sz ? sz : 1);

		assert_non_null(buf);
		buf[0] = 'Z';
		assert_int_equal(mf_rewrite(in, auth, fds, buf, sz), full);
		if (sz == 0) {
			assert_int_equal(buf[0], 'Z');	/* untouched */
		} else {
			size_t kept = full < sz ? full : sz - 1;

			assert_int_equal(strlen(buf), kept);
			assert_memory_equal(buf, ref, kept);
		}
		free(buf);
	}
	free(ref);
}

static void rewrite_truncation(void **state)
{
	const char *in = " -j4 --jobserver-auth=3,4";
	const char *exp = " -j4 --jobserver-auth=7,8";
	size_t L = strlen(exp);
	char buf[64];

	(void)state;
	/* size 0 with a NULL buffer: just the length */
	assert_int_equal(mf_rewrite(in, "7,8", "7,8", NULL, 0), L);
	/* size 0 with a buffer: untouched */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(mf_rewrite(in, "7,8", "7,8", buf, 0), L);
	assert_int_equal(buf[0], 'Z');
	/* size 1: empty string */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(mf_rewrite(in, "7,8", "7,8", buf, 1), L);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Z');
	/* exact fit */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(mf_rewrite(in, "7,8", "7,8", buf, L + 1), L);
	assert_string_equal(buf, exp);
	assert_int_equal(buf[L + 1], 'Z');
	/* one short: last byte cut, still terminated, nothing written after */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(mf_rewrite(in, "7,8", "7,8", buf, L), L);
	assert_int_equal(strlen(buf), L - 1);
	assert_memory_equal(buf, exp, L - 1);
	assert_int_equal(buf[L], 'Z');
	/* cut inside the replacement value */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(mf_rewrite(in, "7,8", "7,8", buf, L - 1), L);
	assert_string_equal(buf, " -j4 --jobserver-auth=7");

	check_truncation(in, "7,8", "7,8");
	check_truncation("", "7,8", "7,8");
	check_truncation("-j --jobserver-fds=3,4 --jobserver-auth=3,4", "7,8",
			 NULL);
	check_truncation("--jobserver-fds=3,4 -j", "fifo:/x/y", NULL);
	check_truncation("-j4 --jobserver-auth=3,4 -- CC=gcc FOO=a\\ b "
			 "X=--jobserver-auth=9,9", "fifo:/x/y", "7,8");
	check_truncation("kw -j4", "7,8", "7,8");
	check_truncation("  \\", "7,8", "7,8");
}

static void rewrite_huge(void **state)
{
	char *f = malloc(HUGE + 64), *out, *exp;
	size_t n, i;

	(void)state;
	assert_non_null(f);
	memcpy(f, "FOO=", 4);
	for (i = 4; i < HUGE; i++)
		f[i] = (char)('a' + i % 26);
	strcpy(f + HUGE, " --jobserver-auth=3,4");
	n = mf_rewrite(f, "fifo:/x/y", NULL, NULL, 0);
	assert_int_equal(n, HUGE + strlen(" --jobserver-auth=fifo:/x/y"));
	out = malloc(n + 1);
	exp = malloc(n + 1);
	assert_non_null(out);
	assert_non_null(exp);
	memcpy(exp, f, HUGE);
	strcpy(exp + HUGE, " --jobserver-auth=fifo:/x/y");
	assert_int_equal(mf_rewrite(f, "fifo:/x/y", NULL, out, n + 1), n);
	assert_memory_equal(out, exp, n + 1);
	/* truncated in the middle of the big word */
	assert_int_equal(mf_rewrite(f, "fifo:/x/y", NULL, out, 1000), n);
	assert_int_equal(strlen(out), 999);
	assert_memory_equal(out, f, 999);
	free(out);
	free(exp);

	/* at the start, then 1 MiB of other words */
	n = (size_t)sprintf(f, "--jobserver-auth=3,4");
	for (i = n; i < HUGE; i++)
		f[i] = i % 5 == 0 ? ' ' : 'q';
	f[HUGE] = '\0';
	out = malloc(HUGE + 1);
	assert_non_null(out);
	assert_int_equal(mf_rewrite(f, "7,8", "7,8", out, HUGE + 1), HUGE);
	assert_memory_equal(out, "--jobserver-auth=7,8", n);
	assert_memory_equal(out + n, f + n, HUGE - n + 1);
	free(out);
	free(f);
}

/* ------------------------------------------------------------------ */
/* mf_unescape                                                        */

/* The maker's pid in a fifo's name: make 4.4's and ours, nothing else. */
static void fifo_owner(void **state)
{
	(void)state;
	assert_int_equal(mf_fifo_owner("/tmp/GMfifo4242"), 4242);
	assert_int_equal(mf_fifo_owner("GMfifo7"), 7);
	assert_int_equal(mf_fifo_owner("/tmp/jobproxy-99.aB3xYz/fifo"), 99);
	assert_int_equal(mf_fifo_owner("jobproxy-5.x/fifo"), 5);
	/* other names, cut or malformed numbers, one past INT_MAX */
	assert_int_equal(mf_fifo_owner("/tmp/pool.aB3xYz/fifo"), 0);
	assert_int_equal(mf_fifo_owner("/tmp/GMfifo"), 0);
	assert_int_equal(mf_fifo_owner("/tmp/GMfifo12x"), 0);
	assert_int_equal(mf_fifo_owner("/tmp/GMfifo2147483648"), 0);
	assert_int_equal(mf_fifo_owner("/tmp/GMfifo2147483647"), 2147483647L);
	assert_int_equal(mf_fifo_owner("/tmp/jobproxy-12/fifo"), 0);
	assert_int_equal(mf_fifo_owner("/tmp/jobproxy-.x/fifo"), 0);
	assert_int_equal(mf_fifo_owner("/tmp/jobproxy-12.x/other"), 0);
	assert_int_equal(mf_fifo_owner("/tmp/xjobproxy-12.x/fifo"), 0);
	assert_int_equal(mf_fifo_owner("/fifo"), 0);
	assert_int_equal(mf_fifo_owner("fifo"), 0);
	assert_int_equal(mf_fifo_owner(""), 0);
}

static void unescape(void **state)
{
	char buf[32];
	const char *s;

	(void)state;
	s = "a\\ b";
	assert_int_equal(mf_unescape(s, strlen(s), buf, sizeof buf), 1);
	assert_string_equal(buf, "a b");
	/* exact fit: 3 chars + NUL */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(mf_unescape(s, strlen(s), buf, 4), 1);
	assert_string_equal(buf, "a b");
	/* one short and smaller: 0 */
	assert_int_equal(mf_unescape(s, strlen(s), buf, 3), 0);
	assert_int_equal(mf_unescape(s, strlen(s), buf, 1), 0);
	assert_int_equal(mf_unescape(s, strlen(s), buf, 0), 0);
	/* empty input */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(mf_unescape("", 0, buf, 1), 1);
	assert_string_equal(buf, "");
	assert_int_equal(mf_unescape("", 0, buf, 0), 0);
	/* no escapes */
	assert_int_equal(mf_unescape("/tmp/GMfifo1234", 15, buf, sizeof buf), 1);
	assert_string_equal(buf, "/tmp/GMfifo1234");
	/* escaped backslash, escaped ordinary byte, escaped tab */
	s = "\\\\x\\y\\\t";
	assert_int_equal(mf_unescape(s, strlen(s), buf, sizeof buf), 1);
	assert_string_equal(buf, "\\xy\t");
	/* a lone backslash at the end stays */
	s = "ab\\";
	assert_int_equal(mf_unescape(s, strlen(s), buf, sizeof buf), 1);
	assert_string_equal(buf, "ab\\");
	/* LEN bounds the input: an escape cut by LEN keeps the backslash */
	assert_int_equal(mf_unescape("a\\b", 2, buf, sizeof buf), 1);
	assert_string_equal(buf, "a\\");
	assert_int_equal(mf_unescape("abcdef", 3, buf, sizeof buf), 1);
	assert_string_equal(buf, "abc");
	/* input not NUL terminated, exactly sized (ASan checks reads) */
	{
		char *in = malloc(4), *o = malloc(4);

		assert_non_null(in);
		assert_non_null(o);
		memcpy(in, "x\\ y", 4);
		assert_int_equal(mf_unescape(in, 4, o, 4), 1);
		assert_string_equal(o, "x y");
		memcpy(in, "x\\y\\", 4);
		assert_int_equal(mf_unescape(in, 4, o, 4), 1);
		assert_string_equal(o, "xy\\");
		free(in);
		free(o);
	}
}

/* ------------------------------------------------------------------ */
/* mf_dry_run                                                         */

static void add_auth_case(const char *in, const char *want)
{
	char out[256];
	struct js_auth a;
	size_t n = mf_add_auth(in, 4, "7,8", out, sizeof out);

	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
	mf_parse(out, &a);
	assert_int_equal(a.kind, JS_PIPE);
	assert_int_equal(a.rfd, 7);
	assert_int_equal(a.wfd, 8);
}

static void add_auth(void **state)
{
	(void)state;
	add_auth_case(NULL, " -j4 --jobserver-auth=7,8");
	add_auth_case("", " -j4 --jobserver-auth=7,8");
	add_auth_case("s", "s -j4 --jobserver-auth=7,8");
	add_auth_case("s -- X=a\\ b", "s -j4 --jobserver-auth=7,8 -- X=a\\ b");
	/* make 4.4's disabling word stays, ours comes after and wins */
	add_auth_case(" --jobserver-auth=-2,-2",
		      " --jobserver-auth=-2,-2 -j4 --jobserver-auth=7,8");
	/* found by the fuzzer: "--" first would be glued to our word */
	add_auth_case("-- X=1", " -j4 --jobserver-auth=7,8 -- X=1");
	/* found by the fuzzer: a dangling backslash would escape our blank */
	add_auth_case("k\\", "k\\\\ -j4 --jobserver-auth=7,8");
	add_auth_case("k\\\\", "k\\\\ -j4 --jobserver-auth=7,8");
}

static void has_var_and_argv_jobs(void **state)
{
	/* argv strings are writable: -Wwrite-strings wants arrays */
	char C[] = "-C", x[] = "x", J8[] = "-j8", KJ[] = "-kj", CJ[] = "-Cj";
	char all[] = "all", jobs3[] = "--jobs=3", k[] = "-k", dd[] = "--";
	char J4[] = "-j4";
	char *j8[] = { C, x, J8, NULL };
	char *kj[] = { KJ, NULL };
	char *cj[] = { CJ, all, NULL };
	char *jobs[] = { jobs3, NULL };
	char *none[] = { k, dd, J4, NULL };

	(void)state;
	assert_true(mf_has_var(" -j4 -- MAKE=x\\ y", "MAKE"));
	assert_true(mf_has_var("-- MAKE:=x", "MAKE"));
	assert_false(mf_has_var(" -j4 -- MAKEFLAGS=x", "MAKE"));
	assert_false(mf_has_var("MAKE=x", "MAKE"));	/* not in a tail */
	assert_false(mf_has_var(NULL, "MAKE"));
	assert_true(mf_argv_sets_jobs(j8));
	assert_true(mf_argv_sets_jobs(kj));
	assert_false(mf_argv_sets_jobs(cj));		/* directory "j" */
	assert_true(mf_argv_sets_jobs(jobs));
	assert_false(mf_argv_sets_jobs(none));
}

static void dry_run(void **state)
{
	(void)state;
	assert_int_equal(mf_dry_run("n"), 1);
	assert_int_equal(mf_dry_run("kn -j4"), 1);
	assert_int_equal(mf_dry_run("nw"), 1);
	assert_int_equal(mf_dry_run(" \tn -j4 --jobserver-auth=3,4"), 1);
	assert_int_equal(mf_dry_run("kns -- FOO=1"), 1);
	/* first word is an option, the 'n' later is not the flags word */
	assert_int_equal(mf_dry_run(" -j4 n"), 0);
	/* options start with '-'; MFLAGS-style "-n" is not the flags word */
	assert_int_equal(mf_dry_run("-n"), 0);
	assert_int_equal(mf_dry_run("--dry-run"), 0);
	assert_int_equal(mf_dry_run("--no-print-directory"), 0);
	assert_int_equal(mf_dry_run(""), 0);
	assert_int_equal(mf_dry_run(NULL), 0);
	assert_int_equal(mf_dry_run("   "), 0);
	assert_int_equal(mf_dry_run("k"), 0);
	assert_int_equal(mf_dry_run("kw -j4 --jobserver-auth=3,4"), 0);
	/* a first word with '=' is an assignment, not flags */
	assert_int_equal(mf_dry_run("n=1"), 0);
	assert_int_equal(mf_dry_run("FOO=n"), 0);
	/* the tail marker is not a flags word */
	assert_int_equal(mf_dry_run("-- n=1"), 0);
	assert_int_equal(mf_dry_run(" -- FOO=n"), 0);
	assert_int_equal(mf_dry_run("k -- n"), 0);
	/* a later 'n' word is never looked at */
	assert_int_equal(mf_dry_run("k n"), 0);
}

/* ------------------------------------------------------------------ */
/* property test against an independent reference model              */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(rng() % n);
}

/* A word of the reference split: [start, start+len) */
struct rword {
	size_t start, len;
	int kind;		/* 0 other, 1 auth, 2 fds, 3 the "--" marker */
	int option;		/* before the marker */
};

#define MAXW 512

/* Split S into words by a byte-at-a-time state machine. */
static int ref_split(const char *s, struct rword *w)
{
	size_t i = 0;
	int n = 0, in = 0, esc = 0, options = 1;

	for (i = 0;; i++) {
		char c = s[i];
		int blank = c == ' ' || c == '\t' || c == '\n';

		if (in && (c == '\0' || (blank && !esc))) {
			struct rword *x = &w[n - 1];
			const char *p = s + x->start;

			x->len = i - x->start;
			x->option = options;
			if (x->len == 2 && p[0] == '-' && p[1] == '-') {
				x->kind = options ? 3 : 0;
				options = 0;
			} else if (x->len >= strlen(AUTHP) &&
				   !strncmp(p, AUTHP, strlen(AUTHP))) {
				x->kind = 1;
			} else if (x->len >= strlen(FDSP) &&
				   !strncmp(p, FDSP, strlen(FDSP))) {
				x->kind = 2;
			} else {
				x->kind = 0;
			}
			in = 0;
		}
		if (c == '\0')
			break;
		if (!in && !blank) {
			assert_true(n < MAXW);
			w[n].start = i;
			n++;
			in = 1;
			esc = 0;
		}
		if (in)
			esc = !esc && c == '\\';
	}
	return n;
}

/* Reference int parse via strtoll on a bounded copy. */
static int ref_int(const char *s, size_t len, int *out)
{
	char tmp[32];
	size_t i = 0, j;
	long long v;

	if (len && s[0] == '-')
		i = 1;
	if (i == len)
		return -1;
	for (j = i; j < len; j++)
		if (s[j] < '0' || s[j] > '9')
			return -1;
	while (i + 1 < len && s[i] == '0')	/* leading zeros */
		i++;
	if (len - i > 10)
		return -1;
	tmp[0] = s[0] == '-' ? '-' : '+';
	memcpy(tmp + 1, s + i, len - i);
	tmp[1 + len - i] = '\0';
	v = strtoll(tmp, NULL, 10);
	if (v > INT_MAX || v < -(long long)INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

struct rparse {
	enum js_kind kind;
	int r, w, nauth;
	size_t word, wordlen, path, pathlen;
};

static void ref_parse(const char *s, struct rparse *p)
{
	struct rword w[MAXW];
	int n = ref_split(s, w), i;

	memset(p, 0, sizeof *p);
	p->kind = JS_NONE;
	p->r = p->w = -1;
	for (i = 0; i < n; i++) {
		const char *v;
		size_t vl, pre;
		const char *comma;
		int r, wr;

		if (!w[i].option || (w[i].kind != 1 && w[i].kind != 2))
			continue;
		pre = w[i].kind == 1 ? strlen(AUTHP) : strlen(FDSP);
		v = s + w[i].start + pre;
		vl = w[i].len - pre;
		p->nauth++;
		p->word = w[i].start;
		p->wordlen = w[i].len;
		p->r = p->w = -1;
		p->path = p->pathlen = 0;
		if (w[i].kind == 1 && vl >= 5 && !memcmp(v, "fifo:", 5)) {
			if (vl == 5) {
				p->kind = JS_BAD;
			} else {
				p->kind = JS_FIFO;
				p->path = (size_t)(v + 5 - s);
				p->pathlen = vl - 5;
			}
			continue;
		}
		comma = memchr(v, ',', vl);
		if (!comma || ref_int(v, (size_t)(comma - v), &r) ||
		    ref_int(comma + 1, vl - (size_t)(comma - v) - 1, &wr)) {
			p->kind = JS_BAD;
		} else if (r < 0 && wr < 0) {
			p->kind = JS_NONE;
		} else if (r < 0 || wr < 0) {
			p->kind = JS_BAD;
		} else {
			p->kind = JS_PIPE;
			p->r = r;
			p->w = wr;
		}
	}
}

/* Reference rewrite: copy, replacing option auth values; with FDS NULL an
 * option fds word becomes an auth word naming AUTH. */
static char *ref_rewrite(const char *s, const char *auth, const char *fds)
{
	struct rword w[MAXW];
	int n = ref_split(s, w), i;
	size_t cap = strlen(s) + (size_t)n * (strlen(AUTHP) + strlen(auth) +
			(fds ? strlen(fds) : 0)) + 1, o = 0, at = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		size_t blanks = w[i].start - at;
		int k = w[i].option ? w[i].kind : 0;

		memcpy(out + o, s + at, blanks);
		o += blanks;
		if (k == 2 && !fds) {
			memcpy(out + o, AUTHP, strlen(AUTHP));
			o += strlen(AUTHP);
			memcpy(out + o, auth, strlen(auth));
			o += strlen(auth);
		} else if (k == 1 || k == 2) {
			size_t pre = k == 1 ? strlen(AUTHP) : strlen(FDSP);
			const char *v = k == 1 ? auth : fds;

			memcpy(out + o, s + w[i].start, pre);
			o += pre;
			memcpy(out + o, v, strlen(v));
			o += strlen(v);
		} else {
			memcpy(out + o, s + w[i].start, w[i].len);
			o += w[i].len;
		}
		at = w[i].start + w[i].len;
	}
	strcpy(out + o, s + at);	/* trailing blanks */
	return out;
}

/* Remove the values of option auth/fds words (keep the prefixes). */
static char *strip_values(const char *s)
{
	struct rword w[MAXW];
	int n = ref_split(s, w), i;
	char *out = malloc(strlen(s) + 1);
	size_t o = 0, at = 0;

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		int k = w[i].option ? w[i].kind : 0;
		size_t end;

		if (k != 1 && k != 2)
			continue;
		end = w[i].start + (k == 1 ? strlen(AUTHP) : strlen(FDSP));
		memcpy(out + o, s + at, end - at);
		o += end - at;
		at = w[i].start + w[i].len;
	}
	strcpy(out + o, s + at);
	return out;
}

static const char *const pieces[] = {
	" ", " ", " ", "\t", "\\", "\\ ", "-", "=", ",", "0", "3", "4", "7",
	"9", "a", "k", "n", "w", "x", ":", "/",
	AUTHP, AUTHP, AUTHP, FDSP, FDSP, "fifo:", "fifo:/tmp/f", "--", " -- ",
	"-2,-2", "3,4", "-1", "99999999999", "2147483647", "-j4", " -j",
	"\n",
};

static void gen(char *buf, size_t cap)
{
	size_t n = 0;
	unsigned k = rnd(24), i;

	buf[0] = '\0';
	for (i = 0; i < k; i++) {
		const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
		size_t l = strlen(p);

		/* sometimes make a well-formed auth word */
		if (rnd(6) == 0) {
			static const char *const good[] = {
				" --jobserver-auth=3,4", " --jobserver-fds=5,6",
				" --jobserver-auth=fifo:/tmp/GMfifo1",
				" --jobserver-auth=-2,-2", " --jobserver-auth=0,12",
			};
			p = good[rnd(sizeof good / sizeof good[0])];
			l = strlen(p);
		}
		if (n + l + 1 > cap)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	buf[n] = '\0';
}

#define NPROP 100000

static void property_random(void **state)
{
	char in[512];
	long seen[4] = { 0, 0, 0, 0 }, with_tail = 0, nauth_pos = 0;
	int it;

	(void)state;
	rng_state = 0x6a6f6270726f7879ull;	/* "jobproxy" */
	for (it = 0; it < NPROP; it++) {
		struct js_auth a, b;
		struct rparse rp;
		char *out, *exp, *s1, *s2, *small;
		size_t n, sz;
		int afds;

		gen(in, sizeof in);

		/* mf_parse agrees with the model */
		mf_parse(in, &a);
		ref_parse(in, &rp);
		assert_int_equal(a.kind, rp.kind);
		assert_int_equal(a.nauth, rp.nauth);
		assert_int_equal(a.rfd, rp.r);
		assert_int_equal(a.wfd, rp.w);
		if (rp.nauth) {
			assert_ptr_equal(a.word, in + rp.word);
			assert_int_equal(a.wordlen, rp.wordlen);
		}
		if (rp.kind == JS_FIFO) {
			assert_ptr_equal(a.path, in + rp.path);
			assert_int_equal(a.pathlen, rp.pathlen);
		} else {
			assert_null(a.path);
		}
		if (rp.kind == JS_BAD)
			assert_non_null(a.why);
		else
			assert_null(a.why);
		seen[a.kind]++;
		{
			/* count inputs with auth text after the "--" marker */
			struct rword w[MAXW];
			int nw = ref_split(in, w), i;

			for (i = 0; i < nw; i++)
				if (!w[i].option && (w[i].kind == 1 ||
						     w[i].kind == 2)) {
					with_tail++;
					break;
				}
		}

		/* mf_rewrite with fds, into an exactly sized heap buffer */
		for (afds = 0; afds < 2; afds++) {
			const char *fds = afds ? "7,8" : NULL;

			n = mf_rewrite(in, "7,8", fds, NULL, 0);
			out = malloc(n + 1);
			assert_non_null(out);
			assert_int_equal(mf_rewrite(in, "7,8", fds, out, n + 1), n);
			assert_int_equal(strlen(out), n);
			exp = ref_rewrite(in, "7,8", fds);
			assert_string_equal(out, exp);
			free(exp);

			mf_parse(out, &b);
			if (fds) {
				/* the same auth words, all now 7,8 */
				assert_int_equal(b.nauth, a.nauth);
				if (a.nauth > 0) {
					nauth_pos++;
					assert_int_equal(b.kind, JS_PIPE);
					assert_int_equal(b.rfd, 7);
					assert_int_equal(b.wfd, 8);
				} else {
					assert_string_equal(out, in);
				}
				/* bytes outside auth values are identical */
				s1 = strip_values(in);
				s2 = strip_values(out);
				assert_string_equal(s1, s2);
				free(s1);
				free(s2);
			} else {
				/* no fds option word is left */
				struct rword w[MAXW];
				int nw = ref_split(out, w), i;

				for (i = 0; i < nw; i++)
					assert_false(w[i].option && w[i].kind == 2);
				assert_true(b.nauth <= a.nauth);
				assert_true(b.kind == JS_NONE ||
					    (b.kind == JS_PIPE && b.rfd == 7 &&
					     b.wfd == 8));
			}

			/* a random small buffer: prefix, NUL, no overflow */
			sz = rnd((unsigned)n + 3);
			small = malloc(sz ? sz : 1);
			assert_non_null(small);
			small[0] = 'Z';
			assert_int_equal(mf_rewrite(in, "7,8", fds, small, sz), n);
			if (sz == 0) {
				assert_int_equal(small[0], 'Z');
			} else {
				size_t kept = n < sz ? n : sz - 1;

				assert_int_equal(strlen(small), kept);
				assert_memory_equal(small, out, kept);
			}
			free(small);
			free(out);
		}

		/* dry run never reads past the first word and is 0 or 1 */
		assert_true(mf_dry_run(in) == 0 || mf_dry_run(in) == 1);
	}
	/* the generator reached every branch */
	assert_true(seen[JS_NONE] > 1000);
	assert_true(seen[JS_PIPE] > 1000);
	assert_true(seen[JS_FIFO] > 1000);
	assert_true(seen[JS_BAD] > 1000);
	assert_true(with_tail > 1000);
	assert_true(nauth_pos > 10000);
	print_message("property: %d inputs: none %ld pipe %ld fifo %ld bad %ld\n",
		      NPROP, seen[JS_NONE], seen[JS_PIPE], seen[JS_FIFO],
		      seen[JS_BAD]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_make43),
		cmocka_unit_test(fifo_owner),
		cmocka_unit_test(parse_old_fds_and_cargo),
		cmocka_unit_test(parse_make44_fifo),
		cmocka_unit_test(parse_last_wins),
		cmocka_unit_test(parse_minus_zero),
		cmocka_unit_test(parse_several_auth_words),
		cmocka_unit_test(parse_var_tail),
		cmocka_unit_test(parse_garbage_values),
		cmocka_unit_test(parse_garbage_flags),
		cmocka_unit_test(parse_huge),
		cmocka_unit_test(rewrite_forms),
		cmocka_unit_test(rewrite_tail_untouched),
		cmocka_unit_test(rewrite_fds_for_fifo),
		cmocka_unit_test(rewrite_no_auth_unchanged),
		cmocka_unit_test(rewrite_truncation),
		cmocka_unit_test(rewrite_huge),
		cmocka_unit_test(unescape),
		cmocka_unit_test(dry_run),
		cmocka_unit_test(add_auth),
		cmocka_unit_test(has_var_and_argv_jobs),
		cmocka_unit_test(property_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
