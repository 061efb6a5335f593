/*
 * daemon: the machine-wide pool's state, shared by daemon.c (the pool,
 * signals, the loop) and conn.c (connections: accepting them within the
 * limits, their requests and answers, their end).
 */
#ifndef JOBPROXY_DAEMON_H
#define JOBPROXY_DAEMON_H

#include "gate.h"
#include "lease.h"
#include "msg.h"
#include "opts.h"
#include "proto.h"
#include "sock.h"

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#define HELLO_MS 5000		/* to send the request line (and take an answer) */
#define CONN_POLLS (1 + LEASE_POLLS)	/* pollfd entries of one connection */

enum cstate { C_HELLO, C_JOB, C_SEND };
enum lkind { L_BAD, L_LIMIT, L_REFUSED };	/* kinds of bad-peer lines */

struct conn {
	enum cstate state;
	int sock;		/* -1 once the client closed it */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int64_t deadline;	/* C_HELLO, C_SEND: ms on the monotonic clock */
	char line[PROTO_LINE];
	size_t len;
	char *out;		/* C_SEND: the answer, OUTLEN bytes, OUTOFF sent */
	size_t outlen, outoff;
	struct lease lease;	/* C_JOB: its jobserver and its tokens */
	int dead;		/* to be removed at the end of this round */
	int ps, pl;		/* this round's pollfd entries: the socket's,
				 * the lease's first; -1 for none */
};

struct daemon {
	const struct opts *o;
	struct sock_id id;
	int lfd;		/* listening socket; -1 once stopped */
	int sigfd;
	int jobs;		/* N */
	struct upstream pool;	/* free tokens; below 0 while a shrunk pool
				 * still waits for tokens to come back */
	struct gate gate;	/* --mem-per-job, --load-average */
	int recheck;		/* held back: ask the gate again in this many
				 * ms (-1: no hold) */
	struct conn **c;
	size_t n, cap;
	struct pollfd *pfd;	/* room for 2 + CAP * CONN_POLLS */
	int pl;			/* this round's entry of LFD, or -1 */
	size_t rr;		/* round-robin: who is served first */
	int accept_paused;	/* EMFILE: until a connection closes */
	int stopping;
	int64_t logged[3];	/* rate limit of the bad-peer lines, per */
	unsigned long hidden[3]; /* kind: when last printed, how many not */
};

/* daemon.c: the pool is resized to JOBS slots (WHY: for the log). */
void daemon_resize(struct daemon *D, int jobs, const char *why);

/* conn.c */
/* Accept what waits on the listening socket, within the limits. */
void conn_accept(struct daemon *D);
/* Room for one more connection and its pollfd entries: 0, or -1. */
int conn_room(struct daemon *D);
/* C's socket is ready: read its request, send its answer, or see it
 * closed. */
void conn_socket(struct daemon *D, struct conn *c);
/* A live jobserver connection? */
int conn_is_job(const struct conn *c);
/* C is done: its tokens back to the pool, its fds closed; freed by
 * conn_sweep() at the end of the round. */
void conn_drop(struct daemon *D, struct conn *c);
void conn_sweep(struct daemon *D);
/*
 * A line about a misbehaving or refused peer: at most one a second of
 * each kind K, so that 5,000 bad connections at once cost a line, not a
 * flood; the next line of that kind says how many were left out.
 */
void peer_log(struct daemon *D, enum lkind k, const char *fmt, ...)
	JP_PRINTF(3, 4);

#endif
