/*
 * machine: see machine.h.
 *
 * Portability: getloadavg() is a BSD function that _XOPEN_SOURCE hides
 * (glibc shows it with _DEFAULT_SOURCE); systems without it and without
 * /proc/loadavg report no load.
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE		/* getloadavg() */
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#undef _XOPEN_SOURCE		/* getloadavg() */
#define MACHINE_GETLOADAVG 1
#elif defined(__linux__) || defined(__sun)
#define MACHINE_GETLOADAVG 1
#endif
#include "machine.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define V1_UNLIMITED ((int64_t)1 << 62)

static int join(char *out, const char *a, const char *b, const char *c)
{
	int n = snprintf(out, MACHINE_PATH, "%s%s%s", a, b, c);

	return n >= 0 && n < MACHINE_PATH ? 0 : -1;
}

/* A decimal at S: 0 and *V, *END past it; -1 when none or too large. */
static int number(const char *s, const char **end, int64_t *v)
{
	int64_t n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*v = n;
	*end = s;
	return 0;
}

/*
 * DIR/NAME holds one number: 1 and *V; 0 for "max" (v2: no limit); -1
 * when missing or garbage.
 */
static int read_value(const char *dir, const char *name, int64_t *v)
{
	char path[MACHINE_PATH], buf[64];
	const char *end;

	if (join(path, dir, "/", name) < 0 || read_text(path, buf, sizeof buf) < 0)
		return -1;
	if (strcmp(buf, "max\n") == 0 || strcmp(buf, "max") == 0)
		return 0;
	if (number(buf, &end, v) < 0 || (*end != '\0' && strcmp(end, "\n")))
		return -1;
	return 1;
}

/* The value of KEY in a "key value" per line text, or -1. */
static int64_t keyed(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text, *end;
	int64_t v;

	while (p && *p) {
		if (strncmp(p, key, len) == 0 && (p[len] == ' ' || p[len] == ':')) {
			p += len + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return number(p, &end, &v) == 0 ? v : -1;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

int64_t machine_meminfo(const char *root)
{
	char path[MACHINE_PATH], buf[8192];
	int64_t kib;

	if (join(path, root, "/proc/meminfo", "") < 0 ||
	    read_text(path, buf, sizeof buf) < 0)
		return -1;
	kib = keyed(buf, "MemAvailable");
	if (kib < 0 || kib > INT64_MAX / 1024)
		return -1;
	return kib * 1024;
}

/*
 * Memory left at one level of the hierarchy: 1 and *LEFT where it has a
 * limit, 0 where it has none, -1 where it cannot be read.
 */
static int level_left(int version, const char *dir, int64_t *left)
{
	char path[MACHINE_PATH], buf[8192];
	int64_t limit, usage, inactive = -1;
	int r;

	r = read_value(dir, version == 2 ? "memory.max"
					 : "memory.limit_in_bytes", &limit);
	if (r <= 0)
		return r;
	if (version == 1 && limit >= V1_UNLIMITED)
		return 0;
	if (read_value(dir, version == 2 ? "memory.current"
					 : "memory.usage_in_bytes", &usage) <= 0)
		return -1;
	if (join(path, dir, "/memory.stat", "") == 0 &&
	    read_text(path, buf, sizeof buf) >= 0)
		inactive = keyed(buf, version == 2 ? "inactive_file"
						   : "total_inactive_file");
	if (inactive > 0)
		usage = inactive < usage ? usage - inactive : 0;
	*left = limit > usage ? limit - usage : 0;
	return 1;
}

/* May the walk go from DIR to its parent?  v1: only under hierarchy. */
static int up(int version, char *dir, const char *top)
{
	char *slash;
	int64_t v;

	if (strcmp(dir, top) == 0 || (slash = strrchr(dir, '/')) == NULL ||
	    (size_t)(slash - dir) < strlen(top))
		return 0;
	*slash = '\0';
	return version == 2 || read_value(dir, "memory.use_hierarchy", &v) != 1
		|| v != 0;
}

int64_t machine_cgroup_left(const struct machine *m)
{
	char dir[MACHINE_PATH];
	int64_t least = -1, left;

	if (m->version == 0)
		return -1;
	memcpy(dir, m->cg, sizeof dir);
	do {
		if (level_left(m->version, dir, &left) == 1 &&
		    (least < 0 || left < least))
			least = left;
	} while (up(m->version, dir, m->top));
	return least;
}

int64_t machine_mem_left(const struct machine *m)
{
	int64_t avail = machine_meminfo(m->root);
	int64_t cg = machine_cgroup_left(m);

	if (avail < 0 || (cg >= 0 && cg < avail))
		return cg;
	return avail;
}

double machine_load1(const char *root)
{
	char path[MACHINE_PATH], buf[256], *end;
	double load;

	if (join(path, root, "/proc/loadavg", "") == 0 &&
	    read_text(path, buf, sizeof buf) > 0) {
		load = strtod(buf, &end);
		if (end != buf && (*end == ' ' || *end == '\n') && load >= 0)
			return load;
		return -1;
	}
#ifdef MACHINE_GETLOADAVG
	if (*root == '\0' && getloadavg(&load, 1) == 1 && load >= 0)
		return load;
#endif
	return -1;
}

/*
 * Our memory cgroup from /proc/self/cgroup: a v1 line naming the memory
 * controller ("4:memory:/a/b") wins over the v2 line ("0::/a/b"), which is
 * only the memory cgroup where v1 has no memory controller.
 */
static int self_cgroup(const char *root, char *path)
{
	char file[MACHINE_PATH], buf[8192], *line, *save;
	int version = 0;

	if (join(file, root, "/proc/self/cgroup", "") < 0 ||
	    read_text(file, buf, sizeof buf) < 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *p, *tok, *s2;

		if (!ctl || !(p = strchr(ctl + 1, ':')) || p[1] != '/')
			continue;
		*p++ = '\0';
		*ctl++ = '\0';
		if (strcmp(line, "0") == 0 && *ctl == '\0' && version == 0) {
			version = 2;
			snprintf(path, MACHINE_PATH, "%s", p);
			continue;
		}
		for (tok = strtok_r(ctl, ",", &s2); tok;
		     tok = strtok_r(NULL, ",", &s2))
			if (strcmp(tok, "memory") == 0) {
				snprintf(path, MACHINE_PATH, "%s", p);
				return 1;
			}
	}
	return version;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				    (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = '\0';
}

/* Does this mountinfo LINE mount our hierarchy?  *MNT, *MROOT then. */
static int mount_line(char *line, int version, char **mnt, char **mroot)
{
	char *f[6], *dash, *type, *opts, *tok, *save;
	int i;

	if (!(dash = strstr(line, " - ")))
		return 0;
	*dash = '\0';
	type = strtok_r(dash + 3, " ", &save);
	(void)strtok_r(NULL, " ", &save);	/* source */
	opts = strtok_r(NULL, " \n", &save);
	for (i = 0, f[0] = strtok_r(line, " ", &save); i < 5 && f[i];)
		f[++i] = strtok_r(NULL, " ", &save);
	if (i < 5 || !type)
		return 0;
	if (version == 2 && strcmp(type, "cgroup2") != 0)
		return 0;
	if (version == 1) {
		if (strcmp(type, "cgroup") != 0 || !opts)
			return 0;
		for (tok = strtok_r(opts, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "memory") == 0)
				break;
		if (!tok)
			return 0;
	}
	*mroot = f[3];
	*mnt = f[4];
	unescape(*mroot);
	unescape(*mnt);
	return 1;
}

/*
 * The mount point of hierarchy VERSION and the path in the hierarchy it
 * shows, from mountinfo; without one, the usual place.  0 or -1.
 */
static int find_mount(const char *root, int version, char *mnt, char *mroot)
{
	char file[MACHINE_PATH], line[MACHINE_PATH * 2 + 256];
	char *pm, *pr;
	FILE *f = NULL;
	int fd, found = 0;

	if (join(file, root, "/proc/self/mountinfo", "") == 0 &&
	    (fd = open(file, O_RDONLY | O_CLOEXEC)) >= 0 &&
	    !(f = fdopen(fd, "r")))
		close(fd);
	while (f && !found && fgets(line, sizeof line, f))
		if (mount_line(line, version, &pm, &pr)) {
			snprintf(mnt, MACHINE_PATH, "%s", pm);
			snprintf(mroot, MACHINE_PATH, "%s", pr);
			found = 1;
		}
	if (f)
		fclose(f);
	if (!found) {
		strcpy(mnt, version == 2 ? "/sys/fs/cgroup"
					 : "/sys/fs/cgroup/memory");
		strcpy(mroot, "/");
	}
	return 0;
}

/* Where our cgroup's files are: ROOT + mount point + path below it. */
static int locate(struct machine *m, const char *path)
{
	char mnt[MACHINE_PATH], mroot[MACHINE_PATH];
	size_t n;

	find_mount(m->root, m->version, mnt, mroot);
	n = strcmp(mroot, "/") == 0 ? 0 : strlen(mroot);
	if (strncmp(path, mroot, n) != 0 || (path[n] != '/' && path[n]))
		return -1;	/* outside what is mounted: not ours to read */
	if (strcmp(mnt, "/") == 0)
		mnt[0] = '\0';
	if (join(m->top, m->root, mnt, "") < 0 ||
	    join(m->cg, m->top, path + n, "") < 0)
		return -1;
	n = strlen(m->cg);	/* "/x/" and "/x" are the same */
	while (n > strlen(m->top) && m->cg[n - 1] == '/')
		m->cg[--n] = '\0';
	return 0;
}

const char *machine_root(void)
{
	const char *dir = getenv("JOBPROXY_TEST_ROOT");

	return dir ? dir : "";
}

int machine_open(struct machine *m, const char *root)
{
	char path[MACHINE_PATH];
	int found = 0;

	memset(m, 0, sizeof *m);
	snprintf(m->root, sizeof m->root, "%s", root);
	m->version = self_cgroup(root, path);
	if (m->version && locate(m, path) < 0)
		m->version = 0;
	if (machine_meminfo(root) >= 0)
		found |= MACHINE_MEMINFO;
	if (machine_cgroup_left(m) >= 0)
		found |= MACHINE_CGROUP;
	if (machine_load1(root) >= 0)
		found |= MACHINE_LOAD;
	return found;
}
