/*
 * serve: the machine-wide pool (`jobproxy --serve`) and its clients
 * (`jobproxy --connect`, `jobproxy --status`).
 *
 * PROTOCOL (version 1), over a Unix stream socket.  The client speaks
 * first: one line, at most 63 bytes with its "\n", within 5 seconds of
 * connecting.
 *
 *   "jobserver\n"  The daemon answers with one message, "jobproxy 1 N\n"
 *                  (protocol version 1, a pool of N slots), carrying two fds
 *                  (SCM_RIGHTS): the read end of a token pipe and the write
 *                  end of a return pipe, both fresh for this connection.
 *                  They are a GNU make pipe jobserver, --jobserver-auth=R,W:
 *                  read one byte to take a token, write one byte to give it
 *                  back.  Like every jobserver client the build keeps its
 *                  implicit slot: the tokens are for jobs beyond its first.
 *                  The client keeps the socket open for as long as the
 *                  build runs and says nothing more on it.
 *   "status\n"     The daemon answers a text report, then closes:
 *                      pool N free F clients C
 *                      client PID UID held H     (one per jobserver client)
 *                  H counts the tokens out of the pool for that client, the
 *                  one waiting in its pipe included: N = F + sum of H, except
 *                  while a shrunk pool is still over its new size (F is 0
 *                  then).  PID is -1 where the system does not say.
 *   "jobs N\n"     Resize the pool to N slots (1..65536).  Only from the
 *                  daemon's own uid or root.  Answer "ok\n" or
 *                  "error: WHY\n", then close.
 *
 * Anything else (a malformed line: not one line, not printable text, an
 * unknown word, a job count out of range) gets one log line and the answer
 * "error: WHY\n", then is closed; so does a peer that is not allowed, or
 * one over a limit, at once, whatever it sent.  No line within 5 s: a log
 * line and closed.
 *
 * WHO.  Root and the daemon's own user may always connect; so may the
 * users of --allow and the members of --group's group (the peer's primary
 * group, its process's supplementary groups or the group database).  A
 * client trusts only a daemon of root, of its own user or of the user its
 * --daemon-user names (SO_PEERCRED / getpeereid()), so that a socket
 * squatted before the daemon started cannot feed builds a pool of its own.
 *
 * TOKENS.  The pool is a counter, not a pipe.  Per jobserver connection the
 * daemon keeps at most one token waiting in the token pipe, which is cut to
 * one slot (js_make_child), so poll() reports the moment the client took it
 * and the next free token goes to whichever connection waits, round-robin.
 * Bytes on the return pipe go back to the pool, except over-returns, which
 * the connection's ledger (tokens.h) refuses.  A connection's tokens all
 * come back once its build is gone: the socket closed AND EOF on the return
 * pipe (no process is left that could write a token back).  Then its token
 * pipe is drained and the ledger's count returns to the pool.
 *
 * EVENTS.  One poll() loop; a timeout only while a connection still owes
 * its line or its answer (the earliest deadline), or on systems where a
 * pipe cannot be cut to one slot and a waiting token must be looked at:
 * with neither, the daemon sleeps with no timer at all.  Signals come in
 * through the self-pipe of signals.c: SIGHUP re-reads N from --jobs-file,
 * SIGTERM and SIGINT stop accepting and handing out, take back the waiting
 * tokens and exit 0 once no connection holds any.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "serve.h"
#include "fdpass.h"
#include "jobserver.h"
#include "msg.h"
#include "offer.h"
#include "signals.h"
#include "tokens.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 64	/* request line, "\n" included, plus NUL */
#define HELLO_MS 5000		/* to send the request line (and take an answer) */
#define CLIENT_MS 10000		/* client: to get the daemon's answer */
#define TICK_MS 20		/* no one-slot pipes: look at waiting tokens */
#define MAX_JOBS MF_MAX_JOBS

enum cstate { C_HELLO, C_JOB, C_SEND };
enum lkind { L_BAD, L_LIMIT, L_REFUSED };	/* kinds of bad-peer lines */

struct conn {
	enum cstate state;
	int sock;		/* -1 once the client closed it */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int64_t deadline;	/* C_HELLO, C_SEND: ms on the monotonic clock */
	char line[LINE_MAX_BYTES];
	size_t len;
	char *out;		/* C_SEND: the answer, OUTLEN bytes, OUTOFF sent */
	size_t outlen, outoff;
	/* C_JOB */
	struct child_js js;	/* ours: tok_w, ret_r, tok_peek (or tok_r) */
	struct tokens tok;
	unsigned long parked;	/* tokens waiting in its token pipe */
	struct offer offer;	/* an idle client's waiting token goes back */
	int ret_open;		/* a process may still write a return */
	int look;		/* poll said its token pipe was emptied */
	int dead;		/* to be removed at the end of this round */
};

struct daemon {
	const struct serve_opts *o;
	const char *path;
	dev_t dev;
	ino_t ino;
	int lfd;		/* listening socket; -1 once stopped */
	int sigfd;
	int jobs;		/* N */
	long pool_free;		/* < 0: a shrunk pool still owed tokens */
	struct conn **c;
	size_t n, cap;
	size_t rr;		/* round-robin: who is served first */
	int accept_paused;	/* EMFILE: until a connection closes */
	int stopping;
	int64_t logged[3];		/* rate limit of the bad-peer lines, per */
	unsigned long hidden[3]; /* kind: when last printed, how many not */
};

static void set_fl(int fd)
{
	fd_nonblock(fd);
	fd_cloexec(fd);
}

/* Printable, bounded copy of what a bad peer sent, for one log line. */
static const char *shown(const char *s, size_t len, char *buf, size_t sz)
{
	size_t i, k = 0;

	for (i = 0; i < len && k + 5 < sz; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 32 && ch < 127 && ch != '\\')
			buf[k++] = (char)ch;
		else
			k += (size_t)snprintf(buf + k, sz - k, "\\x%02x", ch);
	}
	buf[k] = '\0';
	return buf;
}

/* ---- the pool ---- */

static int is_job(const struct conn *c)
{
	return c->state == C_JOB && !c->dead;
}

static void to_pool(struct daemon *D, unsigned long n)
{
	D->pool_free += (long)n;
}

/* Peek end of a connection's token pipe: ours alone when /proc let us
 * reopen it (non-blocking), else the shared blocking tok_r. */
static int peek_fd(const struct conn *c)
{
	return c->js.tok_peek >= 0 ? c->js.tok_peek : c->js.tok_r;
}

static void park(struct daemon *D, struct conn *c)
{
	D->pool_free--;
	tok_took(&c->tok);
	if (js_put(c->js.tok_w, 1) == 1) {
		c->parked++;
		offer_parked(&c->offer, now_ms());
		return;
	}
	/* The client cannot take it (pipe gone?): straight back. */
	to_pool(D, (unsigned long)tok_withdrew(&c->tok));
}

/* Give free tokens to connections with an empty pipe, round-robin. */
static void distribute(struct daemon *D)
{
	int64_t now = now_ms();
	int later = -1;
	size_t i, k;

	if (D->stopping || D->n == 0)
		return;
	if (D->rr >= D->n)
		D->rr = 0;
	for (k = 0; k < D->n && D->pool_free > 0; k++) {
		struct conn *c;

		i = (D->rr + k) % D->n;
		c = D->c[i];
		if (!is_job(c) || c->parked || !c->ret_open ||
		    !offer_due(&c->offer, now, &later))
			continue;
		park(D, c);
		D->rr = (i + 1) % D->n;
	}
}

static void resize(struct daemon *D, int jobs, const char *why)
{
	if (jobs == D->jobs) {
		jp_verbose("%s: pool stays at %d slots", why, jobs);
		return;
	}
	D->pool_free += (long)jobs - D->jobs;
	jp_warn("%s: pool of %d slots, was %d", why, jobs, D->jobs);
	D->jobs = jobs;
	distribute(D);
}

/* Take back the tokens waiting unread in C's pipe (SIGTERM). */
static void withdraw(struct daemon *D, struct conn *c)
{
	unsigned char b;

	if (c->js.tok_peek < 0)
		return;	/* shared blocking end: a read could hang */
	while (c->parked && js_take_byte(c->js.tok_peek, 0, &b) == JS_TOOK) {
		c->parked--;
		to_pool(D, (unsigned long)tok_withdrew(&c->tok));
	}
	c->parked = js_pending(c->js.tok_peek);
}


/* ---- connections ---- */

static void conn_drop(struct daemon *D, struct conn *c)
{
	if (c->state == C_JOB) {
		unsigned long back;

		js_drain(peek_fd(c));
		c->parked = 0;
		back = tok_hand_back(&c->tok);
		to_pool(D, back);
		jp_verbose("client pid %ld uid %ld gone; %lu token(s) back,"
			   " %lu over-return(s) refused", (long)c->pid,
			   (long)c->uid, back, c->tok.refused);
		js_close_child(&c->js);
	}
	close_fd(&c->sock);
	free(c->out);
	c->out = NULL;
	c->dead = 1;
	D->accept_paused = 0;	/* an fd is free again */
}

static void sweep(struct daemon *D)
{
	size_t i, k = 0;

	for (i = 0; i < D->n; i++) {
		if (D->c[i]->dead) {
			free(D->c[i]);
			if (i < D->rr && D->rr > 0)
				D->rr--;
		} else {
			D->c[k++] = D->c[i];
		}
	}
	D->n = k;
}

/*
 * A line about a misbehaving or refused peer: at most one a second of
 * each kind K, so that 5,000 bad connections at once cost a line, not a
 * flood; the next line of that kind says how many were left out.
 */
static void peer_log(struct daemon *D, enum lkind k, const char *fmt, ...)
	JP_PRINTF(3, 4);
static void peer_log(struct daemon *D, enum lkind k, const char *fmt, ...)
{
	int64_t t = now_ms();
	char line[400];
	va_list ap;

	if (D->logged[k] && t - D->logged[k] < 1000) {
		D->hidden[k]++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (D->hidden[k])
		jp_warn("%s (and %lu more such lines left out)", line,
			D->hidden[k]);
	else
		jp_warn("%s", line);
	D->logged[k] = t;
	D->hidden[k] = 0;
}

/*
 * Root and our own user always: they own the daemon anyway, and only they
 * can ask for "jobs N" or read --status without an --allow.  Then the
 * users of --allow, then --group's members.
 */
static int allowed(const struct daemon *D, int s, uid_t uid, gid_t gid)
{
	int i;

	if (uid == 0 || uid == geteuid())
		return 1;
	for (i = 0; i < D->o->nallow; i++)
		if (D->o->allow[i] == uid)
			return 1;
	return D->o->gid >= 0 && fd_peer_in_group(s, uid, gid,
						  (gid_t)D->o->gid);
}

/*
 * Turn a peer away with one line it can read, then close.  The socket is
 * fresh, so the line fits at once; a peer that already sent its request
 * still reads the line before it sees the connection reset (Linux queues
 * the line first).  Without it a refused client only saw EPIPE.
 */
static void turn_away(int fd, const char *fmt, ...) JP_PRINTF(2, 3);
static void turn_away(int fd, const char *fmt, ...)
{
	char line[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof line)
		fd_send(fd, line, (size_t)n, NULL, 0);
	close(fd);
}

static void accept_one(struct daemon *D, int fd)
{
	struct conn *c;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	size_t i, same = 0;

	set_fl(fd);
	if (fd_peer(fd, &uid, &gid, &pid) < 0) {
		jp_warn("cannot tell who connected, closing:");
		close(fd);
		return;
	}
	if (!allowed(D, fd, uid, gid)) {
		peer_log(D, L_REFUSED, "refused uid %ld (pid %ld): not allowed (see"
			 " --allow and --group)", (long)uid, (long)pid);
		turn_away(fd, "error: not allowed: uid %ld is not root, uid %ld,"
			  " in --allow or in --group\n", (long)uid,
			  (long)geteuid());
		return;
	}
	for (i = 0; i < D->n; i++)
		same += !D->c[i]->dead && D->c[i]->uid == uid;
	if (D->n >= (size_t)D->o->max_clients) {
		peer_log(D, L_LIMIT, "refused pid %ld: %ld connections already"
			 " (--max-clients)", (long)pid, (long)D->n);
		turn_away(fd, "error: busy: %ld connections already"
			  " (--max-clients)\n", (long)D->n);
		return;
	}
	if (same >= (size_t)D->o->max_per_uid) {
		peer_log(D, L_LIMIT, "refused uid %ld: %ld connections already"
			 " (--max-per-uid)", (long)uid, (long)same);
		turn_away(fd, "error: busy: %ld connections of uid %ld already"
			  " (--max-per-uid)\n", (long)same, (long)uid);
		return;
	}
	if (D->n == D->cap) {
		size_t cap = D->cap ? 2 * D->cap : 64;
		struct conn **nc = realloc(D->c, cap * sizeof *nc);

		if (!nc) {
			jp_warn("out of memory, closing a connection:");
			close(fd);
			return;
		}
		D->c = nc;
		D->cap = cap;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		jp_warn("out of memory, closing a connection:");
		close(fd);
		return;
	}
	c->state = C_HELLO;
	c->sock = fd;
	c->uid = uid;
	c->gid = gid;
	c->pid = pid;
	c->deadline = now_ms() + HELLO_MS;
	c->js.tok_r = c->js.tok_w = c->js.ret_r = c->js.ret_w = -1;
	c->js.tok_peek = -1;
	D->c[D->n++] = c;
}

static void on_listen(struct daemon *D)
{
	for (;;) {
		int fd = accept(D->lfd, NULL, NULL);

		if (fd >= 0) {
			accept_one(D, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			jp_warn("accept: not accepting until a connection"
				" closes:");
			D->accept_paused = 1;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			jp_warn("accept:");
		}
		return;
	}
}

/* An answer to send, then close. */
static void answer(struct conn *c, char *text)
{
	if (!text) {
		jp_warn("out of memory, closing a connection:");
		c->dead = 1;
		return;
	}
	c->state = C_SEND;
	c->out = text;
	c->outlen = strlen(text);
	c->outoff = 0;
	c->deadline = now_ms() + HELLO_MS;
}

static char *report(const struct daemon *D)
{
	size_t i, cap = 64 + 96 * D->n, k;
	unsigned long clients = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	for (i = 0; i < D->n; i++)
		clients += is_job(D->c[i]);
	k = (size_t)snprintf(s, cap, "pool %d free %ld clients %lu\n",
			     D->jobs, D->pool_free > 0 ? D->pool_free : 0,
			     clients);
	for (i = 0; i < D->n && k < cap; i++)
		if (is_job(D->c[i]))
			k += (size_t)snprintf(s + k, cap - k,
					      "client %ld %ld held %lu\n",
					      (long)D->c[i]->pid,
					      (long)D->c[i]->uid,
					      D->c[i]->tok.taken);
	return s;
}

static char *dup_text(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	return d ? memcpy(d, s, n) : NULL;
}

static int parse_jobs(const char *s, int *out)
{
	return num_int(s, 1, MAX_JOBS, out);
}

static void start_job(struct daemon *D, struct conn *c)
{
	char msg[32];
	int fds[2];

	if (D->stopping) {
		jp_verbose("stopping: no jobserver for pid %ld", (long)c->pid);
		c->dead = 1;
		return;
	}
	if (js_make_child(&c->js) < 0) {
		jp_warn("cannot make a jobserver for pid %ld, closing:",
			(long)c->pid);
		c->js.tok_r = c->js.tok_w = c->js.ret_r = c->js.ret_w = -1;
		c->js.tok_peek = -1;
		c->dead = 1;
		return;
	}
	snprintf(msg, sizeof msg, "jobproxy 1 %d\n", D->jobs);
	fds[0] = c->js.tok_r;
	fds[1] = c->js.ret_w;
	if (fd_send(c->sock, msg, strlen(msg), fds, 2) < 0) {
		jp_warn("cannot send the jobserver to pid %ld:", (long)c->pid);
		js_close_child(&c->js);
		c->dead = 1;
		return;
	}
	/* Only the build may hold the write end: its EOF means "gone". */
	close_fd(&c->js.ret_w);
	if (c->js.tok_peek >= 0)
		close_fd(&c->js.tok_r);
	c->state = C_JOB;
	c->ret_open = 1;
	jp_verbose("client pid %ld uid %ld connected", (long)c->pid,
		   (long)c->uid);
}

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

/* A malformed request: one log line (rate-limited), the answer
 * "error: WHY", then close.  LEN bytes of the line are shown. */
static void bad_request(struct daemon *D, struct conn *c, size_t len,
			const char *why)
{
	char buf[4 * LINE_MAX_BYTES], text[96];

	peer_log(D, L_BAD, "bad request from pid %ld uid %ld, closing: \"%s\""
		 " (%s)", (long)c->pid, (long)c->uid,
		 shown(c->line, len, buf, sizeof buf), why);
	snprintf(text, sizeof text, "error: %s\n", why);
	answer(c, dup_text(text));
}

static void on_line(struct daemon *D, struct conn *c)
{
	int n;

	/* The line ends at its "\n", not at a NUL before it: "status\0junk"
	 * is no "status". */
	if (!printable(c->line, c->len - 1)) {
		bad_request(D, c, c->len - 1, "bad request: not a line of text");
		return;
	}
	c->line[c->len - 1] = '\0';
	if (!strcmp(c->line, "jobserver")) {
		start_job(D, c);
	} else if (!strcmp(c->line, "status")) {
		answer(c, report(D));
	} else if (!strncmp(c->line, "jobs ", 5) && !parse_jobs(c->line + 5, &n)) {
		bad_request(D, c, c->len - 1, "bad job count: 1..65536");
	} else if (!strncmp(c->line, "jobs ", 5)) {
		if (c->uid != 0 && c->uid != geteuid()) {
			jp_warn("refused \"jobs %d\" from uid %ld: only root"
				" or uid %ld", n, (long)c->uid,
				(long)geteuid());
			answer(c, dup_text("error: not allowed\n"));
		} else {
			char why[64];

			snprintf(why, sizeof why, "\"jobs\" from uid %ld",
				 (long)c->uid);
			resize(D, n, why);
			answer(c, dup_text("ok\n"));
		}
	} else {
		bad_request(D, c, c->len - 1, "bad request: unknown");
	}
}

static void on_hello(struct daemon *D, struct conn *c)
{
	char buf[4 * LINE_MAX_BYTES];
	ssize_t n;
	char *nl;

	do
		n = recv(c->sock, c->line + c->len,
			 sizeof c->line - 1 - c->len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		if (c->len)
			peer_log(D, L_BAD, "pid %ld uid %ld hung up mid-request:"
				 " \"%s\"", (long)c->pid, (long)c->uid,
				shown(c->line, c->len, buf, sizeof buf));
		else
			jp_verbose("pid %ld hung up without a request",
				   (long)c->pid);
		c->dead = 1;
		return;
	}
	c->len += (size_t)n;
	nl = memchr(c->line, '\n', c->len);
	if (nl && (size_t)(nl - c->line) + 1 == c->len)
		on_line(D, c);
	else if (nl)
		bad_request(D, c, c->len, "bad request: more than one line");
	else if (c->len >= sizeof c->line - 1)
		bad_request(D, c, c->len, "bad request: longer than 63 bytes");
	else if (!printable(c->line, c->len))
		bad_request(D, c, c->len, "bad request: not a line of text");
}

static void on_send(struct conn *c)
{
	ssize_t n;

	do
		n = send(c->sock, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n > 0)
		c->outoff += (size_t)n;
	if (n <= 0 || c->outoff == c->outlen)
		c->dead = 1;
}

/* A jobserver client's socket: EOF (or an error) means it closed it. */
static void on_job_sock(struct conn *c)
{
	char buf[256];
	ssize_t n;

	do
		n = recv(c->sock, buf, sizeof buf, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
		return;	/* chatter after the request: ignored */
	close_fd(&c->sock);
}

static void on_returns(struct daemon *D, struct conn *c)
{
	char buf[256];
	unsigned long in_pipe, fwd = 0;
	ssize_t n, i;

	do
		n = read(c->js.ret_r, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		c->ret_open = 0;
	if (n <= 0)
		return;
	in_pipe = js_pending(peek_fd(c));
	for (i = 0; i < n; i++)
		fwd += (unsigned long)tok_child_returned(&c->tok, in_pipe);
	if ((unsigned long)n > fwd && c->tok.refused == (unsigned long)n - fwd)
		jp_warn("pid %ld uid %ld returned %lu token(s) it never took:"
			" refused (said once per client)", (long)c->pid, (long)c->uid,
			(unsigned long)n - fwd);
	to_pool(D, fwd);
	offer_hungry(&c->offer);	/* it is busy: offer at once */
}

/*
 * poll() said C's token pipe has room, yet our token is still in it: the
 * client made the pipe bigger (F_SETPIPE_SZ works on either end), so room
 * no longer means "taken" and poll() would report it again at once, round
 * after round: a spin.  Look at that pipe on a timer instead (TICK_MS), as
 * where a pipe cannot be cut to one slot.
 */
static void grown_pipe(struct daemon *D, struct conn *c)
{
	c->js.oneslot = 0;
	peer_log(D, L_BAD, "pid %ld uid %ld made its token pipe bigger:"
		 " looking at it every %d ms", (long)c->pid, (long)c->uid,
		 TICK_MS);
}

/* ---- signals ---- */

/* Blanks a jobs file may hold around its number. */
static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int read_jobs_file(const char *path, int *jobs)
{
	char buf[64];
	const char *p = buf, *end = buf;
	FILE *f = fopen(path, "r");
	uint64_t v = 0;

	if (!f) {
		jp_warn("cannot read --jobs-file %s:", path);
		return 0;
	}
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	while (blank(*p))
		p++;
	if (num_parse(p, 10, MAX_JOBS, &end, &v))
		while (blank(*end))
			end++;
	if (end == buf || *end || v < 1) {
		jp_warn("--jobs-file %s does not hold a job count (1..%d)",
			path, MAX_JOBS);
		return 0;
	}
	*jobs = (int)v;
	return 1;
}

static void stop(struct daemon *D)
{
	struct stat st;
	size_t i;

	if (D->stopping)
		return;
	D->stopping = 1;
	if (D->lfd >= 0 && stat(D->path, &st) == 0 && st.st_dev == D->dev &&
	    st.st_ino == D->ino)
		unlink(D->path);
	close_fd(&D->lfd);
	for (i = 0; i < D->n; i++)
		if (is_job(D->c[i]))
			withdraw(D, D->c[i]);
	jp_warn("stopping: no new connections; exit once every token is"
		" back");
}

static void on_signals(struct daemon *D)
{
	int signo, fwd, jobs;

	while (sig_next(&signo, &fwd)) {
		if (signo == SIGTERM || signo == SIGINT) {
			stop(D);
		} else if (signo == SIGHUP && !D->o->jobs_file) {
			jp_warn("SIGHUP: no --jobs-file to re-read, pool stays"
				" at %d", D->jobs);
		} else if (signo == SIGHUP &&
			   read_jobs_file(D->o->jobs_file, &jobs)) {
			resize(D, jobs, "SIGHUP");
		}
	}
}

static int held_anywhere(const struct daemon *D)
{
	size_t i;

	for (i = 0; i < D->n; i++)
		if (is_job(D->c[i]) && D->c[i]->tok.taken)
			return 1;
	return 0;
}

/* ---- set-up ---- */

static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur == r.rlim_max)
		return;
	r.rlim_cur = r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r) < 0) {
#ifdef OPEN_MAX
		r.rlim_cur = OPEN_MAX;	/* macOS: "unlimited" is refused */
		setrlimit(RLIMIT_NOFILE, &r);
#endif
	}
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* The directory part of PATH into DIR (room for SZ): "." for none. */
static void dir_of(const char *path, char *dir, size_t sz)
{
	const char *slash = strrchr(path, '/');
	size_t n = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);

	if (n == 0)
		snprintf(dir, sz, ".");
	else
		snprintf(dir, sz, "%.*s", (int)n, path);
}

/* DIR (a real path: no symlinks, no "..") and every directory above it
 * belong to root or to us and no one else may write them, unless the
 * sticky bit is set: 0, or -1 after one line about SOCK. */
static int safe_chain(const char *sock, const char *dir)
{
	char *d = strdup(dir), *slash;
	struct stat st;
	int ok = d != NULL;

	if (!d)
		jp_warn("not serving at %s:", sock);
	while (ok) {
		if (stat(d, &st) < 0) {
			jp_warn("not serving at %s: %s:", sock, d);
			ok = 0;
		} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
			jp_warn("not serving at %s: %s belongs to uid %ld, who"
				" could replace the socket", sock, d,
				(long)st.st_uid);
			ok = 0;
		} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
			   !(st.st_mode & S_ISVTX)) {
			jp_warn("not serving at %s: other users can write to %s"
				" and it has no sticky bit", sock, d);
			ok = 0;
		}
		slash = strrchr(d, '/');
		if (!slash || !strcmp(d, "/"))
			break;
		slash[slash == d] = '\0';	/* "/a" -> "/", "/a/b" -> "/a" */
	}
	free(d);
	return ok ? 0 : -1;
}

/* The real path of Q's parent directory through safe_chain(). */
static int safe_parent(const char *sock, const char *q)
{
	char dir[PATH_MAX], *real;
	int r;

	dir_of(q, dir, sizeof dir);
	real = realpath(dir, NULL);
	if (!real) {
		jp_warn("not serving at %s: %s:", sock, dir);
		return -1;
	}
	r = safe_chain(sock, real);
	free(real);
	return r;
}

/*
 * Whoever can write the socket's directory can remove our socket and put
 * theirs in its place, or squat the name before we start: clients would
 * then refuse that impostor (they check its uid), but no build would get
 * our pool; and bind_private() relies on no one else changing the names
 * on the way to the socket.  So every directory from the socket's up to /
 * must belong to root or to us and be writable by no one else, unless it
 * has the sticky bit (/tmp: then only the owner of a name may remove or
 * rename it).  A symlink on the way is a name too: it must be root's or
 * ours (its owner may replace it even in /tmp), in such a directory.
 */
static int safe_dir(const char *path)
{
	char dir[PATH_MAX], *p;
	struct stat st;

	dir[0] = '\0';
	if (path[0] != '/' && !getcwd(dir, sizeof dir - 2)) {
		jp_warn("not serving at %s: the current directory:", path);
		return -1;
	}
	if (strlen(dir) + strlen(path) + 2 > sizeof dir) {
		errno = ENAMETOOLONG;
		jp_warn("not serving at %s:", path);
		return -1;
	}
	if (dir[0])
		strcat(dir, "/");
	dir_of(path, dir + strlen(dir), sizeof dir - strlen(dir));
	/* Each prefix "/a", "/a/b", ... of DIR as given. */
	for (p = strchr(dir + 1, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode) &&
		    ((st.st_uid != 0 && st.st_uid != geteuid()) ||
		     safe_parent(path, dir) < 0)) {
			if (st.st_uid != 0 && st.st_uid != geteuid())
				jp_warn("not serving at %s: %s is a symlink of"
					" uid %ld, who could point it elsewhere",
					path, dir, (long)st.st_uid);
			return -1;
		}
		if (!p)
			break;
		*p = '/';
	}
	return safe_parent(path, path);
}

/* A socket file left by a dead daemon of ours goes; a live daemon's stays,
 * and so does another user's, live or not (a root daemon could remove it:
 * it is not ours to remove). */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int s, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (jp_warn("%s:", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		jp_warn("%s exists and is not a socket: not serving", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		jp_warn("%s is a socket of uid %ld, not ours: not serving, not"
			" removing it", path, (long)st.st_uid);
		return -1;
	}
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0) {
		jp_warn("socket:");
		return -1;
	}
	fd_cloexec(s);
	r = connect(s, (const struct sockaddr *)sa, sizeof *sa);
	close(s);
	if (r == 0) {
		jp_warn("a daemon already serves %s", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		jp_warn("cannot tell whether %s is still served:", path);
		return -1;
	}
	jp_verbose("removing the stale socket %s", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		jp_warn("cannot remove the stale socket %s:", path);
		return -1;
	}
	return 0;
}

/*
 * Bind, then set the group and mode, with no path race.  chown() and
 * chmod() by the socket's final name could follow a symlink swapped in
 * after bind() and change some other file.  The fd does not help: on
 * Linux fchmod() and fchown() on a socket fd succeed but change the
 * socket's own inode in sockfs, not the file bind() made (measured); only
 * the umask at bind() reaches that file's mode, and nothing reaches its
 * group.  So the socket is bound as "s" in a directory made for it beside
 * the final name (mkdtemp: 0700, ours), where no one else can put or swap
 * a name, and chown()/chmod() by that path are safe; link() then gives it
 * its final name, failing if anything took that name meanwhile (it never
 * replaces), and the private name and directory go.  Same directory, so
 * the same file system; safe_dir() made sure no one else can rename the
 * private directory.  A daemon killed in between leaves an empty
 * .jobproxy.XXXXXX directory or one holding a dead socket, nothing more.
 */
static int bind_private(struct daemon *D, int s)
{
	char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
	char priv[sizeof dir + 32], tmp[sizeof priv + 2];
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int r, ok = 0;

	dir_of(D->path, dir, sizeof dir);
	snprintf(priv, sizeof priv, "%s/.jobproxy.XXXXXX", dir);
	snprintf(tmp, sizeof tmp, "%s/s", priv);
	if (fill_addr(&sa, tmp) < 0) {
		jp_warn("cannot bind %s: with the private directory beside it"
			" (%s) the path is longer than %lu bytes", D->path, tmp,
			(unsigned long)sizeof sa.sun_path - 1);
		return -1;
	}
	if (!mkdtemp(priv)) {
		jp_warn("cannot bind %s: cannot make %s:", D->path, priv);
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s/s", priv);
	fill_addr(&sa, tmp);
	old = umask(0177);	/* born owner-only all the same */
	r = bind(s, (const struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r < 0)
		jp_warn("cannot bind %s:", tmp);
	else if ((D->o->gid >= 0 && chown(tmp, (uid_t)-1, (gid_t)D->o->gid) < 0) ||
		 chmod(tmp, (mode_t)D->o->mode) < 0 || listen(s, 4096) < 0 ||
		 lstat(tmp, &st) < 0)
		jp_warn("cannot set up %s:", D->path);
	else if (link(tmp, D->path) < 0)
		jp_warn("cannot put the socket at %s:", D->path);
	else
		ok = 1;
	if (ok) {
		D->dev = st.st_dev;
		D->ino = st.st_ino;
	}
	if (r == 0)
		unlink(tmp);
	rmdir(priv);
	return ok ? 0 : -1;
}

static int listen_on(struct daemon *D)
{
	struct sockaddr_un sa;
	int s;

	if (fill_addr(&sa, D->path) < 0) {
		jp_warn("socket path %s:", D->path);
		return -1;
	}
	if (safe_dir(D->path) < 0 || clear_stale(D->path, &sa) < 0)
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0) {
		jp_warn("socket:");
		return -1;
	}
	set_fl(s);
	if (bind_private(D, s) < 0) {
		close(s);
		return -1;
	}
	D->lfd = s;
	return 0;
}

/* ---- the loop ---- */

enum pk { P_SIG, P_LISTEN, P_SOCK, P_RET, P_TOK };

int serve_main(const char *sock, int jobs, const struct serve_opts *o)
{
	static struct daemon D;
	struct pollfd *pf = NULL;
	size_t *who = NULL;
	enum pk *what = NULL;
	size_t cap = 0;

	D.o = o;
	D.path = sock;
	D.jobs = jobs;
	D.pool_free = jobs;
	D.lfd = -1;
	raise_nofile();
	D.sigfd = sig_init();
	if (D.sigfd < 0) {
		jp_warn("cannot set up signal handling:");
		return 1;
	}
	if (listen_on(&D) < 0)
		return 1;
	jp_warn("serving a pool of %d slots at %s", jobs, sock);

	for (;;) {
		size_t i, n = 0, need = 2 + 3 * D.n;
		int64_t now = now_ms(), next = -1;
		int later = -1;		/* offer.h deadlines, ms */
		int timeout, tick = 0, r;

		if (D.stopping && !held_anywhere(&D)) {
			jp_warn("stopped: every token is back");
			for (i = 0; i < D.n; i++) {
				conn_drop(&D, D.c[i]);
				free(D.c[i]);
			}
			free(D.c);
			free(pf);
			free(who);
			free(what);
			return 0;
		}
		if (need > cap) {
			cap = 2 * need;
			pf = realloc(pf, cap * sizeof *pf);
			who = realloc(who, cap * sizeof *who);
			what = realloc(what, cap * sizeof *what);
			if (!pf || !who || !what)
				jp_fatal(1, "out of memory:");
		}
		pf[n] = (struct pollfd){ D.sigfd, POLLIN, 0 };
		what[n++] = P_SIG;
		if (D.lfd >= 0 && !D.accept_paused) {
			pf[n] = (struct pollfd){ D.lfd, POLLIN, 0 };
			what[n++] = P_LISTEN;
		}
		for (i = 0; i < D.n; i++) {
			struct conn *c = D.c[i];

			if (c->state != C_JOB) {
				pf[n] = (struct pollfd){ c->sock, c->state ==
					C_SEND ? POLLOUT : POLLIN, 0 };
				who[n] = i;
				what[n++] = P_SOCK;
				if (next < 0 || c->deadline < next)
					next = c->deadline;
				continue;
			}
			if (c->sock >= 0) {
				pf[n] = (struct pollfd){ c->sock, POLLIN, 0 };
				who[n] = i;
				what[n++] = P_SOCK;
			}
			if (c->ret_open) {
				pf[n] = (struct pollfd){ c->js.ret_r, POLLIN,
							 0 };
				who[n] = i;
				what[n++] = P_RET;
			}
			if (c->parked && c->js.oneslot) {
				pf[n] = (struct pollfd){ c->js.tok_w, POLLOUT,
							 0 };
				who[n] = i;
				what[n++] = P_TOK;
			} else if (c->parked) {
				tick = 1;
			}
			/* When an idle token is due back, or a withdrawn
			 * client due an offer (offer.h). */
			if (c->parked && c->js.tok_peek >= 0)
				offer_expired(&c->offer, now, &later);
			else if (!c->parked)
				offer_due(&c->offer, now, &later);
		}
		timeout = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
		if (later >= 0 && (timeout < 0 || later < timeout))
			timeout = later;
		if (tick && (timeout < 0 || timeout > TICK_MS))
			timeout = TICK_MS;
		if (D.accept_paused && D.n == 0 && timeout < 0)
			timeout = 1000;	/* nothing will close: retry */
		r = poll(pf, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			jp_fatal(1, "poll:");
		if (D.accept_paused && D.n == 0)
			D.accept_paused = 0;
		for (i = 0; r > 0 && i < n; i++) {
			struct conn *c = what[i] >= P_SOCK ? D.c[who[i]] : NULL;

			if (!pf[i].revents)
				continue;
			if (c && c->dead)
				continue;
			switch (what[i]) {
			case P_SIG:
				on_signals(&D);
				break;
			case P_LISTEN:
				if (D.lfd >= 0)
					on_listen(&D);
				break;
			case P_SOCK:
				if (c->state == C_HELLO)
					on_hello(&D, c);
				else if (c->state == C_SEND)
					on_send(c);
				else
					on_job_sock(c);
				break;
			case P_RET:
				on_returns(&D, c);
				break;
			case P_TOK:
				c->look = 1;	/* looked at below */
				break;
			}
		}
		now = now_ms();
		for (i = 0; i < D.n; i++) {
			struct conn *c = D.c[i];

			if (c->dead) {
				conn_drop(&D, c);
				continue;
			}
			if (c->state != C_JOB) {
				if (now >= c->deadline) {
					peer_log(&D, L_BAD, "pid %ld uid %ld %s within"
						 " %d s, closing", (long)c->pid,
						 (long)c->uid, c->state ==
						 C_HELLO ? "sent no request" :
						 "did not take its answer",
						 HELLO_MS / 1000);
					conn_drop(&D, c);
				}
				continue;
			}
			if (c->parked && (c->look || !c->js.oneslot)) {
				c->parked = js_pending(peek_fd(c));
				if (!c->parked)
					offer_hungry(&c->offer);
				else if (c->look)
					grown_pipe(&D, c);
			}
			c->look = 0;
			if (c->parked && c->js.tok_peek >= 0 &&
			    offer_expired(&c->offer, now, &later)) {
				withdraw(&D, c);
				offer_withdrew(&c->offer, now);
			}
			if (D.stopping && c->parked)
				withdraw(&D, c);
			if (c->sock < 0 && !c->ret_open)
				conn_drop(&D, c);
		}
		sweep(&D);
		distribute(&D);
	}
}

/* ---- clients ---- */

/* Connected socket to PATH, close-on-exec; -1 with errno. */
static int dial(const char *path)
{
	struct sockaddr_un sa;
	struct timeval tv = { HELLO_MS / 1000, 0 };
	int s, r;

	if (fill_addr(&sa, path) < 0)
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return -1;
	fd_cloexec(s);
#ifdef SO_NOSIGPIPE
	{
		int one = 1;

		setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
	}
#endif
	/* A daemon with a full backlog: wait a bounded while, not forever. */
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	r = connect(s, (const struct sockaddr *)&sa, sizeof sa);
	if (r < 0 && errno == EINTR) {
		/* The connection goes on: wait for its outcome. */
		struct pollfd p = { s, POLLOUT, 0 };
		int err = 0;
		socklen_t len = sizeof err;

		while ((r = poll(&p, 1, HELLO_MS)) < 0 && errno == EINTR)
			;
		if (r == 0)
			err = ETIMEDOUT;
		else if (r > 0)
			getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
		r = err ? -1 : 0;
		errno = err;
	}
	if (r < 0) {
		int e = errno;

		close(s);
		errno = e == EAGAIN ? ETIMEDOUT : e;
		return -1;
	}
	return s;
}

/* Wait until S is readable or the deadline passed: 1, 0 timeout, -1. */
static int wait_in(int s, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { s, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

#ifdef __linux__
/*
 * In a user namespace the kernel shows every uid it does not map as the
 * overflow uid (65534).  A nix build's sandbox maps only the build user:
 * the daemon's root shows as 65534, and so would any other user outside.
 * Where our namespace maps neither the overflow uid itself nor its
 * parent's root, a peer shown so may be root, and no peer can be told
 * from root: such a peer is taken as root (jobproxy(1), SECURITY
 * CONSIDERATIONS).  In the first namespace every uid is mapped, so this
 * never applies there.
 */
static int unmapped_root(uid_t uid)
{
	unsigned long in, out, n, over = 65534;
	int mapped = 0;
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "r");

	if (f) {
		if (fscanf(f, "%lu", &over) != 1)
			over = 65534;
		fclose(f);
	}
	if ((unsigned long)uid != over || !(f = fopen("/proc/self/uid_map", "r")))
		return 0;
	while (fscanf(f, "%lu %lu %lu", &in, &out, &n) == 3)
		if (out == 0 || (over >= in && over - in < n))
			mapped = 1;
	fclose(f);
	return !mapped;
}
#else
static int unmapped_root(uid_t uid)
{
	(void)uid;
	return 0;
}
#endif

/*
 * Trust the daemon at the other end of S?  Only if it runs as root, as
 * our own user or as DUID (--daemon-user, -1 for none): anyone can bind
 * a socket where the name is free, and a squatter must not feed our
 * builds a pool of its choosing.  1, or 0 with WHY (room for SZ) set.
 */
static int trusted(int s, long duid, char *why, size_t sz)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	pid_t pid;

	if (fd_peer(s, &uid, &gid, &pid) < 0) {
		snprintf(why, sz, "cannot tell who runs it: %s",
			 strerror(errno));
		return 0;
	}
	if (uid == 0 || uid == geteuid() || (duid >= 0 && (long)uid == duid))
		return 1;
	if (unmapped_root(uid)) {
		jp_verbose("the daemon runs as uid %ld, a user this user"
			   " namespace does not map: taken as root", (long)uid);
		return 1;
	}
	pw = getpwuid(uid);
	snprintf(why, sz, "it runs as uid %ld%s%s%s, not as root, uid %ld or"
		 " --daemon-user: not trusted", (long)uid, pw ? " (" : "",
		 pw ? pw->pw_name : "", pw ? ")" : "", (long)geteuid());
	return 0;
}

/* WHY of the daemon's "error: WHY" line, printable. */
static void says(const char *line, char *why, size_t sz)
{
	size_t i, k = 0;

	for (i = 7; line[i] && line[i] != '\n' && k + 1 < sz; i++)
		why[k++] = line[i] >= 32 && line[i] < 127 ? line[i] : '?';
	why[k] = '\0';
}

static void usage_error(const char *what, const char *arg) JP_NORETURN;

/* --daemon-user NAME or UID: the uid; none: -1; no such user: exit 125. */
static long daemon_uid(const char *name)
{
	struct passwd *pw;
	int v;

	if (!name)
		return -1;
	if ((pw = getpwnam(name)))
		return (long)pw->pw_uid;
	if (!num_int(name, 0, INT_MAX, &v))
		usage_error("no such user in --daemon-user:", name);
	return v;
}

/*
 * Dial SOCK, check who runs the daemon, send REQ.  The socket, or -1 with
 * WHY set.  A send that fails (EPIPE: the daemon already closed) is not
 * the end: the daemon may have said why first (turn_away), so the caller
 * reads; *SENDERR keeps the send's errno for when nothing came.
 */
static int ask(const char *sock, long duid, const char *req, char *why,
	       size_t sz, int *senderr)
{
	int s = dial(sock);

	*senderr = 0;
	if (s < 0) {
		snprintf(why, sz, "%s", strerror(errno));
		return -1;
	}
	if (!trusted(s, duid, why, sz)) {
		close(s);
		return -1;
	}
	if (fd_send(s, req, strlen(req), NULL, 0) < 0)
		*senderr = errno;
	return s;
}

int serve_connect(const char *sock, const char *duser, struct js_auth *auth,
		  int *keepfd)
{
	long duid = daemon_uid(duser);
	char buf[256], *nl = NULL, why[200];
	int s, fds[FDPASS_MAX], nfd = 0, jobs = 0, ok = 0, senderr;
	size_t len = 0;
	int64_t deadline;
	ssize_t n;

	why[0] = '\0';
	s = ask(sock, duid, "jobserver\n", why, sizeof why, &senderr);
	if (s < 0)
		goto fail;
	deadline = now_ms() + CLIENT_MS;
	while (!nl && len < sizeof buf - 1) {
		int got = 0, r = wait_in(s, deadline);

		if (r <= 0) {
			snprintf(why, sizeof why, "%s", strerror(r == 0 ?
				 ETIMEDOUT : errno));
			goto fail;
		}
		n = fd_recv(s, buf + len, sizeof buf - 1 - len,
			    fds + nfd, FDPASS_MAX - nfd, &got);
		if (n < 0 && errno == ECONNRESET)
			n = 0;	/* after what was sent before it: as EOF */
		if (n < 0) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			goto fail;
		}
		nfd += got;
		if (n == 0) {
			if (senderr)
				snprintf(why, sizeof why, "%s",
					 strerror(senderr));
			else
				snprintf(why, sizeof why, "it closed the"
					 " connection without an answer");
			goto fail;
		}
		len += (size_t)n;
		buf[len] = '\0';
		nl = strchr(buf, '\n');
	}
	if (!strncmp(buf, "error: ", 7)) {
		says(buf, why, sizeof why);
	} else if (!nl || nl[1] != '\0' || strncmp(buf, "jobproxy ", 9)) {
		snprintf(why, sizeof why, "it answered something that is not a"
			 " jobserver");
	} else {
		*nl = '\0';
		ok = !strncmp(buf + 9, "1 ", 2) && parse_jobs(buf + 11, &jobs);
		if (!ok)
			snprintf(why, sizeof why, "it speaks another protocol"
				 " version");
		else if (nfd != 2)
			snprintf(why, sizeof why, "it sent no jobserver fds");
		ok = ok && nfd == 2;
	}
	if (!ok)
		goto fail;
	memset(auth, 0, sizeof *auth);
	auth->kind = JS_PIPE;
	auth->rfd = fds[0];
	auth->wfd = fds[1];
	auth->nauth = 1;
	*keepfd = s;
	return jobs;
fail:
	for (; nfd > 0; nfd--)
		close(fds[nfd - 1]);
	if (s >= 0)
		close(s);
	jp_warn("no jobserver daemon at %s: %s: running on a pool of its own",
		sock, why);
	return -1;
}

int serve_status(const char *sock, const char *duser)
{
	long duid = daemon_uid(duser);
	char *out = NULL, why[200];
	size_t len = 0, cap = 0;
	int64_t deadline;
	ssize_t n;
	int senderr, s = ask(sock, duid, "status\n", why, sizeof why, &senderr);

	if (s < 0)
		goto fail;
	deadline = now_ms() + CLIENT_MS;
	for (;;) {
		int r = wait_in(s, deadline);

		if (r <= 0) {
			snprintf(why, sizeof why, "%s", strerror(r == 0 ?
				 ETIMEDOUT : errno));
			goto fail;
		}
		if (cap - len < 4096) {
			char *m = realloc(out, cap += 65536);

			if (!m) {
				snprintf(why, sizeof why, "%s", strerror(errno));
				goto fail;
			}
			out = m;
		}
		do
			n = recv(s, out + len, cap - len - 1, 0);
		while (n < 0 && errno == EINTR);
		/* A reset comes after what was sent before it: as EOF. */
		if (n < 0 && errno != ECONNRESET) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			goto fail;
		}
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(s);
	s = -1;
	if (len == 0) {
		snprintf(why, sizeof why, "%s", senderr ? strerror(senderr) :
			 "it closed the connection without an answer");
		goto fail;
	}
	out[len] = '\0';
	if (!strncmp(out, "error: ", 7)) {
		says(out, why, sizeof why);
		jp_warn("the daemon at %s says: %s", sock, why);
		free(out);
		return 1;
	}
	n = (ssize_t)fwrite(out, 1, len, stdout);
	free(out);
	return (size_t)n == len && fflush(stdout) == 0 ? 0 : 1;
fail:
	jp_warn("no jobserver daemon at %s: %s", sock, why);
	if (s >= 0)
		close(s);
	free(out);
	return 1;
}

/* ---- command line ---- */

void serve_opts_init(struct serve_opts *o)
{
	memset(o, 0, sizeof *o);
	o->mode = 0600;
	o->gid = -1;
	o->max_clients = 1024;
	o->max_per_uid = 256;
}

static void usage_error(const char *what, const char *arg)
{
	jp_warn("%s %s (see jobproxy --help)", what, arg);
	exit(125);
}

/* "--NAME VALUE" or "--NAME=VALUE" at argv[*i]: the value, else NULL. */
static const char *value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc)
		usage_error("missing value after", a);
	return argv[++*i];
}

static int count(const char *s, int max)
{
	int v;

	return num_int(s, 0, max, &v) ? v : -1;
}

static long parse_group(const char *s)
{
	struct group *g = getgrnam(s);
	int v;

	if (g)
		return (long)g->gr_gid;
	v = count(s, INT_MAX);
	if (v < 0)
		usage_error("no such group", s);
	return v;
}

static void parse_allow(struct serve_opts *o, const char *list)
{
	char buf[1024], *w, *save = NULL;

	snprintf(buf, sizeof buf, "%s", list);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		struct passwd *p = getpwnam(w);
		int v = p ? 0 : count(w, INT_MAX);

		if (!p && v < 0)
			usage_error("no such user in --allow:", w);
		if (o->nallow == SERVE_MAX_ALLOW)
			usage_error("too many users in --allow:", list);
		o->allow[o->nallow++] = p ? p->pw_uid : (uid_t)v;
	}
}

static int cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

void serve_cli(int argc, char **argv)
{
	static struct serve_opts o;
	const char *serve = NULL, *status = NULL, *duser = NULL, *v;
	int i, jobs = 0;

	/* Look among the options only (the command's words are its own),
	 * stepping over the values of the options that take one. */
	for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--");
	     i++) {
		static const char *const takes[] = {
			"--trace", "--connect", "--mode", "--group", "--allow",
			"--max-clients", "--max-per-uid", "--jobs-file",
			"--daemon-user", NULL
		};
		const char *const *t;

		if (!strncmp(argv[i], "--serve", 7) ||
		    !strncmp(argv[i], "--status", 8))
			break;
		for (t = takes; *t; t++)
			if (!strcmp(argv[i], *t))
				break;
		if ((*t || ((!strcmp(argv[i], "-j") ||
			     !strcmp(argv[i], "--jobs")) &&
			    count(argv[i + 1], INT_MAX) >= 0)) && i + 1 < argc)
			i++;
	}
	if (i >= argc || strncmp(argv[i], "--s", 3))
		return;	/* neither: the wrapper's own options */
	serve_opts_init(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((v = value(argc, argv, &i, "--serve"))) {
			serve = v;
		} else if ((v = value(argc, argv, &i, "--status"))) {
			status = v;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			jp_set_verbose(1);
		} else if (!strcmp(a, "-j") && i + 1 < argc) {
			jobs = count(argv[++i], MAX_JOBS);
		} else if (!strncmp(a, "-j", 2) && a[2]) {
			jobs = count(a + 2, MAX_JOBS);
		} else if ((v = value(argc, argv, &i, "--jobs"))) {
			jobs = count(v, MAX_JOBS);
		} else if ((v = value(argc, argv, &i, "--mode"))) {
			uint64_t m;

			if (!num_parse(v, 8, 07777, NULL, &m))
				usage_error("bad --mode", v);
			o.mode = (int)m;
		} else if ((v = value(argc, argv, &i, "--group"))) {
			o.gid = parse_group(v);
		} else if ((v = value(argc, argv, &i, "--allow"))) {
			parse_allow(&o, v);
		} else if ((v = value(argc, argv, &i, "--max-clients"))) {
			if ((o.max_clients = count(v, INT_MAX)) < 1)
				usage_error("bad --max-clients", v);
		} else if ((v = value(argc, argv, &i, "--max-per-uid"))) {
			if ((o.max_per_uid = count(v, INT_MAX)) < 1)
				usage_error("bad --max-per-uid", v);
		} else if ((v = value(argc, argv, &i, "--jobs-file"))) {
			o.jobs_file = v;
		} else if ((v = value(argc, argv, &i, "--daemon-user"))) {
			duser = v;
		} else {
			usage_error(a[0] == '-' ? "unknown option" :
				    "--serve and --status take no command:", a);
		}
		if (jobs < 0)
			usage_error("bad job count (1..65536) in", a);
	}
	if (status)
		exit(serve_status(status, duser));
	if (duser)
		usage_error("--daemon-user is for clients, not for", "--serve");
	if (jobs == 0 && o.jobs_file && !read_jobs_file(o.jobs_file, &jobs))
		exit(125);
	if (jobs == 0)
		jobs = cpus();
	exit(serve_main(serve, jobs, &o));
}
