/*
 * trace: the token timeline as Chrome trace-event JSON (--trace FILE), to
 * open in Perfetto or chrome://tracing and see where the slots went.
 */
#ifndef JOBPROXY_TRACE_H
#define JOBPROXY_TRACE_H

#include <stdio.h>

/* Open FILE and start the event array; NULL with errno on failure. */
FILE *trace_open(const char *path);

/* A counter sample: NAME = VALUE at the current time. */
void trace_counter(FILE *f, const char *name, unsigned long value);

/* A instant event: something happened (a refused over-return...). */
void trace_instant(FILE *f, const char *name, unsigned long count);

/* Every write so far went through? */
int trace_ok(FILE *f);

/* Close after a failed write, with nothing more written. */
void trace_abandon(FILE *f);

/* End the array and close; a write that fails at the end is said. */
void trace_close(FILE *f);

#endif
