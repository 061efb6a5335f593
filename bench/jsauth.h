/*
 * jsauth.h - the bench helpers' own small jobserver client side: find the
 * jobserver in MAKEFLAGS and take/give one token.  Written for the bench,
 * independent of jobproxy's makeflags.c so the bench does not measure
 * jobproxy with jobproxy's own parser.
 *
 * Accepted: the LAST --jobserver-auth=R,W, --jobserver-fds=R,W or
 * --jobserver-auth=fifo:PATH word before a " -- " tail.  Negative fds mean
 * "no jobserver".
 */
#ifndef BENCH_JSAUTH_H
#define BENCH_JSAUTH_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bjs {
	int rfd, wfd;	/* -1 when there is no jobserver */
};

/* 0 ok, -1 no usable jobserver (message in why). */
static int bjs_open(struct bjs *j, const char **why)
{
	const char *mf = getenv("MAKEFLAGS");
	const char *p, *val = NULL;
	size_t vlen = 0;

	j->rfd = j->wfd = -1;
	*why = "no --jobserver-auth in MAKEFLAGS";
	if (!mf)
		return -1;
	p = mf;
	while (*p) {
		const char *w, *e;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && *p != ' ') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		e = p;
		if (e - w == 2 && w[0] == '-' && w[1] == '-')
			break;	/* command-line variables follow */
		if (!strncmp(w, "--jobserver-auth=", 17)) {
			val = w + 17;
			vlen = (size_t)(e - val);
		} else if (!strncmp(w, "--jobserver-fds=", 16)) {
			val = w + 16;
			vlen = (size_t)(e - val);
		}
	}
	if (!val)
		return -1;
	if (vlen > 5 && !strncmp(val, "fifo:", 5)) {
		char path[4096];
		size_t n = vlen - 5;

		if (n >= sizeof path) {
			*why = "fifo path too long";
			return -1;
		}
		memcpy(path, val + 5, n);
		path[n] = 0;
		/* O_RDWR: never blocks on open, never reads EOF. */
		j->rfd = open(path, O_RDWR | O_CLOEXEC);
		if (j->rfd < 0) {
			*why = "cannot open the jobserver fifo";
			return -1;
		}
		j->wfd = j->rfd;
		return 0;
	}
	{
		char buf[64];
		char *end;
		long r, w;

		if (vlen >= sizeof buf) {
			*why = "malformed auth";
			return -1;
		}
		memcpy(buf, val, vlen);
		buf[vlen] = 0;
		r = strtol(buf, &end, 10);
		if (*end != ',') {
			*why = "malformed auth";
			return -1;
		}
		w = strtol(end + 1, &end, 10);
		if (*end || r < 0 || w < 0) {
			*why = "negative or malformed fds";
			return -1;
		}
		if (fcntl((int)r, F_GETFD) < 0 || fcntl((int)w, F_GETFD) < 0) {
			*why = "jobserver fds are closed";
			return -1;
		}
		j->rfd = (int)r;
		j->wfd = (int)w;
	}
	return 0;
}

/* Take one token (blocking; copes with a shared O_NONBLOCK description).
 * Returns the byte, or -1 (EINTR is returned to the caller: timeouts). */
static int bjs_take(const struct bjs *j)
{
	unsigned char b;

	for (;;) {
		ssize_t n = read(j->rfd, &b, 1);

		if (n == 1)
			return b;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd pfd = { j->rfd, POLLIN, 0 };

			if (poll(&pfd, 1, -1) < 0 && errno == EINTR)
				return -1;
			continue;
		}
		return -1;
	}
}

static int bjs_give(const struct bjs *j, int byte)
{
	unsigned char b = (unsigned char)byte;

	for (;;) {
		ssize_t n = write(j->wfd, &b, 1);

		if (n == 1)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

#endif
