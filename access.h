/*
 * access: who may use the daemon.  Root and the daemon's own user always
 * (they own it anyway, and only they may resize the pool); then the users
 * of --allow and the members of --group's group.  And the names --allow,
 * --group and --daemon-user take, as users and groups.
 */
#ifndef JOBPROXY_ACCESS_H
#define JOBPROXY_ACCESS_H

#include "opts.h"

#include <sys/types.h>

/* May the peer of connected socket S, uid UID, primary group GID, use
 * the daemon that O describes? */
int access_allowed(const struct opts *o, int s, uid_t uid, gid_t gid);

/* May UID resize the pool ("jobs N")? */
int access_may_resize(uid_t uid);

/* NAME as a user (a name, else a number): 1 with *UID set, or 0. */
int access_user(const char *name, uid_t *uid);

/* NAME as a group (a name, else a number): 1 with *GID set, or 0. */
int access_group(const char *name, gid_t *gid);

#endif
