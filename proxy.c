/*
 * jobproxy: run a command on a private jobserver that borrows its tokens
 * from the parent jobserver, and give back whatever the command still held
 * when it ended, however it ended.
 *
 * Design.  The child gets a jobserver of its own: two fresh pipes (it reads
 * tokens from one, writes returns to the other; GNU make accepts R and W
 * from different pipes) or, in fifo style, one fifo for both.  We keep at
 * most one token parked where the child reads; that pipe is cut to one
 * slot, so poll() tells us when the child took it and we fetch the next one
 * from the parent.  A return goes straight back to the parent.  Every token
 * read from the parent is counted in a ledger (tokens.c) until it is
 * written back, so when the child exits we know exactly how many to give
 * back, and a child that writes more than it took can never grow the
 * parent's pool.  With -j N and no jobserver around, the "parent" is a
 * pool of our own: a counter of free tokens.
 *
 * Whatever goes wrong on our side (no jobserver, closed fds, a malformed
 * MAKEFLAGS, no fds left, no fork) ends in running the command as if
 * jobproxy were not there: jobproxy is never the reason a build fails.
 */
#include "jobserver.h"
#include "makeflags.h"
#include "msg.h"
#include "offer.h"
#include "pidwatch.h"
#include "serve.h"	
#include "signals.h"
#include "tokens.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef JOBPROXY_VERSION
#define JOBPROXY_VERSION "0.2"
#endif

/* Where clients look for the auth, in the order they look (jobserver-rs). */
static const char *const VARS[] = { "CARGO_MAKEFLAGS", "MAKEFLAGS", "MFLAGS" };
#define NVARS 3

/* A fifo child's returns land where its tokens wait.  Without inotify (not
 * Linux) look there this often while it holds tokens (never while it is
 * idle); with it, every write is an event and there is no tick. */
#define FIFO_TICK_MS 20

enum style { STYLE_AUTO, STYLE_PIPE, STYLE_FIFO };

/* The whole state of one jobproxy. */
struct proxy {
	/* options */
	char **argv;		/* the command, as given */
	char **cargv;		/* the command as run (MAKE= inserted) */
	int verbose, stats, insert;
	FILE *trace;		/* --trace FILE, or NULL */
	int jobs;		/* -j N: root pool size; 0 auto; -1 not given */
	const char *sock;	/* --connect SOCKET, or NULL */
	const char *duser;	/* --daemon-user USER, or NULL */
	enum style style;

	/* environment */
	const char *var;	/* the variable the parent's auth came from */
	struct js_auth auth;
	const char *env[2 * NVARS + 3]; /* for the child: NAME, VALUE pairs */
	char want_env[64];	/* JOBPROXY_WANT for the child */

	/* jobservers */
	int root;		/* we are the pool: PARENT is a counter */
	unsigned long pool_free; /* root: free tokens in our own pool */
	struct parent_js parent;
	struct child_js child;
	struct tokens tok;
	unsigned long parked;	/* tokens unread where the child reads */
	struct offer offer;	/* when to park, when to take back */
	int parent_ok;		/* the parent jobserver still answers */
	int ret_open;		/* someone may still write a return */
	int want_up;		/* the jobproxy above us: "I wait" pipe, or -1 */
	int want_fd;		/* its number as we inherited it */
	int wanted;		/* said so, no token since */
	int fifo_more;		/* the last trim was cut short: trim again now */

	/* the child */
	int sigfd;
	pid_t pid;
	int status, exited;
	int stopped;		/* seen stopped, not seen continued since */
};

static void usage(FILE *f)
{
	fputs("usage: jobproxy [-v] [--stats] [--trace=FILE] [-j N]"
	      " [--style=pipe|fifo]\n"
	      "                [--no-insert] [--connect SOCKET]"
	      " [--daemon-user USER]\n"
	      "                [--] COMMAND [ARG...]\n"
	      "       jobproxy --serve SOCKET [-j N] [--mode OCTAL]"
	      " [--group GROUP]\n"
	      "                [--allow UID,...] [--max-clients N]"
	      " [--max-per-uid N]\n"
	      "                [--jobs-file FILE]\n"
	      "       jobproxy --status SOCKET [--daemon-user USER]\n"
	      "Run COMMAND on a private jobserver fed from the one in\n"
	      "CARGO_MAKEFLAGS, MAKEFLAGS or MFLAGS, and give back to it every\n"
	      "token COMMAND still held when it ended, however it ended.\n"
	      "\n"
	      "  -j N, --jobs=N       with no jobserver around, be the root pool\n"
	      "                       of N slots, at most 65536 (0, or -j alone\n"
	      "                       before COMMAND: NIX_BUILD_CORES, else CPUs)\n"
	      "  --style=pipe|fifo    the child's jobserver (default: the parent's\n"
	      "                       style; a root pool: pipe, fifo for ninja;\n"
	      "                       env JOBPROXY_STYLE)\n"
	      "  --no-insert          do not put sub-makes behind jobproxy too\n"
	      "  --connect SOCKET     take tokens from the daemon at SOCKET (env\n"
	      "                       JOBPROXY_SOCKET, with no jobserver around)\n"
	      "  --daemon-user USER   trust a daemon of USER too (default: only\n"
	      "                       root's or our own)\n"
	      "  -v, --verbose        say on stderr what was found and done\n"
	      "  --stats              one summary line of the token traffic at exit\n"
	      "  --trace=FILE         the token timeline as Chrome trace-event JSON\n"
	      "  -h, --help           print this help and exit\n"
	      "  -V, --version        print the version and exit\n"
	      "\n"
	      "The machine-wide pool:\n"
	      "  --serve SOCKET       be the daemon: a pool of -j N slots\n"
	      "  --mode OCTAL         the socket's mode (default 0600)\n"
	      "  --group GROUP        the socket's group; its members may connect\n"
	      "  --allow UID,...      users who may connect (root and ours always)\n"
	      "  --max-clients N      connections at once (default 1024)\n"
	      "  --max-per-uid N      connections per user (default 256)\n"
	      "  --jobs-file FILE     read N from FILE, again on SIGHUP\n"
	      "  --status SOCKET      print the daemon's pool and clients\n"
	      "\n"
	      "Exit status: COMMAND's own; if a signal killed COMMAND, jobproxy\n"
	      "dies by the same signal; 127 COMMAND not found, 126 not\n"
	      "executable, 125 bad usage of jobproxy.\n", f);
}

/* A job count, 0 to MF_MAX_JOBS (the daemon takes the same). */
static int number(const char *s, int *out)
{
	return num_int(s, 0, MF_MAX_JOBS, out);
}

static void bad_usage(const char *what, const char *arg)
{
	jp_warn("%s %s (see jobproxy --help)", what, arg);
	exit(125);
}

static enum style parse_style(const char *s)
{
	if (!strcmp(s, "pipe"))
		return STYLE_PIPE;
	if (!strcmp(s, "fifo"))
		return STYLE_FIFO;
	bad_usage("unknown style (pipe or fifo) in", s);
	return STYLE_AUTO;	/* not reached */
}

/*
 * JOBPROXY_STYLE reaches every jobproxy of a tree: a bad one must not stop
 * the build, only be said.
 */
static enum style env_style(void)
{
	const char *env = getenv("JOBPROXY_STYLE");

	if (!env || !*env || !strcmp(env, "pipe") || !strcmp(env, "fifo"))
		return !env || !*env ? STYLE_AUTO
				     : env[0] == 'p' ? STYLE_PIPE : STYLE_FIFO;
	jp_warn("unknown style '%s' in JOBPROXY_STYLE (pipe or fifo):"
		" using the default", env);
	return STYLE_AUTO;
}

/* Can the word after "-j" be run as a command (execvp's PATH search)? */
static int is_command(const char *w)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[PATH_MAX];

	if (!*w)
		return 0;
	if (strchr(w, '/'))
		return access(w, F_OK) == 0;
	for (p = path ? path : "/bin:/usr/bin"; ; p = end + 1) {
		int n;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		n = snprintf(buf, sizeof buf, "%.*s%s%s", (int)(end - p), p,
			     end > p ? "/" : "", w);
		if (n > 0 && (size_t)n < sizeof buf && access(buf, X_OK) == 0)
			return 1;
		if (!*end)
			return 0;
	}
}

/*
 * "-j" takes an optional count as the next word, like make's: "-j 4 cmd"
 * and "-j cmd" (auto).  A next word that starts like a number, or is
 * empty, is a count, good or bad; any other word is the command if one of
 * that name can be run, else a bad count ("-j abc"): a typo must not run
 * as a command, nor be taken as auto.
 */
static int jobs_word(struct proxy *P, const char *opt, const char *w)
{
	if (!w || (*w == '-' && w[1]))
		return 0;	/* -j alone, before another option */
	if (number(w, &P->jobs))
		return 1;
	if (*w && (*w < '0' || *w > '9') && *w != '+' && is_command(w))
		return 0;
	jp_warn("bad job count in %s '%s' (0 to %d)%s", opt, w, MF_MAX_JOBS,
		*w && (*w < '0' || *w > '9') ? ", and no such command" : "");
	exit(125);
}

/* "--NAME VALUE" or "--NAME=VALUE" at argv[*i]: the value, else NULL.
 * A missing or empty value is a usage error. */
static const char *value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i], *v;

	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return NULL;
	if (!a[n] && *i + 1 >= argc)
		bad_usage("missing value after", a);
	v = a[n] ? a + n + 1 : argv[++*i];
	if (!*v)
		bad_usage("empty value for", name);
	return v;
}

/* Options: stop at the first word that is not ours, like env(1). */
static void options(struct proxy *P, int argc, char **argv)
{
	int i;

	P->jobs = -1;
	P->insert = 1;
	P->style = env_style();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v;

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			P->verbose = 1;
			jp_set_verbose(1);
		} else if (!strcmp(a, "--stats")) {
			P->stats = 1;
		} else if ((v = value(argc, argv, &i, "--trace"))) {
			if (P->trace)
				fclose(P->trace);
			P->trace = trace_open(v);
			if (!P->trace)
				jp_warn("cannot write the trace to %s:", v);
		} else if ((v = value(argc, argv, &i, "--connect"))) {
			P->sock = v;
		} else if ((v = value(argc, argv, &i, "--daemon-user"))) {
			P->duser = v;
		} else if (!strcmp(a, "--no-insert")) {
			P->insert = 0;
		} else if ((v = value(argc, argv, &i, "--style"))) {
			P->style = parse_style(v);
		} else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
			/* "-j" alone means auto; "-j 4" takes the number. */
			P->jobs = 0;
			if (jobs_word(P, a, i + 1 < argc ? argv[i + 1] : NULL))
				i++;
		} else if (!strncmp(a, "-j", 2) || !strncmp(a, "--jobs=", 7)) {
			if (!number(a + (a[1] == 'j' ? 2 : 7), &P->jobs)) {
				jp_warn("bad job count in %s (0 to %d)", a,
					MF_MAX_JOBS);
				exit(125);
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			puts("jobproxy " JOBPROXY_VERSION);
			exit(0);
		} else {
			bad_usage("unknown option", a);
		}
	}
	if (i >= argc) {
		usage(stderr);
		exit(125);
	}
	P->argv = P->cargv = argv + i;
}

/* Environment: find the parent's auth; 0 when there is none to use. */
static int find_parent(struct proxy *P)
{
	int i;

	for (i = 0; i < NVARS; i++) {
		struct js_auth a;

		mf_parse(getenv(VARS[i]), &a);
		if (a.nauth == 0)
			continue;
		P->var = VARS[i];
		P->auth = a;
		break;
	}
	switch (P->auth.kind) {
	case JS_NONE:
		jp_verbose("no jobserver in the environment");
		return 0;
	case JS_BAD:
		jp_warn("malformed %.*s in %s (%s): running without jobproxy",
			(int)P->auth.wordlen, P->auth.word, P->var,
			P->auth.why);
		return 0;
	case JS_PIPE:
		jp_verbose("parent jobserver: pipe %d,%d from %s",
			   P->auth.rfd, P->auth.wfd, P->var);
		return 1;
	case JS_FIFO:
		jp_verbose("parent jobserver: fifo %.*s from %s",
			   (int)P->auth.pathlen, P->auth.path, P->var);
		return 1;
	}
	return 0;
}

/*
 * With --connect SOCKET, or JOBPROXY_SOCKET when the environment names no
 * jobserver, the daemon's per-connection pipe pair is our parent
 * jobserver, so all the relay code applies unchanged.  The one gap: with
 * no jobserver in the environment no variable carries an auth for
 * rewrite_env() to replace.  So the daemon's pool is announced in our own
 * MAKEFLAGS the way a root pool is (mf_add_auth: " -jN
 * --jobserver-auth=R,W"), and the normal path rewrites that auth to the
 * child's pipes.  The two fds lose close-on-exec, like fds inherited from
 * a parent make: spawn() closes them in the child, and a fallback exec of
 * the command itself (run_plain) gets a working jobserver, not closed fds.
 * The socket stays open, close-on-exec, until we exit: the daemon takes
 * back what we held once it and the return pipe are both closed.  If no
 * daemon answers, the rules of a root pool apply: -j N, else auto.
 */
static int find_daemon(struct proxy *P)
{
	const char *env = getenv("JOBPROXY_SOCKET");
	char fds[32], *mf;
	size_t len;
	int i, jobs, keep;

	for (i = 0; !P->sock && env && *env && i < NVARS; i++) {
		struct js_auth a;

		mf_parse(getenv(VARS[i]), &a);
		if (a.kind != JS_NONE)
			return 0;	/* a jobserver is here already */
	}
	if (!P->sock && !(env && *env))
		return 0;
	if (!P->sock)
		P->sock = env;
	jobs = serve_connect(P->sock, P->duser, &P->auth, &keep);
	if (jobs < 0) {
		if (P->jobs < 0)
			P->jobs = 0;
		return 0;
	}
	snprintf(fds, sizeof fds, "%d,%d", P->auth.rfd, P->auth.wfd);
	len = mf_add_auth(getenv("MAKEFLAGS"), jobs, fds, NULL, 0);
	mf = malloc(len + 1);
	if (!mf || (mf_add_auth(getenv("MAKEFLAGS"), jobs, fds, mf, len + 1),
		    setenv("MAKEFLAGS", mf, 1) < 0)) {
		jp_warn("cannot set MAKEFLAGS: not using the daemon:");
		close(P->auth.rfd);
		close(P->auth.wfd);
		close(keep);
		free(mf);
		memset(&P->auth, 0, sizeof P->auth);
		P->auth.rfd = P->auth.wfd = -1;
		if (P->jobs < 0)
			P->jobs = 0;
		return 0;
	}
	free(mf);	/* setenv copied it */
	fcntl(P->auth.rfd, F_SETFD, 0);
	fcntl(P->auth.wfd, F_SETFD, 0);
	P->var = "daemon";
	jp_verbose("parent jobserver: daemon at %s, pool of %d, pipe %s",
		   P->sock, jobs, fds);
	return 1;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int is_make(const char *cmd)
{
	const char *b = base(cmd);

	return !strcmp(b, "make") || !strcmp(b, "gmake") ||
	       !strcmp(b, "gnumake") || !strncmp(b, "make-", 5);
}

/* Our own path, for sub-makes to run us by. */
static char *self_path(const char *argv0)
{
	char buf[PATH_MAX];
	char *r = realpath("/proc/self/exe", buf);

	if (!r && strchr(argv0, '/'))
		r = realpath(argv0, buf);
	return strdup(r ? r : "jobproxy");	/* last resort: PATH */
}

/*
 * Insertion: a make given MAKE=... on its command line passes it to every
 * sub-make through MAKEFLAGS, and treats every recipe line that names
 * $(MAKE) as recursive.  So "MAKE=jobproxy make" once at the top puts
 * jobproxy in front of every $(MAKE) at every depth, with no Makefile
 * edit.  A MAKE= the user gave is wrapped, not replaced.
 */
static void insert_make(struct proxy *P, const char *argv0)
{
	char **v;
	const char *inner = P->argv[0];
	char *self, *val;
	size_t n, i, len;
	int at = -1;

	if (!P->insert || !is_make(P->argv[0]) ||
	    mf_has_var(getenv("MAKEFLAGS"), "MAKE"))
		return;
	for (n = 0; P->argv[n]; n++)
		if (!strncmp(P->argv[n], "MAKE=", 5)) {
			at = (int)n;
			inner = P->argv[n] + 5;
		}
	self = self_path(argv0);
	len = strlen(self) + strlen(inner) + 64;
	val = malloc(len);
	v = calloc(n + 2, sizeof *v);
	if (!self || !val || !v) {
		jp_warn("cannot insert jobproxy into sub-makes:");
		free(self);
		free(val);
		free(v);
		return;
	}
	snprintf(val, len, "MAKE=%s%s%s%s %s", self,
		 P->verbose ? " -v" : "", P->stats ? " --stats" : "",
		 P->style == STYLE_FIFO ? " --style=fifo" :
		 P->style == STYLE_PIPE ? " --style=pipe" : "", inner);
	free(self);
	v[0] = P->argv[0];
	for (i = 1, n = 1; P->argv[i]; i++)
		if ((int)i != at)
			v[n++] = P->argv[i];
	v[n++] = val;
	v[n] = NULL;
	P->cargv = v;
	jp_verbose("sub-makes run behind jobproxy: %s", val);
}

static int jobs_auto(void)
{
	const char *cores = getenv("NIX_BUILD_CORES");
	int n;
	long cpus;

	if (number(cores, &n) && n > 0)
		return n;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 0 ? (int)cpus : 1;
}

static enum style child_style(const struct proxy *P)
{
	const char *b = base(P->argv[0]);

	if (P->style != STYLE_AUTO)
		return P->style;
	if (!P->root)
		return P->auth.kind == JS_FIFO ? STYLE_FIFO : STYLE_PIPE;
	/* ninja >= 1.13 reads only the fifo style on POSIX systems. */
	return !strcmp(b, "ninja") || !strcmp(b, "samu") ? STYLE_FIFO
							 : STYLE_PIPE;
}

static char *rewritten(const char *v, const struct proxy *P, const char *auth,
		       const char *fds)
{
	size_t len = P->root ? mf_add_auth(v, P->jobs, auth, NULL, 0)
			     : mf_rewrite(v, auth, fds, NULL, 0);
	char *out = malloc(len + 1);

	if (out && P->root)
		mf_add_auth(v, P->jobs, auth, out, len + 1);
	else if (out)
		mf_rewrite(v, auth, fds, out, len + 1);
	return out;
}

/* Every variable that named a jobserver names the child's instead. */
static int rewrite_env(struct proxy *P)
{
	char auth[PATH_MAX + 8], fds[32];
	int i, n = 0;

	snprintf(fds, sizeof fds, "%d,%d", P->child.tok_r, P->child.ret_w);
	if (P->child.fifo)
		snprintf(auth, sizeof auth, "fifo:%s", P->child.fifo);
	else
		snprintf(auth, sizeof auth, "%s", fds);
	for (i = 0; i < NVARS; i++) {
		const char *v = getenv(VARS[i]);
		struct js_auth a;
		char *out;

		mf_parse(v, &a);
		/* A root pool is announced in MAKEFLAGS alone. */
		if (P->root ? strcmp(VARS[i], "MAKEFLAGS") : a.nauth == 0)
			continue;
		out = rewritten(v, P, auth, P->child.fifo ? NULL : fds);
		if (!out)
			return -1;
		P->env[n++] = VARS[i];
		P->env[n++] = out;
		jp_verbose("child %s=%s", VARS[i], out);
	}
	if (P->child.want_w >= 0) {
		struct stat st;

		if (fstat(P->child.want_w, &st) == 0) {
			snprintf(P->want_env, sizeof P->want_env, "%d:%lu",
				 P->child.want_w, (unsigned long)st.st_ino);
			P->env[n++] = "JOBPROXY_WANT";
			P->env[n++] = P->want_env;
		}
	}
	P->env[n] = NULL;
	return 0;
}

/*
 * A jobproxy above us (JOBPROXY_WANT="fd:inode") listens on a pipe for "a
 * jobproxy below waits for a token": a token it took back from an idle
 * child would otherwise reach us only at its next offer, up to a second
 * later, since a reader waiting on a pipe makes no event.  The inode
 * proves the fd is still that pipe and not a number reused since: a byte
 * written into a jobserver pipe would be a token out of thin air.
 */
static void find_want_up(struct proxy *P)
{
	const char *v = getenv("JOBPROXY_WANT"), *colon;
	uint64_t fd, ino;
	struct stat st;
	int fl;

	P->want_up = P->want_fd = -1;
	if (P->root || !num_parse(v, 10, INT_MAX, &colon, &fd) || fd < 3 ||
	    *colon != ':' || !num_parse(colon + 1, 10, UINT64_MAX, NULL, &ino))
		return;
	fl = fcntl((int)fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_WRONLY || fstat((int)fd, &st) < 0 ||
	    !S_ISFIFO(st.st_mode) || (uint64_t)st.st_ino != ino)
		return;
	P->want_fd = (int)fd;
	P->want_up = fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
}

/* Tell the jobproxy above that we wait, once per wait. */
static void want(struct proxy *P)
{
	if (P->want_up < 0 || P->wanted)
		return;
	P->wanted = 1;
	if (write(P->want_up, "w", 1) < 0) {
		/* full (it knows already) or gone: nothing to do */
	}
}

/* The jobproxy below waits: offer at once, whatever the back-off. */
static void on_want(struct proxy *P)
{
	char buf[64];
	ssize_t n = read(P->child.want_r, buf, sizeof buf);

	if (n == 0) {		/* no jobproxy left below */
		close(P->child.want_r);
		P->child.want_r = -1;
	} else if (n > 0) {
		offer_hungry(&P->offer);
	}
}

/* Jobservers: open the parent's, make the child's; 0 on success. */
static int setup(struct proxy *P)
{
	int fifo;

	if (P->root) {
		P->pool_free = (unsigned long)(P->jobs - 1);
		jp_verbose("root pool of %d slots", P->jobs);
	} else if (js_open_parent(&P->auth, &P->parent) < 0) {
		return -1;
	}
	find_want_up(P);
	fifo = child_style(P) == STYLE_FIFO;
	if ((fifo ? js_make_child_fifo(&P->child)
		  : js_make_child(&P->child)) < 0) {
		jp_warn("cannot make the child's jobserver %s:",
			fifo ? "fifo" : "pipes");
		goto fail;
	}
	if (rewrite_env(P) < 0) {
		jp_warn("cannot rewrite the environment:");
		goto fail;
	}
	if (fifo)
		jp_verbose("child jobserver: fifo %s", P->child.fifo);
	else
		jp_verbose("child jobserver: pipe %d,%d%s", P->child.tok_r,
			   P->child.ret_w, P->child.oneslot ? "" : " (polled)");
	if (is_make(P->argv[0]) && mf_argv_sets_jobs(P->argv + 1))
		jp_warn("%s -jN on its command line starts a pool of its own"
			" (\"-jN forced in submake\"), outside jobproxy's",
			P->argv[0]);
	P->parent_ok = 1;
	P->ret_open = !fifo;
	return 0;
fail:
	js_close_child(&P->child);
	js_close_parent(&P->parent);
	return -1;
}

/*
 * Every fd field is -1 until it is ours: a zeroed one names fd 0, which
 * the fallback paths would close under the command (the command's stdin).
 */
static void proxy_init(struct proxy *P)
{
	P->auth.rfd = P->auth.wfd = -1;
	P->parent.rfd = P->parent.wfd = -1;
	P->child.tok_r = P->child.tok_w = -1;
	P->child.ret_r = P->child.ret_w = -1;
	P->child.tok_peek = -1;
	P->child.want_r = P->child.want_w = -1;
	P->child.fifo = NULL;
	P->want_up = P->want_fd = -1;
	P->sigfd = -1;
}

/*
 * A standard fd that is closed when we start must be closed in the
 * command too, and meanwhile no fd of ours may take its number: the
 * child's token pipe on fd 0 would be its stdin.  Hold each closed one
 * with /dev/null, close-on-exec: every exec, the command's included,
 * closes it again.
 */
static void hold_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		int h;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		h = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (h < 0)
			h = open("/", O_RDONLY | O_CLOEXEC);
		if (h >= 0 && h != fd)	/* cannot happen: lowest first */
			close(h);
	}
}

/* Anything wrong before the child runs: run it as if we were not here. */
static void run_plain(struct proxy *P)
{
	js_close_child(&P->child);
	js_close_parent(&P->parent);
	pw_exec(P->argv);
}

/* Spawn the command; on exec failure exit as the shell would. */
static void spawn(struct proxy *P)
{
	int keep[3], drop[3], err;
	struct pw_child c;

	keep[0] = P->child.tok_r;
	keep[1] = P->child.ret_w;
	drop[0] = P->auth.rfd;
	drop[1] = P->auth.wfd;
	c.argv = P->cargv;
	keep[2] = P->child.want_w;
	drop[2] = P->want_fd;
	c.keep = keep;
	c.nkeep = P->child.fifo ? 0 : P->child.want_w >= 0 ? 3 : 2;
	c.drop = drop;
	c.ndrop = !P->root && P->auth.kind == JS_PIPE ? 2 : 0;
	if (P->want_fd >= 0) {
		if (c.ndrop == 0)
			drop[0] = P->want_fd;
		c.ndrop++;
	}
	c.setenv = P->env;
	P->pid = pw_spawn(&c, &err);
	sig_set_child(P->pid);
	if (P->pid < 0) {
		jp_warn("cannot start %s, running it without jobproxy:",
			P->argv[0]);
		sig_child_reset();
		run_plain(P);
	}
	/* Only the child needs its ends; holding ret_w would hide its EOF. */
	if (P->child.ret_w >= 0)
		close(P->child.ret_w);
	P->child.ret_w = -1;
	if (P->child.want_w >= 0)
		close(P->child.want_w);
	P->child.want_w = -1;
	if (err) {
		js_close_child(&P->child);
		exit(pw_exec_status(err));
	}
	jp_verbose("running %s as pid %ld", P->argv[0], (long)P->pid);
}

/* --trace: an event and the ledger after it.  A write that fails (a full
 * disk, EFBIG under ulimit -f) ends the trace, not the relay. */
static void traced(struct proxy *P, const char *event, unsigned long n)
{
	if (!P->trace || n == 0)
		return;
	errno = 0;
	trace_instant(P->trace, event, n);
	trace_counter(P->trace, "held from parent", P->tok.taken);
	trace_counter(P->trace, "parked for child", P->parked);
	if (!trace_ok(P->trace)) {
		jp_warn("cannot write the trace, tracing stops:");
		trace_abandon(P->trace);
		P->trace = NULL;
	}
}

/*
 * The parent jobserver is gone for good: its token pipe reads EOF and no
 * one reads its return pipe (a jobproxy above us was SIGKILLed; what it
 * held came back to its own parent through the jobproxy above it).  The
 * child must not hang, and must not spin.  Closing its token pipe would
 * show it EOF, and GNU make 4.3 and 4.4.1 both take EOF on their jobserver
 * as "no token now" and poll it again at once (posixos.c's
 * jobserver_acquire() returns 0 on a read of 0 bytes): a busy loop at -j1.
 * Keeping the pipe open with nothing behind it leaves a client blocked in
 * read() there for ever.  So the subtree goes on with a pool of its own:
 * the tokens it held (UNWRITTEN of them were on their way up), at least
 * one, so that a client that waits for a token gets one back from the
 * others.  No process outside the subtree can use them any more.
 */
static void parent_gone(struct proxy *P, unsigned long unwritten)
{
	js_close_parent(&P->parent);
	P->parent_ok = 0;
	P->root = 1;
	P->pool_free = unwritten;
	if (P->tok.taken + P->pool_free == 0)
		P->pool_free = 1;
	if (P->want_up >= 0)
		close(P->want_up);
	P->want_up = -1;
	jp_warn("the parent jobserver is gone: %s goes on with the %lu"
		" token(s) it held as a pool of its own", P->argv[0],
		P->tok.taken + P->pool_free);
	offer_hungry(&P->offer);
}

/* Is anyone left to read what we write back?  (A pipe's write end polls
 * POLLERR once its last reader is gone.) */
static int parent_reads(const struct proxy *P)
{
	struct pollfd pfd = { P->parent.wfd, POLLOUT, 0 };

	return P->parent.wfd >= 0 &&
	       !(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR));
}

/* Give N tokens, bytes B, to the parent; a dead parent is said once. */
static void to_parent(struct proxy *P, const unsigned char *b,
		      unsigned long n)
{
	unsigned long put;

	if (n == 0)
		return;
	if (P->root) {
		P->pool_free += n;
		return;
	}
	if (P->parent.wfd < 0)
		return;
	put = js_put_bytes(P->parent.wfd, b, n);
	if (put < n && errno == EPIPE) {
		parent_gone(P, n - put);
	} else if (put < n) {
		jp_warn("cannot give %lu token(s) back to the parent"
			" jobserver:", n - put);
		js_close_parent(&P->parent);
		P->parent_ok = 0;
	}
}

/* Every change of the child's state waitpid has for us; the signal of a
 * stop reported now, else 0. */
static int reap(struct proxy *P)
{
	int st, stop = 0;

	while (!P->exited) {
		switch (pw_wait(P->pid, &st)) {
		case PW_EXITED:
			P->status = st;
			P->exited = 1;
			return 0;
		case PW_STOPPED:
			P->stopped = 1;
			stop = WSTOPSIG(st);
			break;
		case PW_CONTINUED:
			P->stopped = 0;
			stop = 0;
			break;
		case PW_NOTHING:
			return stop;
		}
	}
	return 0;
}

/*
 * The child stopped (it stopped itself, or a stop signal sent to us was
 * passed on): stop too, so that whoever waits for us sees the stop, as a
 * shell's wait would without us.  By the same signal when it is one that
 * stops us (a job-control stop is dropped for an orphaned process group,
 * which the child's group, if it is ours, is not), else SIGSTOP.  Once we
 * are continued, so is the child if it is still stopped; a stop of the
 * terminal's (Ctrl-Z) stopped both already, and `fg` continued both, so
 * waitpid reports no stop then and nothing is done twice.
 */
static void mirror_stop(struct proxy *P, int stop)
{
	int by = stop;

	if ((stop != SIGTSTP && stop != SIGTTIN && stop != SIGTTOU) ||
	    getpgid(P->pid) != getpgrp())
		by = SIGSTOP;
	jp_verbose("%s stopped by signal %d: stopping too", P->argv[0], stop);
	sig_stop_self(by);
	reap(P);
	if (!P->exited && P->stopped) {
		kill(P->pid, SIGCONT);
		P->stopped = 0;
	}
	jp_verbose("continued");
}

static void on_signals(struct proxy *P)
{
	struct sig_event ev;
	int cont = 0, stop;

	while (sig_get(&ev)) {
		if (ev.signo == SIGCONT)
			cont = 1;
		if (!ev.forward || P->exited)
			continue;
		sig_forward(P->pid, &ev);
		if (ev.signo == SIGCONT)
			P->stopped = 0;
	}
	stop = reap(P);
	if (P->exited)
		return;
	/* We were continued (a SIGCONT of ours, not passed on): so is a
	 * child still stopped, rather than stopping us again. */
	if (cont && P->stopped) {
		kill(P->pid, SIGCONT);
		P->stopped = 0;
	} else if (stop) {
		mirror_stop(P, stop);
	}
}

/* Pipe style: the child wrote returns; pass on what it held, swallow the
 * rest.  What goes up are the parent's own bytes, never the child's. */
static void on_returns(struct proxy *P)
{
	char buf[256];
	unsigned char up[256];
	unsigned long in_pipe, keep, refused, fwd = 0;
	int64_t us;
	ssize_t n, i;

	do
		n = read(P->child.ret_r, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		P->ret_open = 0;	/* no process can return any more */
	if (n <= 0)
		return;
	/* Read after the returns: a token the child returned was taken out
	 * of the pipe before, so a legitimate return is never refused. */
	in_pipe = js_pending(P->child.tok_r);
	for (i = 0; i < n; i++)
		fwd += (unsigned long)tok_returned_byte(&P->tok, in_pipe,
							&up[fwd]);
	/* Counted before the keep loop below lowers FWD. */
	refused = (unsigned long)n - fwd;
	if (refused)
		jp_verbose("refused %lu token(s) the child never took",
			   refused);
	/* make releases a token when a job ends and takes one for the next:
	 * keep the returned one for it rather than hand it to the parent and
	 * race everyone to read it back; a second one for a child that cycles
	 * faster than we wake (offer.h). */
	us = fwd ? now_us() : 0;
	keep = fwd ? (unsigned long)offer_keep(&P->offer, us) : 0;
	while (fwd && in_pipe < keep && js_give(P->child.tok_w, up[fwd - 1])) {
		tok_kept_byte(&P->tok, up[fwd - 1]);
		fwd--;
		P->parked = ++in_pipe;
		offer_kept(&P->offer, us / 1000);
	}
	to_parent(P, up, fwd);
	offer_hungry(&P->offer);
	traced(P, "returned", fwd);
	traced(P, "refused over-return", refused);
}

/*
 * Fifo style: returns land in the fifo beside the parked token, and so do
 * over-returns, where the subtree would read them back as tokens.  Keep
 * one there for the child and never more than it may hold (TAKEN); the
 * rest goes back to the parent, and what exceeds all we ever gave is
 * swallowed.  Read in bulk: the fifo is cut to one page, so a child that
 * writes a page or more waits in write() until that page is read empty.
 */
static void rebalance_fifo(struct proxy *P)
{
	unsigned char buf[4096], up[4096];
	unsigned long in, excess, k;
	long n, i;
	int rounds = 0;

	/* Events first: a write after this point wakes us again. */
	js_watch_drain(P->child.watch);
	P->fifo_more = 0;
	for (;;) {
		in = js_pending(P->child.tok_peek);
		excess = tok_fifo_excess(&P->tok, in, 1);
		if (excess == 0)
			break;
		if (++rounds > 16) {	/* a flood: let the loop breathe */
			P->fifo_more = 1;
			break;
		}
		n = js_take_upto(P->child.tok_peek, buf,
				 excess < sizeof buf ? excess : sizeof buf);
		if (n <= 0)
			break;	/* the child was faster */
		for (i = 0, k = 0; i < n; i++)
			k += (unsigned long)tok_withdrew_byte(&P->tok, &up[k]);
		to_parent(P, up, k);
		traced(P, "returned", k);
		traced(P, "refused over-return", (unsigned long)n - k);
	}
	in = js_pending(P->child.tok_peek);
	P->parked = in < P->tok.taken ? in : P->tok.taken;
}

/*
 * Take a token from the parent (or our own pool): 1 got one, its byte in
 * *B; 0 not now.
 */
static int from_parent(struct proxy *P, unsigned char *b)
{
	int r;

	if (P->root) {
		if (P->pool_free == 0)
			return 0;
		P->pool_free--;
		*b = TOK_OWN_BYTE;
		return 1;
	}
	r = js_take_byte(P->parent.rfd, P->parent.guarded, b);
	if (r < 0 && !errno && !parent_reads(P)) {
		parent_gone(P, 0);
	} else if (r < 0) {
		/* Only its supply is cut: what we give back still counts. */
		if (errno)
			jp_warn("parent jobserver failed, relaying stops:");
		else
			jp_warn("parent jobserver closed, relaying stops");
		P->parent_ok = 0;
	}
	return r == 1;	/* 0: another client won the poll-then-read race */
}


/* Park one token where the child reads it: the very byte the parent gave. */
static void park(struct proxy *P)
{
	unsigned char b;

	if (!from_parent(P, &b))
		return;
	tok_took_byte(&P->tok, b);
	P->wanted = 0;
	if (js_give(P->child.tok_w, b)) {
		P->parked++;
		offer_parked(&P->offer, now_ms());
	} else if (tok_withdrew_byte(&P->tok, &b)) {
		to_parent(P, &b, 1);
	}
	traced(P, "took", 1);
}

/* The child left its parked token unread (offer.h): take it back. */
static void withdraw(struct proxy *P, int64_t now)
{
	unsigned char b;
	int r = js_take_byte(P->child.tok_peek, 0, &b);

	P->parked = js_pending(P->child.tok_peek);
	if (P->parked > P->tok.taken)
		P->parked = P->tok.taken;
	if (r != 1)
		return;		/* the child took it after all */
	/* Whatever byte was there (a fifo child's own), the parent gets
	 * one of its own back. */
	if (tok_withdrew_byte(&P->tok, &b))
		to_parent(P, &b, 1);
	traced(P, "withdrew unread", 1);
	offer_withdrew(&P->offer, now);
}

static void lower(int *timeout, int ms)
{
	if (*timeout < 0 || ms < *timeout)
		*timeout = ms;
}

/* Loop: relay until the child is gone. */
static void relay(struct proxy *P)
{
	int fifo = P->child.fifo != NULL;
	int can_withdraw = P->child.tok_peek >= 0;

	while (!P->exited) {
		struct pollfd fds[6];
		int n = 0, timeout = -1, ret = -1, par = -1, tok = -1, wnt = -1;
		int64_t now = now_ms();
		int offer;

		if (P->parked && can_withdraw &&
		    offer_expired(&P->offer, now, &timeout)) {
			withdraw(P, now);
			/* A child write of a page or more into the fifo
			 * blocks in the kernel before any event: this timer
			 * is what finds it. */
			if (fifo)
				rebalance_fifo(P);
		}
		offer = P->parked == 0 && offer_due(&P->offer, now, &timeout);
		/* Our own pool answers at once: no need to wait for it. */
		if (P->root && offer && P->pool_free)
			park(P);
		fds[n++] = (struct pollfd){ P->sigfd, POLLIN, 0 };
		if (P->ret_open)
			fds[ret = n++] = (struct pollfd){ P->child.ret_r,
							  POLLIN, 0 };
		if (offer && P->parent_ok && !P->root) {
			fds[par = n++] = (struct pollfd){ P->parent.rfd,
							  POLLIN, 0 };
			want(P);
		}
		if (P->child.want_r >= 0)
			fds[wnt = n++] = (struct pollfd){ P->child.want_r,
							  POLLIN, 0 };
		if (P->parked && P->child.oneslot)
			fds[tok = n++] = (struct pollfd){ P->child.tok_w,
							  POLLOUT, 0 };
		else if (P->parked)
			lower(&timeout, 2);	/* no one-slot pipe */
		if (fifo && P->child.watch >= 0) /* every completed write */
			fds[n++] = (struct pollfd){ P->child.watch,
						    POLLIN, 0 };
		if (fifo && P->parked == 0)	/* a write into the empty */
			fds[tok = n++] = (struct pollfd){ P->child.tok_peek,
							  POLLIN, 0 };
		/* No watch: a write into a fifo that is not empty makes no
		 * event; look while the child holds tokens (its returns) or
		 * any sit there (an over-return behind them). */
		if (fifo && P->child.watch < 0 &&
		    (P->tok.taken > 0 || P->parked > 0))
			lower(&timeout, FIFO_TICK_MS);
		if (fifo && P->fifo_more)
			lower(&timeout, 0);
		if (poll(fds, (nfds_t)n, timeout) < 0) {
			if (errno != EINTR)
				jp_fatal(1, "poll:");	/* cannot happen */
			continue;
		}
		if (fds[0].revents)
			on_signals(P);
		if (ret >= 0 && fds[ret].revents)
			on_returns(P);
		if (wnt >= 0 && fds[wnt].revents)
			on_want(P);
		if (fifo) {
			unsigned long before = P->parked;

			rebalance_fifo(P);
			if (P->parked < before || P->tok.taken > P->parked)
				offer_hungry(&P->offer);
		} else if (P->parked && (tok < 0 || fds[tok].revents)) {
			P->parked = js_pending(P->child.tok_r);
			if (P->parked == 0)
				offer_hungry(&P->offer);
		}
		if (par >= 0 && fds[par].revents && P->parked == 0)
			park(P);
	}
}

/* Exit: the child is gone; give back all it held, then leave as it did. */
static void finish(struct proxy *P)
{
	int peek = P->child.tok_peek >= 0 ? P->child.tok_peek : P->child.tok_r;
	unsigned long back = 0, unread, n;
	unsigned char buf[256];

	/* Empty the token pipe first, so an orphaned grandchild cannot use
	 * a token that the parent is about to hand out again. */
	unread = js_drain(peek);
	P->parked = 0;
	if (unread > P->tok.taken)	/* a fifo child's over-returns */
		unread = P->tok.taken;
	while ((n = tok_hand_back_bytes(&P->tok, buf, sizeof buf)) > 0) {
		to_parent(P, buf, n);
		back += n;
	}
	traced(P, "handed back after exit", back);
	trace_close(P->trace);
	jp_verbose("%s exited; gave back %lu token(s): %lu it held, %lu"
		   " unread", P->argv[0], back, back - unread, unread);
	if (P->stats)
		jp_warn("stats: relayed %lu, peak held %lu, handed back %lu"
			" after exit, over-returns refused %lu",
			P->tok.relayed, P->tok.peak, P->tok.handed_back,
			P->tok.refused);
	js_close_child(&P->child);
	js_close_parent(&P->parent);
	pw_exit_like(P->status);
}

/*
 * No jobserver to borrow from.  With -j N we are the root pool; without,
 * the command runs in our place, a make with MAKE= inserted so that it
 * stays its own root pool and only its sub-makes get a jobproxy.  A
 * malformed auth (said already) leaves everything as it was.
 */
static void no_parent(struct proxy *P, const char *argv0)
{
	if (P->auth.kind != JS_NONE || P->jobs < 0) {
		if (P->auth.kind == JS_NONE)
			insert_make(P, argv0);
		pw_exec(P->cargv);
	}
	P->root = 1;
	if (P->jobs == 0)
		P->jobs = jobs_auto();
}

int main(int argc, char **argv)
{
	static struct proxy P;

	serve_cli(argc, argv);	/* --serve, --status: they never return */
	hold_stdio();
	proxy_init(&P);
	options(&P, argc, argv);
	if (!find_daemon(&P) && !find_parent(&P))
		no_parent(&P, argv[0]);
	else if (P.jobs >= 0)
		jp_verbose("-j ignored: the parent jobserver sets the pool");
	if (setup(&P) < 0)
		run_plain(&P);
	insert_make(&P, argv[0]);
	P.sigfd = sig_init_all();
	if (P.sigfd < 0) {
		jp_warn("cannot set up signal handling: running %s without"
			" jobproxy:", P.argv[0]);
		run_plain(&P);
	}
	spawn(&P);
	relay(&P);
	finish(&P);
	return 0;
}
