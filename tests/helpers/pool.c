/*
 * pool - be the root jobserver for COMMAND, then count the tokens that
 * come back.
 *
 * Usage: pool [-j N | --fill BYTES] [--style pipe|fifo] [--var NAME]...
 *             [--fds-form] [--report FILE] [--timeout SEC] [--extra WORDS]
 *             -- COMMAND [ARG...]
 *
 * The pool holds N slots: N-1 token bytes ('x') plus the implicit slot of
 * COMMAND.  --fill BYTES makes BYTES the tokens instead (N = their count
 * + 1), so a test can tell whether the bytes that come back are the ones
 * handed out (GNU make's manual asks clients to write back what they
 * read).  The variables named by --var (default MAKEFLAGS) are set to
 * " -jN --jobserver-auth=R,W" (pipe style; --jobserver-fds= with
 * --fds-form) or " -jN --jobserver-auth=fifo:PATH" (fifo style), followed
 * by " WORDS" when --extra is given.
 *
 * After COMMAND exits the pool reads its read end until EOF.  It keeps no
 * write end of its own at that point, so EOF means every process that
 * could still return a token (orphaned grandchildren included) is gone.
 * There is no sleep: the only wait is poll() against the --timeout
 * deadline (default 60 s).
 *
 * stderr gets exactly one line: "pool: K tokens at start, M at end", plus
 * " (TIMED OUT: writers still open)" on timeout.  --report FILE gets
 * "start=K end=M status=S timeout=0|1 startbytes=HEX endbytes=HEX\n",
 * the two multisets of bytes as sorted hex, two digits a byte.
 *
 * Exit status: COMMAND's exit code, 128+signal if it was killed, 124 on
 * timeout, 126/127 if COMMAND could not be executed, 2 on usage error,
 * 1 on any other error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLOTS 4096          /* N-1 tokens must fit in a one-page pipe */
#define MAX_VARS 16

static char fifo_dir[PATH_MAX - 16];  /* room for "/fifo" in fifo_path */
static char fifo_path[PATH_MAX];

static void cleanup_fifo(void)
{
    if (fifo_path[0] != '\0') {
        (void)unlink(fifo_path);
        fifo_path[0] = '\0';
    }
    if (fifo_dir[0] != '\0') {
        (void)rmdir(fifo_dir);
        fifo_dir[0] = '\0';
    }
}

static void die(const char *what)
{
    int e = errno;
    fprintf(stderr, "pool: %s: %s\n", what, strerror(e));
    cleanup_fifo();
    exit(1);
}

static void usage(const char *msg)
{
    fprintf(stderr, "pool: %s (usage: pool [-j N] [--style pipe|fifo] "
            "[--var NAME]... [--fds-form] [--report FILE] [--timeout SEC] "
            "[--extra WORDS] -- COMMAND [ARG...])\n", msg);
    exit(2);
}

static int xclose(int fd)
{
    /* close() is not retried on EINTR: on Linux the fd is gone anyway. */
    return close(fd);
}

/* Move fd to a number >= 3 so it cannot be mistaken for stdio. */
static int lift_fd(int fd, int cloexec, const char *what)
{
    int nfd;

    if (fd >= 3)
        return fd;
    nfd = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 3);
    if (nfd < 0)
        die(what);
    xclose(fd);
    return nfd;
}

static void set_cloexec(int fd, int on, const char *what)
{
    int fl = fcntl(fd, F_GETFD);

    if (fl < 0)
        die(what);
    fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
    if (fcntl(fd, F_SETFD, fl) < 0)
        die(what);
}

static void set_nonblock(int fd, const char *what)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        die(what);
}

static void write_all(int fd, const char *buf, size_t len, const char *what)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            die(what);
        }
        buf += n;
        len -= (size_t)n;
    }
}

static long long now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        die("clock_gettime");
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        char msg[128];

        snprintf(msg, sizeof msg, "bad %s '%.40s'", what, s);
        usage(msg);
    }
    return v;
}

/*
 * Open a private, non-blocking, close-on-exec reader of the pipe behind
 * fd.  Reopening /proc/self/fd/N gives a new open file description, so
 * O_NONBLOCK on it does not leak into COMMAND's copy.  Without /proc we
 * fall back to a dup (shared description) and set O_NONBLOCK only once
 * COMMAND has exited; *shared tells the caller so.
 */
static int private_reader(int fd, int *shared)
{
    char p[64];
    int r;

    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    do
        r = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r >= 0) {
        *shared = 0;
        return lift_fd(r, 1, "reopen read end");
    }
    r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (r < 0)
        die("dup read end");
    *shared = 1;
    return r;
}

int main(int argc, char **argv)
{
    long slots = 4;
    int fifo_style = 0;
    int fds_form = 0;
    const char *vars[MAX_VARS];
    int nvars = 0;
    const char *report = NULL;
    const char *extra = NULL;
    const char *fill = NULL;
    unsigned long seen[256];
    double timeout_s = 60.0;
    int i;
    char **cmd;
    char *value;
    size_t vlen;
    char auth[PATH_MAX + 64];
    char *tokens;
    long ntok;
    int rfd = -1;               /* the pool's own reader (close-on-exec) */
    int wfd = -1;               /* fifo style: the pool's writer */
    int child_r = -1, child_w = -1;     /* pipe style: inherited ends */
    int shared_reader = 0;
    pid_t pid;
    int wstatus, status;
    long long count = 0, deadline;
    int timed_out = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-j") == 0) {
            if (++i >= argc)
                usage("-j needs a number");
            slots = parse_long(argv[i], 1, MAX_SLOTS, "-j");
        } else if (strncmp(a, "-j", 2) == 0) {
            slots = parse_long(a + 2, 1, MAX_SLOTS, "-j");
        } else if (strcmp(a, "--style") == 0) {
            if (++i >= argc)
                usage("--style needs pipe or fifo");
            if (strcmp(argv[i], "pipe") == 0)
                fifo_style = 0;
            else if (strcmp(argv[i], "fifo") == 0)
                fifo_style = 1;
            else
                usage("--style must be pipe or fifo");
        } else if (strcmp(a, "--var") == 0) {
            if (++i >= argc || argv[i][0] == '\0')
                usage("--var needs a name");
            if (nvars >= MAX_VARS)
                usage("too many --var");
            vars[nvars++] = argv[i];
        } else if (strcmp(a, "--fds-form") == 0) {
            fds_form = 1;
        } else if (strcmp(a, "--report") == 0) {
            if (++i >= argc)
                usage("--report needs a file");
            report = argv[i];
        } else if (strcmp(a, "--timeout") == 0) {
            char *end;

            if (++i >= argc)
                usage("--timeout needs seconds");
            errno = 0;
            timeout_s = strtod(argv[i], &end);
            if (errno != 0 || end == argv[i] || *end != '\0'
                || !(timeout_s >= 0.0) || timeout_s > 86400.0 * 365)
                usage("bad --timeout");
        } else if (strcmp(a, "--fill") == 0) {
            if (++i >= argc || argv[i][0] == '\0'
                || strlen(argv[i]) >= MAX_SLOTS)
                usage("--fill needs 1 to 4095 bytes");
            fill = argv[i];
            slots = (long)strlen(fill) + 1;
        } else if (strcmp(a, "--extra") == 0) {
            if (++i >= argc)
                usage("--extra needs words");
            extra = argv[i];
        } else {
            usage("unknown option");
        }
    }
    if (i >= argc)
        usage("missing -- COMMAND");
    cmd = &argv[i];
    if (nvars == 0)
        vars[nvars++] = "MAKEFLAGS";
    if (fifo_style && fds_form)
        usage("--fds-form needs --style pipe");

    ntok = slots - 1;
    tokens = malloc(ntok > 0 ? (size_t)ntok : 1);
    if (tokens == NULL)
        die("malloc");
    memset(tokens, 'x', ntok > 0 ? (size_t)ntok : 1);
    if (fill != NULL)
        memcpy(tokens, fill, (size_t)ntok);
    memset(seen, 0, sizeof seen);

    if (!fifo_style) {
        int p[2];

        if (pipe(p) < 0)
            die("pipe");
        /* pipe() without O_CLOEXEC: both ends are for COMMAND. */
        child_r = lift_fd(p[0], 0, "dup pipe");
        child_w = lift_fd(p[1], 0, "dup pipe");
        set_cloexec(child_r, 0, "fcntl pipe");
        set_cloexec(child_w, 0, "fcntl pipe");
        write_all(child_w, tokens, (size_t)ntok, "write tokens");
        rfd = private_reader(child_r, &shared_reader);
        snprintf(auth, sizeof auth, "--jobserver-%s=%d,%d",
                 fds_form ? "fds" : "auth", child_r, child_w);
    } else {
        const char *tmp = getenv("TMPDIR");

        if (tmp == NULL || tmp[0] == '\0')
            tmp = "/tmp";
        if ((size_t)snprintf(fifo_dir, sizeof fifo_dir, "%s/pool.XXXXXX",
                             tmp) >= sizeof fifo_dir) {
            fifo_dir[0] = '\0';
            errno = ENAMETOOLONG;
            die("mkdtemp");
        }
        if (mkdtemp(fifo_dir) == NULL) {
            fifo_dir[0] = '\0';
            die("mkdtemp");
        }
        snprintf(fifo_path, sizeof fifo_path, "%s/fifo", fifo_dir);
        if (mkfifo(fifo_path, 0600) < 0) {
            int e = errno;

            fifo_path[0] = '\0';
            errno = e;
            die("mkfifo");
        }
        /* Reader first (non-blocking, so it does not wait for a writer),
         * then the writer, which now finds a reader and does not block. */
        do
            rfd = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        while (rfd < 0 && errno == EINTR);
        if (rfd < 0)
            die("open fifo for reading");
        rfd = lift_fd(rfd, 1, "dup fifo");
        do
            wfd = open(fifo_path, O_WRONLY | O_CLOEXEC);
        while (wfd < 0 && errno == EINTR);
        if (wfd < 0)
            die("open fifo for writing");
        wfd = lift_fd(wfd, 1, "dup fifo");
        write_all(wfd, tokens, (size_t)ntok, "write tokens");
        snprintf(auth, sizeof auth, "--jobserver-auth=fifo:%s", fifo_path);
    }
    vlen = strlen(auth) + 32 + (extra ? strlen(extra) + 1 : 0);
    value = malloc(vlen);
    if (value == NULL)
        die("malloc");
    snprintf(value, vlen, " -j%ld %s%s%s", slots, auth,
             extra ? " " : "", extra ? extra : "");
    for (i = 0; i < nvars; i++)
        if (setenv(vars[i], value, 1) < 0)
            die("setenv");
    free(value);

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int e;

        execvp(cmd[0], cmd);
        e = errno;
        fprintf(stderr, "pool: exec %s: %s\n", cmd[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }

    /* Keep no write end: EOF must mean every possible returner is gone.
     * In pipe style the pool keeps only its close-on-exec reader. */
    if (!fifo_style) {
        xclose(child_w);
        xclose(child_r);
    }

    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR)
            die("waitpid");
    }
    if (WIFEXITED(wstatus))
        status = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        status = 128 + WTERMSIG(wstatus);
    else
        status = 1;

    if (fifo_style) {
        xclose(wfd);
        wfd = -1;
    }
    if (shared_reader)
        set_nonblock(rfd, "fcntl read end");

    deadline = now_ms() + (long long)(timeout_s * 1000.0);
    for (;;) {
        struct pollfd pfd;
        long long left = deadline - now_ms();
        char buf[4096];
        ssize_t n;
        int r;

        if (left < 0)
            left = 0;
        pfd.fd = rfd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (r == 0) {
            if (now_ms() < deadline)
                continue;
            timed_out = 1;
            break;
        }
        n = read(rfd, buf, sizeof buf);
        if (n > 0) {
            ssize_t k;

            for (k = 0; k < n; k++)
                seen[(unsigned char)buf[k]]++;
            count += n;
            continue;
        }
        if (n == 0)
            break;              /* EOF: no writer left anywhere */
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            continue;           /* another reader won the race */
        die("read");
    }
    xclose(rfd);
    cleanup_fifo();

    fprintf(stderr, "pool: %ld tokens at start, %lld at end%s\n", ntok, count,
            timed_out ? " (TIMED OUT: writers still open)" : "");

    if (report != NULL) {
        static char line[128 + 4 * 2 * MAX_SLOTS + 2 * 2 * 4096];
        unsigned long have[256];
        int fd, b;
        long k;
        int len = snprintf(line, sizeof line,
                           "start=%ld end=%lld status=%d timeout=%d"
                           " startbytes=", ntok, count, status, timed_out);

        memset(have, 0, sizeof have);
        for (k = 0; k < ntok; k++)
            have[(unsigned char)tokens[k]]++;
        for (b = 0; b < 256; b++)
            for (k = 0; k < (long)have[b] && len < (int)sizeof line - 8; k++)
                len += snprintf(line + len, sizeof line - (size_t)len,
                                "%02x", b);
        len += snprintf(line + len, sizeof line - (size_t)len, " endbytes=");
        for (b = 0; b < 256; b++)
            for (k = 0; k < (long)seen[b] && len < (int)sizeof line - 8; k++)
                len += snprintf(line + len, sizeof line - (size_t)len,
                                "%02x", b);
        len += snprintf(line + len, sizeof line - (size_t)len, "\n");

        do
            fd = open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
            die("open report");
        write_all(fd, line, (size_t)len, "write report");
        if (xclose(fd) < 0 && errno != EINTR)
            die("close report");
    }
    free(tokens);
    return timed_out ? 124 : status;
}
