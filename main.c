/*
 * jobproxy: one command line for every mode, then the mode.
 *
 *   jobproxy [OPTION...] COMMAND [ARG...]   the wrapper (proxy.c, relay.c)
 *   jobproxy --serve SOCKET [OPTION...]     the machine-wide pool (daemon.c)
 *   jobproxy --status SOCKET [OPTION...]    that pool's state (client.c)
 *
 * One parser reads the options of all three, in any order, up to the
 * first word that is not an option (like env(1): the command's words are
 * its own); then each option must belong to the mode they chose.  One
 * usage text, one usage error: exit 125.
 */
#include "access.h"
#include "makeflags.h"
#include "masq.h"
#include "msg.h"
#include "opts.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef JOBPROXY_VERSION
#define JOBPROXY_VERSION "0.2"
#endif

/* Which modes an option belongs to. */
#define W (1 << MODE_WRAP)
#define S (1 << MODE_SERVE)
#define T (1 << MODE_STATUS)

enum id {
	O_VERBOSE, O_STATS, O_TRACE, O_STYLE, O_NO_INSERT, O_CONNECT,
	O_DAEMON_USER, O_SERVE, O_STATUS, O_MODE, O_GROUP, O_ALLOW,
	O_MAX_CLIENTS, O_MAX_PER_UID, O_JOBS_FILE, O_HELP, O_VERSION, O_JOBS,
	O_MEM_PER_JOB, O_LOAD_AVERAGE, O_CHARGE, NOPT
};

static const struct opt {
	enum id id;
	const char *name, *alt;	/* "--name", a short form or NULL */
	int arg;		/* takes a value: "--name V" or "--name=V" */
	int modes;
} OPTS[] = {
	{ O_VERBOSE, "--verbose", "-v", 0, W | S | T },
	{ O_STATS, "--stats", NULL, 0, W },
	{ O_TRACE, "--trace", NULL, 1, W },
	{ O_STYLE, "--style", NULL, 1, W },
	{ O_NO_INSERT, "--no-insert", NULL, 0, W },
	{ O_CONNECT, "--connect", NULL, 1, W },
	{ O_DAEMON_USER, "--daemon-user", NULL, 1, W | T },
	{ O_SERVE, "--serve", NULL, 1, S },
	{ O_STATUS, "--status", NULL, 1, T },
	{ O_MODE, "--mode", NULL, 1, S },
	{ O_GROUP, "--group", NULL, 1, S },
	{ O_ALLOW, "--allow", NULL, 1, S },
	{ O_MAX_CLIENTS, "--max-clients", NULL, 1, S },
	{ O_MAX_PER_UID, "--max-per-uid", NULL, 1, S },
	{ O_JOBS_FILE, "--jobs-file", NULL, 1, S },
	{ O_HELP, "--help", "-h", 0, W | S | T },
	{ O_VERSION, "--version", "-V", 0, W | S | T },
	{ O_JOBS, "--jobs", "-j", 1, W | S },
	{ O_MEM_PER_JOB, "--mem-per-job", NULL, 1, W | S },
	{ O_LOAD_AVERAGE, "--load-average", NULL, 1, W | S },
	{ O_CHARGE, "--charge", NULL, 0, W },
};

static void usage(FILE *f)
{
	fputs("usage: jobproxy [-v] [--stats] [--trace=FILE] [-j N]"
	      " [--style=pipe|fifo]\n"
	      "                [--no-insert] [--connect SOCKET]"
	      " [--daemon-user USER]\n"
	      "                [--mem-per-job SIZE] [--load-average L]"
	      " [--charge]\n"
	      "                [--] COMMAND [ARG...]\n"
	      "       jobproxy --serve SOCKET [-j N] [--mode OCTAL]"
	      " [--group GROUP]\n"
	      "                [--allow UID,...] [--max-clients N]"
	      " [--max-per-uid N]\n"
	      "                [--jobs-file FILE] [--mem-per-job SIZE]"
	      " [--load-average L]\n"
	      "       jobproxy --status SOCKET [--daemon-user USER]\n"
	      "Run COMMAND on a private jobserver fed from the one in\n"
	      "CARGO_MAKEFLAGS, MAKEFLAGS or MFLAGS, and give back to it every\n"
	      "token COMMAND still held when it ended, however it ended.\n"
	      "\n"
	      "  -j N, --jobs=N       with no jobserver around, be the root pool\n"
	      "                       of N slots, at most 65536 (0, or -j alone\n"
	      "                       before COMMAND: NIX_BUILD_CORES, else CPUs)\n"
	      "  --mem-per-job SIZE   a pool of our own (-j N, --serve) hands out\n"
	      "                       a token only while the memory left\n"
	      "                       (machine or cgroup) holds one more job of\n"
	      "                       SIZE\n"
	      "                       (k, M, G: powers of 1024)\n"
	      "  --load-average L     ... and while the load, counting the jobs\n"
	      "                       just started, is below L (as make's\n"
	      "                       --load-average)\n"
	      "  --charge             take tokens for COMMAND's processes beyond\n"
	      "                       the slots it holds (it ignores the\n"
	      "                       jobserver); env JOBPROXY_CHARGE=1\n"
	      "  --style=pipe|fifo    the child's jobserver (default: make a pipe,\n"
	      "                       ninja a fifo, else the parent's style, a\n"
	      "                       root pool's pipe; env JOBPROXY_STYLE)\n"
	      "  --no-insert          do not put sub-builds behind jobproxy too\n"
	      "                       (no links first on PATH, no MAKE=)\n"
	      "  --connect SOCKET     take tokens from the daemon at SOCKET (env\n"
	      "                       JOBPROXY_SOCKET, with no jobserver around)\n"
	      "  --daemon-user USER   trust a daemon of USER too (default: only\n"
	      "                       root's or our own)\n"
	      "  -v, --verbose        say on stderr what was found and done\n"
	      "  --stats              one summary line of the token traffic at exit\n"
	      "  --trace=FILE         the token timeline as Chrome trace-event JSON\n"
	      "  -h, --help           print this help and exit\n"
	      "  -V, --version        print the version and exit\n"
	      "\n"
	      "The machine-wide pool:\n"
	      "  --serve SOCKET       be the daemon: a pool of -j N slots\n"
	      "                       (default: NIX_BUILD_CORES, else CPUs)\n"
	      "  --mode OCTAL         the socket's mode (default 0600)\n"
	      "  --group GROUP        the socket's group; its members may connect\n"
	      "  --allow UID,...      users who may connect (root and ours always)\n"
	      "  --max-clients N      connections at once (default 1024)\n"
	      "  --max-per-uid N      connections per user (default 256)\n"
	      "  --jobs-file FILE     read N from FILE, again on SIGHUP\n"
	      "  --status SOCKET      print the daemon's pool and clients\n"
	      "\n"
	      "Exit status: COMMAND's own; if a signal killed COMMAND, jobproxy\n"
	      "dies by the same signal; 127 COMMAND not found, 126 not\n"
	      "executable, 125 bad usage of jobproxy.\n", f);
}

/* The one usage error: one line, exit 125. */
static void usage_error(const char *what, const char *arg) JP_NORETURN;
static void usage_error(const char *what, const char *arg)
{
	jp_warn("%s %s (see jobproxy --help)", what, arg);
	exit(125);
}

/* Can the word after "-j" be run as a command (execvp's PATH search)? */
static int is_command(const char *w)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[PATH_MAX];

	if (!*w)
		return 0;
	if (strchr(w, '/'))
		return access(w, F_OK) == 0;
	for (p = path ? path : "/bin:/usr/bin"; ; p = end + 1) {
		int n;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		n = snprintf(buf, sizeof buf, "%.*s%s%s", (int)(end - p), p,
			     end > p ? "/" : "", w);
		if (n > 0 && (size_t)n < sizeof buf && access(buf, X_OK) == 0)
			return 1;
		if (!*end)
			return 0;
	}
}

static void bad_jobs(const char *opt, const char *w, int nocmd) JP_NORETURN;
static void bad_jobs(const char *opt, const char *w, int nocmd)
{
	if (w)
		jp_warn("bad job count in %s '%s' (0 to %d)%s", opt, w,
			MF_MAX_JOBS, nocmd ? ", and no such command" : "");
	else
		jp_warn("bad job count in %s (0 to %d)", opt, MF_MAX_JOBS);
	exit(125);
}

/*
 * "-j" and "--jobs" take an optional count as the next word, like make's:
 * "-j 4 cmd" and "-j cmd" (auto).  A next word that starts like a number,
 * or is empty, is a count, good or bad; any other word is the command if
 * one of that name can be run, else a bad count ("-j abc"): a typo must
 * not run as a command, nor be taken as auto.  "-jN" and "--jobs=N" are
 * counts.  Returns the index of the last word used.
 */
static int jobs_opt(struct opts *o, int argc, char **argv, int i)
{
	const char *a = argv[i], *w = i + 1 < argc ? argv[i + 1] : NULL;

	if (strcmp(a, "-j") && strcmp(a, "--jobs")) {
		if (!num_int(a + (a[1] == 'j' ? 2 : 7), 0, MF_MAX_JOBS,
			     &o->jobs))
			bad_jobs(a, NULL, 0);
		return i;
	}
	o->jobs = 0;
	if (!w || (*w == '-' && w[1]))
		return i;	/* -j alone, before another option */
	if (num_int(w, 0, MF_MAX_JOBS, &o->jobs))
		return i + 1;
	if (*w && (*w < '0' || *w > '9') && *w != '+' && is_command(w))
		return i;
	bad_jobs(a, w, *w && (*w < '0' || *w > '9'));
}

static int is_jobs(const char *a)
{
	return !strncmp(a, "-j", 2) || !strcmp(a, "--jobs") ||
	       !strncmp(a, "--jobs=", 7);
}

/* The option A names ("--name", its short form, or "--name=V" with *V
 * set), or NULL. */
static const struct opt *lookup(const char *a, const char **v)
{
	size_t k, n;

	*v = NULL;
	for (k = 0; k < sizeof OPTS / sizeof OPTS[0]; k++) {
		const struct opt *t = &OPTS[k];

		n = strlen(t->name);
		if (!strcmp(a, t->name) || (t->alt && !strcmp(a, t->alt)))
			return t;
		if (t->arg && !strncmp(a, t->name, n) && a[n] == '=') {
			*v = a + n + 1;
			return t;
		}
	}
	return NULL;
}

static enum style parse_style(const char *s)
{
	if (!strcmp(s, "pipe"))
		return STYLE_PIPE;
	if (!strcmp(s, "fifo"))
		return STYLE_FIFO;
	usage_error("unknown style (pipe or fifo) in", s);
}

/*
 * JOBPROXY_STYLE reaches every jobproxy of a tree: a bad one must not stop
 * the build, only be said.
 */
static enum style env_style(void)
{
	const char *env = getenv("JOBPROXY_STYLE");

	if (!env || !*env)
		return STYLE_AUTO;
	if (!strcmp(env, "pipe") || !strcmp(env, "fifo"))
		return env[0] == 'p' ? STYLE_PIPE : STYLE_FIFO;
	jp_warn("unknown style '%s' in JOBPROXY_STYLE (pipe or fifo):"
		" using the default", env);
	return STYLE_AUTO;
}

/* --load-average L: a positive decimal number, as make's -l takes. */
static double parse_load(const char *v)
{
	char *end;
	double l;

	errno = 0;
	l = strtod(v, &end);
	if (*v < '0' || *v > '9' || *end || errno || !(l > 0) || l > 1e6)
		usage_error("bad --load-average (a number above 0)", v);
	return l;
}

static void parse_allow(struct opts *o, const char *list)
{
	char buf[1024], *w, *save = NULL;

	snprintf(buf, sizeof buf, "%s", list);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		uid_t uid;

		if (!access_user(w, &uid))
			usage_error("no such user in --allow:", w);
		if (o->nallow == OPTS_MAX_ALLOW)
			usage_error("too many users in --allow:", list);
		o->allow[o->nallow++] = uid;
	}
}

static void set_mode(struct opts *o, enum mode m, const char *sock)
{
	if (o->mode != MODE_WRAP && o->mode != m)
		usage_error("--serve does not go with", "--status");
	o->mode = m;
	o->sock = sock;
}

/* The option T, with its value V, into O. */
static void apply(struct opts *o, const struct opt *t, const char *v)
{
	uint64_t n;
	uid_t uid;
	gid_t gid;

	switch (t->id) {
	case O_VERBOSE: o->verbose = 1; jp_set_verbose(1); break;
	case O_STATS: o->stats = 1; break;
	case O_TRACE: o->trace = v; break;
	case O_STYLE: o->style = parse_style(v); break;
	case O_NO_INSERT: o->insert = 0; break;
	case O_CONNECT: o->connect = v; break;
	case O_DAEMON_USER:
		if (!access_user(v, &uid))
			usage_error("no such user in --daemon-user:", v);
		o->duid = (long)uid;
		break;
	case O_SERVE: set_mode(o, MODE_SERVE, v); break;
	case O_STATUS: set_mode(o, MODE_STATUS, v); break;
	case O_MODE:
		if (!num_parse(v, 8, 07777, NULL, &n))
			usage_error("bad --mode", v);
		o->sockmode = (int)n;
		break;
	case O_GROUP:
		if (!access_group(v, &gid))
			usage_error("no such group", v);
		o->gid = (long)gid;
		break;
	case O_ALLOW: parse_allow(o, v); break;
	case O_MAX_CLIENTS:
		if (!num_int(v, 1, INT_MAX, &o->max_clients))
			usage_error("bad --max-clients", v);
		break;
	case O_MAX_PER_UID:
		if (!num_int(v, 1, INT_MAX, &o->max_per_uid))
			usage_error("bad --max-per-uid", v);
		break;
	case O_JOBS_FILE: o->jobs_file = v; break;
	case O_HELP: usage(stdout); exit(0);
	case O_VERSION: puts("jobproxy " JOBPROXY_VERSION); exit(0);
	case O_MEM_PER_JOB:
		if (!num_size(v, &o->mem_per_job))
			usage_error("bad --mem-per-job (a size: 700M, 2G...)", v);
		break;
	case O_LOAD_AVERAGE: o->load_max = parse_load(v); break;
	case O_CHARGE: o->charge = 1; break;
	case O_JOBS: case NOPT: break;	/* jobs_opt() */
	}
}

/* One option at ARGV[I]: the index of the last word it used. */
static int option(struct opts *o, int argc, char **argv, int i,
		  const char **seen)
{
	const char *a = argv[i], *v;
	const struct opt *t;

	if (is_jobs(a)) {
		seen[O_JOBS] = a;
		return jobs_opt(o, argc, argv, i);
	}
	t = lookup(a, &v);
	if (!t)
		usage_error("unknown option", a);
	if (t->arg && !v && i + 1 >= argc)
		usage_error("missing value after", a);
	if (t->arg && !v)
		v = argv[++i];
	if (t->arg && !*v)
		usage_error("empty value for", t->name);
	seen[t->id] = a;
	apply(o, t, v);
	return i;
}

static void defaults(struct opts *o, const char *argv0)
{
	memset(o, 0, sizeof *o);
	o->mode = MODE_WRAP;
	o->argv0 = argv0;
	o->jobs = -1;
	o->duid = -1;
	o->insert = 1;
	o->sockmode = 0600;
	o->gid = -1;
	o->max_clients = 1024;
	o->max_per_uid = 256;
}

/* Options: stop at the first word that is not one, then check the mode. */
static void parse(struct opts *o, int argc, char **argv)
{
	const char *seen[NOPT] = { 0 };
	int i, k;

	defaults(o, argv[0]);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		i = option(o, argc, argv, i, seen);
	}
	o->argv = argv + i;
	for (k = 0; k < (int)(sizeof OPTS / sizeof OPTS[0]); k++)
		if (seen[OPTS[k].id] && !(OPTS[k].modes & (1 << o->mode)))
			usage_error(seen[OPTS[k].id],
				    o->mode == MODE_WRAP ?
				    "does not go with a command" :
				    o->mode == MODE_SERVE ?
				    "does not go with --serve" :
				    "does not go with --status");
	if (o->mode != MODE_WRAP && i < argc)
		usage_error("--serve and --status take no command:", argv[i]);
	if (o->mode == MODE_WRAP && i >= argc) {
		usage(stderr);
		exit(125);
	}
	if (o->mode == MODE_WRAP) {
		enum style env = env_style();

		if (!seen[O_STYLE])
			o->style = env;
		/* the nix hook and the daemon's clients turn it on so */
		if (!o->charge && getenv("JOBPROXY_CHARGE") &&
		    !strcmp(getenv("JOBPROXY_CHARGE"), "1"))
			o->charge = 1;
	}
}

/*
 * A standard fd that is closed when we start must be closed in the
 * command too, and meanwhile no fd of ours may take its number: the
 * child's token pipe on fd 0 would be its stdin, the daemon's socket on
 * fd 2 would get its log lines.  Hold each closed one with /dev/null,
 * close-on-exec: every exec, the command's included, closes it again.
 */
static void hold_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		int h;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		h = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (h < 0)
			h = open("/", O_RDONLY | O_CLOEXEC);
		if (h >= 0 && h != fd)	/* cannot happen: lowest first */
			close(h);
	}
}

/*
 * Run by a link's name (make, ninja, ... : masq.h): every word is the
 * tool's, none ours; the style still comes from JOBPROXY_STYLE.
 */
static void link_opts(struct opts *o, char **argv)
{
	defaults(o, argv[0]);
	o->link = 1;
	o->argv = argv;
	o->style = env_style();
}

int main(int argc, char **argv)
{
	static struct opts o;

	hold_stdio();
	if (argc > 0 && masq_lookup(argv[0]))
		link_opts(&o, argv);
	else
		parse(&o, argc, argv);
	if (o.mode == MODE_SERVE)
		return daemon_main(&o);
	if (o.mode == MODE_STATUS)
		return status_main(&o);
	wrap_main(&o);
	return 0;
}
