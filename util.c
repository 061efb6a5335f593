/* util: see util.h. */
#include "util.h"
#include "makeflags.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int fd_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int pipe_cloexec(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	if (fd_cloexec(p[0]) < 0 || fd_cloexec(p[1]) < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	return 0;
}

int64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int64_t now_ms(void)
{
	return now_us() / 1000;
}

void timeout_lower(int *timeout, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms > INT_MAX)
		ms = INT_MAX;
	if (*timeout < 0 || ms < *timeout)
		*timeout = (int)ms;
}

int64_t ms_ceil(int64_t us)
{
	return us > 0 ? (us + 999) / 1000 : 0;
}

void wake_lower(int64_t *wake, int64_t at)
{
	if (*wake == 0 || at < *wake)
		*wake = at;
}

int cores(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n;

	if (num_int(getenv("NIX_BUILD_CORES"), 1, MF_MAX_JOBS, &n))
		return n;
	return cpus > 0 ? (int)(cpus < MF_MAX_JOBS ? cpus : MF_MAX_JOBS) : 1;
}

int num_parse(const char *s, int base, uint64_t max, const char **end,
	      uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!s)
		return 0;
	for (p = s; *p >= '0' && *p < '0' + base; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (d > max || v > (max - d) / (unsigned)base)
			return 0;	/* above MAX: checked before it wraps */
		v = v * (unsigned)base + d;
	}
	if (p == s || (!end && *p != '\0'))
		return 0;
	if (end)
		*end = p;
	*out = v;
	return 1;
}

int num_int(const char *s, int min, int max, int *out)
{
	uint64_t v;

	if (!num_parse(s, 10, (uint64_t)max, NULL, &v) || v < (uint64_t)min)
		return 0;
	*out = (int)v;
	return 1;
}

int num_size(const char *s, int64_t *out)
{
	const int64_t max = (int64_t)1 << 50;
	const char *end;
	uint64_t v;
	int shift = 0;

	if (!num_parse(s, 10, (uint64_t)max, &end, &v))
		return 0;
	if (*end && !end[1]) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return 0;
		}
	} else if (*end) {
		return 0;
	}
	if (v == 0 || v > (uint64_t)max >> shift)
		return 0;
	*out = (int64_t)(v << shift);
	return 1;
}

int read_text(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}
