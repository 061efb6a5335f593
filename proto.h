/*
 * proto: the daemon protocol's requests and answers, parsed and written.
 * Pure: no system calls, so the unit tests and the fuzzer drive it.
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
 */
#ifndef JOBPROXY_PROTO_H
#define JOBPROXY_PROTO_H

#include <stddef.h>

#define PROTO_LINE 64		/* room for a request: 63 bytes and a NUL */
#define PROTO_ANSWER 256	/* room for the answer to "jobserver" */

enum proto_kind {
	PR_MORE,		/* no whole line yet: read on */
	PR_JOBSERVER,		/* "jobserver" */
	PR_STATUS,		/* "status" */
	PR_JOBS,		/* "jobs N": N in JOBS */
	PR_BAD			/* malformed: WHY, and SHOWN bytes to log */
};

struct proto_req {
	enum proto_kind kind;
	int jobs;
	const char *why;	/* PR_BAD: a static string */
	size_t shown;		/* PR_BAD: how many bytes of the line to show */
};

/*
 * What the LEN bytes received so far (LEN < PROTO_LINE) ask for.  PR_MORE
 * while they are not yet a whole line and may become one; a line is text
 * up to its "\n" and nothing after it.
 */
void proto_request(const char *buf, size_t len, struct proto_req *r);

/*
 * A printable, bounded copy of LEN bytes of S into BUF (SZ bytes): what a
 * bad peer sent, for one log line.  Returns BUF.
 */
const char *proto_shown(const char *s, size_t len, char *buf, size_t sz);

/* The daemon's answers into BUF (SZ bytes), NUL-terminated, cut to fit:
 * the jobserver's hello, an error line, and the status report's lines. */
void proto_hello(char *buf, size_t sz, int jobs);
void proto_error(char *buf, size_t sz, const char *why);
size_t proto_status_head(char *buf, size_t sz, int jobs, long free,
			 unsigned long clients);
size_t proto_status_client(char *buf, size_t sz, long pid, long uid,
			   unsigned long held);

/*
 * The client's reading of the answer to "jobserver", the LEN bytes in
 * BUF: 1 with *JOBS set (the daemon's fds are checked by the caller), or
 * 0 with WHY (SZ bytes) saying why it is no jobserver.
 */
int proto_answer(const char *buf, size_t len, int *jobs, char *why,
		 size_t sz);

/* WHY of an "error: WHY\n" line, printable ("no reason given" for none),
 * into WHY (SZ bytes); 0 if LINE is no such line. */
int proto_says(const char *line, size_t len, char *why, size_t sz);

#endif
