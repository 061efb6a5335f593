/* proctree: see proctree.h. */
#include "proctree.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATHLEN 512

struct list {
	pid_t *pid;
	int n, size;
};

/*
 * A stat file's state letter and parent: "pid (comm) S ppid ...".  The
 * command name may hold spaces and ')', so look after the last ')'.
 */
static int parse_stat(const char *path, char *state, pid_t *ppid)
{
	char buf[1024], *p;
	long pp;

	if (read_text(path, buf, sizeof buf) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	if (p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		return -1;
	*state = p[2];
	pp = strtol(p + 4, &p, 10);
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return -1;
	*ppid = (pid_t)pp;
	return 0;
}

/* A /proc entry name that is a number: the number, else -1. */
static long numeric(const char *name)
{
	char *end;
	long v;

	if (*name < '0' || *name > '9')
		return -1;
	v = strtol(name, &end, 10);
	return *end == '\0' ? v : -1;
}

static int push(struct list *l, pid_t pid)
{
	int i;

	for (i = 0; i < l->n; i++)	/* a pid reused during the walk */
		if (l->pid[i] == pid)
			return 0;
	if (l->n == TREE_MAX)
		return -1;
	if (l->n == l->size) {
		int size = l->size ? l->size * 2 : 64;
		pid_t *p = realloc(l->pid, (size_t)size * sizeof *p);

		if (!p)
			return -1;
		l->pid = p;
		l->size = size;
	}
	l->pid[l->n++] = pid;
	return 0;
}

/* Runnable tasks of PID; with CHILDREN, its threads' children go on L. */
static int tasks(const char *root, pid_t pid, struct list *children)
{
	char path[PATHLEN], buf[4096], state, *p, *end;
	struct dirent *e;
	pid_t ppid;
	long tid, kid;
	int running = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc/%ld/task", root, (long)pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d))) {
		if ((tid = numeric(e->d_name)) < 0)
			continue;
		snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/stat", root,
			 (long)pid, tid);
		if (parse_stat(path, &state, &ppid) == 0 && state == 'R')
			running++;
		snprintf(path, sizeof path, "%s/proc/%ld/task/%ld/children",
			 root, (long)pid, tid);
		if (!children || read_text(path, buf, sizeof buf) < 0)
			continue;
		for (p = buf; (kid = strtol(p, &end, 10)) > 0; p = end)
			push(children, (pid_t)kid);
	}
	closedir(d);
	return running;
}

/* Every process's parent, read once: PIDS[i] is the child of PARENTS[i]. */
static int scan(const char *root, struct list *pids, struct list *parents)
{
	char path[PATHLEN], state;
	struct dirent *e;
	pid_t ppid;
	long pid;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc", root);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)) && pids->n < 16 * TREE_MAX) {
		if ((pid = numeric(e->d_name)) < 0)
			continue;
		snprintf(path, sizeof path, "%s/proc/%ld/stat", root, pid);
		if (parse_stat(path, &state, &ppid) < 0)
			continue;
		/* no duplicates here: append without push's search */
		if (pids->n == pids->size) {
			int size = pids->size ? pids->size * 2 : 256;
			pid_t *a = realloc(pids->pid, (size_t)size * sizeof *a);
			pid_t *b = a ? realloc(parents->pid,
					       (size_t)size * sizeof *b) : NULL;

			if (a)
				pids->pid = a;
			if (!b)
				break;
			parents->pid = b;
			pids->size = parents->size = size;
		}
		pids->pid[pids->n++] = (pid_t)pid;
		parents->pid[parents->n++] = ppid;
	}
	closedir(d);
	return 0;
}

static int walk(const char *root, pid_t top, int how, struct list *tree)
{
	struct list all = { NULL, 0, 0 }, parent = { NULL, 0, 0 };
	int i, j, n, running = 0;

	if (how == TREE_SCAN && scan(root, &all, &parent) < 0)
		return -1;
	push(tree, top);
	for (i = 0; i < tree->n; i++) {
		n = tasks(root, tree->pid[i], how == TREE_CHILDREN ? tree
								    : NULL);
		if (n < 0 && i == 0) {
			running = -1;	/* the command itself is gone */
			break;
		}
		running += n > 0 ? n : 0;
		for (j = 0; how == TREE_SCAN && j < all.n; j++)
			if (parent.pid[j] == tree->pid[i])
				push(tree, all.pid[j]);
	}
	free(all.pid);
	free(parent.pid);
	return running;
}

int tree_runnable(const char *root, pid_t pid, int how)
{
	struct list tree = { NULL, 0, 0 };
	int running;

	if (how == TREE_NONE || pid <= 0)
		return -1;
	running = walk(root, pid, how, &tree);
	free(tree.pid);
	return running;
}

int tree_usable(const char *root)
{
	char path[PATHLEN], state;
	struct dirent *e;
	pid_t ppid;
	int how = TREE_NONE;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc/self/stat", root);
	if (parse_stat(path, &state, &ppid) < 0)
		return TREE_NONE;
	snprintf(path, sizeof path, "%s/proc/self/task", root);
	if (!(d = opendir(path)))
		return TREE_NONE;
	while (how == TREE_NONE && (e = readdir(d)))
		if (numeric(e->d_name) >= 0) {
			snprintf(path, sizeof path,
				 "%s/proc/self/task/%s/children", root,
				 e->d_name);
			how = access(path, R_OK) == 0 ? TREE_CHILDREN
						      : TREE_SCAN;
		}
	closedir(d);
	return how;
}

int tree_pressure(const char *root, int window_ms)
{
	char path[PATHLEN], trigger[64];
	int fd, n;
	ssize_t w;

	n = snprintf(trigger, sizeof trigger, "some %ld %ld",
		     (long)window_ms * 100, (long)window_ms * 1000);
	if (snprintf(path, sizeof path, "%s/proc/pressure/cpu", root) >=
	    (int)sizeof path)
		return -1;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the kernel takes the string with its terminating NUL */
	do
		w = write(fd, trigger, (size_t)n + 1);
	while (w < 0 && errno == EINTR);
	if (w != n + 1) {
		close(fd);
		return -1;
	}
	return fd;
}
