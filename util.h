/*
 * util: the small helpers every part of jobproxy shares: closing an fd we
 * own, fd flags, the monotonic clock, and the one bounded number parser
 * that every option, environment variable and file holding a number goes
 * through.
 */
#ifndef JOBPROXY_UTIL_H
#define JOBPROXY_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Close *FD if it is open (>= 0), then set it to -1. */
void close_fd(int *fd);

/* Set FD_CLOEXEC, or O_NONBLOCK, on FD: 0, or -1 with errno. */
int fd_cloexec(int fd);
int fd_nonblock(int fd);

/* pipe(2) with both ends close-on-exec: 0, or -1 with errno and nothing
 * left open. */
int pipe_cloexec(int p[2]);

/*
 * CLOCK_MONOTONIC in microseconds, and in milliseconds.  64 bits: no wrap
 * in any lifetime, on 32-bit systems too (a long of milliseconds wraps
 * after 24.8 days there).
 */
int64_t now_us(void);
int64_t now_ms(void);

/* Lower *TIMEOUT (poll()'s: ms, -1 for none) to MS, clamped to 0..INT_MAX. */
void timeout_lower(int *timeout, int64_t ms);

/* US microseconds in whole milliseconds, rounded up (0 for US <= 0): a
 * wait that never ends before its moment and goes round once more. */
int64_t ms_ceil(int64_t us);

/* Lower *WAKE (a moment in us on now_us()'s clock, 0 for none) to AT: a
 * wait finer than poll()'s milliseconds (waitset.h). */
void wake_lower(int64_t *wake, int64_t at);

/* The pool size "auto" means: NIX_BUILD_CORES (in a nix build, the cores
 * it was given), else the online CPUs. */
int cores(void);

/*
 * The number at S: digits of BASE (8 or 10) only, no sign, no blank, at
 * most MAX.  With END NULL the number must be all of S; else *END is set
 * just past its last digit.  1 with *OUT set, or 0: no digit, a character
 * that is not one, or a value above MAX (never wrapped).
 */
int num_parse(const char *s, int base, uint64_t max, const char **end,
	      uint64_t *out);

/* All of S, decimal, in MIN..MAX (MIN >= 0): 1 with *OUT set, or 0. */
int num_int(const char *s, int min, int max, int *out);

/*
 * A size in bytes: decimal digits, then k, M or G (powers of 1024, either
 * case) or nothing, at least 1 byte, at most 2^50 (a PiB): 1 with *OUT set,
 * or 0.
 */
int num_size(const char *s, int64_t *out);

/*
 * Read PATH whole into BUF of SIZE bytes (NUL-terminated, cut at SIZE - 1:
 * for small files such as /proc and cgroup entries); its length, or -1.
 */
int read_text(const char *path, char *buf, size_t size);

#endif
