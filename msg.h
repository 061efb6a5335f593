/* msg: the one message shape, "jobproxy: what failed: strerror". */
#ifndef JOBPROXY_MSG_H
#define JOBPROXY_MSG_H

#if defined(__GNUC__) || defined(__clang__)
#define JP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define JP_NORETURN __attribute__((noreturn))
#else
#define JP_PRINTF(a, b)
#define JP_NORETURN
#endif

/*
 * Print "jobproxy: MESSAGE" as one line with one write(2), so lines from
 * nested proxies never interleave.  A format that ends in ':' gets
 * ": strerror(errno)" appended, with errno as it was at the call.
 * errno is preserved across all of these.
 */
void jp_warn(const char *fmt, ...) JP_PRINTF(1, 2);
void jp_verbose(const char *fmt, ...) JP_PRINTF(1, 2);
void jp_fatal(int status, const char *fmt, ...) JP_PRINTF(2, 3) JP_NORETURN;

/* Turn --verbose lines on. */
void jp_set_verbose(int on);

#endif
