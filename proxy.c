/*
 * jobproxy: run a command on a private jobserver that borrows its tokens
 * from the parent jobserver, and give back whatever the command still held
 * when it ended, however it ended.
 *
 * Design.  The child gets two fresh pipes: it reads tokens from one and
 * writes returns to the other (GNU make accepts R and W from different
 * pipes).  We keep at most one token parked in the child's token pipe; the
 * pipe is cut to one slot, so poll() tells us when the child took it and
 * we fetch the next one from the parent.  A return goes straight back to
 * the parent.  Every token read from the parent is counted in a ledger
 * (tokens.c) until it is written back, so when the child exits we know
 * exactly how many to give back, and a child that writes more than it took
 * can never grow the parent's pool.
 *
 * Whatever goes wrong on our side (no jobserver, closed fds, a malformed
 * MAKEFLAGS, no fds left, no fork) ends in running the command as if
 * jobproxy were not there: jobproxy is never the reason a build fails.
 */
#include "jobserver.h"
#include "makeflags.h"
#include "msg.h"
#include "pidwatch.h"
#include "signals.h"
#include "tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef JOBPROXY_VERSION
#define JOBPROXY_VERSION "0.1"
#endif

/* Where clients look for the auth, in the order they look (jobserver-rs). */
static const char *const VARS[] = { "CARGO_MAKEFLAGS", "MAKEFLAGS", "MFLAGS" };
#define NVARS 3

/* The whole state of one jobproxy. */
struct proxy {
	char **argv;		/* the command */
	int stats;		/* --stats */

	const char *var;	/* the variable the parent's auth came from */
	struct js_auth auth;
	const char *env[2 * NVARS + 1]; /* rewritten: NAME, VALUE pairs */

	struct parent_js parent;
	struct child_js child;
	struct tokens tok;
	unsigned long parked;	/* our tokens unread in the child's pipe */
	int parent_ok;		/* the parent jobserver still answers */
	int ret_open;		/* someone may still write a return */

	int sigfd;
	pid_t pid;
	int status, exited;
};

static void usage(FILE *f)
{
	fputs("usage: jobproxy [-v] [--stats] [--] COMMAND [ARG...]\n"
	      "Run COMMAND on a private jobserver fed from the one in\n"
	      "CARGO_MAKEFLAGS, MAKEFLAGS or MFLAGS, and give back to it every\n"
	      "token COMMAND still held when it ended, however it ended.\n"
	      "\n"
	      "  -v, --verbose  say on stderr what was found and done\n"
	      "      --stats    print a summary line of the token traffic at exit\n"
	      "  -h, --help     print this help and exit\n"
	      "  -V, --version  print the version and exit\n"
	      "\n"
	      "Exit status: COMMAND's own; if a signal killed COMMAND, jobproxy\n"
	      "dies by the same signal; 127 COMMAND not found, 126 not\n"
	      "executable, 125 bad usage of jobproxy.\n", f);
}

/* Options: stop at the first word that is not ours, like env(1). */
static void options(struct proxy *P, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			jp_set_verbose(1);
		} else if (!strcmp(a, "--stats")) {
			P->stats = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			puts("jobproxy " JOBPROXY_VERSION);
			exit(0);
		} else {
			jp_warn("unknown option %s (see jobproxy --help)", a);
			exit(125);
		}
	}
	if (i >= argc) {
		usage(stderr);
		exit(125);
	}
	P->argv = argv + i;
}

/* Environment: find the parent's auth; 0 when there is nothing to proxy. */
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
		jp_verbose("no jobserver in the environment: running %s"
			   " directly", P->argv[0]);
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

/* Every variable that named a jobserver names the child's instead. */
static int rewrite_env(struct proxy *P)
{
	char auth[32];
	int i, n = 0;

	snprintf(auth, sizeof auth, "%d,%d", P->child.tok_r, P->child.ret_w);
	for (i = 0; i < NVARS; i++) {
		const char *v = getenv(VARS[i]);
		struct js_auth a;
		size_t len;
		char *out;

		mf_parse(v, &a);
		if (a.nauth == 0)
			continue;
		len = mf_rewrite(v, auth, auth, NULL, 0);
		out = malloc(len + 1);
		if (!out)
			return -1;
		mf_rewrite(v, auth, auth, out, len + 1);
		P->env[n++] = VARS[i];
		P->env[n++] = out;
		jp_verbose("child %s=%s", VARS[i], out);
	}
	P->env[n] = NULL;
	return 0;
}

/* Jobservers: open the parent's, make the child's; 0 on success. */
static int setup(struct proxy *P)
{
	if (js_open_parent(&P->auth, &P->parent) < 0)
		return -1;
	if (js_make_child(&P->child) < 0) {
		jp_warn("cannot make the child's jobserver pipes:");
		goto fail;
	}
	if (rewrite_env(P) < 0) {
		jp_warn("cannot rewrite the environment:");
		goto fail;
	}
	jp_verbose("child jobserver: pipe %d,%d%s", P->child.tok_r,
		   P->child.ret_w, P->child.oneslot ? "" : " (polled)");
	P->parent_ok = 1;
	P->ret_open = 1;
	return 0;
fail:
	js_close_child(&P->child);
	js_close_parent(&P->parent);
	return -1;
}

/* Spawn the command; on exec failure exit as the shell would. */
static void spawn(struct proxy *P)
{
	int keep[2], drop[2], err;
	struct pw_child c;

	keep[0] = P->child.tok_r;
	keep[1] = P->child.ret_w;
	drop[0] = P->auth.rfd;
	drop[1] = P->auth.wfd;
	c.argv = P->argv;
	c.keep = keep;
	c.nkeep = 2;
	c.drop = drop;
	c.ndrop = P->auth.kind == JS_PIPE ? 2 : 0;
	c.setenv = P->env;
	P->pid = pw_spawn(&c, &err);
	if (P->pid < 0) {
		jp_warn("cannot fork: running %s without jobproxy:",
			P->argv[0]);
		sig_child_reset();
		pw_exec(P->argv);
	}
	/* Only the child needs its ends; holding them would hide its EOF. */
	close(P->child.ret_w);
	P->child.ret_w = -1;
	if (err)
		exit(pw_exec_status(err));
	jp_verbose("running %s as pid %ld", P->argv[0], (long)P->pid);
}

/* Give N tokens to the parent; a dead parent is said once, then ignored. */
static void to_parent(struct proxy *P, unsigned long n)
{
	unsigned long put;

	if (n == 0 || P->parent.wfd < 0)
		return;
	put = js_put(P->parent.wfd, n);
	if (put < n) {
		jp_warn("cannot give %lu token(s) back to the parent"
			" jobserver:", n - put);
		js_close_parent(&P->parent);
		P->parent_ok = 0;
	}
}

static void on_signals(struct proxy *P)
{
	int signo, forward;

	while (sig_next(&signo, &forward))
		if (forward && !P->exited)
			kill(P->pid, signo);
	if (!P->exited && pw_reap(P->pid, &P->status))
		P->exited = 1;
}

/* The child wrote returns: pass on what it held, swallow the rest. */
static void on_returns(struct proxy *P)
{
	char buf[256];
	unsigned long in_pipe, fwd = 0;
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
		fwd += (unsigned long)tok_child_returned(&P->tok, in_pipe);
	if ((unsigned long)n > fwd)
		jp_verbose("refused %lu token(s) the child never took",
			   (unsigned long)n - fwd);
	to_parent(P, fwd);
}

/* The parent has a token for us: park it in the child's pipe. */
static void on_parent(struct proxy *P)
{
	int r = js_take(P->parent.rfd, P->parent.guarded);

	if (r == 0)
		return;		/* another client won the race */
	if (r < 0) {
		if (errno)
			jp_warn("parent jobserver failed, relaying stops:");
		else
			jp_warn("parent jobserver closed, relaying stops");
		P->parent_ok = 0;
		return;
	}
	tok_took(&P->tok);
	if (js_put(P->child.tok_w, 1) == 1) {
		P->parked++;
	} else {
		to_parent(P, (unsigned long)tok_withdrew(&P->tok));
	}
}

/* Loop: relay until the child is gone. */
static void relay(struct proxy *P)
{
	while (!P->exited) {
		struct pollfd fds[4];
		int n = 0, timeout = -1, sig, ret = -1, par = -1, tok = -1;

		fds[sig = n++] = (struct pollfd){ P->sigfd, POLLIN, 0 };
		if (P->ret_open)
			fds[ret = n++] = (struct pollfd){ P->child.ret_r,
							  POLLIN, 0 };
		if (P->parked == 0 && P->parent_ok)
			fds[par = n++] = (struct pollfd){ P->parent.rfd,
							  POLLIN, 0 };
		if (P->parked && P->child.oneslot)
			fds[tok = n++] = (struct pollfd){ P->child.tok_w,
							  POLLOUT, 0 };
		else if (P->parked)
			timeout = 2;	/* no one-slot pipes: look again */
		if (poll(fds, (nfds_t)n, timeout) < 0) {
			if (errno != EINTR)
				jp_fatal(1, "poll:");	/* cannot happen */
			continue;
		}
		if (fds[sig].revents)
			on_signals(P);
		if (ret >= 0 && fds[ret].revents)
			on_returns(P);
		if (P->parked && (tok < 0 || fds[tok].revents))
			P->parked = js_pending(P->child.tok_r);
		if (par >= 0 && fds[par].revents)
			on_parent(P);
	}
}

/* Exit: the child is gone; give back all it held, then leave as it did. */
static void finish(struct proxy *P)
{
	int peek = P->child.tok_peek;
	unsigned long back;

	/* Empty the token pipe first, so an orphaned grandchild cannot use
	 * a token that the parent is about to hand out again. */
	if (peek < 0) {
		peek = P->child.tok_r;
		fcntl(peek, F_SETFL, fcntl(peek, F_GETFL) | O_NONBLOCK);
	}
	js_drain(peek);
	back = tok_hand_back(&P->tok);
	to_parent(P, back);
	jp_verbose("%s exited; gave back %lu token(s) it held", P->argv[0],
		   back);
	if (P->stats)
		jp_warn("stats: relayed %lu, peak held %lu, handed back %lu"
			" after exit, over-returns refused %lu",
			P->tok.relayed, P->tok.peak, P->tok.handed_back,
			P->tok.refused);
	js_close_child(&P->child);
	js_close_parent(&P->parent);
	pw_exit_like(P->status);
}

int main(int argc, char **argv)
{
	static struct proxy P;

	options(&P, argc, argv);
	if (!find_parent(&P) || setup(&P) < 0)
		pw_exec(P.argv);
	P.sigfd = sig_init();
	if (P.sigfd < 0) {
		jp_warn("cannot set up signal handling: running %s without"
			" jobproxy:", P.argv[0]);
		js_close_child(&P.child);
		js_close_parent(&P.parent);
		pw_exec(P.argv);
	}
	spawn(&P);
	relay(&P);
	finish(&P);
	return 0;
}
