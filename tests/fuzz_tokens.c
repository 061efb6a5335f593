/*
 * libFuzzer harness for tokens.c: drives the ledger with a stream of events
 * against a model of where the tokens really are, and checks after every
 * event that the subtree never writes back more than it took from the
 * parent.
 *
 * Input: byte 0 sets up the run: bit 0 the child's style (0: pipe, with a
 * return pipe of its own; 1: fifo, where returns land in the one fifo
 * beside the parked tokens), bits 1-7 the parent's pool (1..128 tokens).
 * Every further byte is one event: the low 3 bits say which, the high 5
 * bits are its argument A (0..31):
 *
 *   0 took       the proxy reads 1 + A%4 tokens from the parent (byte
 *                A%8, so a few distinct bytes circulate) and parks them
 *                where the child reads; A >= 16: the park fails and the
 *                token is withdrawn at once (proxy.c's park())
 *   1 read       the child reads 1 + A%4 parked tokens
 *   2 write      the child writes 1 + A%4 tokens: returns of what it holds,
 *                over-returns past that (its implicit slot: cargo#7344,
 *                ninja#2450).  Pipe style: the proxy reads them in one go
 *                from the return pipe, tok_child_returned(in_pipe = really
 *                parked) for each, and, A < 16 and nothing parked, keeps
 *                one passed-on return for the child: tok_kept() and it is
 *                parked again (proxy.c's on_returns()); fifo style: they
 *                land in the fifo, see rebalance
 *   3 returned   tok_child_returned(in_pipe = A) with a made-up in_pipe, a
 *                stale or wrong count (the ledger must stay safe anyway)
 *   4 withdrew   the proxy takes back a parked token (if there is one) and
 *                calls tok_withdrew(); A odd: call it even with none parked
 *   5 rebalance  fifo style: proxy.c's rebalance_fifo(): withdraw what
 *                tok_fifo_excess(in, 1) says; pipe style: a plain
 *                withdrawal
 *   6 hand back  the child exited: drain what is parked,
 *                tok_hand_back_bytes() in pieces of 1 + A%5
 *   7 nothing    (a no-op, so mutations can pad)
 *
 * Checked after every event (abort() with a message on violation):
 *   - written back to the parent (returns passed on + withdrawals that
 *     returned 1 + hand backs) <= taken from the parent;
 *   - the ledger's taken == taken from the parent - written back;
 *   - the bytes written back are some of the bytes taken, each value at
 *     most as often (the ledger's byte counts say which are left), and at
 *     a hand back exactly the bytes taken;
 *   - the parent's pool never grows past its size;
 *   - the statistics add up (relayed, returned, refused, handed_back,
 *     peak);
 *   - at a hand back, taken is 0 after it and the totals balance exactly;
 *   - while every in_pipe the ledger saw was true (no event 3) and, for a
 *     fifo child, no over-return is in flight: taken == parked + held
 *     exactly, a return of a held token is always passed on and a write
 *     beyond what the child holds is always refused (pipe style).
 *
 * Build and run: sh tests/fuzz.sh [SECONDS] [fuzz_tokens]; by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       tests/fuzz_tokens.c tokens.c -o build/fuzz/fuzz_tokens
 *   build/fuzz/fuzz_tokens -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	int fifo;
	unsigned long pool_size, pool;	/* the parent's pool */
	unsigned long took, written;	/* totals with the parent */
	unsigned long parked;		/* really where the child reads */
	unsigned long held;		/* really held by the child, ours */
	int exact;			/* the ledger saw only the truth */
	/* what the statistics must say */
	unsigned long returned, refused, handed_back, peak;
	unsigned long btook[256], bback[256];	/* bytes, by value */
	size_t event;
	const uint8_t *data;
	size_t size;
};

static void fail(const struct model *m, const struct tokens *t,
		 const char *what)
{
	size_t i;

	fprintf(stderr, "\nfuzz_tokens: INVARIANT VIOLATED after event %zu:"
		" %s\n", m->event, what);
	fprintf(stderr, "  model: %s child, pool %lu/%lu, took %lu, written"
		" back %lu, parked %lu, held %lu, exact %d\n",
		m->fifo ? "fifo" : "pipe", m->pool, m->pool_size, m->took,
		m->written, m->parked, m->held, m->exact);
	fprintf(stderr, "  ledger: taken %lu relayed %lu returned %lu refused"
		" %lu handed_back %lu peak %lu\n", t->taken, t->relayed,
		t->returned, t->refused, t->handed_back, t->peak);
	fprintf(stderr, "  events:");
	for (i = 1; i < m->size && i <= m->event; i++)
		fprintf(stderr, " %u/%u", m->data[i] & 7u, m->data[i] >> 3);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, what)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			fail(m, t, what);                                     \
	} while (0)

static void check(const struct model *m, const struct tokens *t)
{
	CHECK(m->written <= m->took,
	      "written back to the parent > taken from it");
	CHECK(t->taken == m->took - m->written,
	      "ledger taken != taken - written back");
	CHECK(m->pool <= m->pool_size && m->pool == m->pool_size - t->taken,
	      "the parent's pool grew, or lost tokens the ledger forgot");
	CHECK(t->relayed == m->took, "relayed != tokens read from the parent");
	CHECK(t->returned == m->returned, "returned statistic is off");
	CHECK(t->refused == m->refused, "refused statistic is off");
	CHECK(t->handed_back == m->handed_back,
	      "handed_back statistic is off");
	CHECK(t->peak == m->peak && t->peak >= t->taken, "peak is off");
	if (m->exact)
		CHECK(t->taken == m->parked + m->held,
		      "taken != parked + held while the ledger saw the truth");
	{
		unsigned v;

		for (v = 0; v < 256; v++)
			CHECK(m->bback[v] <= m->btook[v] &&
			      t->byte[v] == m->btook[v] - m->bback[v],
			      "a byte went back that was not taken, or the"
			      " ledger lost one");
	}
}

/* The proxy writes N tokens, bytes B, to the parent. */
static void to_parent(struct model *m, const unsigned char *b,
		      unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		m->bback[b[i]]++;
	m->written += n;
	m->pool += n;
}

static int withdrew(struct model *m, struct tokens *t)
{
	unsigned char b;
	int r = tok_withdrew_byte(t, &b);

	if (r)
		to_parent(m, &b, 1);
	else
		m->refused++;
	return r;
}

static void took(struct model *m, struct tokens *t, unsigned char b)
{
	if (m->pool == 0)
		return;		/* another client won: nothing read */
	m->pool--;
	m->took++;
	m->btook[b]++;
	tok_took_byte(t, b);
	if (t->taken > m->peak)
		m->peak = t->taken;
}

/* Fifo: proxy.c's rebalance_fifo(), with IN the bytes in the fifo: take
 * out what tok_fifo_excess() says, again until it says 0. */
static void rebalance(struct model *m, struct tokens *t)
{
	unsigned long n;

	while ((n = tok_fifo_excess(t, m->parked, 1)) > 0) {
		while (n-- > 0) {
			m->parked--;
			withdrew(m, t);
			check(m, t);
		}
	}
	CHECK(m->parked <= 1 && m->parked <= t->taken,
	      "the fifo holds more than the child may read");
}

/* Fifo style: the child writes one token; it lands in the fifo and the
 * proxy rebalances at once. */
static void fifo_child_writes(struct model *m, struct tokens *t)
{
	if (m->held > 0)
		m->held--;
	else
		m->exact = 0;	/* an over-return sits among our tokens */
	m->parked++;
	rebalance(m, t);
}

/*
 * Pipe style: the child writes N tokens to its return pipe, and the proxy
 * reads them in one go, like proxy.c's on_returns(): tok_child_returned()
 * for each with the in_pipe it sees after the read; then, when the token
 * pipe is empty and KEEP, one passed-on return goes straight back into it
 * (tok_kept()) instead of to the parent; the rest goes to the parent.
 */
static void pipe_child_writes(struct model *m, struct tokens *t, unsigned n,
			      int keep)
{
	unsigned i, legit = 0;
	unsigned long fwd = 0;
	unsigned char up[8];

	for (i = 0; i < n; i++)
		if (m->held > 0) {
			m->held--;
			legit++;
		}
	for (i = 0; i < n; i++) {
		int r = tok_returned_byte(t, m->parked, &up[fwd]);

		if (r) {
			m->returned++;
			fwd++;
		} else {
			m->refused++;
		}
	}
	if (m->exact)
		CHECK(fwd == legit, fwd < legit ?
		      "a return of a held token was refused" :
		      "an over-return was passed on to the parent");
	if (fwd && m->parked == 0 && keep) {
		tok_kept_byte(t, up[fwd - 1]);
		m->returned--;
		fwd--;
		m->parked = 1;
	}
	to_parent(m, up, fwd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokens tk, *t = &tk;
	struct model mm, *m = &mm;
	size_t i;

	if (size < 1)
		return 0;
	memset(t, 0, sizeof *t);
	memset(m, 0, sizeof *m);
	m->fifo = data[0] & 1;
	m->pool_size = m->pool = 1 + (data[0] >> 1);
	m->exact = 1;
	m->data = data;
	m->size = size;
	check(m, t);
	for (i = 1; i < size; i++) {
		unsigned op = data[i] & 7u, a = data[i] >> 3, n;

		m->event = i;
		switch (op) {
		case 0:
			for (n = 0; n <= a % 4; n++) {
				unsigned long before = m->took;

				took(m, t, (unsigned char)(a % 8));
				if (m->took == before)
					break;
				if (a >= 16) {	/* js_put() failed */
					CHECK(withdrew(m, t) == 1,
					      "the token of a failed park was"
					      " not given back");
				} else {
					m->parked++;
				}
				check(m, t);
			}
			break;
		case 1:
			for (n = 0; n <= a % 4 && m->parked; n++) {
				m->parked--;
				m->held++;
			}
			break;
		case 2:
			if (!m->fifo) {
				pipe_child_writes(m, t, 1 + a % 4, a < 16);
				break;
			}
			for (n = 0; n <= a % 4; n++) {
				fifo_child_writes(m, t);
				check(m, t);
			}
			break;
		case 3: {
			unsigned char b;
			int r = tok_returned_byte(t, a, &b);

			if (r) {
				m->returned++;
				to_parent(m, &b, 1);
			} else {
				m->refused++;
			}
			m->exact = 0;
			break;
		}
		case 4:
			if (m->parked) {
				m->parked--;
				if (!withdrew(m, t) && m->exact)
					fail(m, t, "a parked token was"
					     " withdrawn but not given back");
			} else if (a & 1) {
				withdrew(m, t);
				m->exact = 0;
			}
			break;
		case 5:
			if (m->fifo) {
				rebalance(m, t);
			} else if (m->parked) {
				m->parked--;
				withdrew(m, t);
			}
			break;
		case 6: {
			unsigned long want = t->taken, exp = m->parked + m->held;
			unsigned long n2 = 0, k;
			unsigned char buf[5];
			unsigned v;

			while ((k = tok_hand_back_bytes(t, buf, 1 + a % 5)) > 0) {
				to_parent(m, buf, k);
				n2 += k;
			}
			CHECK(n2 == want, "hand back != taken before it");
			if (m->exact)
				CHECK(n2 == exp, "hand back != parked + held");
			m->handed_back += n2;
			for (v = 0; v < 256; v++)
				CHECK(m->bback[v] == m->btook[v],
				      "the bytes back are not the bytes taken");
			CHECK(t->taken == 0, "taken is not 0 after a hand back");
			CHECK(m->written == m->took,
			      "totals do not balance after a hand back");
			CHECK(m->pool == m->pool_size,
			      "the parent's pool is not whole after a hand back");
			/* a new child starts with nothing */
			m->parked = m->held = 0;
			m->exact = 1;
			break;
		}
		default:
			break;
		}
		check(m, t);
	}
	return 0;
}
