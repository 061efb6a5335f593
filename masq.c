/*
 * masq: the masquerade directory's pure logic (see masq.h).  No system
 * calls: it is unit tested in tests/unit/test_masq.c.
 */
#include <string.h>

#include "masq.h"

/*
 * The wrapped tools.  A link goes on the child's PATH only for a tool
 * the PATH has (MASQ_TOOL_DIR: else `command -v gmake` in a configure
 * script would find one that is not there), so listing a rare name costs
 * nothing where it is absent.
 *   make, gmake, gnumake  GNU make under its names (BSD systems and some
 *                         configure scripts say gmake); make 4.3 reads a
 *                         pipe only, `fifo:` is a fatal error to it.
 *   ninja, ninja-build    ninja 1.13+ reads a fifo only (it ignores a pipe
 *                         auth); older ninja reads none, and a jobproxy in
 *                         front of it then only costs a process.
 *                         ninja-build: Fedora's name, which meson looks for.
 *                         ninja never waits for a token: it tries one
 *                         non-blocking read as a job ends (strace: no poll
 *                         on the fifo), so a token not there at that
 *                         instant is a job not started (lease.h, greedy).
 *   samu                  samurai; its jobserver support (where built in)
 *                         parses the "R,W" pipe form only.
 *   cargo                 reads either (jobserver crate), and so do the
 *                         cc-rs builds its build scripts run.
 *   cmake                 no client itself, but `cmake --build` runs the
 *                         make or ninja it found at configure time by its
 *                         absolute path, past every link: in front of cmake
 *                         a jobproxy still catches what that build loses.
 *                         It finds its modules (CMAKE_ROOT) from argv[0]
 *                         looked up on PATH: run by the bare name it
 *                         would find the link, so it gets its real path.
 * make keeps its argv[0] as given: $(MAKE) is made of it.
 */
static const struct masq_tool tools[] = {
	{ "make", MASQ_PIPE, 1, 0, 0 },
	{ "gmake", MASQ_PIPE, 1, 0, 0 },
	{ "gnumake", MASQ_PIPE, 1, 0, 0 },
	{ "ninja", MASQ_FIFO, 1, 1, 0 },
	{ "ninja-build", MASQ_FIFO, 1, 1, 0 },
	{ "samu", MASQ_PIPE, 1, 0, 0 },
	{ "cargo", MASQ_ANY, 1, 0, 0 },
	{ "cmake", MASQ_ANY, 0, 0, 1 },
};

const struct masq_tool *masq_tool(size_t i)
{
	return i < sizeof tools / sizeof tools[0] ? &tools[i] : NULL;
}

int masq_is_make(const char *cmd)
{
	const char *b = masq_basename(cmd);

	return !strcmp(b, "make") || !strcmp(b, "gmake") ||
	       !strcmp(b, "gnumake") || !strncmp(b, "make-", 5);
}

const char *masq_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

const struct masq_tool *masq_lookup(const char *argv0)
{
	const struct masq_tool *t;
	const char *b;
	size_t i;

	if (!argv0)
		return NULL;
	b = masq_basename(argv0);
	for (i = 0; (t = masq_tool(i)); i++)
		if (!strcmp(b, t->name))
			return t;
	return NULL;
}

enum masq_style masq_child_style(const struct masq_tool *t,
				 enum masq_style parent,
				 enum masq_style forced)
{
	if (forced != MASQ_ANY)
		return forced;
	if (t && t->want != MASQ_ANY)
		return t->want;
	if (parent != MASQ_ANY)
		return parent;
	return MASQ_PIPE;
}

int masq_path_next(const char *path, size_t *pos, const char **entry,
		   size_t *len)
{
	const char *p, *colon;

	/*
	 * *pos is one past the end once the last entry is out: PATH "a:"
	 * ends with an empty entry at strlen, which must still come out.
	 */
	if (!path || *pos > strlen(path))
		return 0;
	p = path + *pos;
	colon = strchr(p, ':');
	*entry = p;
	*len = colon ? (size_t)(colon - p) : strlen(p);
	*pos += *len + 1;
	return 1;
}

int masq_is_dir(const char *entry, size_t len, const char *dir)
{
	size_t dl = strlen(dir);

	/* Trailing '/'s name the same directory; "/" itself keeps its one. */
	while (len > 1 && entry[len - 1] == '/')
		len--;
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return len == dl && !memcmp(entry, dir, len);
}

int masq_path_find(const char *path, const char *dir)
{
	const char *e;
	size_t pos = 0, len;
	int i;

	if (!dir)
		return -1;
	for (i = 0; masq_path_next(path, &pos, &e, &len); i++)
		if (masq_is_dir(e, len, dir))
			return i;
	return -1;
}

/* Append N bytes of S at *AT of the SIZE-byte BUF, snprintf-style. */
static void put(char *buf, size_t size, size_t *at, const char *s, size_t n)
{
	if (*at < size) {
		size_t room = size - 1 - *at;

		memcpy(buf + *at, s, n < room ? n : room);
	}
	*at += n;
}

size_t masq_path_put_first(const char *path, const char *dir, char *buf,
			   size_t size)
{
	const char *e;
	size_t pos = 0, len, at = 0;

	put(buf, size, &at, dir, strlen(dir));
	while (masq_path_next(path ? path : "", &pos, &e, &len))
		if (!masq_is_dir(e, len, dir)) {
			put(buf, size, &at, ":", 1);
			put(buf, size, &at, e, len);
		}
	if (size)
		buf[at < size ? at : size - 1] = '\0';
	return at;
}

/* Does the LEN bytes at ENTRY name LINKS or a directory under LINKS
 * MASQ_TOOL_DIR? */
static int ours_entry(const char *entry, size_t len, const char *links)
{
	size_t ll = strlen(links), tl = strlen(MASQ_TOOL_DIR);

	while (ll > 1 && links[ll - 1] == '/')
		ll--;
	if (masq_is_dir(entry, len, links))
		return 1;
	return len > ll + tl && !memcmp(entry, links, ll) &&
	       !memcmp(entry + ll, MASQ_TOOL_DIR, tl);
}

size_t masq_path_put_dirs(const char *path, const char *links,
			  const char *const *dirs, size_t n, char *buf,
			  size_t size)
{
	const char *e;
	size_t pos = 0, len, at = 0, i, out = 0;

	for (i = 0; i < n; i++, out++) {
		if (out)
			put(buf, size, &at, ":", 1);
		put(buf, size, &at, dirs[i], strlen(dirs[i]));
	}
	while (masq_path_next(path ? path : "", &pos, &e, &len))
		if (!ours_entry(e, len, links)) {
			if (out++)	/* an empty entry counts too */
				put(buf, size, &at, ":", 1);
			put(buf, size, &at, e, len);
		}
	if (size)
		buf[at < size ? at : size - 1] = '\0';
	return at;
}

/* Does the LEN bytes at ENTRY name LINKS MASQ_TOOL_DIR NAME, exactly as
 * masq_child_path writes it? */
static int tool_entry(const char *entry, size_t len, const char *links,
		      const char *name)
{
	size_t ll = strlen(links), tl = strlen(MASQ_TOOL_DIR);

	return len == ll + tl + strlen(name) && !memcmp(entry, links, ll) &&
	       !memcmp(entry + ll, MASQ_TOOL_DIR, tl) &&
	       !memcmp(entry + ll + tl, name, len - ll - tl);
}

int masq_path_given(const char *path, const char *links)
{
	const size_t ntools = sizeof tools / sizeof tools[0];
	const char *e;
	size_t pos = 0, len, t = 0, n = 0;
	int more;

	if (!path || !links || !*links)
		return 0;
	/* The run of tool directories, each after the one before it in
	 * the table; E is then the first entry after the run, if any. */
	while ((more = masq_path_next(path, &pos, &e, &len))) {
		while (t < ntools && !tool_entry(e, len, links, tools[t].name))
			t++;
		if (t == ntools)
			break;
		n++;
		t++;
	}
	for (; more; more = masq_path_next(path, &pos, &e, &len))
		if (ours_entry(e, len, links))
			return 0;
	return n > 0;
}

/* BUF = ENTRY "/" NAME ("./" NAME for an empty entry); 0 if it won't fit. */
static int candidate(const char *entry, size_t len, const char *name,
		     char *buf, size_t size)
{
	size_t nl = strlen(name);

	if (len == 0) {
		entry = ".";
		len = 1;
	}
	if (len + 1 + nl >= size)
		return 0;
	memcpy(buf, entry, len);
	buf[len] = '/';
	memcpy(buf + len + 1, name, nl + 1);
	return 1;
}

int masq_search(const char *path, const char *after, const char *name,
		masq_probe_fn *probe, void *ctx, char *buf, size_t size)
{
	const char *e;
	size_t pos = 0, len;
	int skip, i;

	if (!name || !*name || strchr(name, '/') || !path)
		return 0;
	skip = masq_path_find(path, after);
	for (i = 0; masq_path_next(path, &pos, &e, &len); i++) {
		if (i <= skip || !candidate(e, len, name, buf, size))
			continue;
		if (probe(buf, ctx) == MASQ_OTHER)
			return 1;
	}
	if (size)
		buf[0] = '\0';
	return 0;
}
