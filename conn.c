/*
 * conn: the daemon's connections.  Accepted only from who may (access.c)
 * and within --max-clients and --max-per-uid; each says one line
 * (proto.h) within HELLO_MS and gets its answer, or a jobserver, a lease
 * of its own, for as long as its build runs; its tokens come back once it
 * is gone.
 */
#include "daemon.h"
#include "access.h"
#include "fdpass.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int conn_is_job(const struct conn *c)
{
	return c->state == C_JOB && !c->dead;
}

void conn_drop(struct daemon *D, struct conn *c)
{
	if (c->state == C_JOB) {
		unsigned long unread, back = lease_hand_back(&c->lease, &unread);

		jp_verbose("client pid %ld uid %ld gone; %lu token(s) back,"
			   " %lu over-return(s) refused", (long)c->pid,
			   (long)c->uid, back, c->lease.tok.refused);
	}
	lease_close(&c->lease);
	close_fd(&c->sock);
	free(c->out);
	c->out = NULL;
	c->dead = 1;
	D->accept_paused = 0;	/* an fd is free again */
}

void conn_sweep(struct daemon *D)
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

void peer_log(struct daemon *D, enum lkind k, const char *fmt, ...)
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

/* The limits: 1 if one more connection of UID may come in, else 0 after
 * turning FD away. */
static int under_limits(struct daemon *D, int fd, uid_t uid, pid_t pid)
{
	size_t i, same = 0;

	for (i = 0; i < D->n; i++)
		same += !D->c[i]->dead && D->c[i]->uid == uid;
	if (D->n >= (size_t)D->o->max_clients) {
		peer_log(D, L_LIMIT, "refused pid %ld: %ld connections already"
			 " (--max-clients)", (long)pid, (long)D->n);
		turn_away(fd, "error: busy: %ld connections already"
			  " (--max-clients)\n", (long)D->n);
		return 0;
	}
	if (same >= (size_t)D->o->max_per_uid) {
		peer_log(D, L_LIMIT, "refused uid %ld: %ld connections already"
			 " (--max-per-uid)", (long)uid, (long)same);
		turn_away(fd, "error: busy: %ld connections of uid %ld already"
			  " (--max-per-uid)\n", (long)same, (long)uid);
		return 0;
	}
	return 1;
}

/* Room for one more connection and its pollfd entries: 0, or -1. */
int conn_room(struct daemon *D)
{
	size_t cap = D->cap ? 2 * D->cap : 64;
	struct conn **nc;
	struct pollfd *np;

	if (D->n < D->cap)
		return 0;
	nc = realloc(D->c, cap * sizeof *nc);
	if (!nc)
		return -1;
	D->c = nc;
	np = realloc(D->pfd, (2 + cap * CONN_POLLS) * sizeof *np);
	if (!np)
		return -1;
	D->pfd = np;
	D->cap = cap;
	return 0;
}

static void accept_one(struct daemon *D, int fd)
{
	struct conn *c;
	uid_t uid;
	gid_t gid;
	pid_t pid;

	fd_nonblock(fd);
	fd_cloexec(fd);
	if (fd_peer(fd, &uid, &gid, &pid) < 0) {
		jp_warn("cannot tell who connected, closing:");
		close(fd);
		return;
	}
	if (!access_allowed(D->o, fd, uid, gid)) {
		peer_log(D, L_REFUSED, "refused uid %ld (pid %ld): not allowed"
			 " (see --allow and --group)", (long)uid, (long)pid);
		turn_away(fd, "error: not allowed: uid %ld is not root, uid %ld,"
			  " in --allow or in --group\n", (long)uid,
			  (long)geteuid());
		return;
	}
	if (!under_limits(D, fd, uid, pid))
		return;
	c = conn_room(D) < 0 ? NULL : calloc(1, sizeof *c);
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
	lease_init(&c->lease, &D->pool);
	c->ps = c->pl = -1;
	D->c[D->n++] = c;
}

void conn_accept(struct daemon *D)
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

/* An answer to send, then close; TEXT is ours to free. */
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

static char *dup_text(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	return d ? memcpy(d, s, n) : NULL;
}

static char *report(struct daemon *D)
{
	size_t i, cap = 224 + 96 * D->n, k;
	unsigned long clients = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	for (i = 0; i < D->n; i++)
		clients += conn_is_job(D->c[i]);
	k = proto_status_head(s, cap, D->jobs, D->pool.free, clients);
	/* --mem-per-job, --load-average: what the machine lets out now */
	if (D->gate.on && k < cap) {
		char line[160];

		gate_cap(&D->gate);
		gate_summary(&D->gate, line, sizeof line);
		k += (size_t)snprintf(s + k, cap - k, "budget %s\n", line);
		if (k >= cap)
			k = cap - 1;
	}
	for (i = 0; i < D->n; i++)
		if (conn_is_job(D->c[i]))
			k += proto_status_client(s + k, cap - k,
						 (long)D->c[i]->pid,
						 (long)D->c[i]->uid,
						 D->c[i]->lease.tok.taken);
	return s;
}

static void start_job(struct daemon *D, struct conn *c)
{
	char hello[32];
	int fds[2];

	if (D->stopping) {
		jp_verbose("stopping: no jobserver for pid %ld", (long)c->pid);
		c->dead = 1;
		return;
	}
	if (lease_open(&c->lease, 0) < 0) {
		jp_warn("cannot make a jobserver for pid %ld, closing:",
			(long)c->pid);
		c->dead = 1;
		return;
	}
	proto_hello(hello, sizeof hello, D->jobs);
	fds[0] = c->lease.js.tok_r;
	fds[1] = c->lease.js.ret_w;
	if (fd_send(c->sock, hello, strlen(hello), fds, 2) < 0) {
		jp_warn("cannot send the jobserver to pid %ld:", (long)c->pid);
		lease_close(&c->lease);
		c->dead = 1;
		return;
	}
	lease_handed_over(&c->lease);
	c->state = C_JOB;
	jp_verbose("client pid %ld uid %ld connected", (long)c->pid,
		   (long)c->uid);
}

/* A malformed request: one log line (rate-limited), the answer
 * "error: WHY", then close.  SHOWN bytes of the line are shown. */
static void bad_request(struct daemon *D, struct conn *c, size_t shown,
			const char *why)
{
	char buf[4 * PROTO_LINE], text[96];

	peer_log(D, L_BAD, "bad request from pid %ld uid %ld, closing: \"%s\""
		 " (%s)", (long)c->pid, (long)c->uid,
		 proto_shown(c->line, shown, buf, sizeof buf), why);
	proto_error(text, sizeof text, why);
	answer(c, dup_text(text));
}

static void resize_request(struct daemon *D, struct conn *c, int n)
{
	char why[64];

	if (!access_may_resize(c->uid)) {
		jp_warn("refused \"jobs %d\" from uid %ld: only root or uid"
			" %ld", n, (long)c->uid, (long)geteuid());
		answer(c, dup_text("error: not allowed\n"));
		return;
	}
	snprintf(why, sizeof why, "\"jobs\" from uid %ld", (long)c->uid);
	daemon_resize(D, n, why);
	answer(c, dup_text("ok\n"));
}

static void on_hello(struct daemon *D, struct conn *c)
{
	char buf[4 * PROTO_LINE];
	struct proto_req r;
	ssize_t n;

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
				 proto_shown(c->line, c->len, buf, sizeof buf));
		else
			jp_verbose("pid %ld hung up without a request",
				   (long)c->pid);
		c->dead = 1;
		return;
	}
	c->len += (size_t)n;
	proto_request(c->line, c->len, &r);
	if (r.kind == PR_JOBSERVER)
		start_job(D, c);
	else if (r.kind == PR_STATUS)
		answer(c, report(D));
	else if (r.kind == PR_JOBS)
		resize_request(D, c, r.jobs);
	else if (r.kind == PR_BAD)
		bad_request(D, c, r.shown, r.why);
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

void conn_socket(struct daemon *D, struct conn *c)
{
	if (c->state == C_HELLO)
		on_hello(D, c);
	else if (c->state == C_SEND)
		on_send(c);
	else
		on_job_sock(c);
}
