/* The fixture test_machine.c and test_proctree.c share: a scratch
 * directory standing for "/" (ROOT), files written into it, and its
 * removal.  Included once by each. */
#ifndef JOBPROXY_FAKEROOT_H
#define JOBPROXY_FAKEROOT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char root[256];

/* Write TEXT to ROOT/PATH, making its directories. */
static void put(const char *path, const char *text)
{
	char full[1024], *p;
	FILE *f;

	snprintf(full, sizeof full, "%s%s", root, path);
	for (p = full + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "%s/jobproxy-fakeroot.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
