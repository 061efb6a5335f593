/* trace: see trace.h.  Timestamps are CLOCK_MONOTONIC microseconds. */
#include "trace.h"
#include "msg.h"
#include "util.h"

#include <unistd.h>

FILE *trace_open(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return NULL;
	/* The child must not inherit it. */
	fd_cloexec(fileno(f));
	fprintf(f, "[{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%ld,"
		   "\"args\":{\"name\":\"jobproxy %ld\"}}",
		(long)getpid(), (long)getpid());
	return f;
}

void trace_counter(FILE *f, const char *name, unsigned long value)
{
	if (f)
		fprintf(f, ",\n{\"name\":\"%s\",\"ph\":\"C\",\"ts\":%lld,"
			   "\"pid\":%ld,\"args\":{\"%s\":%lu}}",
			name, (long long)now_us(), (long)getpid(), name, value);
}

void trace_instant(FILE *f, const char *name, unsigned long count)
{
	if (f)
		fprintf(f, ",\n{\"name\":\"%s\",\"ph\":\"i\",\"s\":\"p\","
			   "\"ts\":%lld,\"pid\":%ld,\"tid\":%ld,"
			   "\"args\":{\"tokens\":%lu}}",
			name, (long long)now_us(), (long)getpid(), (long)getpid(),
			count);
}

int trace_ok(FILE *f)
{
	return !ferror(f);
}

void trace_abandon(FILE *f)
{
	fclose(f);
}

void trace_close(FILE *f)
{
	if (!f)
		return;
	fputs("\n]\n", f);
	if (fclose(f) != 0)
		jp_warn("cannot write the trace:");
}
