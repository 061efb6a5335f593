/* msg: see msg.h. */
#include "msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int verbose_on;

void jp_set_verbose(int on)
{
	verbose_on = on;
}

static void vmsg(const char *fmt, va_list ap)
{
	char line[1024];
	int saved = errno;
	size_t n, fl = strlen(fmt);
	int r;
	ssize_t w;

	memcpy(line, "jobproxy: ", 10);
	r = vsnprintf(line + 10, sizeof line - 10, fmt, ap);
	n = 10 + (r < 0 ? 0 : (size_t)r);
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	if (fl && fmt[fl - 1] == ':')
		n += (size_t)snprintf(line + n, sizeof line - n - 1, " %s",
				      strerror(saved));
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	do
		w = write(STDERR_FILENO, line, n);
	while (w < 0 && errno == EINTR);
	errno = saved;
}

void jp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void jp_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose_on)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void jp_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(status);
}
