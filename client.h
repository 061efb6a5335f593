/*
 * client: the daemon's clients.  The protocol is in proto.h.
 */
#ifndef JOBPROXY_CLIENT_H
#define JOBPROXY_CLIENT_H

#include "makeflags.h"
#include "opts.h"

/*
 * Ask the daemon at SOCK for a jobserver.  The daemon must run as root,
 * as our user or as DUID (--daemon-user; -1 for none).  On success *AUTH
 * is a JS_PIPE auth naming the two received fds (close-on-exec), *KEEPFD
 * the socket, which the caller keeps open (close-on-exec) as long as the
 * build runs, and the pool size N >= 1 is returned.  On failure (no
 * daemon, an untrusted one, a refusal): one line "jobproxy: no jobserver
 * daemon at SOCK: WHY: running on a pool of its own" on stderr, nothing
 * left open, -1.
 */
int client_connect(const char *sock, long duid, struct js_auth *auth,
		   int *keepfd);

#endif
