/*
 * fdpass: see fdpass.h.
 *
 * Portability: SO_PEERCRED, SO_PEERGROUPS and MSG_CMSG_CLOEXEC are Linux
 * (_GNU_SOURCE, which also shows glibc's getgrouplist()); getpeereid() and
 * getgrouplist() are BSD extensions that _XOPEN_SOURCE would hide there.
 * Without MSG_CMSG_CLOEXEC a received fd is briefly inheritable; jobproxy
 * has no threads, so no fork can happen in that window.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* SO_PEERCRED, struct ucred, MSG_CMSG_CLOEXEC */
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#undef _XOPEN_SOURCE		/* getpeereid() */
#endif
#include "fdpass.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0		/* macOS: SIGPIPE is ignored by our callers */
#endif

/* Control buffer for FDPASS_MAX + a few fds, aligned for struct cmsghdr. */
union ctl {
	struct cmsghdr align;
	char buf[256];
};

int fd_send(int s, const void *buf, size_t len, const int *fds, int nfd)
{
	union ctl c;
	struct msghdr m;
	struct iovec iov;
	ssize_t n;

	if (nfd < 0 || nfd > FDPASS_MAX || len == 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&m, 0, sizeof m);
	memset(&c, 0, sizeof c);
	iov.iov_base = (void *)(size_t)buf;	/* msghdr is not const */
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfd > 0) {
		struct cmsghdr *h;

		m.msg_control = c.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(h), fds, (size_t)nfd * sizeof(int));
	}
	do
		n = sendmsg(s, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n < len) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

ssize_t fd_recv(int s, void *buf, size_t len, int *fds, int maxfd, int *nfd)
{
	union ctl c;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *h;
	ssize_t n;
	int flags = 0, got = 0, lost = 0;

#ifdef MSG_CMSG_CLOEXEC
	flags |= MSG_CMSG_CLOEXEC;
#endif
	*nfd = 0;
	memset(&m, 0, sizeof m);
	iov.iov_base = buf;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.buf;
	m.msg_controllen = sizeof c.buf;
	do
		n = recvmsg(s, &m, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (h = m.msg_controllen ? CMSG_FIRSTHDR(&m) : NULL; h;
	     h = CMSG_NXTHDR(&m, h)) {
		size_t i, k;
		const unsigned char *d;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		d = CMSG_DATA(h);
		k = (h->cmsg_len - (size_t)(d - (unsigned char *)h)) /
		    sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, d + i * sizeof(int), sizeof fd);
#ifndef MSG_CMSG_CLOEXEC
			fd_cloexec(fd);
#endif
			if (got < maxfd && got < FDPASS_MAX)
				fds[got++] = fd;
			else
				close(fd);	/* more than we asked for */
		}
	}
	if (m.msg_flags & MSG_CTRUNC)
		lost = 1;
	if (lost) {
		while (got > 0)
			close(fds[--got]);
		errno = EMSGSIZE;
		return -1;
	}
	*nfd = got;
	return n;
}

int fd_peer(int s, uid_t *uid, gid_t *gid, pid_t *pid)
{
#if defined(SO_PEERCRED) && defined(__linux__)
	struct ucred cr;
	socklen_t len = sizeof cr;

	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	*uid = cr.uid;
	*gid = cr.gid;
	*pid = cr.pid > 0 ? cr.pid : -1;	/* 0: not in our pid namespace */
	return 0;
#else
	*pid = -1;
	return getpeereid(s, uid, gid);
#endif
}

/* GROUP among the N gids at G? */
static int among(const gid_t *g, size_t n, gid_t group)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i] == group)
			return 1;
	return 0;
}

/* The groups the kernel gave the peer's process: 1 member, 0 not or
 * cannot tell. */
static int kernel_says(int s, gid_t group)
{
#if defined(SO_PEERGROUPS) && defined(__linux__)
	gid_t some[64], *g = some;
	socklen_t len = sizeof some;
	int r = 0;

	if (getsockopt(s, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
		if (errno != ERANGE || !(g = malloc(len)))
			return 0;	/* ENOPROTOOPT: a kernel before 4.13 */
		if (getsockopt(s, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0)
			len = 0;
	}
	r = among(g, len / sizeof *g, group);
	if (g != some)
		free(g);
	return r;
#else
	(void)s;
	(void)group;
	return 0;
#endif
}

/* The group database (/etc/group, NSS) for UID's name. */
static int database_says(uid_t uid, gid_t gid, gid_t group)
{
#ifdef __APPLE__
	typedef int gl_t;	/* macOS: int, not gid_t */
#else
	typedef gid_t gl_t;
#endif
	struct passwd *pw = getpwuid(uid);
	gl_t some[64], *g = some;
	int n = 64, i, r = 0;

	if (!pw)
		return 0;
	if (getgrouplist(pw->pw_name, (gl_t)gid, g, &n) < 0) {
		/* glibc sets N to the number needed; some systems do not */
		if (n <= 64)
			n = 65536;
		g = malloc((size_t)n * sizeof *g);
		if (!g || getgrouplist(pw->pw_name, (gl_t)gid, g, &n) < 0)
			n = 0;
	}
	for (i = 0; i < n && !r; i++)
		r = (gid_t)g[i] == group;
	if (g != some)
		free(g);
	return r;
}

int fd_peer_in_group(int s, uid_t uid, gid_t gid, gid_t group)
{
	/* The cheap answers first: the database may be a network away. */
	return gid == group || kernel_says(s, group) ||
	       database_says(uid, gid, group);
}
