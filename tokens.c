/* tokens: see tokens.h; the invariant is 0 <= written back <= read. */
#include "tokens.h"

void tok_took(struct tokens *t)
{
	t->taken++;
	t->relayed++;
	if (t->taken > t->peak)
		t->peak = t->taken;
}

int tok_child_returned(struct tokens *t, unsigned long in_pipe)
{
	/* in_pipe > taken cannot happen with our own writes, but a fifo
	 * child may have put its over-returns there: clamp, never wrap. */
	if (t->taken <= in_pipe) {
		t->refused++;
		return 0;
	}
	t->taken--;
	t->returned++;
	return 1;
}

void tok_kept(struct tokens *t)
{
	t->taken++;
	t->returned--;
}

int tok_withdrew(struct tokens *t)
{
	if (t->taken == 0) {
		t->refused++;
		return 0;
	}
	t->taken--;
	return 1;
}

unsigned long tok_hand_back(struct tokens *t)
{
	unsigned long n = t->taken;

	t->handed_back += n;
	t->taken = 0;
	return n;
}
