/* charge: see charge.h. */
#include "charge.h"

#include <stdio.h>
#include <string.h>

void charge_init(struct charge *c, int64_t now)
{
	memset(c, 0, sizeof *c);
	c->next = now + CHARGE_FIRST_MS;
	c->every = CHARGE_EVERY_MS;
	c->last = now - CHARGE_EVERY_MS;
	c->window = CHARGE_PSI_MIN_MS;
}

int charge_due(const struct charge *c, int64_t now, int *timeout)
{
	int64_t wait = c->next - now;

	if (c->next < 0)	/* until the CPU is contended */
		return 0;
	if (wait <= 0)
		return 1;
	if (*timeout < 0 || wait < *timeout)
		*timeout = (int)wait;
	return 0;
}

/* The charge the last looks ask for: it moves only when they all agree. */
static int target(const struct charge *c)
{
	int i, least, most;

	if (c->n >= CHARGE_UP) {
		least = c->excess[0];
		for (i = 1; i < CHARGE_UP; i++)
			if (c->excess[i] < least)
				least = c->excess[i];
		if (least > c->charged)
			return least;
	}
	if (c->n >= CHARGE_DOWN) {
		most = c->excess[0];
		for (i = 1; i < CHARGE_DOWN; i++)
			if (c->excess[i] > most)
				most = c->excess[i];
		if (most < c->charged)
			return most;
	}
	return c->charged;
}

int charge_look(struct charge *c, int runnable, int held, int64_t now)
{
	int excess = runnable - (held < 0 ? 0 : held) - 1, want;

	c->looks++;
	c->last = now;
	memmove(c->excess + 1, c->excess, sizeof c->excess - sizeof *c->excess);
	c->excess[0] = excess > 0 ? excess : 0;
	if (c->n < CHARGE_DOWN)
		c->n++;
	want = target(c);
	if (want > 0 && c->runnable == 0) {	/* for the one warning */
		c->runnable = runnable;
		c->slots = (held < 0 ? 0 : held) + 1;
	}
	/* keep looking every second while there is something to follow */
	if (excess > 0 || want > 0 || c->charged > 0) {
		c->every = CHARGE_EVERY_MS;
		c->window = CHARGE_PSI_MIN_MS;
	} else if (c->pressure) {
		c->every = -1;		/* calm: until the next pressure event */
		if ((c->window *= 2) > CHARGE_PSI_MAX_MS)
			c->window = CHARGE_PSI_MAX_MS;
	} else if ((c->every *= 2) > CHARGE_IDLE_MAX_MS)
		c->every = CHARGE_IDLE_MAX_MS;
	c->next = c->every < 0 ? -1 : now + c->every;
	return want - c->charged;
}

void charge_took(struct charge *c, int n)
{
	c->charged += n;
	if (c->charged < 0)
		c->charged = 0;
	if (c->charged > c->peak)
		c->peak = c->charged;
}

/* The next look at NOW, or a second after the last one. */
static void soon(struct charge *c, int64_t now)
{
	int64_t at = c->last + CHARGE_EVERY_MS;	/* once a second at most */

	if (at < now)
		at = now;
	if (c->next < 0 || at < c->next)
		c->next = at;
	c->every = CHARGE_EVERY_MS;
}

void charge_poke(struct charge *c, int64_t now)
{
	if (!c->pressure)
		soon(c, now);
}

void charge_by_pressure(struct charge *c)
{
	c->pressure = 1;
	c->next = -1;
}

void charge_pressure(struct charge *c, int64_t now)
{
	if (c->pressure)
		soon(c, now);
}

void charge_pressure_lost(struct charge *c, int64_t now)
{
	c->pressure = 0;
	soon(c, now);
}

int charge_warning(struct charge *c, const char *name, char *buf,
		   size_t size)
{
	if (c->warned || c->runnable == 0)
		return 0;
	c->warned = 1;
	snprintf(buf, size, "%s runs %d processes on %d slot%s: it ignores "
		 "the jobserver", name, c->runnable, c->slots,
		 c->slots == 1 ? "" : "s");
	return 1;
}
