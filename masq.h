/*
 * masq: the masquerade directory (the ccache convention), pure logic.
 *
 * jobproxy is a multi-call binary.  A directory of links named after the
 * tools it wraps (make, ninja, cargo, ...) goes first on the child's PATH,
 * so every sub-build started by name, from a recipe, a script, cmake, a
 * cargo build script or a ninja edge, runs one of the links.  A link run by
 * its name finds the real tool further on PATH, never itself, and runs it
 * behind a jobproxy of its own.  make is then run by its plain name, so
 * $(MAKE) stays "make" exactly as without jobproxy, and its recursion goes
 * through the link again.
 *
 * No system calls here: the "is this file us" test of the real-tool search
 * is a callback (masqsys.c has the one that calls stat()).
 */
#ifndef JOBPROXY_MASQ_H
#define JOBPROXY_MASQ_H

#include <stddef.h>

/* A jobserver style; MASQ_ANY: none asked for, no parent, or either. */
enum masq_style { MASQ_ANY, MASQ_PIPE, MASQ_FIFO };

struct masq_tool {
	const char *name;	/* the link's name, the tool's command name */
	enum masq_style want;	/* what it reads; MASQ_ANY: either */
	int client;		/* 1: a jobserver client; 0: runs clients */
	int nowait;		/* 1: never waits for a token: it tries one
				 * read, non-blocking, only as it starts or
				 * ends a job (ninja 1.13) */
	int by_path;		/* 1: run with argv[0] the real tool's path:
				 * it finds its own files by looking argv[0]
				 * up on PATH, which would find the link
				 * (cmake: CMAKE_ROOT, "Could not find
				 * CMAKE_ROOT !!!") */
};

/* The Ith wrapped tool, or NULL past the last. */
const struct masq_tool *masq_tool(size_t i);

/* Is CMD GNU make by its basename: make, gmake, gnumake, make-*. */
int masq_is_make(const char *cmd);

/* The part of PATH after its last '/' ("" when PATH ends in '/'). */
const char *masq_basename(const char *path);

/*
 * The wrapped tool ARGV0 names by its basename ("make", "/x/y/ninja"), or
 * NULL: then jobproxy runs as itself.
 */
const struct masq_tool *masq_lookup(const char *argv0);

/*
 * The style of the private jobserver a link gives tool T.  FORCED is the
 * user's --style (or JOBPROXY_STYLE), PARENT the style of the jobserver the
 * link found (MASQ_ANY for none).  A forced style wins; else the style the
 * tool needs (make of any version: a pipe, which make 4.3 and gcc's LTO
 * need and make 4.4 reads too; ninja 1.13+: a fifo, it ignores pipes);
 * else, for a tool that reads either, the parent's, so it sees what it
 * would have seen without jobproxy; else (a root pool) a pipe.
 */
enum masq_style masq_child_style(const struct masq_tool *t,
				 enum masq_style parent,
				 enum masq_style forced);

/*
 * PATH entries, as execvp(3) splits them: on every ':', so "" is one empty
 * entry and "a:" two.  From *POS (0 to start), set *ENTRY and *LEN to the
 * next entry and advance *POS past it; 0 when PATH has no more.
 */
int masq_path_next(const char *path, size_t *pos, const char **entry,
		   size_t *len);

/*
 * Whether the LEN bytes at ENTRY name DIR: the same bytes, apart from
 * trailing '/'s ("/x/d/" is "/x/d"; "/" stays "/").
 */
int masq_is_dir(const char *entry, size_t len, const char *dir);

/* The index of PATH's first entry that names DIR, or -1. */
int masq_path_find(const char *path, const char *dir);

/*
 * PATH with DIR as its first entry, exactly once: every other entry that
 * names DIR is dropped, all else is kept byte for byte, in order, empty
 * entries included.  A NULL PATH is taken as "" (the caller passes the
 * default search path when PATH is unset; see masq_find_real).  Written to
 * BUF like snprintf: the length of the whole result is returned, and at
 * most SIZE-1 bytes of it plus a NUL are written (nothing when SIZE is 0).
 */
size_t masq_path_put_first(const char *path, const char *dir, char *buf,
			   size_t size);

/*
 * The link directory's per-tool directories: LINKS "/tool/" NAME holds
 * one link, NAME.  The child's PATH gets those of the tools that are
 * there further on PATH only: a link for a tool the system lacks would
 * be found by `command -v`, and by cmake, which records the first of
 * "gmake make" or "ninja-build ninja" it finds and runs it at build time
 * ("ninja-build: not found", exit 127, under every cmake -G Ninja).
 */
#define MASQ_TOOL_DIR "/tool/"

/*
 * PATH with the N directories DIRS first, in order, and every entry that
 * names LINKS or a directory under LINKS MASQ_TOOL_DIR dropped (a
 * parent's choice, made for another PATH); all else kept byte for byte.
 * Written to BUF like masq_path_put_first.
 */
size_t masq_path_put_dirs(const char *path, const char *links,
			  const char *const *dirs, size_t n, char *buf,
			  size_t size);

/*
 * Is PATH one that a jobproxy of the same LINKS gave its child: one or
 * more per-tool directories of LINKS first, in the tool table's order,
 * and no entry of ours (LINKS, or one under it) after them?  Then the
 * child's PATH is PATH itself, byte for byte, as the search would find
 * again (masq_child_path): the tools it found are the ones it put first,
 * and the rest of PATH is what it searched.
 */
int masq_path_given(const char *path, const char *links);

/* What a probe found at a candidate file. */
enum masq_probe { MASQ_NONE, MASQ_SELF, MASQ_OTHER };

/*
 * Called for each candidate FILE of a search: MASQ_NONE when no
 * executable file is there, MASQ_SELF when it is this very binary (a
 * link, a copy with the same inode), MASQ_OTHER for the real tool.
 */
typedef enum masq_probe masq_probe_fn(const char *file, void *ctx);

/*
 * Find NAME the way execvp(3) would, in the PATH entries after the first
 * that names AFTER (in every entry when AFTER is NULL or names none),
 * skipping every candidate PROBE calls MASQ_SELF.  An empty entry is the
 * current directory, written "./NAME" so the result always has a '/'
 * (exec it with execv, not execvp).  Candidates that do not fit in SIZE
 * are skipped.  Returns 1 with the file in BUF, or 0.
 */
int masq_search(const char *path, const char *after, const char *name,
		masq_probe_fn *probe, void *ctx, char *buf, size_t size);

#endif
