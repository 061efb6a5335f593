/*
 * sock: the daemon's Unix socket, set up so that no other user can swap
 * or squat it, and the clients' way to it.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "sock.h"
#include "msg.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* A Unix stream socket, close-on-exec: or -1 with errno. */
static int new_socket(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	if (s >= 0 && fd_cloexec(s) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* The directory part of PATH into DIR (room for SZ): "." for none. */
static void dir_of(const char *path, char *dir, size_t sz)
{
	const char *slash = strrchr(path, '/');
	size_t n = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);

	if (n == 0)
		snprintf(dir, sz, ".");
	else
		snprintf(dir, sz, "%.*s", (int)n, path);
}

/* DIR (a real path: no symlinks, no "..") and every directory above it
 * belong to root or to us and no one else may write them, unless the
 * sticky bit is set: 0, or -1 after one line about SOCK. */
static int safe_chain(const char *sock, const char *dir)
{
	char *d = strdup(dir), *slash;
	struct stat st;
	int ok = d != NULL;

	if (!d)
		jp_warn("not serving at %s:", sock);
	while (ok) {
		if (stat(d, &st) < 0) {
			jp_warn("not serving at %s: %s:", sock, d);
			ok = 0;
		} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
			jp_warn("not serving at %s: %s belongs to uid %ld, who"
				" could replace the socket", sock, d,
				(long)st.st_uid);
			ok = 0;
		} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
			   !(st.st_mode & S_ISVTX)) {
			jp_warn("not serving at %s: other users can write to %s"
				" and it has no sticky bit", sock, d);
			ok = 0;
		}
		slash = strrchr(d, '/');
		if (!slash || !strcmp(d, "/"))
			break;
		slash[slash == d] = '\0';	/* "/a" -> "/", "/a/b" -> "/a" */
	}
	free(d);
	return ok ? 0 : -1;
}

/* The real path of Q's parent directory through safe_chain(). */
static int safe_parent(const char *sock, const char *q)
{
	char dir[PATH_MAX], *real;
	int r;

	dir_of(q, dir, sizeof dir);
	real = realpath(dir, NULL);
	if (!real) {
		jp_warn("not serving at %s: %s:", sock, dir);
		return -1;
	}
	r = safe_chain(sock, real);
	free(real);
	return r;
}

/*
 * Whoever can write the socket's directory can remove our socket and put
 * theirs in its place, or squat the name before we start: clients would
 * then refuse that impostor (they check its uid), but no build would get
 * our pool; and bind_private() relies on no one else changing the names
 * on the way to the socket.  So every directory from the socket's up to /
 * must belong to root or to us and be writable by no one else, unless it
 * has the sticky bit (/tmp: then only the owner of a name may remove or
 * rename it).  A symlink on the way is a name too: it must be root's or
 * ours (its owner may replace it even in /tmp), in such a directory.
 */
static int safe_dir(const char *path)
{
	char dir[PATH_MAX], *p;
	struct stat st;

	dir[0] = '\0';
	if (path[0] != '/' && !getcwd(dir, sizeof dir - 2)) {
		jp_warn("not serving at %s: the current directory:", path);
		return -1;
	}
	if (strlen(dir) + strlen(path) + 2 > sizeof dir) {
		errno = ENAMETOOLONG;
		jp_warn("not serving at %s:", path);
		return -1;
	}
	if (dir[0])
		strcat(dir, "/");
	dir_of(path, dir + strlen(dir), sizeof dir - strlen(dir));
	/* Each prefix "/a", "/a/b", ... of DIR as given. */
	for (p = strchr(dir + 1, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode) &&
		    ((st.st_uid != 0 && st.st_uid != geteuid()) ||
		     safe_parent(path, dir) < 0)) {
			if (st.st_uid != 0 && st.st_uid != geteuid())
				jp_warn("not serving at %s: %s is a symlink of"
					" uid %ld, who could point it elsewhere",
					path, dir, (long)st.st_uid);
			return -1;
		}
		if (!p)
			break;
		*p = '/';
	}
	return safe_parent(path, path);
}

/* A socket file left by a dead daemon of ours goes; a live daemon's stays,
 * and so does another user's, live or not (a root daemon could remove it:
 * it is not ours to remove). */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int s, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (jp_warn("%s:", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		jp_warn("%s exists and is not a socket: not serving", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		jp_warn("%s is a socket of uid %ld, not ours: not serving, not"
			" removing it", path, (long)st.st_uid);
		return -1;
	}
	s = new_socket();
	if (s < 0) {
		jp_warn("socket:");
		return -1;
	}
	r = connect(s, (const struct sockaddr *)sa, sizeof *sa);
	close(s);
	if (r == 0) {
		jp_warn("a daemon already serves %s", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		jp_warn("cannot tell whether %s is still served:", path);
		return -1;
	}
	jp_verbose("removing the stale socket %s", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		jp_warn("cannot remove the stale socket %s:", path);
		return -1;
	}
	return 0;
}

/*
 * Bind, then set the group and mode, with no path race.  chown() and
 * chmod() by the socket's final name could follow a symlink swapped in
 * after bind() and change some other file.  The fd does not help: on
 * Linux fchmod() and fchown() on a socket fd succeed but change the
 * socket's own inode in sockfs, not the file bind() made (measured); only
 * the umask at bind() reaches that file's mode, and nothing reaches its
 * group.  So the socket is bound as "s" in a directory made for it beside
 * the final name (mkdtemp: 0700, ours), where no one else can put or swap
 * a name, and chown()/chmod() by that path are safe; link() then gives it
 * its final name, failing if anything took that name meanwhile (it never
 * replaces), and the private name and directory go.  Same directory, so
 * the same file system; safe_dir() made sure no one else can rename the
 * private directory.  A daemon killed in between leaves an empty
 * .jobproxy.XXXXXX directory or one holding a dead socket, nothing more.
 */
static int bind_private(const char *path, int s, int mode, long gid,
			struct sock_id *id)
{
	char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
	char priv[sizeof dir + 32], tmp[sizeof priv + 2];
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int r, ok = 0;

	dir_of(path, dir, sizeof dir);
	snprintf(priv, sizeof priv, "%s/.jobproxy.XXXXXX", dir);
	snprintf(tmp, sizeof tmp, "%s/s", priv);
	if (fill_addr(&sa, tmp) < 0) {
		jp_warn("cannot bind %s: with the private directory beside it"
			" (%s) the path is longer than %lu bytes", path, tmp,
			(unsigned long)sizeof sa.sun_path - 1);
		return -1;
	}
	if (!mkdtemp(priv)) {
		jp_warn("cannot bind %s: cannot make %s:", path, priv);
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s/s", priv);
	fill_addr(&sa, tmp);
	old = umask(0177);	/* born owner-only all the same */
	r = bind(s, (const struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r < 0)
		jp_warn("cannot bind %s:", tmp);
	else if ((gid >= 0 && chown(tmp, (uid_t)-1, (gid_t)gid) < 0) ||
		 chmod(tmp, (mode_t)mode) < 0 || listen(s, 4096) < 0 ||
		 lstat(tmp, &st) < 0)
		jp_warn("cannot set up %s:", path);
	else if (link(tmp, path) < 0)
		jp_warn("cannot put the socket at %s:", path);
	else
		ok = 1;
	if (ok) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
	if (r == 0)
		unlink(tmp);
	rmdir(priv);
	return ok ? 0 : -1;
}

int sock_listen(const char *path, int mode, long gid, struct sock_id *id)
{
	struct sockaddr_un sa;
	int s;

	if (fill_addr(&sa, path) < 0) {
		jp_warn("socket path %s:", path);
		return -1;
	}
	if (safe_dir(path) < 0 || clear_stale(path, &sa) < 0)
		return -1;
	s = new_socket();
	if (s < 0) {
		jp_warn("socket:");
		return -1;
	}
	fd_nonblock(s);
	if (bind_private(path, s, mode, gid, id) < 0) {
		close(s);
		return -1;
	}
	return s;
}

void sock_unlink(const char *path, const struct sock_id *id)
{
	struct stat st;

	if (stat(path, &st) == 0 && st.st_dev == id->dev &&
	    st.st_ino == id->ino)
		unlink(path);
}

int sock_dial(const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int s, r;

	if (fill_addr(&sa, path) < 0)
		return -1;
	s = new_socket();
	if (s < 0)
		return -1;
#ifdef SO_NOSIGPIPE
	{
		int one = 1;

		setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
	}
#endif
	/* A daemon with a full backlog: wait a bounded while, not forever. */
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	r = connect(s, (const struct sockaddr *)&sa, sizeof sa);
	if (r < 0 && errno == EINTR) {
		/* The connection goes on: wait for its outcome. */
		struct pollfd p = { s, POLLOUT, 0 };
		int err = 0;
		socklen_t len = sizeof err;

		while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
			;
		if (r == 0)
			err = ETIMEDOUT;
		else if (r > 0)
			getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
		r = err ? -1 : 0;
		errno = err;
	}
	if (r < 0) {
		int e = errno;

		close(s);
		errno = e == EAGAIN ? ETIMEDOUT : e;
		return -1;
	}
	return s;
}
