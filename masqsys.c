/*
 * masqsys: the stat() calls of the real-tool search; the search itself is
 * masq_search (masq.c, pure).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "masq.h"
#include "masqsys.h"

struct self {
	dev_t dev;
	ino_t ino;
};

/*
 * What execvp would run at FILE, and whether it is us.  stat() follows the
 * links, so a symlink to jobproxy, a hard link and jobproxy itself all
 * carry our inode: comparing inodes, not names, is what keeps a link from
 * finding itself (or its directory under another spelling) as the real
 * tool.  A directory or a file without x permission is passed over, as
 * execvp passes it over.
 */
static enum masq_probe probe(const char *file, void *ctx)
{
	const struct self *s = ctx;
	struct stat st;

	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		return MASQ_NONE;
	if (st.st_dev == s->dev && st.st_ino == s->ino)
		return MASQ_SELF;
	return access(file, X_OK) == 0 ? MASQ_OTHER : MASQ_NONE;
}

/* PATH, or when it is unset execvp's default, confstr(_CS_PATH), in DEF. */
static const char *search_path(const char *path, char *def, size_t size)
{
	size_t n;

	if (path)
		return path;
	n = confstr(_CS_PATH, def, size);
	return n > 0 && n <= size ? def : "/bin:/usr/bin";
}

int masq_find_real(const char *name, const char *path, const char *after,
		   dev_t self_dev, ino_t self_ino, char *buf, size_t size)
{
	struct self s;
	char def[PATH_MAX], dir[PATH_MAX];

	s.dev = self_dev;
	s.ino = self_ino;
	path = search_path(path, def, sizeof def);
	if (after && snprintf(dir, sizeof dir, "%s" MASQ_TOOL_DIR "%s", after,
			      name) < (int)sizeof dir &&
	    masq_path_find(path, dir) >= 0)
		after = dir;
	return masq_search(path, after, name, probe, &s, buf, size);
}

int masq_self(const char *argv0, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat("/proc/self/exe", &st) != 0 &&
	    !(argv0 && strchr(argv0, '/') && stat(argv0, &st) == 0))
		return 0;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 1;
}

/* Is DIR a link directory of this binary: its "make" is us. */
static int ours(const char *dir, dev_t dev, ino_t ino)
{
	char file[PATH_MAX];
	struct stat st;

	return snprintf(file, sizeof file, "%s/make", dir) < (int)sizeof file &&
	       stat(file, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/*
 * This binary's absolute path, links resolved, into BUF (PATH_MAX bytes):
 * 1, or 0 when neither /proc nor ARGV0 tells.  Linux's /proc/self/exe is
 * absolute and resolved already: one readlink, where realpath() makes one
 * a path component (14 at every start here).  The stat() keeps
 * realpath's answer for a binary replaced since it started (the link then
 * ends in " (deleted)" and names no file).
 */
static int self_exe(const char *argv0, char *buf)
{
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX - 1);

	if (n > 0 && buf[0] == '/') {
		buf[n] = '\0';
		if (stat(buf, &st) == 0)
			return 1;
	}
	return realpath("/proc/self/exe", buf) != NULL ||
	       (argv0 && strchr(argv0, '/') && realpath(argv0, buf));
}

int masq_link_dir(const char *argv0, dev_t self_dev, ino_t self_ino,
		  char *buf, size_t size)
{
	static const char *const rel[] = { "/../libexec/jobproxy",
					    "/libexec/jobproxy" };
	const char *env = getenv("JOBPROXY_LINKS");
	char self[PATH_MAX], dir[PATH_MAX], real[PATH_MAX];
	size_t i;

	if (env) {
		/* Set and empty: no link directory (the MAKE= fallback). */
		if (env[0] != '/' || strlen(env) >= size)
			return 0;
		memcpy(buf, env, strlen(env) + 1);
		return 1;
	}
	if (!self_exe(argv0, self))
		return 0;
	*strrchr(self, '/') = '\0';
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		/*
		 * The canonical path: cmake records the make it found by
		 * the path it found it at, so it must be one that stays.
		 */
		if (snprintf(dir, sizeof dir, "%s%s", self, rel[i]) >=
		    (int)sizeof dir || !realpath(dir, real) ||
		    !ours(real, self_dev, self_ino) || strlen(real) >= size)
			continue;
		memcpy(buf, real, strlen(real) + 1);
		return 1;
	}
	return 0;
}

/*
 * One mmap and a scan of a few hundred KiB, no exec: cheaper than running
 * `make --version` at every sub-make, and make 4.3 (Debian 12, Ubuntu
 * 22.04/24.04) has no such string, 4.4 has it in its option table.
 */
int masq_make_reads_fifo(const char *file)
{
	static const char key[] = "--jobserver-style";
	const size_t kl = sizeof key - 1;
	struct stat st;
	const char *m, *p, *end;
	void *map;
	int fd, found = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)kl ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			0)) == MAP_FAILED) {
		close(fd);
		return 0;
	}
	close(fd);
	m = map;
	end = m + st.st_size - kl;
	for (p = m; p <= end && !found; p++) {
		p = memchr(p, '-', (size_t)(end - p) + 1);
		if (!p)
			break;
		found = !memcmp(p, key, kl);
	}
	munmap(map, (size_t)st.st_size);
	return found;
}

/*
 * LINKS MASQ_TOOL_DIR NAME into BUF: 1 when its link NAME is this binary
 * (the per-tool layout is there), else 0.
 */
static int tool_dir(const char *links, const char *name, struct self *s,
		    char *buf, size_t size)
{
	char file[PATH_MAX];

	return snprintf(buf, size, "%s" MASQ_TOOL_DIR "%s", links, name) <
		       (int)size &&
	       snprintf(file, sizeof file, "%s/%s", buf, name) <
		       (int)sizeof file &&
	       probe(file, s) == MASQ_SELF;
}

char *masq_child_path(const char *path, const char *links, dev_t self_dev,
		      ino_t self_ino)
{
	enum { MAX = 16 };
	char def[PATH_MAX], real[PATH_MAX], (*dir)[PATH_MAX];
	const char *dirs[MAX];
	const struct masq_tool *t;
	struct self s = { self_dev, self_ino };
	size_t i, n = 0, len;
	int layout = 0;
	char *out = NULL;

	path = search_path(path, def, sizeof def);
	/*
	 * Below a jobproxy of ours (every sub-make of a tree), PATH is
	 * the one it made: the search would find the same tools again,
	 * and was about half of what a start costs beyond a do-nothing
	 * wrapper (about 90 stat() calls).  A tool that appears on PATH
	 * after the top's search (installed mid-build, or in a directory
	 * a recipe appends) then runs unwrapped below us, which costs
	 * tokens nothing: what it holds comes back when our command
	 * exits.  A recipe that puts a directory first makes PATH another
	 * one, searched again.
	 */
	if (masq_path_given(path, links))
		return strdup(path);
	dir = malloc(MAX * sizeof *dir);
	if (!dir)
		return NULL;
	for (i = 0; (t = masq_tool(i)) && n < MAX; i++) {
		if (!tool_dir(links, t->name, &s, dir[n], sizeof dir[n]))
			continue;
		layout = 1;
		if (masq_search(path, NULL, t->name, probe, &s, real,
				sizeof real))
			dirs[n] = dir[n], n++;
	}
	if (!layout)		/* a flat directory of links only */
		dirs[n++] = links;
	len = masq_path_put_dirs(path, links, dirs, n, NULL, 0);
	out = malloc(len + 1);
	if (out)
		masq_path_put_dirs(path, links, dirs, n, out, len + 1);
	free(dir);
	return out;
}

char *masq_self_path(const char *argv0)
{
	char buf[PATH_MAX];

	return strdup(self_exe(argv0, buf) ? buf : "jobproxy");
}
