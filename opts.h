/*
 * opts: the command line of every mode, as main.c's one parser leaves it.
 */
#ifndef JOBPROXY_OPTS_H
#define JOBPROXY_OPTS_H

#include <stdint.h>
#include <sys/types.h>

#define OPTS_MAX_ALLOW 64	/* users in --allow */

enum mode {
	MODE_WRAP,		/* jobproxy COMMAND: proxy.c */
	MODE_SERVE,		/* --serve SOCKET: daemon.c */
	MODE_STATUS		/* --status SOCKET: client.c */
};

enum style { STYLE_AUTO, STYLE_PIPE, STYLE_FIFO };

struct opts {
	enum mode mode;
	const char *argv0;	/* how we were run */
	int verbose;		/* -v */
	int jobs;		/* -j N: 0 auto (util.h: cores()); -1 none */
	long duid;		/* --daemon-user: the uid a client trusts too,
				 * or -1 */

	/* the wrapper */
	char **argv;		/* the command */
	int stats;		/* --stats */
	int insert;		/* not --no-insert */
	int link;		/* run by a link's name (masq.h): argv[0] is
				 * the tool's, found further on PATH */
	const char *trace;	/* --trace FILE, or NULL */
	enum style style;	/* --style, else JOBPROXY_STYLE */
	const char *connect;	/* --connect SOCKET, or NULL */
	int charge;		/* --charge, or JOBPROXY_CHARGE=1 */

	/* --serve and --status */
	const char *sock;	/* their SOCKET */
	int sockmode;		/* --mode (default 0600) */
	long gid;		/* --group: the socket's, also let in; -1 */
	uid_t allow[OPTS_MAX_ALLOW];	/* --allow: let in too */
	int nallow;
	int max_clients;	/* connections in all (default 1024) */
	int max_per_uid;	/* connections of one uid (default 256) */
	const char *jobs_file;	/* --jobs-file: N, re-read on SIGHUP */

	/* the pool of our own (-j N, --serve): budget.h */
	int64_t mem_per_job;	/* --mem-per-job SIZE in bytes, 0: off */
	double load_max;	/* --load-average L, 0: off */
};

/* The three modes, each given what main.c parsed.  The wrapper never
 * returns (it leaves as its command did); the others return the exit
 * status. */
void wrap_main(const struct opts *o);
int daemon_main(const struct opts *o);
int status_main(const struct opts *o);

#endif
