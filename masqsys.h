/* masqsys: the system calls of the masquerade directory (see masq.h). */
#ifndef JOBPROXY_MASQSYS_H
#define JOBPROXY_MASQSYS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Find the real NAME on PATH (NULL: unset, the system's default search
 * path, as execvp uses) after the entry naming AFTER (see masq_search):
 * the first executable regular file that is not this binary, which is
 * told by SELF_DEV and SELF_INO (stat of /proc/self/exe; links and hard
 * links of it share them).  Returns 1 with the file in BUF, else 0.
 */
int masq_find_real(const char *name, const char *path, const char *after,
		   dev_t self_dev, ino_t self_ino, char *buf, size_t size);

#endif
