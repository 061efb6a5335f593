/*
 * proxy: the wrapper, `jobproxy COMMAND`.  proxy.c finds the upstream (a
 * jobserver in the environment, a daemon, or a pool of our own), gives the
 * command its environment and its lease, starts it and leaves as it did;
 * relay.c runs the loop in between.
 */
#ifndef JOBPROXY_PROXY_H
#define JOBPROXY_PROXY_H

#include "charge.h"
#include "gate.h"
#include "lease.h"
#include "makeflags.h"
#include "opts.h"
#include "upstream.h"
#include "waitset.h"

#include <limits.h>
#include <sys/types.h>

#define CHARGE_MAX 256		/* most tokens --charge holds */
#define NVARS 3			/* CARGO_MAKEFLAGS, MAKEFLAGS, MFLAGS */

#define LOOK_UNKNOWN (-1)	/* proxy.look before the first look */

/* The whole state of one wrapper. */
struct proxy {
	const struct opts *o;	/* the command line */
	char **argv;		/* the command, as given */
	char **cargv;		/* the command as run (MAKE= inserted) */
	const char *file;	/* the file run, or NULL: argv[0] on PATH */
	char real[PATH_MAX];	/* a wrapped tool's real file (masq.h) */
	char links[PATH_MAX];	/* the link directory, "" for none */
	dev_t self_dev;		/* this binary (masq_self), for a look to */
	ino_t self_ino;		/* know a jobproxy below; 0: not known */
	char *path_env;		/* the child's PATH, links first */
	int jobs;		/* -j N: root pool size; 0 auto; -1 not given */

	/* environment */
	const char *var;	/* the variable the parent's auth came from */
	struct js_auth auth;
	const char *env[2 * NVARS + 5]; /* for the child: NAME, VALUE pairs */
	char want_env[64];	/* JOBPROXY_WANT for the child */

	/* jobservers */
	int root;		/* no parent: a pool of our own (-j N) */
	struct upstream up;	/* where the tokens come from */
	struct gate gate;	/* root pool: --mem-per-job, --load-average */

	/* --charge: tokens held for a command that ignores the jobserver */
	int tree;		/* proctree.h's way down /proc; TREE_NONE: off */
	int psi;		/* its CPU pressure trigger, or -1: timed looks */
	int psi_ms;		/* the trigger's window */
	int64_t psi_stall;	/* its stall total (us) when last armed or fired */
	struct charge charge;
	unsigned char charged[CHARGE_MAX]; /* their bytes, CHARGE.charged */
	struct lease lease;	/* the command's jobserver and its tokens */
	int look;		/* proctree.h's way down /proc for a look
				 * (offer.h); TREE_NONE: none; LOOK_UNKNOWN:
				 * not asked yet */
	int want_r, want_w;	/* a jobproxy below says "I wait" (want_w is
				 * the command's) */
	int want_up;		/* the jobproxy above us: "I wait" pipe, or -1 */
	int want_fd;		/* its number as we inherited it */
	int wanted;		/* said so, no token since */

	/* the command */
	int sigfd;
	struct waitset ws;	/* relay.c's wait, made before the command
				 * starts: no fd of ours opens while it runs */
	pid_t pid;
	int status, exited;
	int stopped;		/* seen stopped, not seen continued since */
};

/* relay.c: relay tokens until the command has exited (P->exited). */
void relay(struct proxy *P);

#endif
