/*
 * sock: the daemon's Unix socket.  The daemon listens only where no other
 * user could replace its socket, binds it with no path race and removes
 * only a stale socket of its own; a client dials it with a time limit.
 */
#ifndef JOBPROXY_SOCK_H
#define JOBPROXY_SOCK_H

#include <sys/types.h>

/* Which file is our socket: removed at exit only if it still is. */
struct sock_id {
	dev_t dev;
	ino_t ino;
};

/*
 * Listen at PATH, the socket file of mode MODE and group GID (-1: ours),
 * its identity into *ID.  The listening socket, non-blocking and
 * close-on-exec, or -1 after one line saying why not.
 */
int sock_listen(const char *path, int mode, long gid, struct sock_id *id);

/* Remove PATH if it is still the socket ID names. */
void sock_unlink(const char *path, const struct sock_id *id);

/* A socket connected to PATH, close-on-exec, within TIMEOUT_MS: or -1
 * with errno. */
int sock_dial(const char *path, int timeout_ms);

#endif
