/* access: see access.h. */
#include "access.h"
#include "fdpass.h"
#include "util.h"

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <unistd.h>

int access_may_resize(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

int access_allowed(const struct opts *o, int s, uid_t uid, gid_t gid)
{
	int i;

	if (access_may_resize(uid))
		return 1;
	for (i = 0; i < o->nallow; i++)
		if (o->allow[i] == uid)
			return 1;
	return o->gid >= 0 && fd_peer_in_group(s, uid, gid, (gid_t)o->gid);
}

static long user_id(const char *name)
{
	struct passwd *pw = getpwnam(name);

	return pw ? (long)pw->pw_uid : -1;
}

static long group_id(const char *name)
{
	struct group *g = getgrnam(name);

	return g ? (long)g->gr_gid : -1;
}

/* NAME as the database knows it (LOOKUP), else as a number; -1 for
 * neither. */
static long id_of(const char *name, long (*lookup)(const char *))
{
	long id = lookup(name);
	int v;

	if (id >= 0)
		return id;
	return num_int(name, 0, INT_MAX, &v) ? v : -1;
}

int access_user(const char *name, uid_t *uid)
{
	long id = id_of(name, user_id);

	*uid = (uid_t)id;
	return id >= 0;
}

int access_group(const char *name, gid_t *gid)
{
	long id = id_of(name, group_id);

	*gid = (gid_t)id;
	return id >= 0;
}
