/*
 * tokens: the proxy's token ledger, free of system calls.
 *
 * One number matters for correctness: TAKEN, the tokens read from the
 * parent and not yet written back.  We never write to the parent unless
 * TAKEN > 0, so a subtree can never grow the parent's pool, whatever it
 * writes.
 *
 * The ledger also keeps which bytes those tokens were (BYTE[]: a multiset,
 * one count per byte value).  GNU make's manual asks a client to write
 * back the byte it read, and a pool may give its bytes a meaning.  A child
 * may write anything as a return (make 4.x writes '+', a careless client
 * garbage), so what goes back to the parent is never the child's byte: it
 * is one of the parent's own bytes taken from BYTE[].  Whatever the order
 * of events, the bytes handed back are a sub-multiset of the bytes taken,
 * and all of them once everything is handed back.  A pool of our own
 * (-j N, the daemon) hands out TOK_OWN_BYTE; the byte-blind forms below
 * use that byte.  Everything else is for decisions and for --stats.
 */
#ifndef JOBPROXY_TOKENS_H
#define JOBPROXY_TOKENS_H

#define TOK_OWN_BYTE '+'

struct tokens {
	unsigned long taken;	/* read from the parent, not given back */
	unsigned long byte[256]; /* TAKEN, by byte value: sums to TAKEN */
	unsigned char last;	/* the byte taken last: given back first */
	/* statistics */
	unsigned long relayed;	/* tokens read from the parent in all */
	unsigned long returned;	/* child returns passed on to the parent */
	unsigned long refused;	/* child writes beyond what it held */
	unsigned long handed_back; /* given back for the child at its exit */
	unsigned long peak;	/* highest TAKEN seen */
};

/* A token, byte B, was read from the parent. */
void tok_took_byte(struct tokens *t, unsigned char b);

/*
 * The child wrote a token to its return pipe while IN_PIPE tokens of ours
 * still sat unread in its token pipe.  Returns 1 when a token must go on
 * to the parent, and sets *B to the parent's byte to write; 0 when it is
 * an over-return to swallow: the child holds TAKEN - IN_PIPE of our tokens
 * and cannot give back more than that.
 */
int tok_returned_byte(struct tokens *t, unsigned long in_pipe,
		      unsigned char *b);

/*
 * A token the child just returned (tok_returned_byte said 1, byte B) goes
 * straight back into its empty pipe instead of to the parent: it stays
 * taken, and counts as returned no more.
 */
void tok_kept_byte(struct tokens *t, unsigned char b);

/*
 * We took back a token that the child never read (parked, then withdrawn).
 * Returns 1 when it is ours to give to the parent, with *B the parent's
 * byte to write; 0 when it was not (a fifo child's over-return): the
 * caller swallows it then.
 */
int tok_withdrew_byte(struct tokens *t, unsigned char *b);

/*
 * The child is gone: move up to CAP of the bytes still taken into BUF, to
 * be written back to the parent.  Returns how many; call again until 0.
 */
unsigned long tok_hand_back_bytes(struct tokens *t, unsigned char *buf,
				  unsigned long cap);

/*
 * Fifo style: IN bytes sit in the fifo, where the child reads its tokens
 * and writes its returns.  How many to take out now so that at most KEEP
 * stay for the child, and never more than TAKEN: a byte beyond TAKEN is
 * an over-return that the subtree would otherwise read back as a token.
 */
unsigned long tok_fifo_excess(const struct tokens *t, unsigned long in,
			      unsigned long keep);

/* Byte-blind forms, for a pool of our own (TOK_OWN_BYTE). */
void tok_took(struct tokens *t);
int tok_child_returned(struct tokens *t, unsigned long in_pipe);
void tok_kept(struct tokens *t);
int tok_withdrew(struct tokens *t);
unsigned long tok_hand_back(struct tokens *t);	/* how many; all of them */

#endif
