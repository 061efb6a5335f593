/*
 * fdpass: see fdpass.h.
 *
 * Portability: SO_PEERCRED and MSG_CMSG_CLOEXEC are Linux (_GNU_SOURCE);
 * getpeereid() is a BSD extension that _XOPEN_SOURCE would hide there.
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

#include <errno.h>
#include <fcntl.h>
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
			fcntl(fd, F_SETFD, FD_CLOEXEC);
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
