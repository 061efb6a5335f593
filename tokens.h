/*
 * tokens: the proxy's token ledger, free of system calls.
 *
 * Tokens carry no identity (make writes back '+' whatever it read), so the
 * ledger counts, it never looks at byte values.  One number matters for
 * correctness: TAKEN, the tokens read from the parent and not yet written
 * back.  We never write to the parent unless TAKEN > 0, so a subtree can
 * never grow the parent's pool, whatever it writes.  Everything else is for
 * decisions and for --stats.
 */
#ifndef JOBPROXY_TOKENS_H
#define JOBPROXY_TOKENS_H

struct tokens {
	unsigned long taken;	/* read from the parent, not given back */
	/* statistics */
	unsigned long relayed;	/* tokens read from the parent in all */
	unsigned long returned;	/* child returns passed on to the parent */
	unsigned long refused;	/* child writes beyond what it held */
	unsigned long handed_back; /* given back for the child at its exit */
	unsigned long peak;	/* highest TAKEN seen */
};

/* A token was read from the parent. */
void tok_took(struct tokens *t);

/*
 * The child wrote a token to its return pipe while IN_PIPE tokens of ours
 * still sat unread in its token pipe.  Returns 1 when the token must go on
 * to the parent, 0 when it is an over-return to swallow: the child holds
 * TAKEN - IN_PIPE of our tokens and cannot give back more than that.
 */
int tok_child_returned(struct tokens *t, unsigned long in_pipe);

/*
 * A token the child just returned (tok_child_returned said 1) goes
 * straight back into its empty pipe instead of to the parent: it stays
 * taken, and counts as returned no more.
 */
void tok_kept(struct tokens *t);

/*
 * We took back a token that the child never read (parked, then withdrawn).
 * Returns 1 when it is ours to give to the parent, 0 when it was not
 * (a fifo child's over-return): the caller swallows it then.
 */
int tok_withdrew(struct tokens *t);

/* The child is gone: how many tokens to write back to the parent now. */
unsigned long tok_hand_back(struct tokens *t);

#endif
