/*
 * jobproxy: run a command on a private jobserver that borrows its tokens
 * from the parent jobserver, and give back whatever the command still held
 * when it ended, however it ended.
 *
 * Design.  The command gets a lease (lease.h): a jobserver of its own, two
 * fresh pipes (it reads tokens from one, writes returns to the other; GNU
 * make accepts R and W from different pipes) or, in fifo style, one fifo
 * for both, fed from the upstream (upstream.h): the parent jobserver named
 * in the environment, a --serve daemon, or with -j N a pool of our own.
 * Tokens wait in the command's pipe only as the offer policy says (one,
 * two for a command that cycles fast, none once it idles: offer.h); every
 * token taken is counted in a ledger (tokens.h) until it goes back, so when
 * the command exits we know exactly how many to give back, and a command
 * that writes more than it took can never grow the parent's pool.
 *
 * This file finds the upstream, builds the command's environment (its
 * jobserver in every variable that named one, MAKE= for insertion), starts
 * it, and at its exit gives everything back and leaves the way it left;
 * relay.c runs the loop in between.  Whatever goes wrong on our side (no
 * jobserver, closed fds, a malformed MAKEFLAGS, no fds left, no fork) ends
 * in running the command as if jobproxy were not there: jobproxy is never
 * the reason a build fails.
 */
#include "proxy.h"
#include "masq.h"
#include "masqsys.h"
#include "proctree.h"
#include "msg.h"
#include "pidwatch.h"
#include "client.h"
#include "signals.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where clients look for the auth, in the order they look (jobserver-rs). */
static const char *const VARS[NVARS] = {
	"CARGO_MAKEFLAGS", "MAKEFLAGS", "MFLAGS"
};

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
	const char *env = getenv("JOBPROXY_SOCKET"), *sock = P->o->connect;
	char fds[32], *mf;
	size_t len;
	int i, jobs;

	for (i = 0; !sock && env && *env && i < NVARS; i++) {
		struct js_auth a;

		mf_parse(getenv(VARS[i]), &a);
		if (a.kind != JS_NONE)
			return 0;	/* a jobserver is here already */
	}
	if (!sock && !(env && *env))
		return 0;
	if (!sock)
		sock = env;
	jobs = client_connect(sock, P->o->duid, &P->auth, &P->up.sock);
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
		close_fd(&P->auth.rfd);
		close_fd(&P->auth.wfd);
		close_fd(&P->up.sock);
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
		   sock, jobs, fds);
	return 1;
}

/*
 * Insertion through the link directory (masq.h): the child's PATH gets it
 * first, exactly once, so every make, ninja, cargo or cmake started by
 * name at any depth (a recipe's $(MAKE), a script, a cargo build script, a
 * ninja edge) runs a link, which puts a jobproxy of its own in front of
 * the real tool.  Nothing a Makefile can see changes: $(MAKE) stays
 * "make".  A wrapped tool named without a '/' is found further on PATH,
 * never this binary (by inode), after the link directory when we run as
 * a link, so that two installs do not run each other in turn.  Run by a
 * link whose real tool is nowhere: "not found", 127, as a shell says.
 */
static void find_tool(struct proxy *P)
{
	const struct masq_tool *t = masq_lookup(P->argv[0]);
	const char *path = getenv("PATH");
	dev_t dev = 0;
	ino_t ino = 0;
	int self = masq_self(P->o->argv0, &dev, &ino);

	P->self_dev = dev;
	P->self_ino = ino;
	P->links[0] = '\0';
	if (P->o->insert && self &&
	    !masq_link_dir(P->o->argv0, dev, ino, P->links, sizeof P->links))
		P->links[0] = '\0';
	if (P->o->insert && !P->links[0] && !getenv("JOBPROXY_LINKS"))
		jp_verbose("no link directory: sub-makes get MAKE= instead");
	if (P->links[0]) {
		P->path_env = masq_child_path(path, P->links, dev, ino);
		if (!P->path_env)
			P->links[0] = '\0';
		jp_verbose("link directory %s first on the child's PATH",
			   P->links);
	}
	if (!t || (!P->o->link && strchr(P->argv[0], '/')))
		return;		/* run as given: a path is the user's choice */
	if (self && masq_find_real(t->name, path, P->o->link && P->links[0] ?
				   P->links : NULL, dev, ino, P->real,
				   sizeof P->real)) {
		P->file = P->real;
		if (t->by_path)	/* cmake: masq.h */
			P->argv[0] = P->real;
		return;
	}
	if (P->o->link) {
		jp_warn("%s: not found", t->name);
		exit(127);
	}
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

	if (!P->o->insert || P->links[0] || !masq_is_make(P->argv[0]) ||
	    mf_has_var(getenv("MAKEFLAGS"), "MAKE"))
		return;
	for (n = 0; P->argv[n]; n++)
		if (!strncmp(P->argv[n], "MAKE=", 5)) {
			at = (int)n;
			inner = P->argv[n] + 5;
		}
	self = masq_self_path(argv0);
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
		 P->o->verbose ? " -v" : "", P->o->stats ? " --stats" : "",
		 P->o->style == STYLE_FIFO ? " --style=fifo" :
		 P->o->style == STYLE_PIPE ? " --style=pipe" : "", inner);
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

/* The style the child reads (masq_child_style says which and why). */
static enum style child_style(const struct proxy *P)
{
	static const enum masq_style to[] = {
		[STYLE_AUTO] = MASQ_ANY, [STYLE_PIPE] = MASQ_PIPE,
		[STYLE_FIFO] = MASQ_FIFO
	};
	const struct masq_tool *t = masq_lookup(P->argv[0]);
	enum masq_style parent = P->root ? MASQ_ANY :
				 P->auth.kind == JS_FIFO ? MASQ_FIFO : MASQ_PIPE;

	/*
	 * A make 4.4 below a fifo keeps the fifo, as without us: in a pipe
	 * it would show "--jobserver-auth=-2,-2" in a plain recipe's
	 * MAKEFLAGS.  make 4.3 must have a pipe (fifo: is fatal to it).
	 */
	if (P->o->style == STYLE_AUTO && parent == MASQ_FIFO && t &&
	    t->want == MASQ_PIPE && masq_make_reads_fifo(P->file ? P->file :
							  P->argv[0]))
		return STYLE_FIFO;
	return masq_child_style(t, parent,
				to[P->o->style]) == MASQ_FIFO ? STYLE_FIFO
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

	snprintf(fds, sizeof fds, "%d,%d", P->lease.js.tok_r,
		 P->lease.js.ret_w);
	if (P->lease.js.fifo)
		snprintf(auth, sizeof auth, "fifo:%s", P->lease.js.fifo);
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
		out = rewritten(v, P, auth, P->lease.js.fifo ? NULL : fds);
		if (!out)
			return -1;
		P->env[n++] = VARS[i];
		P->env[n++] = out;
		jp_verbose("child %s=%s", VARS[i], out);
	}
	if (P->path_env) {
		P->env[n++] = "PATH";
		P->env[n++] = P->path_env;
	}
	if (P->want_w >= 0) {
		struct stat st;

		if (fstat(P->want_w, &st) == 0) {
			snprintf(P->want_env, sizeof P->want_env, "%d:%lu",
				 P->want_w, (unsigned long)st.st_ino);
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

/*
 * The "I wait" pipe for a jobproxy below (see find_want_up), in pipe style
 * only: optional, without it that one just waits for our next offer.
 */
static void want_pipe(struct proxy *P)
{
	int p[2];

	if (pipe_cloexec(p) < 0)
		return;
	P->want_r = p[0];
	P->want_w = p[1];
	fd_nonblock(P->want_r);
	fd_nonblock(P->want_w);
}

/* Jobservers: open the upstream, make the command's; 0 on success. */
static int setup(struct proxy *P)
{
	int fifo;

	if (P->root) {
		up_counter(&P->up, P->jobs - 1);
		jp_verbose("root pool of %d slots", P->jobs);
		/* the command's own slot is the implicit one: N - 1 out */
		gate_init(&P->gate, P->jobs - 1, P->o->mem_per_job,
			  P->o->load_max);
		P->gate.trace = P->lease.trace;
	} else if (up_open(&P->up, &P->auth) < 0) {
		return -1;
	}
	find_want_up(P);
	fifo = child_style(P) == STYLE_FIFO;
	if (lease_open(&P->lease, fifo) < 0) {
		jp_warn("cannot make the child's jobserver %s:",
			fifo ? "fifo" : "pipes");
		goto fail;
	}
	if (!fifo)
		want_pipe(P);
	if (rewrite_env(P) < 0) {
		jp_warn("cannot rewrite the environment:");
		goto fail;
	}
	if (fifo)
		jp_verbose("child jobserver: fifo %s", P->lease.js.fifo);
	else
		jp_verbose("child jobserver: pipe %d,%d%s", P->lease.js.tok_r,
			   P->lease.js.ret_w,
			   P->lease.js.oneslot ? "" : " (polled)");
	if (masq_is_make(P->argv[0]) && mf_argv_sets_jobs(P->argv + 1))
		jp_warn("%s -jN on its command line starts a pool of its own"
			" (\"-jN forced in submake\"), outside jobproxy's",
			P->argv[0]);
	return 0;
fail:
	lease_close(&P->lease);
	close_fd(&P->want_r);
	close_fd(&P->want_w);
	js_close_parent(&P->up.js);
	return -1;
}

/*
 * Every fd field is -1 until it is ours: a zeroed one names fd 0, which
 * the fallback paths would close under the command (the command's stdin).
 */
static void proxy_init(struct proxy *P, const struct opts *o)
{
	P->o = o;
	P->argv = P->cargv = o->argv;
	P->jobs = o->jobs;
	P->auth.rfd = P->auth.wfd = -1;
	up_init(&P->up);
	lease_init(&P->lease, &P->up);
	P->want_r = P->want_w = -1;
	P->want_up = P->want_fd = -1;
	P->sigfd = P->psi = -1;
}

/* Anything wrong before the child runs: run it as if we were not here. */
static void run_plain(struct proxy *P)
{
	lease_close(&P->lease);
	close_fd(&P->want_r);
	close_fd(&P->want_w);
	js_close_parent(&P->up.js);
	pw_exec(P->file, P->argv);
}

/* Spawn the command; on exec failure exit as the shell would. */
static void spawn(struct proxy *P)
{
	int keep[3], drop[3], err;
	struct pw_child c;

	keep[0] = P->lease.js.tok_r;
	keep[1] = P->lease.js.ret_w;
	keep[2] = P->want_w;
	drop[0] = P->auth.rfd;
	drop[1] = P->auth.wfd;
	drop[2] = P->want_fd;
	c.argv = P->cargv;
	c.file = P->file;
	c.keep = keep;
	c.nkeep = P->lease.js.fifo ? 0 : P->want_w >= 0 ? 3 : 2;
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
	lease_handed_over(&P->lease);
	close_fd(&P->want_w);
	if (err) {
		lease_close(&P->lease);
		exit(pw_exec_status(err));
	}
	gate_jobs(&P->gate, 0, 1);
	if (P->tree != TREE_NONE)
		charge_init(&P->charge, now_ms());
	jp_verbose("running %s as pid %ld", P->argv[0], (long)P->pid);
}

/* Exit: the child is gone; give back all it held, then leave as it did. */
static void finish(struct proxy *P)
{
	const struct tokens *t = &P->lease.tok;
	unsigned long back, unread;

	if (P->charge.charged > 0)
		up_put(&P->up, P->charged, (unsigned long)P->charge.charged);
	back = lease_hand_back(&P->lease, &unread);
	trace_close(P->lease.trace);
	P->lease.trace = NULL;
	jp_verbose("%s exited; gave back %lu token(s): %lu it held, %lu"
		   " unread", P->argv[0], back, back - unread, unread);
	if (P->o->stats)
		jp_warn("stats: relayed %lu, peak held %lu, handed back %lu"
			" after exit, over-returns refused %lu",
			t->relayed, t->peak, t->handed_back, t->refused);
	if (P->o->stats && P->gate.on) {
		char line[160];

		gate_summary(&P->gate, line, sizeof line);
		jp_warn("stats: root pool %s", line);
	}
	if (P->o->stats && P->tree != TREE_NONE)
		jp_warn("stats: charge: %lu look(s), at most %d token(s)"
			" charged", P->charge.looks, P->charge.peak);
	lease_close(&P->lease);
	up_close(&P->up);
	close_fd(&P->psi);
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
		if (P->auth.kind == JS_NONE) {
			insert_make(P, argv0);
			if (P->path_env && setenv("PATH", P->path_env, 1) < 0)
				jp_warn("cannot put the links on PATH:");
		}
		pw_exec(P->file, P->cargv);
	}
	P->root = 1;
	if (P->jobs == 0)
		P->jobs = cores();
}

/* --trace FILE: one we cannot write is said, and the command runs all
 * the same. */
static void open_trace(struct proxy *P)
{
	if (!P->o->trace)
		return;
	P->lease.trace = trace_open(P->o->trace);
	if (!P->lease.trace)
		jp_warn("cannot write the trace to %s:", P->o->trace);
}

void wrap_main(const struct opts *o)
{
	static struct proxy P;

	proxy_init(&P, o);
	find_tool(&P);
	open_trace(&P);
	if (!find_daemon(&P) && !find_parent(&P))
		no_parent(&P, o->argv0);
	else if (P.jobs >= 0)
		jp_verbose("-j ignored: the parent jobserver sets the pool");
	if (o->charge) {
		P.tree = tree_usable("");
		if (P.tree == TREE_NONE)
			jp_warn("--charge: no /proc to watch %s's processes"
				" in: going on without", o->argv[0]);
	}
	if (!P.root && (o->mem_per_job > 0 || o->load_max > 0))
		jp_verbose("--mem-per-job and --load-average ignored: they"
			   " apply to a pool of our own (-j N, --serve)");
	if (setup(&P) < 0)
		run_plain(&P);
	insert_make(&P, o->argv0);
	P.sigfd = sig_init_all();
	if (P.sigfd < 0) {
		jp_warn("cannot set up signal handling: running %s without"
			" jobproxy:", P.argv[0]);
		run_plain(&P);
	}
	ws_init(&P.ws);
	spawn(&P);
	relay(&P);
	finish(&P);
}

