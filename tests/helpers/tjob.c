/*
 * tjob - a synthetic build job that records concurrency.
 *
 * Usage: tjob DIR [--need N] [--until FILE] [--ms MS]
 *                 [--kill PID --when N [--sig SIG]] [--timeout SEC]
 *        tjob --client STEP...
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
 *
 * --client: a jobserver client of the jobserver in MAKEFLAGS (pipe R,W or
 * fifo:PATH), run step by step:
 *   take=N      read N tokens, each with a blocking read(2), as a client
 *               waiting for a token does (no deadline: a hang is a hang)
 *   put=N[:C]   write N bytes C (default '+') at once: returns of what it
 *               holds, over-returns past that
 *   parked=N    wait until N bytes wait in the token pipe or fifo
 *   grow        make the token pipe 64 KiB (F_SETPIPE_SZ, Linux): room in
 *               it no longer means its tokens were taken
 *   settle      wait until our parent (the jobproxy in front of us) sleeps:
 *               it has handled everything our last write woke it for
 *   grab        read as many tokens as it can: non-blocking reads, and
 *               when none is there, settle and try once more
 *   touch=F     create file F            wait=F   wait until F exists
 *   report=F    write "max=M held=H read=R wrote=W\n" to F
 * HELD counts what the client holds: a read adds one, a write gives back
 * one while it holds any (a write beyond is an over-return: its implicit
 * slot, held no more than before).  MAX is the most it held at once.
 * Exit 0; 1 on an error (EOF included: "tjob: EOF on the jobserver").
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031	/* Linux; hidden without _GNU_SOURCE */
#endif

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

/* --client: see the top of the file. */
struct client {
    int rfd, wfd;               /* blocking, as a client gets them */
    int nbfd;                   /* our non-blocking reader (grab) */
    long held, max, nread, nwrote;
};

static void client_fail(const char *what)
{
    fprintf(stderr, "tjob: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void client_open(struct client *c)
{
    const char *mf = getenv("MAKEFLAGS"), *a = NULL, *p;
    char path[PATH_MAX];
    size_t len;

    for (p = mf; p && (p = strstr(p, "--jobserver-auth=")); p++)
        a = p + 17;             /* the last one wins, as in make */
    if (!a) {
        errno = EINVAL;
        client_fail("no --jobserver-auth in MAKEFLAGS");
    }
    if (strncmp(a, "fifo:", 5) == 0) {
        len = strcspn(a + 5, " ");
        if (len >= sizeof path) {
            errno = ENAMETOOLONG;
            client_fail("fifo path");
        }
        memcpy(path, a + 5, len);
        path[len] = '\0';
        c->rfd = open_retry(path, O_RDONLY, 0);
        c->wfd = open_retry(path, O_WRONLY, 0);
        c->nbfd = open_retry(path, O_RDONLY | O_NONBLOCK, 0);
    } else {
        if (sscanf(a, "%d,%d", &c->rfd, &c->wfd) != 2) {
            errno = EINVAL;
            client_fail("bad --jobserver-auth");
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", c->rfd);
        c->nbfd = open_retry(path, O_RDONLY | O_NONBLOCK, 0);
    }
    if (c->rfd < 0 || c->wfd < 0 || c->nbfd < 0)
        client_fail("open the jobserver");
}

static void got(struct client *c)
{
    c->nread++;
    if (++c->held > c->max)
        c->max = c->held;
}

static long pending(int fd)
{
    int n = 0;

    return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

/* Our parent's state letter from /proc (the field after "(comm)"). */
static char parent_state(void)
{
    char path[64], buf[512], *r;
    int fd;
    ssize_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)getppid());
    fd = open_retry(path, O_RDONLY, 0);
    if (fd < 0)
        return '?';
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return '?';
    buf[n] = '\0';
    r = strrchr(buf, ')');
    return r && r[1] == ' ' ? r[2] : '?';
}

static void settle(void)
{
    struct timespec ts = { 0, 100000L };

    while (parent_state() != 'S')
        nanosleep(&ts, NULL);
}

static void wait_file(const char *f)
{
    struct timespec ts = { 0, 1000000L };

    while (access(f, F_OK) != 0)
        nanosleep(&ts, NULL);
}

static int client_main(int argc, char **argv)
{
    struct client c;
    char b;
    int i;

    memset(&c, 0, sizeof c);
    client_open(&c);
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        long n;

        if (strncmp(a, "take=", 5) == 0) {
            for (n = atol(a + 5); n > 0; n--) {
                ssize_t r;

                do
                    r = read(c.rfd, &b, 1);
                while (r < 0 && errno == EINTR);
                if (r == 0) {
                    fprintf(stderr, "tjob: EOF on the jobserver\n");
                    exit(1);
                }
                if (r < 0)
                    client_fail("read a token");
                got(&c);
            }
        } else if (strncmp(a, "put=", 4) == 0) {
            char *end, *buf;
            size_t off = 0;

            n = strtol(a + 4, &end, 10);
            buf = malloc(n > 0 ? (size_t)n : 1);
            if (!buf)
                client_fail("malloc");
            memset(buf, *end == ':' ? end[1] : '+', (size_t)n);
            while (off < (size_t)n) {
                ssize_t w = write(c.wfd, buf + off, (size_t)n - off);

                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0)
                    client_fail("write tokens back");
                off += (size_t)w;
            }
            free(buf);
            c.nwrote += n;
            c.held = c.held > n ? c.held - n : 0;
        } else if (strncmp(a, "parked=", 7) == 0) {
            struct timespec ts = { 0, 100000L };

            while (pending(c.nbfd) < atol(a + 7))
                nanosleep(&ts, NULL);
        } else if (strcmp(a, "grow") == 0) {
            if (fcntl(c.rfd, F_SETPIPE_SZ, 65536) < 0)
                client_fail("F_SETPIPE_SZ");
        } else if (strcmp(a, "settle") == 0) {
            settle();
        } else if (strcmp(a, "grab") == 0) {
            int tries = 0;

            while (tries < 2) {
                ssize_t r = read(c.nbfd, &b, 1);

                if (r == 1) {
                    got(&c);
                    tries = 0;
                } else if (r < 0 && errno == EAGAIN) {
                    settle();
                    tries++;
                } else if (r < 0 && errno == EINTR) {
                    continue;
                } else {
                    client_fail("grab");
                }
            }
        } else if (strncmp(a, "touch=", 6) == 0) {
            int fd = open_retry(a + 6, O_WRONLY | O_CREAT, 0644);

            if (fd < 0)
                client_fail(a + 6);
            close(fd);
        } else if (strncmp(a, "wait=", 5) == 0) {
            wait_file(a + 5);
        } else if (strncmp(a, "report=", 7) == 0) {
            FILE *f = fopen(a + 7, "w");

            if (!f)
                client_fail(a + 7);
            fprintf(f, "max=%ld held=%ld read=%ld wrote=%ld\n", c.max,
                    c.held, c.nread, c.nwrote);
            fclose(f);
        } else {
            usage("unknown --client step");
        }
    }
    return 0;
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

    if (argc >= 2 && strcmp(argv[1], "--client") == 0)
        return client_main(argc, argv);
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
