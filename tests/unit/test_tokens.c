/*
 * Unit tests for tokens.c, the token ledger.
 *
 * The one property that matters: what we write back to the parent (child
 * returns passed on + hand back at exit + parked tokens withdrawn) never
 * exceeds what we read from it, and equals it once everything is handed
 * back.  A randomized test drives 1M events through a model of the child's
 * real holdings and checks that after every event.
 *
 * make tests/unit/test_tokens && ./tests/unit/test_tokens
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "tokens.h"

/*
 * The ledger, field by field: a failure names the field and the line of
 * the call ("test_tokens.c:50: ledger field returned is 0, want 1"), not
 * only a line in here and two numbers.
 */
#define assert_ledger(t, taken, relayed, returned, refused, handed_back,  \
		      peak)                                                 \
	check_ledger((t), (taken), (relayed), (returned), (refused),        \
		     (handed_back), (peak), __FILE__, __LINE__)

static void field(const char *name, unsigned long got, unsigned long want,
		  const char *file, int line)
{
	if (got != want)
		fail_msg("%s:%d: ledger field %s is %lu, want %lu", file, line,
			 name, got, want);
}

static void check_ledger(const struct tokens *t, unsigned long taken,
			 unsigned long relayed, unsigned long returned,
			 unsigned long refused, unsigned long handed_back,
			 unsigned long peak, const char *file, int line)
{
	field("taken", t->taken, taken, file, line);
	field("relayed", t->relayed, relayed, file, line);
	field("returned", t->returned, returned, file, line);
	field("refused", t->refused, refused, file, line);
	field("handed_back", t->handed_back, handed_back, file, line);
	field("peak", t->peak, peak, file, line);
}

static void normal_flow(void **state)
{
	struct tokens t;

	(void)state;
	memset(&t, 0, sizeof t);
	/* three tokens read from the parent, the child reads all three */
	tok_took(&t);
	tok_took(&t);
	tok_took(&t);
	assert_ledger(&t, 3, 3, 0, 0, 0, 3);
	/* it gives each back: each goes on to the parent */
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_ledger(&t, 2, 3, 1, 0, 0, 3);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_ledger(&t, 0, 3, 3, 0, 0, 3);
	/* it exits holding none: nothing to hand back */
	assert_int_equal(tok_hand_back(&t), 0);
	assert_ledger(&t, 0, 3, 3, 0, 0, 3);
}

static void over_return_refused(void **state)
{
	struct tokens t;

	(void)state;
	memset(&t, 0, sizeof t);
	/* nothing taken: a child write is an over-return (its implicit slot) */
	assert_int_equal(tok_child_returned(&t, 0), 0);
	assert_ledger(&t, 0, 0, 0, 1, 0, 0);

	/* cargo: takes one, returns it, then returns its implicit one too */
	tok_took(&t);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_int_equal(tok_child_returned(&t, 0), 0);
	assert_ledger(&t, 0, 1, 1, 2, 0, 1);

	/* a burst of over-returns (ninja#2450): all swallowed, no wrap */
	{
		int i;

		for (i = 0; i < 1000; i++)
			assert_int_equal(tok_child_returned(&t, 0), 0);
	}
	assert_ledger(&t, 0, 1, 1, 1002, 0, 1);
	assert_int_equal(tok_hand_back(&t), 0);

	/* order does not matter: implicit first, real one second */
	memset(&t, 0, sizeof t);
	tok_took(&t);
	assert_int_equal(tok_child_returned(&t, 0), 1);	/* "implicit" */
	assert_int_equal(tok_child_returned(&t, 0), 0);	/* the real one */
	assert_ledger(&t, 0, 1, 1, 1, 0, 1);
}

static void return_while_parked(void **state)
{
	struct tokens t;

	(void)state;
	memset(&t, 0, sizeof t);
	/* two taken, both parked in the child's pipe, child read none */
	tok_took(&t);
	tok_took(&t);
	/* the child holds 2 - 2 = 0 of ours: its write is an over-return */
	assert_int_equal(tok_child_returned(&t, 2), 0);
	assert_ledger(&t, 2, 2, 0, 1, 0, 2);
	/* it read one (one left parked): it may return exactly one */
	assert_int_equal(tok_child_returned(&t, 1), 1);
	assert_ledger(&t, 1, 2, 1, 1, 0, 2);
	assert_int_equal(tok_child_returned(&t, 1), 0);
	assert_ledger(&t, 1, 2, 1, 2, 0, 2);
	/* the parked one is withdrawn: we read it back ourselves */
	tok_withdrew(&t);
	assert_ledger(&t, 0, 2, 1, 2, 0, 2);
	assert_int_equal(tok_hand_back(&t), 0);

	/* in_pipe beyond TAKEN (a fifo child's over-returns sit there):
	 * clamp, never wrap */
	memset(&t, 0, sizeof t);
	tok_took(&t);
	tok_took(&t);
	assert_int_equal(tok_child_returned(&t, 3), 0);
	assert_int_equal(tok_child_returned(&t, ULONG_MAX), 0);
	assert_ledger(&t, 2, 2, 0, 2, 0, 2);
	assert_int_equal(tok_hand_back(&t), 2);
}

static void withdraw(void **state)
{
	struct tokens t;

	(void)state;
	memset(&t, 0, sizeof t);
	tok_took(&t);
	tok_took(&t);
	assert_int_equal(tok_withdrew(&t), 1);
	assert_ledger(&t, 1, 2, 0, 0, 0, 2);
	assert_int_equal(tok_withdrew(&t), 1);
	assert_ledger(&t, 0, 2, 0, 0, 0, 2);
	/* nothing taken: not ours to pass on, and no wrap */
	assert_int_equal(tok_withdrew(&t), 0);
	assert_ledger(&t, 0, 2, 0, 1, 0, 2);
	assert_int_equal(tok_hand_back(&t), 0);
}

static void peak_tracking(void **state)
{
	struct tokens t;
	int i;

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(t.peak, 0);
	tok_took(&t);
	tok_took(&t);
	tok_took(&t);
	assert_int_equal(t.peak, 3);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_int_equal(t.peak, 3);	/* not lowered by returns */
	tok_took(&t);
	assert_int_equal(t.taken, 2);
	assert_int_equal(t.peak, 3);	/* not raised below the old peak */
	tok_took(&t);
	tok_took(&t);
	assert_int_equal(t.peak, 4);
	tok_withdrew(&t);
	assert_int_equal(t.peak, 4);
	assert_int_equal(tok_hand_back(&t), 3);
	assert_int_equal(t.peak, 4);	/* survives hand back */
	for (i = 0; i < 10; i++)
		tok_took(&t);
	assert_int_equal(t.peak, 10);
	assert_int_equal(t.relayed, 16);
}

static void hand_back(void **state)
{
	struct tokens t;
	int i;

	(void)state;
	memset(&t, 0, sizeof t);
	for (i = 0; i < 5; i++)
		tok_took(&t);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	/* hand back equals TAKEN and resets it */
	assert_int_equal(tok_hand_back(&t), 4);
	assert_ledger(&t, 0, 5, 1, 0, 4, 5);
	/* twice: nothing more */
	assert_int_equal(tok_hand_back(&t), 0);
	assert_ledger(&t, 0, 5, 1, 0, 4, 5);
	/* handed_back accumulates over children */
	tok_took(&t);
	tok_took(&t);
	assert_int_equal(tok_hand_back(&t), 2);
	assert_ledger(&t, 0, 7, 1, 0, 6, 5);
	/* a child that over-returned still gets only what is left */
	tok_took(&t);
	tok_took(&t);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_int_equal(tok_child_returned(&t, 0), 1);
	assert_int_equal(tok_child_returned(&t, 0), 0);
	assert_int_equal(tok_hand_back(&t), 0);
	assert_ledger(&t, 0, 9, 3, 1, 6, 5);
	/* parked tokens count: they are handed back too */
	tok_took(&t);
	tok_took(&t);
	tok_took(&t);
	assert_int_equal(tok_hand_back(&t), 3);
	/* out of all this: written back == read */
	assert_int_equal(t.returned + t.handed_back, t.relayed);
}

/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

#define NEVENTS 1000000L

/*
 * The model: tokens we read from the parent are parked in the child's token
 * pipe (IN_PIPE); the child reads them (HOLDS: our tokens it really holds),
 * writes tokens to its return pipe (a real return when HOLDS > 0, else an
 * over-return of its implicit slot), we may withdraw parked tokens, and the
 * child may exit (hand back).  The ledger sees only what the proxy sees.
 */
static void randomized(void **state)
{
	struct tokens t;
	unsigned long in_pipe = 0, holds = 0;
	unsigned long total_taken = 0, written = 0, withdrawn = 0;
	unsigned long peak = 0, over = 0, exits = 0, passed = 0;
	unsigned long max_taken = 0;
	long i;

	(void)state;
	memset(&t, 0, sizeof t);
	rng_state = 0x746f6b656e73ull;	/* "tokens" */
	for (i = 0; i < NEVENTS; i++) {
		unsigned r = (unsigned)(rng() % 100);
		/* bias the pool size so it both grows and drains */
		unsigned grow = (i / 50000) % 2 ? 40 : 22;

		if (r < grow) {
			/* the parent gave us a token: park it */
			tok_took(&t);
			total_taken++;
			in_pipe++;
		} else if (r < 45) {
			/* the child read a parked token */
			if (in_pipe) {
				in_pipe--;
				holds++;
			}
		} else if (r < 80) {
			/* the child wrote a token back */
			int fwd = tok_child_returned(&t, in_pipe);

			if (holds) {
				holds--;
				assert_int_equal(fwd, 1);
			} else {
				over++;
				assert_int_equal(fwd, 0);
			}
			written += (unsigned long)fwd;
			passed += (unsigned long)fwd;
		} else if (r < 90) {
			/* we withdrew a parked token and gave it back */
			if (in_pipe) {
				unsigned long before = t.taken;

				in_pipe--;
				tok_withdrew(&t);
				assert_int_equal(before - t.taken, 1);
				written++;
				withdrawn++;
			}
		} else if (r < 91) {
			/* the child exited: hand back all it held or
			 * never read */
			unsigned long n = tok_hand_back(&t);

			assert_int_equal(n, in_pipe + holds);
			written += n;
			in_pipe = holds = 0;
			exits++;
		}
		/* else: nothing happened (a spurious wakeup) */

		if (t.taken > peak)
			peak = t.taken;
		if (t.taken > max_taken)
			max_taken = t.taken;

		/* the invariant, after every event */
		assert_true(written <= total_taken);
		assert_int_equal(total_taken - written, t.taken);
		/* the ledger knows exactly what the child holds */
		assert_int_equal(t.taken, in_pipe + holds);
		/* statistics are consistent */
		assert_int_equal(t.relayed, total_taken);
		assert_int_equal(t.returned, passed);
		assert_int_equal(t.refused, over);
		assert_int_equal(t.peak, peak);
		assert_int_equal(t.returned + t.handed_back + withdrawn,
				 written);
	}
	/* the end: the child is gone, everything goes back */
	written += tok_hand_back(&t);
	assert_int_equal(written, total_taken);
	assert_int_equal(t.taken, 0);
	assert_int_equal(t.returned + t.handed_back + withdrawn, t.relayed);

	/* the sequence exercised every path */
	assert_true(total_taken > 100000);
	assert_true(over > 1000);
	assert_true(withdrawn > 1000);
	assert_true(exits > 1000);
	assert_true(max_taken > 20);
	print_message("randomized: %ld events: taken %lu passed %lu "
		      "refused %lu withdrawn %lu handed back %lu (%lu exits) "
		      "peak %lu\n", NEVENTS, total_taken, t.returned,
		      t.refused, withdrawn, t.handed_back, exits, t.peak);
}

/* ------------------------------------------------------------------ */
/* Bytes: the parent gets back its own bytes, never the child's.       */

/* Count of each byte value in BUF. */
static void tally(unsigned long *cnt, const unsigned char *buf,
		  unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		cnt[buf[i]]++;
}

static void bytes_are_the_parents(void **state)
{
	struct tokens t;
	unsigned long back[256], i;
	unsigned char b, buf[8];
	const char *pool = "abcd";

	(void)state;
	memset(&t, 0, sizeof t);
	memset(back, 0, sizeof back);
	for (i = 0; i < 4; i++)
		tok_took_byte(&t, (unsigned char)pool[i]);
	/* a return gives back the byte taken last, whatever the child
	 * wrote ('+' from make, garbage from anyone else) */
	assert_int_equal(tok_returned_byte(&t, 0, &b), 1);
	assert_int_equal(b, 'd');
	back[b]++;
	/* kept for the child: the byte parked is the parent's, it stays
	 * taken and is given back later */
	assert_int_equal(tok_returned_byte(&t, 0, &b), 1);
	assert_int_equal(b, 'a');	/* 'd' is gone: the lowest then */
	tok_kept_byte(&t, b);
	assert_int_equal(t.taken, 3);
	assert_int_equal(t.returned, 1);
	/* a withdrawal likewise */
	assert_int_equal(tok_withdrew_byte(&t, &b), 1);
	back[b]++;
	/* over-returns: refused, no byte */
	b = 0;
	assert_int_equal(tok_returned_byte(&t, 2, &b), 0);
	assert_int_equal(b, 0);
	/* hand back what is left, in pieces */
	assert_int_equal(tok_hand_back_bytes(&t, buf, 1), 1);
	tally(back, buf, 1);
	assert_int_equal(tok_hand_back_bytes(&t, buf, sizeof buf), 1);
	tally(back, buf, 1);
	assert_int_equal(tok_hand_back_bytes(&t, buf, sizeof buf), 0);
	assert_int_equal(t.taken, 0);
	assert_int_equal(t.handed_back, 2);
	for (i = 0; i < 256; i++)
		assert_int_equal(back[i], strchr(pool, (int)i) && i ? 1 : 0);
	/* nothing taken: nothing to withdraw, no byte made up */
	assert_int_equal(tok_withdrew_byte(&t, &b), 0);
}

static void byte_blind_forms_use_own_byte(void **state)
{
	struct tokens t;
	unsigned char buf[4];

	(void)state;
	memset(&t, 0, sizeof t);
	tok_took(&t);
	tok_took_byte(&t, 0);
	tok_took_byte(&t, 255);
	assert_int_equal(t.byte[TOK_OWN_BYTE], 1);
	assert_int_equal(tok_hand_back_bytes(&t, buf, 4), 3);
	assert_int_equal(buf[0], 255);	/* the last taken first */
	assert_int_equal(buf[1], 0);	/* then the lowest value */
	assert_int_equal(buf[2], TOK_OWN_BYTE);
}

static void fifo_excess(void **state)
{
	struct tokens t;
	int i;

	(void)state;
	memset(&t, 0, sizeof t);
	/* nothing taken: every byte in the fifo is an over-return */
	assert_int_equal(tok_fifo_excess(&t, 0, 1), 0);
	assert_int_equal(tok_fifo_excess(&t, 5, 1), 5);
	for (i = 0; i < 3; i++)
		tok_took(&t);
	/* three taken: keep one for the child, the rest goes */
	assert_int_equal(tok_fifo_excess(&t, 1, 1), 0);
	assert_int_equal(tok_fifo_excess(&t, 3, 1), 2);
	assert_int_equal(tok_fifo_excess(&t, 3, 2), 1);
	/* never more than taken stays, whatever KEEP says */
	assert_int_equal(tok_fifo_excess(&t, 4096, 10), 4093);
	assert_int_equal(tok_fifo_excess(&t, 2, 10), 0);
}

/*
 * A million events with random bytes: what goes back to the parent
 * (passed-on returns, withdrawals, hand backs) is, at every step, a
 * sub-multiset of what was taken from it, and the very same multiset once
 * the child is gone.  The child writes random bytes and over-returns.
 */
static void randomized_bytes(void **state)
{
	static unsigned long taken[256], back[256];
	struct tokens t;
	unsigned long in_pipe = 0, holds = 0, ntaken = 0, nback = 0;
	unsigned char b, buf[64];
	long i;
	unsigned v;

	(void)state;
	memset(&t, 0, sizeof t);
	rng_state = 0x6279746573ull;	/* "bytes" */
	for (i = 0; i < NEVENTS; i++) {
		unsigned r = (unsigned)(rng() % 100);
		/* a few distinct values at a time, sometimes all 256 */
		unsigned span = (i / 100000) % 2 ? 256 : 4;

		if (r < 30) {
			b = (unsigned char)(rng() % span);
			tok_took_byte(&t, b);
			taken[b]++;
			ntaken++;
			in_pipe++;
		} else if (r < 50) {
			if (in_pipe) {
				in_pipe--;
				holds++;
			}
		} else if (r < 80) {
			/* the child writes a random byte: never seen */
			if (tok_returned_byte(&t, in_pipe, &b)) {
				assert_true(holds > 0);
				holds--;
				if (in_pipe == 0 && rng() % 4 == 0) {
					tok_kept_byte(&t, b);
					in_pipe++;
				} else {
					back[b]++;
					nback++;
				}
			}
		} else if (r < 95) {
			if (in_pipe) {
				in_pipe--;
				assert_int_equal(tok_withdrew_byte(&t, &b), 1);
				back[b]++;
				nback++;
			}
		} else if (r < 96) {
			unsigned long n, k;

			while ((n = tok_hand_back_bytes(&t, buf,
				    1 + rng() % sizeof buf)) > 0) {
				for (k = 0; k < n; k++)
					back[buf[k]]++;
				nback += n;
			}
			in_pipe = holds = 0;
		}
		assert_int_equal(ntaken - nback, t.taken);
		if (i % 97 == 0)
			for (v = 0; v < 256; v++) {
				assert_true(back[v] <= taken[v]);
				assert_int_equal(taken[v] - back[v], t.byte[v]);
			}
	}
	/* the end: everything back, the very bytes taken */
	{
		unsigned long n, k;

		while ((n = tok_hand_back_bytes(&t, buf, sizeof buf)) > 0) {
			for (k = 0; k < n; k++)
				back[buf[k]]++;
			nback += n;
		}
	}
	assert_int_equal(nback, ntaken);
	for (v = 0; v < 256; v++)
		assert_int_equal(back[v], taken[v]);
}

/*
 * Adversarial caller: arbitrary in_pipe values (also beyond TAKEN, as with
 * a fifo child whose over-returns sit in the pipe), withdrawals with nothing
 * taken, hand backs at any time.  The proxy writes to the parent only what
 * the ledger lets go: a passed-on return, a withdrawal that lowered TAKEN,
 * a hand back.  That must never exceed what was read.
 */
static void randomized_adversarial(void **state)
{
	struct tokens t;
	unsigned long total_taken = 0, written = 0;
	long i;

	(void)state;
	memset(&t, 0, sizeof t);
	rng_state = 0xadd5eedull;
	for (i = 0; i < NEVENTS; i++) {
		uint64_t x = rng();
		unsigned r = (unsigned)(x % 100);

		if (r < 35) {
			tok_took(&t);
			total_taken++;
		} else if (r < 80) {
			unsigned long in_pipe;
			unsigned long before = t.taken;
			int fwd;

			switch ((x >> 8) % 4) {
			case 0:
				in_pipe = 0;
				break;
			case 1:
				in_pipe = t.taken ? (x >> 16) % t.taken : 0;
				break;
			case 2:
				in_pipe = t.taken + (x >> 16) % 3;
				break;
			default:
				in_pipe = (unsigned long)(x >> 16);
				break;
			}
			fwd = tok_child_returned(&t, in_pipe);
			assert_true(fwd == 0 || fwd == 1);
			assert_int_equal(fwd, in_pipe < before);
			assert_int_equal(before - t.taken, (unsigned long)fwd);
			written += (unsigned long)fwd;
		} else if (r < 95) {
			unsigned long before = t.taken;

			int ours = tok_withdrew(&t);

			assert_int_equal(before - t.taken, (unsigned long)ours);
			written += (unsigned long)ours;
		} else {
			written += tok_hand_back(&t);
			assert_int_equal(t.taken, 0);
		}
		assert_true(written <= total_taken);
		assert_int_equal(total_taken - written, t.taken);
		assert_true(t.peak >= t.taken);
	}
	written += tok_hand_back(&t);
	assert_int_equal(written, total_taken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normal_flow),
		cmocka_unit_test(over_return_refused),
		cmocka_unit_test(return_while_parked),
		cmocka_unit_test(withdraw),
		cmocka_unit_test(peak_tracking),
		cmocka_unit_test(hand_back),
		cmocka_unit_test(randomized),
		cmocka_unit_test(randomized_adversarial),
		cmocka_unit_test(bytes_are_the_parents),
		cmocka_unit_test(byte_blind_forms_use_own_byte),
		cmocka_unit_test(fifo_excess),
		cmocka_unit_test(randomized_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
