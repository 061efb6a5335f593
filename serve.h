/*
 * serve: one jobserver pool for the whole machine.  `jobproxy --serve
 * SOCKET` is a daemon holding N slots behind a Unix stream socket; every
 * build that connects gets a jobserver pipe pair of its own fed from that
 * pool, and whatever a build held comes back when it is gone.  The
 * protocol is described at the top of serve.c.
 */
#ifndef JOBPROXY_SERVE_H
#define JOBPROXY_SERVE_H

#include "makeflags.h"

#include <sys/types.h>

#define SERVE_MAX_ALLOW 64

struct serve_opts {
	int mode;		/* socket file mode (default 0600) */
	long gid;		/* --group: socket's group, also allowed; -1 */
	uid_t allow[SERVE_MAX_ALLOW];	/* --allow; none: our uid and root */
	int nallow;
	int max_clients;	/* connections in all (default 1024) */
	int max_per_uid;	/* connections of one uid (default 256) */
	const char *jobs_file;	/* --jobs-file: N re-read on SIGHUP */
};

/* Defaults for every field. */
void serve_opts_init(struct serve_opts *o);

/* The daemon: serve a pool of JOBS slots at SOCK.  Returns the exit code
 * (0 after SIGTERM once no connection holds tokens, 1 on a setup error). */
int serve_main(const char *sock, int jobs, const struct serve_opts *o);

/*
 * Client: ask the daemon at SOCK for a jobserver.  The daemon must run as
 * root, as our user or as DUSER (--daemon-user: a name or uid; NULL for
 * none; no such user: exit 125).  On success *AUTH is a JS_PIPE auth
 * naming the two received fds (close-on-exec), *KEEPFD the socket, which
 * the caller keeps open (close-on-exec) as long as the build runs, and the
 * pool size N >= 1 is returned.  On failure (no daemon, an untrusted one,
 * a refusal): one line "jobproxy: no jobserver daemon at SOCK: WHY:
 * running on a pool of its own" on stderr, nothing left open, -1.
 */
int serve_connect(const char *sock, const char *duser, struct js_auth *auth,
		  int *keepfd);

/* Client: print the daemon's status report on stdout (the daemon checked
 * as above); 0, or 1 after one line on stderr. */
int serve_status(const char *sock, const char *duser);

/*
 * If ARGV's options hold --serve or --status, parse them all (-j, -v,
 * --mode, --group, --allow, --max-clients, --max-per-uid, --jobs-file,
 * --daemon-user),
 * run that mode and exit; otherwise return and touch nothing.
 */
void serve_cli(int argc, char **argv);

#endif
