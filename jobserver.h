/*
 * jobserver: the system-call side of both jobservers, the parent's that we
 * borrow tokens from and the private one we give the child.
 */
#ifndef JOBPROXY_JOBSERVER_H
#define JOBPROXY_JOBSERVER_H

#include "makeflags.h"

struct parent_js {
	int rfd, wfd;		/* ours, close-on-exec; rfd non-blocking */
	int guarded;		/* rfd shares a blocking description: read
				 * under an interval timer (no /proc) */
	long owner;		/* a fifo: the pid its name carries, 0: none
				 * (a pipe, a fifo of another name) */
};

struct child_js {
	int tok_r, tok_w;	/* tokens for the child: it reads tok_r */
	int ret_r, ret_w;	/* returns from the child: it writes ret_w */
	int tok_peek;		/* our non-blocking reader of the token pipe */
	int oneslot;		/* tok_w polls writable only once emptied */
	char *fifo;		/* fifo style: the path; NULL for pipes */
	int watch;		/* fifo style: an inotify fd that reads an
				 * event at every write into the fifo, or -1
				 * (not Linux) */
};

/* Every fd -1, no fifo: what the close functions expect of a struct that
 * was never opened (a zeroed one would name fd 0). */
void js_parent_init(struct parent_js *p);
void js_child_init(struct child_js *c);

/*
 * Open the parent jobserver that A names.  Returns 0, or -1 after one
 * warning line saying why it cannot be used (closed fds, not a pipe,
 * missing fifo...).
 */
int js_open_parent(const struct js_auth *a, struct parent_js *p);

/* Create the child's pipes; -1 with errno (EMFILE...). */
int js_make_child(struct child_js *c);

/*
 * Fifo style: a fifo in a fresh 0700 directory under TMPDIR (or /tmp),
 * which the child opens by name for both directions.  tok_w and tok_peek
 * are ours; tok_r, ret_r, ret_w stay -1.  -1 with errno, nothing left.
 */
int js_make_child_fifo(struct child_js *c);

void js_close_parent(struct parent_js *p);

/*
 * A fifo parent whose owner has ended: its path removed (link count 0), as
 * make 4.4 and jobproxy do when they end or die of a fatal signal, and the
 * pid its name carries (mf_fifo_owner) no longer there.  A path removed
 * under a live owner is not enough: that owner still counts its tokens.
 * Our own write end keeps a fifo from ever reading EOF, which is how a
 * pipe parent says it is gone.
 */
int js_parent_ended(const struct parent_js *p);

/* Close our ends; in fifo style also remove the fifo and its directory. */
void js_close_child(struct child_js *c);

/* What a take from a jobserver fd found. */
#define JS_TOOK 1		/* a token (js_take_upto: how many, > 0) */
#define JS_EMPTY 0		/* none there: someone else was faster
				 * between poll and read */
#define JS_FAIL (-1)		/* a read error, with errno */
#define JS_EOF (-2)		/* end of file: no writer is left */

/* Take one token, its byte into *B, from non-blocking FD: JS_TOOK,
 * JS_EMPTY, JS_EOF or JS_FAIL. */
int js_take_byte(int fd, int guarded, unsigned char *b);

/* Read up to MAX bytes from non-blocking FD into BUF: how many (> 0), or
 * JS_EMPTY, JS_EOF or JS_FAIL. */
long js_take_upto(int fd, unsigned char *buf, unsigned long max);

/* Put N tokens, bytes B, into FD; returns how many went in (short on
 * EPIPE...). */
unsigned long js_put_bytes(int fd, const unsigned char *b, unsigned long n);

/* One token, byte B, into the child's non-blocking FD, at once: 1 or 0. */
int js_give(int fd, unsigned char b);

/* N tokens (N <= PIPE_BUF), bytes B, the same way in one write: how
 * many went in, all or none. */
unsigned long js_give_bytes(int fd, const unsigned char *b, unsigned long n);

/* Fifo style: read every event the watch holds; 1 if there was any. */
int js_watch_drain(int fd);

/* How many bytes sit unread in the pipe FD (0 when unknown). */
unsigned long js_pending(int fd);

/* Read and count every token waiting in FD, which may be blocking. */
unsigned long js_drain(int fd);

#endif
