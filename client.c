/*
 * client: the daemon's clients, `jobproxy --connect` (through proxy.c)
 * and `jobproxy --status`.  A client trusts only a daemon of root, of its
 * own user or of the user --daemon-user names (SO_PEERCRED or
 * getpeereid()): anyone can bind a socket where the name is free, and a
 * squatter must not feed our builds a pool of its choosing.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "client.h"
#include "fdpass.h"
#include "msg.h"
#include "proto.h"
#include "sock.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DIAL_MS 5000		/* to connect: a daemon with a full backlog */
#define CLIENT_MS 10000		/* to get the answer */

/* Wait until S is readable or the deadline passed: 1, 0 timeout, -1. */
static int wait_in(int s, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { s, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

#ifdef __linux__
/* N numbers separated by blanks, the line's end after them: 1, or 0. */
static int numbers(const char *s, uint64_t *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!num_parse(s, 10, UINT64_MAX, &s, &v[i]))
			return 0;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return *s == '\0';
}

/*
 * In a user namespace the kernel shows every uid it does not map as the
 * overflow uid (65534).  A nix build's sandbox maps only the build user:
 * the daemon's root shows as 65534, and so would any other user outside.
 * Where our namespace maps neither the overflow uid itself nor its
 * parent's root, a peer shown so may be root, and no peer can be told
 * from root: such a peer is taken as root (jobproxy(1), SECURITY
 * CONSIDERATIONS).  In the first namespace every uid is mapped, so this
 * never applies there.
 */
static int unmapped_root(uid_t uid)
{
	uint64_t m[3], over = 65534;
	char line[128];
	int mapped = 0;
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "r");

	if (f) {
		if (!fgets(line, sizeof line, f) || !numbers(line, &over, 1))
			over = 65534;
		fclose(f);
	}
	if ((uint64_t)uid != over || !(f = fopen("/proc/self/uid_map", "r")))
		return 0;
	/* Lines of three numbers: inside, outside, how many. */
	while (fgets(line, sizeof line, f))
		if (numbers(line, m, 3) &&
		    (m[1] == 0 || (over >= m[0] && over - m[0] < m[2])))
			mapped = 1;
	fclose(f);
	return !mapped;
}
#else
static int unmapped_root(uid_t uid)
{
	(void)uid;
	return 0;
}
#endif

/*
 * Trust the daemon at the other end of S?  Only if it runs as root, as
 * our own user or as DUID (--daemon-user, -1 for none): anyone can bind
 * a socket where the name is free, and a squatter must not feed our
 * builds a pool of its choosing.  1, or 0 with WHY (room for SZ) set.
 */
static int trusted(int s, long duid, char *why, size_t sz)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	pid_t pid;

	if (fd_peer(s, &uid, &gid, &pid) < 0) {
		snprintf(why, sz, "cannot tell who runs it: %s",
			 strerror(errno));
		return 0;
	}
	if (uid == 0 || uid == geteuid() || (duid >= 0 && (long)uid == duid))
		return 1;
	if (unmapped_root(uid)) {
		jp_verbose("the daemon runs as uid %ld, a user this user"
			   " namespace does not map: taken as root", (long)uid);
		return 1;
	}
	pw = getpwuid(uid);
	snprintf(why, sz, "it runs as uid %ld%s%s%s, not as root, uid %ld or"
		 " --daemon-user: not trusted", (long)uid, pw ? " (" : "",
		 pw ? pw->pw_name : "", pw ? ")" : "", (long)geteuid());
	return 0;
}

/*
 * Dial SOCK, check who runs the daemon, send REQ.  The socket, or -1 with
 * WHY set.  A send that fails (EPIPE: the daemon already closed) is not
 * the end: the daemon may have said why first (turn_away), so the caller
 * reads; *SENDERR keeps the send's errno for when nothing came.
 */
static int ask(const char *sock, long duid, const char *req, char *why,
	       size_t sz, int *senderr)
{
	int s = sock_dial(sock, DIAL_MS);

	*senderr = 0;
	if (s < 0) {
		snprintf(why, sz, "%s", strerror(errno));
		return -1;
	}
	if (!trusted(s, duid, why, sz)) {
		close(s);
		return -1;
	}
	if (fd_send(s, req, strlen(req), NULL, 0) < 0)
		*senderr = errno;
	return s;
}

int client_connect(const char *sock, long duid, struct js_auth *auth,
		   int *keepfd)
{
	char buf[PROTO_ANSWER], why[200];
	int s, fds[FDPASS_MAX], nfd = 0, jobs = 0, ok = 0, senderr;
	size_t len = 0;
	int64_t deadline;
	ssize_t n;

	why[0] = '\0';
	s = ask(sock, duid, "jobserver\n", why, sizeof why, &senderr);
	if (s < 0)
		goto fail;
	deadline = now_ms() + CLIENT_MS;
	while (!memchr(buf, '\n', len) && len < sizeof buf - 1) {
		int got = 0, r = wait_in(s, deadline);

		if (r <= 0) {
			snprintf(why, sizeof why, "%s", strerror(r == 0 ?
				 ETIMEDOUT : errno));
			goto fail;
		}
		n = fd_recv(s, buf + len, sizeof buf - 1 - len,
			    fds + nfd, FDPASS_MAX - nfd, &got);
		if (n < 0 && errno == ECONNRESET)
			n = 0;	/* after what was sent before it: as EOF */
		if (n < 0) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			goto fail;
		}
		nfd += got;
		if (n == 0) {
			if (senderr)
				snprintf(why, sizeof why, "%s",
					 strerror(senderr));
			else
				snprintf(why, sizeof why, "it closed the"
					 " connection without an answer");
			goto fail;
		}
		len += (size_t)n;
	}
	ok = proto_answer(buf, len, &jobs, why, sizeof why);
	if (ok && nfd != 2)
		snprintf(why, sizeof why, "it sent no jobserver fds");
	if (!ok || nfd != 2)
		goto fail;
	memset(auth, 0, sizeof *auth);
	auth->kind = JS_PIPE;
	auth->rfd = fds[0];
	auth->wfd = fds[1];
	auth->nauth = 1;
	*keepfd = s;
	return jobs;
fail:
	for (; nfd > 0; nfd--)
		close(fds[nfd - 1]);
	if (s >= 0)
		close(s);
	jp_warn("no jobserver daemon at %s: %s: running on a pool of its own",
		sock, why);
	return -1;
}

int status_main(const struct opts *o)
{
	const char *sock = o->sock;
	char *out = NULL, why[200];
	size_t len = 0, cap = 0;
	int64_t deadline;
	ssize_t n;
	int senderr, s = ask(sock, o->duid, "status\n", why, sizeof why,
			    &senderr);

	if (s < 0)
		goto fail;
	deadline = now_ms() + CLIENT_MS;
	for (;;) {
		int r = wait_in(s, deadline);

		if (r <= 0) {
			snprintf(why, sizeof why, "%s", strerror(r == 0 ?
				 ETIMEDOUT : errno));
			goto fail;
		}
		if (cap - len < 4096) {
			char *m = realloc(out, cap += 65536);

			if (!m) {
				snprintf(why, sizeof why, "%s", strerror(errno));
				goto fail;
			}
			out = m;
		}
		do
			n = recv(s, out + len, cap - len - 1, 0);
		while (n < 0 && errno == EINTR);
		/* A reset comes after what was sent before it: as EOF. */
		if (n < 0 && errno != ECONNRESET) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			goto fail;
		}
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(s);
	s = -1;
	if (len == 0) {
		snprintf(why, sizeof why, "%s", senderr ? strerror(senderr) :
			 "it closed the connection without an answer");
		goto fail;
	}
	out[len] = '\0';
	if (proto_says(out, len, why, sizeof why)) {
		jp_warn("the daemon at %s says: %s", sock, why);
		free(out);
		return 1;
	}
	n = (ssize_t)fwrite(out, 1, len, stdout);
	free(out);
	return (size_t)n == len && fflush(stdout) == 0 ? 0 : 1;
fail:
	jp_warn("no jobserver daemon at %s: %s", sock, why);
	if (s >= 0)
		close(s);
	free(out);
	return 1;
}
