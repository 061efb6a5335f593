/*
 * masqsys: the stat() calls of the real-tool search; the search itself is
 * masq_search (masq.c, pure).
 */
#include <limits.h>
#include <stdlib.h>
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

int masq_find_real(const char *name, const char *path, const char *after,
		   dev_t self_dev, ino_t self_ino, char *buf, size_t size)
{
	struct self s;
	char def[PATH_MAX];

	s.dev = self_dev;
	s.ino = self_ino;
	if (!path) {
		/* PATH unset: execvp's default, confstr(_CS_PATH). */
		size_t n = confstr(_CS_PATH, def, sizeof def);

		path = n > 0 && n <= sizeof def ? def : "/bin:/usr/bin";
	}
	return masq_search(path, after, name, probe, &s, buf, size);
}
