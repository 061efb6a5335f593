#!/usr/bin/env python3
"""tests/tools/idle.py: drive idle children behind jobproxy (issue 15).

Run under tests/helpers/pool, whose jobserver is in MAKEFLAGS.  Each child
is `COMMAND... D=dN` (a jobproxy make whose one job writes its pid to
dN.pid and sleeps): the make sits in wait4 while that job runs on its
implicit slot, an idle tree.

  idle.py one SECONDS COMMAND...
      One child.  Once its make sits in wait() and after its first
      second, count its jobproxy's wakeups (voluntary context switches)
      over SECONDS, then end the job.  Prints
      "wakeups=W seconds=S start=T0 from=T1 to=T2" (CLOCK_MONOTONIC, us:
      the clock of jobproxy's --trace).
  idle.py many N SECONDS COMMAND...
      N children.  Once all N jobs run, their makes sit in wait() and a
      second has passed, sample the pool's free tokens (FIONREAD on its
      read end) every 2 ms for SECONDS: prints "children=N samples=K
      mean_out=M max_out=X".
  idle.py hungry GO COMMAND...
      One child whose make waits for file GO before its parallel jobs:
      after its first second and 1.5 s more (its probes then run on the
      back-off), create GO and wait for the child.  With IDLE_SIGNAL=NAME
      (WINCH, ...) in the environment, that signal is sent to COMMAND's
      process (the jobproxy) after the first second.

Every wait has a limit (60 s); the children are ended on every way out.
"""
import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import time

LIMIT = 60


def die(msg):
    sys.stderr.write("idle.py: %s\n" % msg)
    sys.exit(1)


def us():
    return int(time.monotonic() * 1e6)


def wait_until(cond, what):
    end = time.monotonic() + LIMIT
    while not cond():
        if time.monotonic() > end:
            die("timed out waiting for " + what)
        time.sleep(0.01)


def job_pid(d):
    try:
        with open(d + ".pid") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def wakeups(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"voluntary_ctxt_switches:\s*(\d+)",
                             f.read()).group(1))


def in_wait(pid):
    """Is PID asleep in wait() for its children (kernel's do_wait)?"""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read().strip() == "do_wait"
    except OSError:
        return False


def exe(pid):
    st = os.stat("/proc/%d/exe" % pid)
    return st.st_dev, st.st_ino


def settled(job, jp):
    """Every process between the job and its jobproxy JP (a make, a shell)
    sits in wait(), but a jobproxy (inserted as make: by the link its comm
    is "make"): the tree is idle from here on."""
    pid = ppid(job)
    while pid not in (jp, 0, 1):
        if exe(pid) != exe(jp) and not in_wait(pid):
            return False
        pid = ppid(pid)
    return True


def start(cmd, n):
    kids = []
    for i in range(n):
        kids.append((subprocess.Popen(cmd + ["D=d%d" % i], close_fds=False),
                     "d%d" % i))
    return kids


def finish(kids):
    for p, d in kids:
        pid = job_pid(d)
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    bad = [p.wait() for p, _ in kids]
    # the job's SIGTERM makes make fail: 2 is make's "a job failed"
    if any(s not in (0, 2) for s in bad):
        die("exit statuses %s" % bad)


def window(t0):
    """The first second is the start-up's: look only after it."""
    while time.monotonic() < t0 + 1.0:
        time.sleep(0.05)


def pool_read_fd():
    m = re.findall(r"--jobserver-auth=(\d+),", os.environ.get("MAKEFLAGS", ""))
    if not m:
        die("no pipe jobserver in MAKEFLAGS")
    return int(m[-1])


def one(secs, cmd):
    t0 = time.monotonic()
    kids = start(cmd, 1)
    try:
        wait_until(lambda: job_pid("d0"), "the job")
        jp, up = kids[0][0].pid, job_pid("d0")
        while up not in (jp, 0, 1):
            up = ppid(up)
        if up != jp:
            die("the job does not descend from jobproxy %d" % jp)
        wait_until(lambda: settled(job_pid("d0"), jp), "make in wait()")
        # The first second is each jobproxy's own, the innermost's too
        # (a nested tree): it started before the job, which has started
        # by now.  Counted from our start, a busy machine could put a
        # late inner jobproxy's first second in the window.
        window(time.monotonic())
        a, t1 = wakeups(jp), us()
        time.sleep(secs)            # the measurement window
        b, t2 = wakeups(jp), us()
    finally:
        finish(kids)
    print("wakeups=%d seconds=%g start=%d from=%d to=%d" %
          (b - a, secs, int(t0 * 1e6), t1, t2))


def many(n, secs, cmd):
    fd = pool_read_fd()
    size = struct.pack("i", 0)
    total = int(re.search(r"-j(\d+)", os.environ["MAKEFLAGS"]).group(1)) - 1
    kids = start(cmd, n)
    try:
        wait_until(lambda: all(job_pid(d) for _, d in kids), "all jobs")
        wait_until(lambda: all(settled(job_pid(d), p.pid) for p, d in kids),
                   "every make in wait()")
        window(time.monotonic())
        out, end = [], time.monotonic() + secs
        while time.monotonic() < end:
            free = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD,
                                                  size))[0]
            out.append(total - free)
            time.sleep(0.002)
    finally:
        finish(kids)
    print("children=%d samples=%d mean_out=%.4f max_out=%d" %
          (n, len(out), sum(out) / len(out), max(out)))


def hungry(go, cmd):
    t0 = time.monotonic()
    kids = start(cmd, 1)
    try:
        wait_until(lambda: job_pid("d0"), "the first job")
        window(t0)
        sig = os.environ.get("IDLE_SIGNAL")
        if sig:                     # to the jobproxy, which passes it on
            os.kill(kids[0][0].pid, getattr(signal, "SIG" + sig))
        time.sleep(1.5)             # into the back-off: probes, not offers
        open(go, "w").close()
        s = kids[0][0].wait(timeout=LIMIT)
    finally:
        for p, _ in kids:
            if p.poll() is None:
                p.kill()
                p.wait()
    if s != 0:
        die("make exited %d" % s)
    print("hungry child done")


def main(argv):
    if len(argv) > 3 and argv[1] == "one":
        one(float(argv[2]), argv[3:])
    elif len(argv) > 4 and argv[1] == "many":
        many(int(argv[2]), float(argv[3]), argv[4:])
    elif len(argv) > 3 and argv[1] == "hungry":
        hungry(argv[2], argv[3:])
    else:
        die("usage: idle.py one|many|hungry ... (see the file)")


if __name__ == "__main__":
    main(sys.argv)
