/*
 * relay: the wrapper's loop, from the command's start to its exit.
 *
 * One wait (waitset.h: poll(), or epoll where it can) over the self-pipe
 * of signals (signals.c), the command's lease (lease.h: its returns, the
 * moment it took a parked token), the parent's token fd while an offer is
 * due (exclusively: one token wakes one jobproxy), and the "I wait" pipe
 * of a jobproxy below.  Timeouts only for the offer policy's clocks and where a
 * pipe gives no event.  Nothing in here may end jobproxy while the command
 * runs: a loop that cannot go on (poll() itself failing) takes back what
 * is parked and waits for the command plainly, and finish() gives back
 * everything once it has exited.
 */
#include "proxy.h"
#include "masq.h"
#include "msg.h"
#include "pidwatch.h"
#include "proctree.h"
#include "signals.h"
#include "trace.h"
#include "util.h"
#include "waitset.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every change of the command's state waitpid has for us; the signal of
 * a stop reported now, else 0. */
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
 * The command stopped (it stopped itself, or a stop signal sent to us was
 * passed on): stop too, so that whoever waits for us sees the stop, as a
 * shell's wait would without us.  By the same signal when it is one that
 * stops us (a job-control stop is dropped for an orphaned process group,
 * which the command's group, if it is ours, is not), else SIGSTOP.  Once
 * we are continued, so is the command if it is still stopped; a stop of
 * the terminal's (Ctrl-Z) stopped both already, and `fg` continued both,
 * so waitpid reports no stop then and nothing is done twice.
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
	 * command still stopped, rather than stopping us again. */
	if (cont && P->stopped) {
		kill(P->pid, SIGCONT);
		P->stopped = 0;
	} else if (stop) {
		mirror_stop(P, stop);
	}
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
	ssize_t n = read(P->want_r, buf, sizeof buf);

	if (n == 0)		/* no jobproxy left below */
		close_fd(&P->want_r);
	else if (n > 0)
		offer_hungry(&P->lease.offer);
}

/*
 * The parent jobserver is gone for good: its token pipe reads EOF and no
 * one reads its return pipe (a jobproxy above us was SIGKILLed; what it
 * held came back to its own parent through the jobproxy above it).  The
 * command must not hang, and must not spin.  Closing its token pipe would
 * show it EOF, and GNU make 4.3 and 4.4.1 both take EOF on their
 * jobserver as "no token now" and poll it again at once (posixos.c's
 * jobserver_acquire() returns 0 on a read of 0 bytes): a busy loop at -j1.
 * Keeping the pipe open with nothing behind it leaves a client blocked in
 * read() there for ever.  So the subtree goes on with a pool of its own
 * (the upstream became one, of the tokens that were on their way up): the
 * tokens it held, at least one, so that a client that waits for a token
 * gets one back from the others.  No process outside the subtree can use
 * them any more.
 */
static void parent_gone(struct proxy *P)
{
	struct upstream *U = &P->up;

	U->gone = 0;
	if (P->lease.tok.taken + (unsigned long)U->free == 0)
		U->free = 1;
	close_fd(&P->want_up);
	jp_warn("the parent jobserver is gone: %s goes on with the %lu"
		" token(s) it held as a pool of its own", P->argv[0],
		P->lease.tok.taken + (unsigned long)U->free);
	offer_hungry(&P->lease.offer);
}

/*
 * poll() failed, which it cannot (EINVAL: more fds than RLIMIT_NOFILE
 * allows, ENOMEM).  Exiting would orphan the command and lose what it
 * holds.  So: take back what waits unread, and wait for the command with
 * only the signals to watch (still passed on), or, should even that fail,
 * in waitpid() alone.  finish() then gives back the rest, as always.
 */
static void degrade(struct proxy *P)
{
	int st;

	jp_warn("poll: relaying stops; waiting for %s:", P->argv[0]);
	lease_withdraw(&P->lease);
	while (!P->exited) {
		struct pollfd pfd = { P->sigfd, POLLIN, 0 };

		if (poll(&pfd, 1, -1) >= 0) {
			on_signals(P);
			continue;
		}
		if (errno == EINTR)
			continue;
		while (waitpid(P->pid, &st, 0) < 0 && errno == EINTR)
			;
		P->status = st;
		P->exited = 1;
	}
}

/*
 * --charge: (re)set the CPU pressure trigger for the window charge.h
 * wants.  0, after one line saying why, where none can be had: the looks
 * are on a timer then.
 */
static int arm(struct proxy *P)
{
	close_fd(&P->psi);
	P->psi_ms = P->charge.window;
	P->psi = tree_pressure(machine_root(), P->psi_ms);
	if (P->psi >= 0) {
		P->psi_stall = tree_stall(P->psi);
		return 1;
	}
	jp_verbose("--charge: no CPU pressure trigger here: looking on a"
		   " timer:");
	return 0;
}

/*
 * --charge: a look at the command's tree is due.  Take from the parent,
 * without waiting, up to the tokens the tree runs beyond its slots, or
 * give back what it no longer needs.  The tree's slots are the tokens it
 * has read from us (not those parked) and its implicit one.
 */
static void charge_round(struct proxy *P, int64_t now)
{
	struct charge *C = &P->charge;
	int run = tree_runnable("", P->pid, P->tree), n, k = 0;
	char line[160];

	if (run < 0)
		return;		/* exited between two waitpid()s */
	n = charge_look(C, run, (int)(P->lease.tok.taken - P->lease.parked),
			now);
	if (n > CHARGE_MAX - C->charged)
		n = CHARGE_MAX - C->charged;
	while (k < n && up_take(&P->up, &P->charged[C->charged + k]))
		k++;
	if (n < 0) {
		k = -n < C->charged ? n : -C->charged;
		up_put(&P->up, &P->charged[C->charged + k],
		       (unsigned long)-k);
	}
	if (k)
		charge_took(C, k);
	if (k && P->lease.trace) {
		trace_instant(P->lease.trace, k > 0 ? "charged" : "uncharged",
			      (unsigned long)(k > 0 ? k : -k));
		trace_counter(P->lease.trace, "charged for the tree",
			      (unsigned long)C->charged);
	}
	if (charge_warning(C, P->argv[0], line, sizeof line))
		jp_warn("%s", line);
	if (P->psi >= 0 && P->psi_ms != C->window && !arm(P))
		charge_pressure_lost(C, now);
}

/* The trigger fired (POLLPRI, with POLLERR as the kernel reports it), or
 * failed: then back to looks on a timer. */
static void on_pressure(struct proxy *P, short revents, int64_t now)
{
	if (revents & POLLPRI) {
		/* A new trigger fires twice within about a window whatever
		 * the stall (measured on Linux 6.18 in a Firecracker VM: 2 ms
		 * of stall between the two events, then none while calm):
		 * look only when the stall since the last event did reach the
		 * threshold. */
		int64_t stall = tree_stall(P->psi);

		if (stall < 0 || P->psi_stall < 0 ||
		    stall - P->psi_stall >= (int64_t)P->psi_ms * 100)
			charge_pressure(&P->charge, now);
		P->psi_stall = stall;
		return;
	}
	jp_verbose("--charge: the CPU pressure trigger failed: looking on a"
		   " timer");
	close_fd(&P->psi);
	charge_pressure_lost(&P->charge, now);
}

/* Can /proc show the command's tree (proctree.h)?  Found out at the
 * first look, not at the start: a short command (each client of a herd
 * of a thousand) never needs one, and the /proc reads were about a tenth
 * of such a jobproxy's CPU time. */
static int can_look(struct proxy *P)
{
	if (P->look == LOOK_UNKNOWN)
		P->look = tree_usable("");
	return P->look != TREE_NONE;
}

/* Does the command's tree wait for a token (proctree.h)?  The token
 * pipe's inode names it in the tree's fd tables, a fifo's too. */
static int tree_look(struct proxy *P)
{
	struct tree_target t = { 0, 0, P->self_dev, P->self_ino };
	struct stat st;

	if (!can_look(P) || fstat(P->lease.js.tok_w, &st) != 0)
		return TREE_CANNOT_TELL;
	t.dev = st.st_dev;
	t.ino = st.st_ino;
	return tree_waits("", P->pid, P->look, &t);
}

/* A probe is due (offer.h): park only for a tree that waits for a token,
 * or one we cannot tell about. */
static int look(struct proxy *P, int64_t now, int *timeout)
{
	int w = tree_look(P);

	return offer_looked(&P->lease.offer, now,
			    w == TREE_WAITING ? OFFER_WAITING :
			    w == TREE_NOT_WAITING ? OFFER_NOT_WAITING :
			    OFFER_CANNOT_TELL, timeout);
}

/* One round's poll() entries. */
struct round {
	struct pollfd pfd[4 + LEASE_POLLS];
	int n, want, parent, lease, psi;
};

/* The wait: poll()'s TIMEOUT (ms, -1 for none) or until WAKE (us, 0 for
 * none), whichever comes first; in microseconds, -1 for none. */
static int64_t wait_us(int timeout, int64_t wake, int64_t now)
{
	int64_t us = timeout < 0 ? -1 : (int64_t)timeout * 1000;

	if (wake && (us < 0 || wake - now < us))
		us = wake > now ? wake - now : 0;
	return us;
}

/* What to wait for this round; a token of our own pool is parked at
 * once.  How long to wait, in microseconds (-1: until news). */
static int64_t prepare(struct proxy *P, struct round *r, int64_t now)
{
	int timeout = -1, offer, fd, calm;
	int64_t wake = 0;

	/* A token idles parked: back at once if the tree does not wait
	 * (offer.h), else at its idle time (lease_expire).  No look while
	 * a signal waits: the wait returns at once for it, and when it is
	 * the command's SIGCHLD, its exit makes the look moot (finish()
	 * takes everything back).  Half the looks of a herd of short
	 * clients were of one that had just exited. */
	calm = !sig_pending();
	if (calm && P->look != TREE_NONE &&
	    lease_look_due(&P->lease, now, &wake) &&
	    tree_look(P) == TREE_NOT_WAITING) {
		lease_take_back(&P->lease, now);
		wake = 0;	/* its next look, set above, has nothing to see */
	}
	lease_expire(&P->lease, now, &timeout);
	lease_nowait_fill(&P->lease, now, &timeout);
	/* --charge: only then is there a look to wake up for */
	if (P->tree != TREE_NONE && charge_due(&P->charge, now / 1000,
					       &timeout))
		charge_round(P, now / 1000);
	offer = lease_wants(&P->lease, now, &timeout);
	if (offer && offer_probing(&P->lease.offer))
		offer = calm && look(P, now, &timeout);
	/* Our own pool answers at once: no need to wait for it, but a
	 * root pool asks its budget first (gate.h): held back, the command
	 * waits in its read() and we look again at the timeout or at its
	 * next return.  A token is out once the command has read it: a
	 * return kept parked for its next job is back in, and its read
	 * again is a job that starts (and will need its memory). */
	gate_jobs(&P->gate, (int)(P->lease.tok.taken - P->lease.parked), 1);
	if (offer && P->up.counter && P->up.free > 0 &&
	    !gate_ask(&P->gate, &timeout))
		offer = 0;
	else if (offer && P->up.counter && lease_offer(&P->lease, now)) {
		if (P->lease.greedy)	/* lease.h: the rest of our pool too */
			lease_fill(&P->lease, now);
		offer = 0;
	} else if (!offer || (P->up.counter && P->up.free <= 0))
		gate_quiet(&P->gate);
	/* A parent jobserver: the command took what was parked; a spare
	 * token waiting in the parent's pipe is read at once, without the
	 * round trip through the wait (an epoll_ctl pair to swap the entries
	 * and a wake).  Once: a round after one that waited on the parent's
	 * fd already knows it had nothing when it slept.  (lease_expire()
	 * above set no clock for a token parked only now.) */
	if (offer && r->parent < 0 && up_nowait(&P->up) &&
	    lease_offer(&P->lease, now)) {
		offer = 0;
		lease_timers(&P->lease, now, &timeout);	/* its idle clock */
	}
	r->n = 0;
	r->want = r->parent = r->psi = -1;
	r->pfd[r->n++] = (struct pollfd){ P->sigfd, POLLIN, 0 };
	if (P->psi >= 0)	/* --charge: the CPU is contended */
		r->pfd[r->psi = r->n++] = (struct pollfd){ P->psi, POLLPRI, 0 };
	if (P->want_r >= 0)
		r->pfd[r->want = r->n++] = (struct pollfd){ P->want_r,
							    POLLIN, 0 };
	if (offer)	/* a fifo parent may have ended: up_check() */
		up_check(&P->up, &timeout);
	fd = up_poll_fd(&P->up);
	if (offer && fd >= 0) {
		r->pfd[r->parent = r->n++] = (struct pollfd){ fd, POLLIN, 0 };
		want(P);
	}
	r->lease = r->n;
	r->n += lease_poll(&P->lease, r->pfd + r->n, &timeout);
	return wait_us(timeout, wake, now);
}

/*
 * We waited on the parent's token fd exclusively (waitset.h) and were
 * woken for it: the kernel woke no other jobproxy for that write.  Any
 * token left in the pipe now (we did not take it: one is parked already;
 * or one write brought several: a jobproxy handing back what its command
 * held) would wait there unseen by the others, asleep, until the next
 * write, which may never come.  So read one and write it back at once: that
 * write wakes the next waiter, which takes it or passes it on in turn.
 *
 * It cannot be skipped when the wake looks like it had another cause (a
 * return kept parked in the same round): the wait is level-triggered and
 * does not say which event woke us, and a readable parent fd may be the
 * one wake its write had.  It is made rare instead: prepare() reads a
 * token already in the pipe before it registers, so the fd is waited on
 * only while nothing is parked and the parent had nothing; a token is
 * left to pass on only when a return kept in the very round of the
 * parent's write parked one, or one write brought several.
 */
static void pass_on(struct proxy *P)
{
	unsigned char b;

	if (P->up.counter || js_pending(P->up.js.rfd) == 0)
		return;
	if (up_take(&P->up, &b))
		up_put(&P->up, &b, 1);
}

/* What the round's wait reported. */
static void dispatch(struct proxy *P, struct round *r,
		     const struct waitset *ws)
{
	struct lease_news news = { 0, 0, 0 };
	int64_t now = now_us();

	if (r->pfd[0].revents)
		on_signals(P);
	if (r->want >= 0 && r->pfd[r->want].revents)
		on_want(P);
	if (r->psi >= 0 && r->pfd[r->psi].revents)
		on_pressure(P, r->pfd[r->psi].revents, now / 1000);
	lease_ready(&P->lease, r->pfd + r->lease, now, &news);
	if (P->tree != TREE_NONE) {
		int i;

		for (i = r->lease; i < r->n; i++)
			if (r->pfd[i].revents)	/* the command's tokens */
				charge_poke(&P->charge, now / 1000);
	}
	if (news.refused)
		jp_verbose("refused %lu token(s) the child never took",
			   news.refused);
	if (news.grown)
		jp_verbose("%s made its token pipe bigger: looking at it"
			   " every %d ms", P->argv[0], LEASE_TICK_MS);
	if (r->parent >= 0 && r->pfd[r->parent].revents) {
		if (P->lease.parked == 0 && lease_offer(&P->lease, now))
			P->wanted = 0;
		if (ws_exclusive(ws))
			pass_on(P);
	}
}

void relay(struct proxy *P)
{
	const struct masq_tool *tool;
	struct round r;
	int nowait;

	/* --charge: where it can, no look before the CPU is contended */
	if (P->tree != TREE_NONE && arm(P))
		charge_by_pressure(&P->charge);
	/* A fifo client that never waits (ninja): of our own pool with no
	 * budget to ask token by token, it gets all of it parked (lease.h);
	 * below a parent jobserver, what nowait.h decides. */
	tool = masq_lookup(P->argv[0]);
	nowait = P->lease.js.fifo && tool && tool->nowait;
	P->lease.greedy = nowait && P->up.counter && !P->gate.on;
	P->lease.nowait = nowait && !P->up.counter;

	P->look = LOOK_UNKNOWN;	/* can_look() */
	r.parent = -1;		/* prepare(): no round waited on it yet */
	while (!P->exited) {
		int64_t us;

		if (P->up.gone)
			parent_gone(P);
		us = prepare(P, &r, now_us());
		if (P->up.gone)
			continue;	/* went while we prepared: again */
		if (ws_wait(&P->ws, r.pfd, r.n, r.parent, us) < 0) {
			if (errno == EINTR)
				continue;
			ws_close(&P->ws);
			degrade(P);
			return;
		}
		dispatch(P, &r, &P->ws);
	}
	ws_close(&P->ws);
}
