/*
 * fdpass: file descriptors over a Unix stream socket (SCM_RIGHTS), and who
 * is at the other end of one (SO_PEERCRED on Linux, getpeereid() on the
 * BSDs and macOS) and which groups it is in.
 */
#ifndef JOBPROXY_FDPASS_H
#define JOBPROXY_FDPASS_H

#include <sys/types.h>

#define FDPASS_MAX 4		/* most fds one message carries */

/*
 * Send LEN bytes of BUF (LEN >= 1) with NFD fds (0..FDPASS_MAX) attached,
 * as one sendmsg(): 0, or -1 with errno (EAGAIN on a full non-blocking
 * socket; a short write is EAGAIN too, the fds went with its first byte).
 * Never raises SIGPIPE where MSG_NOSIGNAL exists.
 */
int fd_send(int s, const void *buf, size_t len, const int *fds, int nfd);

/*
 * Receive up to LEN bytes and the fds that came with them into FDS (room
 * for MAXFD, at most FDPASS_MAX).  Returns the byte count (0 at EOF) with
 * *NFD set, or -1 with errno.  Every received fd is close-on-exec
 * (MSG_CMSG_CLOEXEC where it exists, else FD_CLOEXEC right after); fds
 * beyond MAXFD are closed; if the kernel had to drop fds (MSG_CTRUNC) all
 * are closed and the result is -1 with errno EMSGSIZE.
 */
ssize_t fd_recv(int s, void *buf, size_t len, int *fds, int maxfd, int *nfd);

/*
 * The peer of connected Unix socket S: uid and gid always, pid where the
 * system says (Linux), else -1.  0, or -1 with errno.
 */
int fd_peer(int s, uid_t *uid, gid_t *gid, pid_t *pid);

/*
 * Is the peer of S (uid UID, primary group GID as fd_peer() gave them) a
 * member of GROUP?  Its primary group, the supplementary groups its
 * process had at connect() (SO_PEERGROUPS, Linux 4.13+), or the group
 * database (getgrouplist() for UID's name).  1 or 0.
 */
int fd_peer_in_group(int s, uid_t uid, gid_t gid, gid_t group);

#endif
