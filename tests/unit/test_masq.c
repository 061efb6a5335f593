/*
 * Unit tests of masq.c (the masquerade directory's pure logic) and of
 * masqsys.c's stat() probe, on files made in a scratch directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "masq.h"
#include "masqsys.h"

static void tool_list(void **state)
{
	const struct masq_tool *t;
	size_t i, j;

	(void)state;
	for (i = 0; (t = masq_tool(i)); i++) {
		assert_non_null(t->name);
		assert_null(strchr(t->name, '/'));
		for (j = 0; j < i; j++)
			assert_string_not_equal(masq_tool(j)->name, t->name);
	}
	assert_true(i >= 4);
	assert_null(masq_tool(i + 1));
	assert_null(masq_tool((size_t)-1));
	assert_int_equal(masq_lookup("make")->want, MASQ_PIPE);
	assert_int_equal(masq_lookup("gmake")->want, MASQ_PIPE);
	assert_int_equal(masq_lookup("ninja")->want, MASQ_FIFO);
	assert_int_equal(masq_lookup("cargo")->want, MASQ_ANY);
	assert_int_equal(masq_lookup("cargo")->client, 1);
	assert_int_equal(masq_lookup("cmake")->client, 0);
	/* Only cmake runs by its real path; make's argv[0] is $(MAKE). */
	assert_int_equal(masq_lookup("cmake")->by_path, 1);
	assert_int_equal(masq_lookup("make")->by_path, 0);
	assert_int_equal(masq_lookup("ninja")->nowait, 1);
	assert_int_equal(masq_lookup("make")->nowait, 0);
	assert_true(masq_is_make("/usr/bin/gmake"));
	assert_true(masq_is_make("make-4.4"));
	assert_false(masq_is_make("cmake"));
}

static void basename_(void **state)
{
	(void)state;
	assert_string_equal(masq_basename(""), "");
	assert_string_equal(masq_basename("make"), "make");
	assert_string_equal(masq_basename("/usr/bin/make"), "make");
	assert_string_equal(masq_basename("./make"), "make");
	assert_string_equal(masq_basename("a//make"), "make");
	assert_string_equal(masq_basename("make/"), "");
	assert_string_equal(masq_basename("/"), "");
}

static void lookup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; masq_tool(i); i++) {
		char p[64];

		assert_ptr_equal(masq_lookup(masq_tool(i)->name), masq_tool(i));
		snprintf(p, sizeof p, "/usr/libexec/jobproxy/%s",
			 masq_tool(i)->name);
		assert_ptr_equal(masq_lookup(p), masq_tool(i));
	}
	assert_string_equal(masq_lookup("./ninja")->name, "ninja");
	assert_null(masq_lookup(NULL));
	assert_null(masq_lookup(""));
	assert_null(masq_lookup("jobproxy"));
	assert_null(masq_lookup("/usr/bin/jobproxy"));
	assert_null(masq_lookup("make/"));
	assert_null(masq_lookup("Make"));
	assert_null(masq_lookup("make "));
	assert_null(masq_lookup("xmake"));
	assert_null(masq_lookup("make-4.4"));
	assert_null(masq_lookup("makefile"));
	assert_null(masq_lookup("ninj"));
	assert_null(masq_lookup("make/jobproxy"));
}

static void child_style(void **state)
{
	static const enum masq_style all[] = { MASQ_ANY, MASQ_PIPE, MASQ_FIFO };
	const struct masq_tool *mk = masq_lookup("make"),
		*nj = masq_lookup("ninja"), *cg = masq_lookup("cargo"),
		*cm = masq_lookup("cmake");
	size_t p, f;

	(void)state;
	for (p = 0; p < 3; p++) {
		/* The user's --style wins over everything. */
		for (f = 1; f < 3; f++) {
			assert_int_equal(masq_child_style(mk, all[p], all[f]), all[f]);
			assert_int_equal(masq_child_style(nj, all[p], all[f]), all[f]);
			assert_int_equal(masq_child_style(cg, all[p], all[f]), all[f]);
		}
		/* make 4.3 under a fifo parent (ninja) still gets a pipe. */
		assert_int_equal(masq_child_style(mk, all[p], MASQ_ANY), MASQ_PIPE);
		assert_int_equal(masq_child_style(nj, all[p], MASQ_ANY), MASQ_FIFO);
	}
	/* Either-style tools see what they would have seen without us. */
	assert_int_equal(masq_child_style(cg, MASQ_FIFO, MASQ_ANY), MASQ_FIFO);
	assert_int_equal(masq_child_style(cg, MASQ_PIPE, MASQ_ANY), MASQ_PIPE);
	assert_int_equal(masq_child_style(cg, MASQ_ANY, MASQ_ANY), MASQ_PIPE);
	assert_int_equal(masq_child_style(cm, MASQ_FIFO, MASQ_ANY), MASQ_FIFO);
	assert_int_equal(masq_child_style(NULL, MASQ_FIFO, MASQ_ANY), MASQ_FIFO);
	assert_int_equal(masq_child_style(NULL, MASQ_ANY, MASQ_ANY), MASQ_PIPE);
}

/* The entries of PATH joined by '|', e.g. "a:" -> "a|". */
static const char *entries(const char *path)
{
	static char out[256];
	const char *e;
	size_t pos = 0, len, at = 0;
	int n = 0;

	out[0] = '\0';
	while (masq_path_next(path, &pos, &e, &len)) {
		at += (size_t)snprintf(out + at, sizeof out - at, "%s%.*s",
				       n++ ? "|" : "", (int)len, e);
		assert_true(at < sizeof out);
	}
	if (!n)
		return "(none)";
	return out;
}

static void path_next(void **state)
{
	(void)state;
	assert_string_equal(entries(NULL), "(none)");
	assert_string_equal(entries(""), "");	/* one empty entry */
	assert_string_equal(entries("a"), "a");
	assert_string_equal(entries("a:"), "a|");
	assert_string_equal(entries(":a"), "|a");
	assert_string_equal(entries("::"), "||");
	assert_string_equal(entries("/usr/bin:/bin"), "/usr/bin|/bin");
	assert_string_equal(entries("a b:c\td:"), "a b|c\td|");
}

static void path_next_counts(void **state)
{
	const char *e;
	size_t pos = 0, len;
	int n = 0;

	(void)state;
	while (masq_path_next(":::", &pos, &e, &len)) {
		assert_int_equal(len, 0);
		n++;
	}
	assert_int_equal(n, 4);
	/* Past the end it stays at the end. */
	assert_int_equal(masq_path_next(":::", &pos, &e, &len), 0);
}

static void is_dir(void **state)
{
	(void)state;
	assert_true(masq_is_dir("/x/d", 4, "/x/d"));
	assert_true(masq_is_dir("/x/d/", 5, "/x/d"));
	assert_true(masq_is_dir("/x/d//", 6, "/x/d"));
	assert_true(masq_is_dir("/x/d", 4, "/x/d/"));
	assert_true(masq_is_dir("/", 1, "/"));
	assert_true(masq_is_dir("//", 2, "/"));
	assert_true(masq_is_dir("/x/d:tail", 4, "/x/d"));	/* LEN bounds */
	assert_false(masq_is_dir("/x/dd", 5, "/x/d"));
	assert_false(masq_is_dir("/x", 2, "/x/d"));
	assert_false(masq_is_dir("", 0, "/"));
	assert_false(masq_is_dir("", 0, "/x/d"));
	assert_false(masq_is_dir("x/d", 3, "/x/d"));
	assert_false(masq_is_dir("/x/./d", 6, "/x/d"));	/* bytes, no realpath */
	assert_true(masq_is_dir("", 0, ""));
}

static void path_find(void **state)
{
	(void)state;
	assert_int_equal(masq_path_find("D:/usr/bin", "D"), 0);
	assert_int_equal(masq_path_find("/usr/bin:D", "D"), 1);
	assert_int_equal(masq_path_find("::D/:D", "D"), 2);
	assert_int_equal(masq_path_find("/usr/bin", "D"), -1);
	assert_int_equal(masq_path_find("", "D"), -1);
	assert_int_equal(masq_path_find(NULL, "D"), -1);
	assert_int_equal(masq_path_find("D", NULL), -1);
}

/* masq_path_put_first into a roomy buffer, checking the returned length. */
static const char *first(const char *path, const char *dir)
{
	static char buf[256];
	size_t n = masq_path_put_first(path, dir, buf, sizeof buf);

	assert_int_equal(n, strlen(buf));
	return buf;
}

static void put_first(void **state)
{
	(void)state;
	assert_string_equal(first("/usr/bin:/bin", "/J"), "/J:/usr/bin:/bin");
	assert_string_equal(first("/J:/usr/bin", "/J"), "/J:/usr/bin");
	assert_string_equal(first("/usr/bin:/J", "/J"), "/J:/usr/bin");
	assert_string_equal(first("/a:/J:/b:/J/:/J//", "/J"), "/J:/a:/b");
	assert_string_equal(first("/J", "/J"), "/J");
	assert_string_equal(first("/J:/J", "/J"), "/J");
	/* Empty entries (the current directory) are kept, in order. */
	assert_string_equal(first("", "/J"), "/J:");
	assert_string_equal(first(NULL, "/J"), "/J:");
	assert_string_equal(first("/J:", "/J"), "/J:");
	assert_string_equal(first(":/J", "/J"), "/J:");
	assert_string_equal(first("::", "/J"), "/J:::");
	assert_string_equal(first("/a::/b:", "/J"), "/J:/a::/b:");
	/* Near misses are other directories, kept byte for byte. */
	assert_string_equal(first("/J2:/x/J:J:/J/.", "/J"),
			    "/J:/J2:/x/J:J:/J/.");
	assert_string_equal(first("/a b:/c\t:/d\\:e", "/J"),
			    "/J:/a b:/c\t:/d\\:e");
	/* A DIR given with a trailing '/' is put first as given. */
	assert_string_equal(first("/J:/b", "/J/"), "/J/:/b");
}

/* masq_path_put_dirs with DIRS (NULL-ended), length checked. */
static const char *dirs_first(const char *path, const char *const *dirs)
{
	static char buf[256];
	size_t n = 0, len;

	while (dirs[n])
		n++;
	len = masq_path_put_dirs(path, "/J", dirs, n, buf, sizeof buf);
	assert_int_equal(len, strlen(buf));
	return buf;
}

static void put_dirs(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const two[] = { "/J/tool/make", "/J/tool/cc", NULL };

	(void)state;
	assert_string_equal(dirs_first("/usr/bin:/bin", two),
			    "/J/tool/make:/J/tool/cc:/usr/bin:/bin");
	/* The flat directory and every tool directory a parent put there
	 * go; near misses stay. */
	assert_string_equal(dirs_first("/J/tool/make:/J/:/J/tool/samu:/b", two),
			    "/J/tool/make:/J/tool/cc:/b");
	assert_string_equal(dirs_first("/J/tool:/J/toolx:/J2/tool/a", two),
			    "/J/tool/make:/J/tool/cc:/J/tool:/J/toolx:/J2/tool/a");
	/* No tool here: ours dropped, empty entries kept in place. */
	assert_string_equal(dirs_first(":/J/tool/a:/b", none), ":/b");
	assert_string_equal(dirs_first("/J::", none), ":");
	assert_string_equal(dirs_first("", two), "/J/tool/make:/J/tool/cc:");
}

/* A PATH our child got from a jobproxy of the same links is taken as is. */
static void path_given(void **state)
{
	(void)state;
	assert_true(masq_path_given("/J/tool/make:/usr/bin", "/J"));
	assert_true(masq_path_given("/J/tool/make", "/J"));
	assert_true(masq_path_given("/J/tool/make:", "/J"));
	assert_true(masq_path_given("/J/tool/gmake:/J/tool/ninja:"
				    "/J/tool/cmake:/b:/J2/tool/make", "/J"));
	assert_true(masq_path_given("/J/tool/cargo::/b", "/J"));
}

/* Anything else is searched again: not first, out of the table's order,
 * twice, ours further on, the flat directory, a near miss, not ours. */
static void path_not_given(void **state)
{
	static const char *const paths[] = {
		"", "/b", ":/J/tool/make", "/usr/bin:/J/tool/make",
		"/J/tool/cargo:/J/tool/make:/b", "/J/tool/make:/J/tool/make",
		"/J/tool/make:/b:/J/tool/ninja", "/J/tool/make:/J:/b",
		"/J/tool/make:/J/:/b", "/J:/b", "/J/:/J/tool/make",
		"/J/tool/nosuch:/b", "/J/tool/make/:/b", "/J/tool/makex",
		"/J2/tool/make:/b", "/J/tool:/b",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (masq_path_given(paths[i], "/J"))
			fail_msg("taken as given: \"%s\"", paths[i]);
	assert_false(masq_path_given(NULL, "/J"));
	assert_false(masq_path_given("/J/tool/make", ""));
}

/*
 * The invariant the shortcut rests on: what masq_path_put_dirs writes for
 * the tool directories of some tools (in the table's order) is a PATH
 * masq_path_given takes, and writing it again for the same tools gives
 * it back unchanged, whatever PATH the parent started from.
 */
static void path_given_is_a_fixed_point(void **state)
{
	static const char *const parents[] = {
		"", ":", "/usr/bin:/bin", "/J:/b", "/J/tool/samu:/b:",
		"/b:/J/tool/make", "::/b::",
	};
	static const char *const sets[][4] = {
		{ "/J/tool/make", NULL },
		{ "/J/tool/make", "/J/tool/gmake", "/J/tool/cmake", NULL },
		{ "/J/tool/ninja-build", "/J/tool/cargo", NULL },
	};
	char once[256], twice[256];
	size_t p, k, n;

	(void)state;
	for (p = 0; p < sizeof parents / sizeof parents[0]; p++)
		for (k = 0; k < sizeof sets / sizeof sets[0]; k++) {
			for (n = 0; sets[k][n]; n++)
				;
			masq_path_put_dirs(parents[p], "/J", sets[k], n, once,
					   sizeof once);
			assert_true(masq_path_given(once, "/J"));
			masq_path_put_dirs(once, "/J", sets[k], n, twice,
					   sizeof twice);
			assert_string_equal(once, twice);
		}
}

static void put_first_idempotent(void **state)
{
	static const char *paths[] = {
		"", ":", "/J", "/a:/J", "/J:/a:", ":/J::/J/:/b", "/usr/bin:/bin",
	};
	char once[256], twice[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		masq_path_put_first(paths[i], "/J", once, sizeof once);
		masq_path_put_first(once, "/J", twice, sizeof twice);
		assert_string_equal(once, twice);
		assert_int_equal(masq_path_find(once, "/J"), 0);
	}
}

static void put_first_truncates(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'z', sizeof buf);
	assert_int_equal(masq_path_put_first("/usr/bin", "/J", buf, 0), 11);
	assert_int_equal(buf[0], 'z');	/* SIZE 0: nothing written */
	assert_int_equal(masq_path_put_first("/usr/bin", "/J", buf, 1), 11);
	assert_string_equal(buf, "");
	assert_int_equal(masq_path_put_first("/usr/bin", "/J", buf, sizeof buf), 11);
	assert_string_equal(buf, "/J:/usr");
	assert_int_equal(masq_path_put_first("/b", "/J", buf, sizeof buf), 5);
	assert_string_equal(buf, "/J:/b");
	assert_int_equal(masq_path_put_first("/bcd", "/J", buf, sizeof buf), 7);
	assert_string_equal(buf, "/J:/bcd");	/* exactly fits */
	assert_int_equal(masq_path_put_first("/bcde", "/J", buf, 3), 8);
	assert_string_equal(buf, "/J");
}

/* A fake file system for masq_search: FILE -> what the probe says. */
struct fake {
	const char *self[4], *other[4];
	char log[512];		/* every probed file, ';'-separated */
};

static enum masq_probe fake_probe(const char *file, void *ctx)
{
	struct fake *f = ctx;
	size_t i;

	strcat(f->log, file);
	strcat(f->log, ";");
	for (i = 0; i < 4; i++) {
		if (f->self[i] && !strcmp(f->self[i], file))
			return MASQ_SELF;
		if (f->other[i] && !strcmp(f->other[i], file))
			return MASQ_OTHER;
	}
	return MASQ_NONE;
}

static void search_after(void **state)
{
	struct fake f = { { "/J/make" }, { "/usr/bin/make", "/a/make" }, "" };
	char buf[64];

	(void)state;
	/* Entries before AFTER were passed over by whoever ran us. */
	assert_int_equal(masq_search("/a:/J:/usr/bin", "/J", "make",
				     fake_probe, &f, buf, sizeof buf), 1);
	assert_string_equal(buf, "/usr/bin/make");
	assert_string_equal(f.log, "/usr/bin/make;");
	/* AFTER NULL or absent: every entry; ourselves skipped. */
	f.log[0] = '\0';
	assert_int_equal(masq_search("/J:/usr/bin", NULL, "make",
				     fake_probe, &f, buf, sizeof buf), 1);
	assert_string_equal(buf, "/usr/bin/make");
	assert_string_equal(f.log, "/J/make;/usr/bin/make;");
	assert_int_equal(masq_search("/a:/usr/bin", "/J", "make",
				     fake_probe, &f, buf, sizeof buf), 1);
	assert_string_equal(buf, "/a/make");
	/* AFTER spelt with a trailing '/', and twice on PATH. */
	f.log[0] = '\0';
	assert_int_equal(masq_search("/J/:/J:/x:/usr/bin", "/J", "make",
				     fake_probe, &f, buf, sizeof buf), 1);
	assert_string_equal(f.log, "/J/make;/x/make;/usr/bin/make;");
}

static void search_none(void **state)
{
	struct fake f = { { "/J/make", "/K/make" }, { "/usr/bin/ninja" }, "" };
	char buf[64];

	(void)state;
	strcpy(buf, "junk");
	assert_int_equal(masq_search("/J:/K:/usr/bin", NULL, "make",
				     fake_probe, &f, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_string_equal(f.log, "/J/make;/K/make;/usr/bin/make;");
	assert_int_equal(masq_search("/usr/bin:/J", "/J", "ninja",
				     fake_probe, &f, buf, sizeof buf), 0);
	/* Names execvp would not search for: nothing is probed. */
	f.log[0] = '\0';
	assert_int_equal(masq_search("/usr/bin", NULL, "", fake_probe, &f,
				     buf, sizeof buf), 0);
	assert_int_equal(masq_search("/usr/bin", NULL, "bin/ninja",
				     fake_probe, &f, buf, sizeof buf), 0);
	assert_int_equal(masq_search("/usr/bin", NULL, NULL, fake_probe, &f,
				     buf, sizeof buf), 0);
	assert_int_equal(masq_search(NULL, NULL, "ninja", fake_probe, &f,
				     buf, sizeof buf), 0);
	assert_string_equal(f.log, "");
}

static void search_odd_entries(void **state)
{
	struct fake f = { { NULL }, { "./make", "rel/make", "/b/make" }, "" };
	char buf[16];

	(void)state;
	/* An empty entry is the current directory, with a '/' to exec. */
	assert_int_equal(masq_search("/J::/b", "/J", "make", fake_probe, &f,
				     buf, sizeof buf), 1);
	assert_string_equal(buf, "./make");
	assert_int_equal(masq_search("/J:", "/J", "make", fake_probe, &f,
				     buf, sizeof buf), 1);
	assert_string_equal(buf, "./make");
	assert_int_equal(masq_search("rel", NULL, "make", fake_probe, &f,
				     buf, sizeof buf), 1);
	assert_string_equal(buf, "rel/make");
	/* A candidate too long for BUF is skipped, not cut. */
	f.log[0] = '\0';
	assert_int_equal(masq_search("/a-very-long-dir:/b", NULL, "make",
				     fake_probe, &f, buf, sizeof buf), 1);
	assert_string_equal(buf, "/b/make");
	assert_string_equal(f.log, "/b/make;");
	assert_int_equal(masq_search("/b", NULL, "make", fake_probe, &f,
				     buf, 7), 0);	/* "/b/make" needs 8 */
	assert_int_equal(masq_search("/b", NULL, "make", fake_probe, &f,
				     buf, 8), 1);
}

/* masqsys: real files in a scratch dir; "us" is this test binary. */
static void find_real_files(void **state)
{
	char tmpl[] = "/tmp/test_masq.XXXXXX", self[PATH_MAX], p[PATH_MAX + 64],
	     path[4 * PATH_MAX], buf[PATH_MAX];
	const char *d;
	struct stat st;
	ssize_t n;

	(void)state;
	d = mkdtemp(tmpl);
	assert_non_null(d);
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(stat(self, &st), 0);
	/* J/make: a symlink to us; H/make: a hard link to us (or skip);
	 * N/make: not executable; D/make: a directory; R/make: the real one. */
	snprintf(path, sizeof path,
		 "cd %s && mkdir J H N D D/make R && ln -s %s J/make && "
		 "{ ln %s H/make 2>/dev/null || ln -s %s H/make; } && "
		 ": >N/make && printf '#!/bin/sh\\n' >R/make && chmod +x R/make",
		 d, self, self, self);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof path, "%s/J:%s/H:%s/N:%s/D:%s/R", d, d, d, d, d);
	snprintf(p, sizeof p, "%s/R/make", d);
	assert_int_equal(masq_find_real("make", path, NULL, st.st_dev,
					st.st_ino, buf, sizeof buf), 1);
	assert_string_equal(buf, p);
	snprintf(p, sizeof p, "%s/J", d);
	assert_int_equal(masq_find_real("make", path, p, st.st_dev, st.st_ino,
					buf, sizeof buf), 1);
	/* Only ourselves on PATH: not found. */
	snprintf(path, sizeof path, "%s/J:%s/H:%s/N:%s/D", d, d, d, d);
	assert_int_equal(masq_find_real("make", path, NULL, st.st_dev,
					st.st_ino, buf, sizeof buf), 0);
	snprintf(path, sizeof path, "rm -rf %s", d);
	assert_int_equal(system(path), 0);
	/* PATH unset: the default search path has a real sh. */
	assert_int_equal(masq_find_real("sh", NULL, NULL, st.st_dev,
					st.st_ino, buf, sizeof buf), 1);
	assert_string_equal(masq_basename(buf), "sh");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tool_list),
		cmocka_unit_test(basename_),
		cmocka_unit_test(lookup),
		cmocka_unit_test(child_style),
		cmocka_unit_test(path_next),
		cmocka_unit_test(path_next_counts),
		cmocka_unit_test(is_dir),
		cmocka_unit_test(path_find),
		cmocka_unit_test(put_first),
		cmocka_unit_test(put_first_idempotent),
		cmocka_unit_test(put_first_truncates),
		cmocka_unit_test(search_after),
		cmocka_unit_test(put_dirs),
		cmocka_unit_test(path_given),
		cmocka_unit_test(path_not_given),
		cmocka_unit_test(path_given_is_a_fixed_point),
		cmocka_unit_test(search_none),
		cmocka_unit_test(search_odd_entries),
		cmocka_unit_test(find_real_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
