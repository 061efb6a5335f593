/*
 * daemon: the machine-wide pool, `jobproxy --serve SOCKET`.
 *
 * TOKENS.  The pool is a counter (upstream.h), not a pipe.  Every build
 * that asks for a jobserver (proto.h) gets a lease of its own (lease.h),
 * the same as the wrapper gives its command: a token pipe cut to one slot
 * where at most one token waits (two for a build that gives tokens back
 * faster than we wake), a return pipe whose over-returns are refused, a
 * returned token kept for the build's next job, an unread one taken back
 * after an idle while.  The next free token goes to whichever connection
 * waits, round-robin.  A connection's tokens all come back once its build
 * is gone: the socket closed AND EOF on the return pipe (no process is
 * left that could write a token back).
 *
 * EVENTS.  One poll() loop over the self-pipe of signals, the listening
 * socket and each connection's socket and lease; a timeout only for the
 * deadline of a connection that still owes its line or its answer, the
 * leases' offer clocks, and a pipe that cannot give an event: with none of
 * those the daemon sleeps with no timer at all.  SIGHUP re-reads N from
 * --jobs-file, SIGTERM and SIGINT stop accepting and handing out, take
 * back the waiting tokens and exit 0 once no connection holds any.
 *
 * The connections, their requests and answers are conn.c's; who may
 * connect is access.c's; the socket's set-up is sock.c's.
 */
#include "daemon.h"
#include "signals.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- the pool ---- */

/*
 * The jobs the gate counts: a token is out once its build has read it
 * (a return kept parked for the build's next job is back in, and its
 * read again a job that starts), and each build runs one job on its
 * implicit slot.  *PARKED: tokens waiting unread anywhere.
 */
static void gate_count(struct daemon *D, unsigned long *parked)
{
	unsigned long out = 0;
	int clients = 0;
	size_t i;

	*parked = 0;
	for (i = 0; i < D->n; i++) {
		const struct conn *c = D->c[i];

		if (!conn_is_job(c))
			continue;
		clients++;
		out += c->lease.tok.taken - c->lease.parked;
		*parked += c->lease.parked;
	}
	gate_jobs(&D->gate, out > INT_MAX ? INT_MAX : (int)out, clients);
}

/*
 * Give free tokens to connections that want one, round-robin.  With
 * --mem-per-job or --load-average each goes out only if the gate lets it,
 * and one at a time: a parked token is not yet a job the readings show,
 * so the next waits until it has been read (or idled back).
 */
static void distribute(struct daemon *D, int64_t now)
{
	int later = -1, asked = 0;
	unsigned long parked = 0;
	size_t i, k;

	D->recheck = -1;
	if (D->stopping || D->n == 0)
		return;
	if (D->rr >= D->n)
		D->rr = 0;
	if (D->gate.on)
		gate_count(D, &parked);
	for (k = 0; k < D->n && D->pool.free > 0; k++) {
		struct conn *c;

		i = (D->rr + k) % D->n;
		c = D->c[i];
		if (!conn_is_job(c) || !c->lease.ret_open ||
		    !lease_wants(&c->lease, now, &later))
			continue;
		asked = 1;
		if (D->gate.on && (parked > 0 ||
				   !gate_ask(&D->gate, &D->recheck)))
			break;
		lease_offer(&c->lease, now);
		D->rr = (i + 1) % D->n;
		parked = 1;
	}
	if (!asked || (D->pool.free <= 0 && D->recheck < 0))
		gate_quiet(&D->gate);
}

void daemon_resize(struct daemon *D, int jobs, const char *why)
{
	if (jobs == D->jobs) {
		jp_verbose("%s: pool stays at %d slots", why, jobs);
		return;
	}
	D->pool.free += (long)jobs - D->jobs;
	jp_warn("%s: pool of %d slots, was %d", why, jobs, D->jobs);
	D->jobs = jobs;
	D->gate.b.conf.pool = jobs;
}

static int held_anywhere(const struct daemon *D)
{
	size_t i;

	for (i = 0; i < D->n; i++)
		if (conn_is_job(D->c[i]) && D->c[i]->lease.tok.taken)
			return 1;
	return 0;
}

/* ---- signals ---- */

/* Blanks a jobs file may hold around its number. */
static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* N from --jobs-file PATH: 1, or 0 after one line saying why not. */
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
	if (num_parse(p, 10, MF_MAX_JOBS, &end, &v))
		while (blank(*end))
			end++;
	if (end == buf || *end || v < 1) {
		jp_warn("--jobs-file %s does not hold a job count (1..%d)",
			path, MF_MAX_JOBS);
		return 0;
	}
	*jobs = (int)v;
	return 1;
}

static void stop(struct daemon *D)
{
	size_t i;

	if (D->stopping)
		return;
	D->stopping = 1;
	if (D->lfd >= 0)
		sock_unlink(D->o->sock, &D->id);
	close_fd(&D->lfd);
	for (i = 0; i < D->n; i++)
		if (conn_is_job(D->c[i]))
			lease_withdraw(&D->c[i]->lease);
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
			daemon_resize(D, jobs, "SIGHUP");
		}
	}
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

/* The pool size, the signals, the socket: 0, or the exit status. */
static int setup(struct daemon *D, const struct opts *o)
{
	D->o = o;
	D->jobs = o->jobs;
	if (D->jobs <= 0 && o->jobs_file &&
	    !read_jobs_file(o->jobs_file, &D->jobs))
		return 125;
	if (D->jobs <= 0)
		D->jobs = cores();
	up_init(&D->pool);
	up_counter(&D->pool, D->jobs);
	gate_init(&D->gate, D->jobs, o->mem_per_job, o->load_max);
	D->recheck = -1;
	D->lfd = -1;
	D->pl = -1;
	if (conn_room(D) < 0) {
		jp_warn("out of memory:");
		return 1;
	}
	raise_nofile();
	D->sigfd = sig_init();
	if (D->sigfd < 0) {
		jp_warn("cannot set up signal handling:");
		return 1;
	}
	D->lfd = sock_listen(o->sock, o->sockmode, o->gid, &D->id);
	if (D->lfd < 0)
		return 1;
	jp_warn("serving a pool of %d slots at %s", D->jobs, o->sock);
	return 0;
}

/* ---- the loop ---- */

/* One connection's pollfd entries from N on, and its clocks: the new N. */
static int watch(struct conn *c, struct pollfd *pfd, int n, int64_t now,
		 int *timeout)
{
	c->ps = c->pl = -1;
	if (c->state != C_JOB) {
		c->ps = n;
		pfd[n++] = (struct pollfd){ c->sock, c->state == C_SEND ?
					    POLLOUT : POLLIN, 0 };
		timeout_lower(timeout, c->deadline - now / 1000);
		return n;
	}
	if (c->sock >= 0) {
		c->ps = n;
		pfd[n++] = (struct pollfd){ c->sock, POLLIN, 0 };
	}
	lease_timers(&c->lease, now, timeout);
	c->pl = n;
	return n + lease_poll(&c->lease, pfd + n, timeout);
}

/* What to wait for this round: how many pollfd entries; *TIMEOUT. */
static int prepare(struct daemon *D, int64_t now, int *timeout)
{
	size_t i;
	int n = 0;

	*timeout = -1;
	D->pfd[n++] = (struct pollfd){ D->sigfd, POLLIN, 0 };
	D->pl = -1;
	if (D->lfd >= 0 && !D->accept_paused) {
		D->pl = n;
		D->pfd[n++] = (struct pollfd){ D->lfd, POLLIN, 0 };
	}
	for (i = 0; i < D->n; i++)
		n = watch(D->c[i], D->pfd, n, now, timeout);
	if (D->recheck >= 0)	/* a token held back: look again then */
		timeout_lower(timeout, D->recheck);
	if (D->accept_paused && D->n == 0 && *timeout < 0)
		*timeout = 1000;	/* nothing will close: retry */
	return n;
}

/* A connection's events this round. */
static void ready(struct daemon *D, struct conn *c, int64_t now)
{
	struct lease_news news = { 0, 0, 0 };

	if (c->ps >= 0 && D->pfd[c->ps].revents)
		conn_socket(D, c);
	if (c->pl < 0 || c->dead)
		return;
	lease_ready(&c->lease, D->pfd + c->pl, now, &news);
	if (news.refused && c->lease.tok.refused == news.refused)
		jp_warn("pid %ld uid %ld returned %lu token(s) it never took:"
			" refused (said once per client)", (long)c->pid,
			(long)c->uid, news.refused);
	if (news.grown)
		peer_log(D, L_BAD, "pid %ld uid %ld made its token pipe bigger:"
			 " looking at it every %d ms", (long)c->pid,
			 (long)c->uid, LEASE_TICK_MS);
}

static void dispatch(struct daemon *D, int64_t now)
{
	size_t i, n = D->n;	/* those accepted now wait for the next round */

	if (D->pfd[0].revents)
		on_signals(D);
	if (D->pl >= 0 && D->pfd[D->pl].revents && D->lfd >= 0)
		conn_accept(D);
	for (i = 0; i < n; i++)
		if (!D->c[i]->dead)
			ready(D, D->c[i], now);
}

/* After the events: deadlines, idle tokens, builds gone. */
static void tend(struct daemon *D, int64_t now)
{
	size_t i;
	int later = -1;

	for (i = 0; i < D->n; i++) {
		struct conn *c = D->c[i];

		if (c->dead) {
			conn_drop(D, c);
		} else if (c->state != C_JOB) {
			if (now / 1000 < c->deadline)
				continue;
			peer_log(D, L_BAD, "pid %ld uid %ld %s within %d s,"
				 " closing", (long)c->pid, (long)c->uid,
				 c->state == C_HELLO ? "sent no request" :
				 "did not take its answer", HELLO_MS / 1000);
			conn_drop(D, c);
		} else {
			lease_expire(&c->lease, now, &later);
			if (D->stopping && c->lease.parked)
				lease_withdraw(&c->lease);
			if (c->sock < 0 && !c->lease.ret_open)
				conn_drop(D, c);
		}
	}
}

/* Stopped, every token back: close everything. */
static int finish(struct daemon *D)
{
	size_t i;

	jp_warn("stopped: every token is back");
	for (i = 0; i < D->n; i++) {
		conn_drop(D, D->c[i]);
		free(D->c[i]);
	}
	free(D->c);
	free(D->pfd);
	return 0;
}

int daemon_main(const struct opts *o)
{
	static struct daemon D;
	int r = setup(&D, o);

	if (r)
		return r;
	for (;;) {
		int timeout, n;

		if (D.stopping && !held_anywhere(&D))
			return finish(&D);
		n = prepare(&D, now_us(), &timeout);
		r = poll(D.pfd, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR) {
			/* Cannot happen (no more entries than open fds):
			 * say it, and do not spin on it. */
			struct timespec pause = { 0, 100000000L };

			jp_warn("poll:");
			nanosleep(&pause, NULL);
		}
		if (D.accept_paused && D.n == 0)
			D.accept_paused = 0;
		if (r >= 0)	/* r == 0 too: a tick's look at a pipe */
			dispatch(&D, now_us());
		tend(&D, now_us());
		conn_sweep(&D);
		distribute(&D, now_us());
	}
}
