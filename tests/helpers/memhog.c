/*
 * memhog - a build job that needs memory: allocates SIZE MiB, touches
 * every page so that all of it is resident (and charged to its cgroup),
 * holds it, exits 0.  When the memory is not there the kernel's OOM
 * killer ends it with SIGKILL, which make reports as "Killed" (status
 * 137 from a shell): that is the failure the tests count.
 *
 * Usage: memhog SIZE [--ms MS] [--until FILE] [--timeout SEC]
 *   SIZE       MiB to allocate and touch
 *   --ms MS    hold it MS milliseconds (default 1000)
 *   --until F  hold it until file F exists (polled every millisecond),
 *              instead of --ms
 *   --timeout  give up waiting for F after SEC seconds (default 60):
 *              "memhog: F never appeared", exit 1
 * Exit: 0 done; 1 an error (no memory from malloc, no F); 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(const char *why)
{
	fprintf(stderr, "memhog: %s (usage: memhog SIZE [--ms MS] "
		"[--until FILE] [--timeout SEC])\n", why);
	exit(2);
}

static long number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s ? s : "", &end, 10);
	if (!s || end == s || *end || errno || v < 0)
		usage(what);
	return v;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void nap(long ms)
{
	struct timespec t;

	t.tv_sec = ms / 1000;
	t.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	long mib, ms = 1000, timeout = 60, page = sysconf(_SC_PAGESIZE);
	const char *until = NULL;
	volatile char *p = NULL;
	size_t size, i;
	int a;

	if (argc < 2)
		usage("no SIZE");
	mib = number(argv[1], "bad SIZE");
	for (a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--ms") == 0)
			ms = number(argv[++a], "bad --ms");
		else if (strcmp(argv[a], "--until") == 0 && a + 1 < argc)
			until = argv[++a];
		else if (strcmp(argv[a], "--timeout") == 0)
			timeout = number(argv[++a], "bad --timeout");
		else
			usage("unknown argument");
	}
	if (page <= 0)
		page = 4096;
	size = (size_t)mib << 20;
	if (size && !(p = malloc(size))) {
		fprintf(stderr, "memhog: cannot allocate %ld MiB\n", mib);
		return 1;
	}
	for (i = 0; i < size; i += (size_t)page)
		p[i] = (char)(i / (size_t)page) | 1;	/* not the zero page */
	if (until) {
		double deadline = now() + (double)timeout;

		while (access(until, F_OK) != 0) {
			if (now() > deadline) {
				fprintf(stderr, "memhog: %s never appeared\n",
					until);
				return 1;
			}
			nap(1);
		}
	} else {
		nap(ms);
	}
	return 0;
}
