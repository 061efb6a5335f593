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

/* An id given as a number, for a name the database does not know. */
static int number(const char *name, long *id)
{
	int v;

	if (!num_int(name, 0, INT_MAX, &v))
		return 0;
	*id = v;
	return 1;
}

int access_user(const char *name, uid_t *uid)
{
	struct passwd *pw = getpwnam(name);
	long id = pw ? (long)pw->pw_uid : -1;

	if (!pw && !number(name, &id))
		return 0;
	*uid = (uid_t)id;
	return 1;
}

int access_group(const char *name, gid_t *gid)
{
	struct group *g = getgrnam(name);
	long id = g ? (long)g->gr_gid : -1;

	if (!g && !number(name, &id))
		return 0;
	*gid = (gid_t)id;
	return 1;
}
