/* masqsys: the system calls of the masquerade directory (see masq.h). */
#ifndef JOBPROXY_MASQSYS_H
#define JOBPROXY_MASQSYS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Find the real NAME on PATH (NULL: unset, the system's default search
 * path, as execvp uses) after the entry naming AFTER (see masq_search;
 * for a link directory AFTER, its tool directory for NAME when PATH has
 * that, as a link's child PATH does):
 * the first executable regular file that is not this binary, which is
 * told by SELF_DEV and SELF_INO (stat of /proc/self/exe; links and hard
 * links of it share them).  Returns 1 with the file in BUF, else 0.
 */
int masq_find_real(const char *name, const char *path, const char *after,
		   dev_t self_dev, ino_t self_ino, char *buf, size_t size);

/*
 * Whether the make at FILE reads the fifo style: make 4.4 and later, told
 * by the option only they know, "--jobserver-style", in the binary.  0
 * when it cannot be read.
 */
int masq_make_reads_fifo(const char *file);

/*
 * This binary's device and inode (stat of /proc/self/exe, else of ARGV0
 * when it has a '/'); 0 when neither can be had.
 */
int masq_self(const char *argv0, dev_t *dev, ino_t *ino);

/*
 * The link directory (see masq.h) into BUF: $JOBPROXY_LINKS when set, else
 * <dir of this binary>/../libexec/jobproxy (installed), else <dir of this
 * binary>/libexec/jobproxy (the build tree), each taken only when its
 * "make" is this very binary.  Returns 1 with the absolute path, else 0.
 */
int masq_link_dir(const char *argv0, dev_t self_dev, ino_t self_ino,
		  char *buf, size_t size);

/*
 * PATH for the child (PATH unset: the system's default search path, as
 * execvp uses): the per-tool directories of LINKS (masq.h) of the tools
 * found further on PATH first, LINKS and its other tool directories
 * dropped; LINKS itself first where it has no per-tool layout.  SELF_DEV
 * and SELF_INO: this binary (masq_self).  A malloc'd string; NULL when
 * out of memory.
 */
char *masq_child_path(const char *path, const char *links, dev_t self_dev,
		      ino_t self_ino);

/* This binary's absolute path, malloc'd ("jobproxy" as the last resort:
 * found through PATH); NULL when out of memory. */
char *masq_self_path(const char *argv0);

#endif
