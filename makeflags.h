/*
 * makeflags: find and rewrite the jobserver auth in MAKEFLAGS-like values.
 *
 * Pure string logic, no system calls, so the unit tests and the fuzzer can
 * drive it exhaustively.  The value is a list of words separated by blanks;
 * a backslash escapes the next byte (make writes "a\ b" for a space inside a
 * variable value).  Words after a lone "--" are command-line variable
 * assignments, never options.
 */
#ifndef JOBPROXY_MAKEFLAGS_H
#define JOBPROXY_MAKEFLAGS_H

#include <stddef.h>

/*
 * The most slots a pool may have, for -j N of the wrapper's root pool and
 * of the daemon alike (0 means "as many as CPUs").
 */
#define MF_MAX_JOBS 65536

enum js_kind {
	JS_NONE,	/* no auth word, or the last one has negative fds */
	JS_PIPE,	/* --jobserver-auth=R,W or --jobserver-fds=R,W */
	JS_FIFO,	/* --jobserver-auth=fifo:PATH */
	JS_BAD		/* the last auth word is malformed */
};

struct js_auth {
	enum js_kind kind;
	int rfd, wfd;		/* JS_PIPE */
	const char *path;	/* JS_FIFO: into the parsed value, still escaped */
	size_t pathlen;
	const char *word;	/* the deciding auth word (JS_BAD: for messages) */
	size_t wordlen;
	const char *why;	/* JS_BAD: what is wrong, a static string */
	int nauth;		/* how many auth words the value holds */
};

/* Parse FLAGS (NULL counts as empty); the last auth word decides. */
void mf_parse(const char *flags, struct js_auth *out);

/*
 * Copy FLAGS to OUT with the value of every auth word replaced:
 * "--jobserver-auth=" words get AUTH ("R,W" or "fifo:PATH"), old
 * "--jobserver-fds=" words get FDS ("R,W"; with NULL, for a fifo child
 * that has no fds to name, such a word becomes "--jobserver-auth=AUTH").
 * Every other byte is kept.
 * Returns the length of the result, like snprintf: when it is >= OUTSZ the
 * output was cut and the caller needs a bigger buffer.
 */
size_t mf_rewrite(const char *flags, const char *auth, const char *fds,
		  char *out, size_t outsz);

/* Undo make's backslash escapes of a fifo path into BUF; 0 if too long. */
int mf_unescape(const char *s, size_t len, char *buf, size_t bufsz);

/*
 * The pid of the process that made the fifo PATH (unescaped), as its name
 * carries it: GNU make 4.4's "DIR/GMfifoPID" (posixos.c), jobproxy's
 * "DIR/jobproxy-PID.XXXXXX/fifo"; 0 for any other name.
 */
long mf_fifo_owner(const char *path);

/*
 * For a root pool: FLAGS (may be NULL) with "-jN --jobserver-auth=AUTH"
 * added among its options, before any "--" variable tail, so the flags
 * word stays first.  Same return and truncation rules as mf_rewrite.
 */
size_t mf_add_auth(const char *flags, int jobs, const char *auth,
		   char *out, size_t outsz);

/* Does FLAGS ask for a dry run ('n' in the leading single-letter word)? */
int mf_dry_run(const char *flags);

/* Does the "--" tail of FLAGS assign variable NAME (e.g. "MAKE")? */
int mf_has_var(const char *flags, const char *name);

/*
 * Does ARGV (a make command line, argv[0] excluded) give -j/--jobs?  Such
 * a sub-make leaves the jobserver for a pool of its own.
 */
int mf_argv_sets_jobs(char *const *argv);

#endif
