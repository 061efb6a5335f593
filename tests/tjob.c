/*
 * tjob - a synthetic build job that records concurrency.
 *
 * Usage: tjob DIR [--need N] [--until FILE] [--ms MS]
 *                 [--kill PID --when N [--sig SIG]] [--timeout SEC]
 *
 * DIR/state holds "cur max total\n", guarded by an fcntl() write lock on
 * DIR/lock (both created if missing).  DIR/log gets "<monotonic ns> +1\n"
 * at start and "<ns> -1\n" at the end, each with one write() on an
 * O_APPEND fd, written while the lock is held so the log order matches the
 * state order.
 *
 * Steps, in order:
 *   start   cur++, total++, max = max(max, cur)
 *   --need  wait until max >= N            ("tjob: only M of N jobs ever
 *                                             ran at once")
 *   --until wait until FILE exists         ("tjob: FILE never appeared")
 *   --kill  wait until cur >= N, kill(PID, SIG) (default SIGKILL),
 *           then create DIR/killed
 *   --ms    sleep MS milliseconds (the workload)
 *   exit    cur--
 * The waits poll the condition every 1 ms against one deadline, --timeout
 * seconds (default 30) after start.  On any error cur is still decremented;
 * exit status 1 (2 for usage).  SIGINT/SIGTERM/SIGHUP also decrement cur,
 * then the job dies of the signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

struct state {
    long cur, max, total;
};

static char lock_path[PATH_MAX];
static char state_path[PATH_MAX];
static char log_path[PATH_MAX];
static char killed_path[PATH_MAX];
static int lock_fd = -1;
static int state_fd = -1;
static int log_fd = -1;
static int started;             /* cur was incremented and not yet undone */
static volatile sig_atomic_t got_sig;

static void finish(int code);

static void fail(const char *what)
{
    int e = errno;

    fprintf(stderr, "tjob: %s: %s\n", what, strerror(e));
    finish(1);
}

static void usage(const char *msg)
{
    fprintf(stderr, "tjob: %s (usage: tjob DIR [--need N] [--until FILE] "
            "[--ms MS] [--kill PID --when N [--sig SIG]] [--timeout SEC])\n",
            msg);
    exit(2);
}

static void on_signal(int sig)
{
    got_sig = sig;
}

static int open_retry(const char *path, int flags, mode_t mode)
{
    int fd;

    do
        fd = open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return fd;
}

static void lock(int type)
{
    struct flock fl;

    memset(&fl, 0, sizeof fl);
    fl.l_type = (short)type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    while (fcntl(lock_fd, F_SETLKW, &fl) < 0) {
        if (errno != EINTR) {
            if (type != F_UNLCK)
                fail("lock");
            return;
        }
    }
}

static int read_state(struct state *s)
{
    char buf[128];
    size_t got = 0;

    s->cur = s->max = s->total = 0;
    for (;;) {
        ssize_t n = pread(state_fd, buf + got, sizeof buf - 1 - got,
                          (off_t)got);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0 || got + (size_t)n >= sizeof buf - 1) {
            got += (size_t)n;
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (got > 0 && sscanf(buf, "%ld %ld %ld", &s->cur, &s->max, &s->total) != 3) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

static int write_state(const struct state *s)
{
    char buf[128];
    int len = snprintf(buf, sizeof buf, "%ld %ld %ld\n", s->cur, s->max,
                       s->total);
    size_t off = 0;

    while (off < (size_t)len) {
        ssize_t n = pwrite(state_fd, buf + off, (size_t)len - off,
                           (off_t)off);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)n;
    }
    while (ftruncate(state_fd, (off_t)len) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int log_event(const char *what)
{
    char buf[64];
    int len = snprintf(buf, sizeof buf, "%lld %s\n", now_ns(), what);
    ssize_t n;

    do
        n = write(log_fd, buf, (size_t)len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if (n != len) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* Undo the start (if done) and exit.  Errors here are reported but the
 * exit code of the first failure wins. */
static void finish(int code)
{
    if (started) {
        struct state s;

        started = 0;
        lock(F_WRLCK);
        if (read_state(&s) < 0) {
            fprintf(stderr, "tjob: read state: %s\n", strerror(errno));
            code = code ? code : 1;
        } else {
            s.cur--;
            if (write_state(&s) < 0) {
                fprintf(stderr, "tjob: write state: %s\n", strerror(errno));
                code = code ? code : 1;
            }
        }
        if (log_event("-1") < 0) {
            fprintf(stderr, "tjob: write log: %s\n", strerror(errno));
            code = code ? code : 1;
        }
        lock(F_UNLCK);
    }
    if (got_sig) {
        int sig = got_sig;

        signal(sig, SIG_DFL);
        raise(sig);
    }
    exit(code);
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

static void join(char *out, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        usage("DIR too long");
}

/* Sleep 1 ms, or less if a signal arrives (then finish with it). */
static void tick(void)
{
    struct timespec ts = { 0, 1000000L };

    if (got_sig)
        finish(1);
    (void)nanosleep(&ts, NULL);
    if (got_sig)
        finish(1);
}

int main(int argc, char **argv)
{
    const char *dir;
    long need = 0, when = 0, ms = -1, sig = SIGKILL;
    long kill_pid = 0;
    int have_kill = 0, have_when = 0;
    const char *until = NULL;
    double timeout_s = 30.0;
    long long deadline;
    struct state s;
    struct sigaction sa;
    int i;

    if (argc < 2 || argv[1][0] == '-')
        usage("missing DIR");
    dir = argv[1];
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];

        if (i + 1 >= argc)
            usage("option needs a value");
        if (strcmp(a, "--need") == 0) {
            need = parse_long(argv[++i], 0, LONG_MAX, "--need");
        } else if (strcmp(a, "--until") == 0) {
            until = argv[++i];
        } else if (strcmp(a, "--ms") == 0) {
            ms = parse_long(argv[++i], 0, LONG_MAX / 1000000, "--ms");
        } else if (strcmp(a, "--kill") == 0) {
            kill_pid = parse_long(argv[++i], 1, LONG_MAX, "--kill");
            have_kill = 1;
        } else if (strcmp(a, "--when") == 0) {
            when = parse_long(argv[++i], 0, LONG_MAX, "--when");
            have_when = 1;
        } else if (strcmp(a, "--sig") == 0) {
            sig = parse_long(argv[++i], 0, 127, "--sig");
        } else if (strcmp(a, "--timeout") == 0) {
            char *end;

            errno = 0;
            timeout_s = strtod(argv[++i], &end);
            if (errno != 0 || *end != '\0' || end == argv[i]
                || !(timeout_s >= 0.0) || timeout_s > 86400.0 * 365)
                usage("bad --timeout");
        } else {
            usage("unknown option");
        }
    }
    if (have_when && !have_kill)
        usage("--when needs --kill");
    if (have_kill && !have_when)
        usage("--kill needs --when");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    join(lock_path, dir, "lock");
    join(state_path, dir, "state");
    join(log_path, dir, "log");
    join(killed_path, dir, "killed");

    deadline = now_ns() + (long long)(timeout_s * 1e9);

    lock_fd = open_retry(lock_path, O_RDWR | O_CREAT, 0644);
    if (lock_fd < 0)
        fail("open lock");
    state_fd = open_retry(state_path, O_RDWR | O_CREAT, 0644);
    if (state_fd < 0)
        fail("open state");
    log_fd = open_retry(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log_fd < 0)
        fail("open log");

    /* start */
    lock(F_WRLCK);
    if (read_state(&s) < 0) {
        lock(F_UNLCK);
        fail("read state");
    }
    s.cur++;
    s.total++;
    if (s.cur > s.max)
        s.max = s.cur;
    if (write_state(&s) < 0) {
        lock(F_UNLCK);
        fail("write state");
    }
    started = 1;
    if (log_event("+1") < 0) {
        lock(F_UNLCK);
        fail("write log");
    }
    lock(F_UNLCK);

    /* --need N: N jobs have run at once at some point */
    if (need > 0) {
        for (;;) {
            lock(F_RDLCK);
            if (read_state(&s) < 0) {
                lock(F_UNLCK);
                fail("read state");
            }
            lock(F_UNLCK);
            if (s.max >= need)
                break;
            if (now_ns() >= deadline) {
                fprintf(stderr, "tjob: only %ld of %ld jobs ever ran at once\n",
                        s.max, need);
                finish(1);
            }
            tick();
        }
    }

    /* --until FILE */
    if (until != NULL) {
        for (;;) {
            if (access(until, F_OK) == 0)
                break;
            if (errno != ENOENT && errno != EINTR)
                fail(until);
            if (now_ns() >= deadline) {
                fprintf(stderr, "tjob: %s never appeared\n", until);
                finish(1);
            }
            tick();
        }
    }

    /* --kill PID --when N */
    if (have_kill) {
        int fd;

        for (;;) {
            lock(F_RDLCK);
            if (read_state(&s) < 0) {
                lock(F_UNLCK);
                fail("read state");
            }
            lock(F_UNLCK);
            if (s.cur >= when)
                break;
            if (now_ns() >= deadline) {
                fprintf(stderr, "tjob: only %ld of %ld jobs running, "
                        "did not kill %ld\n", s.cur, when, kill_pid);
                finish(1);
            }
            tick();
        }
        if (kill((pid_t)kill_pid, (int)sig) < 0)
            fail("kill");
        fd = open_retry(killed_path, O_WRONLY | O_CREAT, 0644);
        if (fd < 0)
            fail("create killed");
        close(fd);
    }

    /* --ms MS: the workload */
    if (ms >= 0) {
        struct timespec ts;

        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (ms % 1000) * 1000000L;
        while (nanosleep(&ts, &ts) < 0) {
            if (errno != EINTR)
                fail("nanosleep");
            if (got_sig)
                finish(1);
        }
    }

    finish(0);
    return 0;
}
