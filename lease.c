/*
 * lease: see lease.h.
 *
 * Two kernel facts carry the events (jobserver.c makes them so): the token
 * pipe is cut to one slot, so its write end polls writable exactly when
 * the client has emptied it (it took what was parked); and the return
 * pipe reads EOF once no process holds its write end, so "the client is
 * gone" is an event too.  A client that makes its token pipe bigger
 * (F_SETPIPE_SZ works on either end) takes away the first: room no longer
 * means "taken", and poll() would report it again at once, round after
 * round.  Such a pipe is looked at on a timer instead, as where a pipe
 * cannot be cut to one slot at all.
 */
#include "lease.h"
#include "trace.h"
#include "msg.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

enum { R_RET, R_TOK, R_WATCH, R_PEEK };

void lease_init(struct lease *L, struct upstream *up)
{
	js_child_init(&L->js);
	L->up = up;
	memset(&L->tok, 0, sizeof L->tok);
	memset(&L->offer, 0, sizeof L->offer);
	/* The probes' jitter: a seed of its own for each of many children
	 * started at once (and each lease of a daemon); never 0. */
	L->offer.rng = ((uint32_t)getpid() * 2654435761u ^
			(uint32_t)now_us()) | 1;
	L->parked = 0;
	L->ret_open = 0;
	L->fifo_more = 0;
	L->greedy = 0;
	L->nowait = 0;
	nowait_init(&L->nw);
	L->trace = NULL;
	L->npoll = 0;
}

int lease_open(struct lease *L, int fifo)
{
	if ((fifo ? js_make_child_fifo(&L->js) : js_make_child(&L->js)) < 0)
		return -1;
	L->ret_open = !fifo;
	return 0;
}

void lease_handed_over(struct lease *L)
{
	close_fd(&L->js.ret_w);
	if (L->js.tok_peek >= 0 && !L->js.fifo)
		close_fd(&L->js.tok_r);
}

/* Our reader of the token pipe: our own non-blocking description when
 * /proc let us reopen it, else the client's blocking end. */
static int peek_fd(const struct lease *L)
{
	return L->js.tok_peek >= 0 ? L->js.tok_peek : L->js.tok_r;
}

/* What sits unread in the token pipe, as far as it can be ours: a fifo
 * client's over-returns sit there too. */
static unsigned long unread(const struct lease *L)
{
	unsigned long in = js_pending(peek_fd(L));

	return in < L->tok.taken ? in : L->tok.taken;
}

/* --trace: an event and the ledger after it.  A write that fails (a full
 * disk, EFBIG under ulimit -f) ends the trace, not the relay. */
static void traced(struct lease *L, const char *event, unsigned long n)
{
	if (!L->trace || n == 0)
		return;
	errno = 0;
	trace_instant(L->trace, event, n);
	trace_counter(L->trace, "held from parent", L->tok.taken);
	trace_counter(L->trace, "parked for child", L->parked);
	if (!trace_ok(L->trace)) {
		jp_warn("cannot write the trace, tracing stops:");
		trace_abandon(L->trace);
		L->trace = NULL;
	}
}

void lease_timers(struct lease *L, int64_t now, int *timeout)
{
	if (L->parked && L->js.tok_peek >= 0)
		offer_expired(&L->offer, now, timeout);
	else if (!L->parked)
		offer_due(&L->offer, now, timeout);
}

int lease_wants(struct lease *L, int64_t now, int *timeout)
{
	if (L->greedy)
		return 1;	/* the pool says how many there are */
	if (L->nowait)
		return 0;	/* never polls the parent: lease_nowait_fill */
	return L->parked == 0 && offer_due(&L->offer, now, timeout);
}

/* Park one token where the client reads it: the very byte the upstream
 * gave. */
int lease_offer(struct lease *L, int64_t now)
{
	unsigned char b;

	if (!up_take(L->up, &b))
		return 0;
	tok_took_byte(&L->tok, b);
	if (js_give(L->js.tok_w, b)) {
		L->parked++;
		offer_parked(&L->offer, now);
		if (L->nowait)
			nowait_parked(&L->nw, now / 1000);
	} else if (tok_withdrew_byte(&L->tok, &b)) {
		up_put(L->up, &b, 1);	/* cannot happen: a full pipe */
	}
	traced(L, "took", 1);
	return 1;
}

/*
 * Take back the tokens parked unread.  All of them: they all idled that
 * long (the spare of a fast client too), and a daemon that stops wants
 * them all.  Whatever byte was there (a fifo client's own), the upstream
 * gets one of its own back.
 */
static unsigned long withdraw(struct lease *L, const char *event)
{
	unsigned char b, up[64];
	unsigned long n = 0, k = 0;

	if (L->js.tok_peek < 0)
		return 0;	/* the client's blocking end: a read could hang */
	while (n < L->parked &&
	       js_take_byte(L->js.tok_peek, 0, &b) == JS_TOOK) {
		n++;
		k += (unsigned long)tok_withdrew_byte(&L->tok, &up[k]);
		if (k == sizeof up) {
			up_put(L->up, up, k);
			k = 0;
		}
	}
	up_put(L->up, up, k);
	L->parked = unread(L);
	traced(L, event, n);
	return n;
}

unsigned long lease_withdraw(struct lease *L)
{
	return withdraw(L, "withdrew unread");
}

/*
 * Fifo style: returns land in the fifo beside the parked token, and so do
 * over-returns, where the subtree would read them back as tokens.  Keep
 * one there for the client (all, greedy) and never more than it may hold
 * (TAKEN); the
 * rest goes back upstream, and what exceeds all it was ever given is
 * swallowed.  Read in bulk: the fifo is cut to one page, so a client that
 * writes a page or more waits in write() until that page is read empty.
 */
static unsigned long trim(struct lease *L)
{
	unsigned char buf[4096], up[4096];
	unsigned long excess, k;
	long n, i;
	int rounds = 0;
	unsigned long out = 0;

	/* Events first: a write after this point wakes us again. */
	js_watch_drain(L->js.watch);
	L->fifo_more = 0;
	for (;;) {
		excess = tok_fifo_excess(&L->tok, js_pending(L->js.tok_peek),
					 L->greedy || L->nowait ? ULONG_MAX : 1);
		if (excess == 0)
			break;
		if (++rounds > 16) {	/* a flood: let the loop breathe */
			L->fifo_more = 1;
			break;
		}
		n = js_take_upto(L->js.tok_peek, buf,
				 excess < sizeof buf ? excess : sizeof buf);
		if (n <= 0)
			break;	/* the client was faster */
		out += (unsigned long)n;
		for (i = 0, k = 0; i < n; i++)
			k += (unsigned long)tok_withdrew_byte(&L->tok, &up[k]);
		up_put(L->up, up, k);
		traced(L, "returned", k);
		traced(L, "refused over-return", (unsigned long)n - k);
	}
	L->parked = unread(L);
	return out;
}

/* Nowait (nowait.h), after a trim: what the client did since we last
 * looked. */
static void nowait_news(struct lease *L, unsigned long before, int64_t now)
{
	if (before && !L->parked)
		nowait_emptied(&L->nw, now / 1000);
	else if (L->parked > before)
		nowait_returned(&L->nw, now / 1000);
}

/* Nowait: take back all that waits unread past the client's rhythm. */
static void expire_nowait(struct lease *L, int64_t now, int *timeout)
{
	unsigned long before = L->parked;

	trim(L);
	nowait_news(L, before, now);
	if (!L->parked || !nowait_expired(&L->nw, now / 1000, timeout))
		return;
	lease_withdraw(L);
	nowait_withdrew(&L->nw, now / 1000);
}

unsigned long lease_fill(struct lease *L, int64_t now)
{
	unsigned long n = 0, before;

	for (;;) {
		before = L->parked;
		if (!lease_offer(L, now) || L->parked == before)
			return n;	/* none free now (or it is full) */
		n++;
	}
}

unsigned long lease_nowait_fill(struct lease *L, int64_t now, int *timeout)
{
	unsigned long n;

	if (!L->nowait || !nowait_fill_due(&L->nw, now / 1000, timeout))
		return 0;
	n = lease_fill(L, now);
	nowait_fill_due(&L->nw, now / 1000, timeout);	/* the next one */
	return n;
}

/* Take back what is parked (EVENT names why in the trace); the next offer
 * is a probe after the back-off. */
static void take_back(struct lease *L, int64_t now, const char *event)
{
	unsigned long n = withdraw(L, event);

	if (n)
		offer_withdrew(&L->offer, now);
	if (L->js.fifo)
		/* A client's write of a page or more into the fifo blocks in
		 * the kernel before any event: this timer is what finds it. */
		trim(L);
	if (!n && L->parked)	/* none came (cannot happen): not at once */
		offer_parked(&L->offer, now);
}

void lease_expire(struct lease *L, int64_t now, int *timeout)
{
	if (L->nowait && L->js.tok_peek >= 0) {
		expire_nowait(L, now, timeout);
		return;
	}
	if (L->greedy) {
		/* Nothing idles back; the tick (lease_poll) still finds a
		 * write of a page or more blocked in the kernel. */
		if (L->js.tok_peek >= 0)
			trim(L);
		return;
	}
	if (L->parked && L->js.tok_peek >= 0 &&
	    offer_expired(&L->offer, now, timeout))
		take_back(L, now, "withdrew unread");
}

int lease_look_due(struct lease *L, int64_t now, int64_t *wake)
{
	return L->parked && !L->greedy && !L->nowait && L->js.tok_peek >= 0 &&
	       offer_look_due(&L->offer, now, wake);
}

void lease_take_back(struct lease *L, int64_t now)
{
	take_back(L, now, "withdrew, none waiting");
}

/* Pipe style: how many of our tokens still wait in the token pipe. */
static unsigned long refresh(struct lease *L, int emptied,
			     struct lease_news *news)
{
	L->parked = unread(L);
	if (L->parked == 0) {
		offer_hungry(&L->offer);
	} else if (emptied) {
		/* Room, yet our token is still there: a bigger pipe.  (Only
		 * we write into it, and not since poll() reported room.) */
		L->js.oneslot = 0;
		news->grown = 1;
	}
	return L->parked;
}

/*
 * Pipe style: the client wrote returns.  Pass on what it held, swallow
 * the rest; keep one for its next job when its pipe is empty (two for a
 * client that cycles faster than we wake, offer.h).  What goes up are the
 * upstream's own bytes, never the client's.  EMPTIED: poll() said the
 * token pipe had room.
 */
static void returns(struct lease *L, int emptied, int64_t now,
		    struct lease_news *news)
{
	char buf[256];
	unsigned char up[256];
	unsigned long in_pipe, keep, refused, fwd = 0, k = 0;
	ssize_t n, i;

	do
		n = read(L->js.ret_r, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	/* EOF: no process can return any more.  An error is taken the same
	 * way: poll() would report it again at once, round after round. */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		L->ret_open = 0;
		news->closed = 1;
	}
	/* Looked at after the returns: a token the client returned was
	 * taken out of the pipe before, so a legitimate return is never
	 * refused.  Nothing parked: we are the pipe's only writer, it is
	 * empty, no need to look.  This look also tells whether room seen
	 * meant a bigger pipe, before a kept return below refills it. */
	in_pipe = L->parked ? refresh(L, emptied, news) : 0;
	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
		fwd += (unsigned long)tok_returned_byte(&L->tok, in_pipe,
							&up[fwd]);
	refused = (unsigned long)n - fwd;
	keep = fwd ? (unsigned long)offer_keep(&L->offer, now) : 0;
	k = keep > in_pipe ? keep - in_pipe : 0;
	if (k > fwd)
		k = fwd;
	if (k)		/* the last ones: what goes up is taken from 0 */
		k = js_give_bytes(L->js.tok_w, up + fwd - k, k);
	for (i = 0; i < (ssize_t)k; i++)
		tok_kept_byte(&L->tok, up[--fwd]);
	if (k) {
		L->parked = in_pipe + k;
		offer_kept(&L->offer, now);
	}
	up_put(L->up, up, fwd);
	offer_hungry(&L->offer);	/* it is busy: offer at once */
	traced(L, "returned", fwd);
	traced(L, "refused over-return", refused);
	news->refused += refused;
}

static void slot(struct lease *L, struct pollfd *pfd, int fd, short ev,
		 int role)
{
	pfd[L->npoll] = (struct pollfd){ fd, ev, 0 };
	L->role[L->npoll++] = role;
}

int lease_poll(struct lease *L, struct pollfd *pfd, int *timeout)
{
	int fifo = L->js.fifo != NULL;

	L->npoll = 0;
	if (L->ret_open)
		slot(L, pfd, L->js.ret_r, POLLIN, R_RET);
	if (L->parked && L->js.oneslot)
		slot(L, pfd, L->js.tok_w, POLLOUT, R_TOK);
	else if (L->parked)
		timeout_lower(timeout, LEASE_TICK_MS);
	if (fifo && L->js.watch >= 0)	/* every completed write */
		slot(L, pfd, L->js.watch, POLLIN, R_WATCH);
	if (fifo && L->parked == 0)	/* a write into the empty fifo */
		slot(L, pfd, L->js.tok_peek, POLLIN, R_PEEK);
	/* No watch: a write into a fifo that is not empty makes no event;
	 * look while the client holds tokens (its returns) or any sit there
	 * (an over-return behind them). */
	if (fifo && L->js.watch < 0 && (L->tok.taken > 0 || L->parked > 0))
		timeout_lower(timeout, LEASE_FIFO_TICK_MS);
	if (fifo && L->fifo_more)
		timeout_lower(timeout, 0);
	if (L->greedy && L->parked)	/* no idle timer finds a flood */
		timeout_lower(timeout, LEASE_FIFO_TICK_MS);
	return L->npoll;
}

/* Did poll() report ROLE in the entries lease_poll() filled? */
static int seen(const struct lease *L, const struct pollfd *pfd, int role)
{
	int i;

	for (i = 0; i < L->npoll; i++)
		if (L->role[i] == role && pfd[i].revents)
			return 1;
	return 0;
}

void lease_ready(struct lease *L, const struct pollfd *pfd, int64_t now,
		 struct lease_news *news)
{
	int emptied = seen(L, pfd, R_TOK), ret = seen(L, pfd, R_RET);

	L->npoll = 0;
	if (L->js.fifo) {
		unsigned long before = L->parked, out = trim(L);

		if (L->nowait)
			nowait_news(L, before, now);
		/* A sign of life: the client took what was parked, or wrote
		 * returns (kept, or taken out by the trim).  Not the event of
		 * our own parking write, which the watch reports too: taken
		 * for one while the client held a token, it restarted the
		 * offer at once after every idle take-back (30 wakeups a
		 * second for a make asleep with one job on a token). */
		if (L->parked != before || out)
			offer_hungry(&L->offer);
		return;
	}
	if (ret)
		returns(L, emptied, now, news);	/* and the token pipe */
	else if (L->parked && (emptied || !L->js.oneslot))
		refresh(L, emptied, news);
}

unsigned long lease_hand_back(struct lease *L, unsigned long *unread_n)
{
	unsigned char buf[256];
	unsigned long back = 0, in, n;

	/* Empty the token pipe first, so an orphaned grandchild cannot use a
	 * token that the upstream is about to hand out again. */
	in = js_drain(peek_fd(L));
	L->parked = 0;
	*unread_n = in < L->tok.taken ? in : L->tok.taken;
	while ((n = tok_hand_back_bytes(&L->tok, buf, sizeof buf)) > 0) {
		up_put(L->up, buf, n);
		back += n;
	}
	traced(L, "handed back after exit", back);
	return back;
}

void lease_close(struct lease *L)
{
	js_close_child(&L->js);
	L->parked = 0;
	L->ret_open = 0;
}
