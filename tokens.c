/*
 * tokens: see tokens.h; the invariants are 0 <= written back <= read, and
 * the bytes written back are some of the bytes read, each at most once.
 */
#include "tokens.h"

static void push(struct tokens *t, unsigned char b)
{
	t->byte[b]++;
	t->last = b;
	t->taken++;
}

/* One of the bytes taken; TAKEN > 0.  The last one taken if it is still
 * there (what make would have written had it read that token), else the
 * lowest value held. */
static unsigned char pop(struct tokens *t)
{
	unsigned b = t->last;

	if (t->byte[b] == 0)
		for (b = 0; b < 255 && t->byte[b] == 0; b++)
			;
	t->byte[b]--;
	t->taken--;
	return (unsigned char)b;
}

void tok_took_byte(struct tokens *t, unsigned char b)
{
	push(t, b);
	t->relayed++;
	if (t->taken > t->peak)
		t->peak = t->taken;
}

int tok_returned_byte(struct tokens *t, unsigned long in_pipe,
		      unsigned char *b)
{
	/* in_pipe > taken cannot happen with our own writes, but a fifo
	 * child may have put its over-returns there: clamp, never wrap. */
	if (t->taken <= in_pipe) {
		t->refused++;
		return 0;
	}
	*b = pop(t);
	t->returned++;
	return 1;
}

void tok_kept_byte(struct tokens *t, unsigned char b)
{
	push(t, b);
	t->returned--;
}

int tok_withdrew_byte(struct tokens *t, unsigned char *b)
{
	if (t->taken == 0) {
		t->refused++;
		return 0;
	}
	*b = pop(t);
	return 1;
}

unsigned long tok_hand_back_bytes(struct tokens *t, unsigned char *buf,
				  unsigned long cap)
{
	unsigned long n = 0;

	while (n < cap && t->taken > 0)
		buf[n++] = pop(t);
	t->handed_back += n;
	return n;
}

unsigned long tok_fifo_excess(const struct tokens *t, unsigned long in,
			      unsigned long keep)
{
	unsigned long room = keep < t->taken ? keep : t->taken;

	return in > room ? in - room : 0;
}

void tok_took(struct tokens *t)
{
	tok_took_byte(t, TOK_OWN_BYTE);
}

int tok_child_returned(struct tokens *t, unsigned long in_pipe)
{
	unsigned char b;

	return tok_returned_byte(t, in_pipe, &b);
}

void tok_kept(struct tokens *t)
{
	tok_kept_byte(t, TOK_OWN_BYTE);
}

int tok_withdrew(struct tokens *t)
{
	unsigned char b;

	return tok_withdrew_byte(t, &b);
}

unsigned long tok_hand_back(struct tokens *t)
{
	unsigned char buf[256];
	unsigned long n, total = 0;

	while ((n = tok_hand_back_bytes(t, buf, sizeof buf)) > 0)
		total += n;
	return total;
}
