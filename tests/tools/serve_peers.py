#!/usr/bin/env python3
"""Bad and plain peers of a `jobproxy --serve` daemon (tests/integration/t_serve.sh).

usage: serve_peers.py SOCKET CASE
  garbage     send non-text bytes: the daemon answers "error: ..." and
              closes at once
  errors      each malformed request (a job count out of range, a NUL
              inside a line, two lines, too long, unknown) is answered
              with one "error: ..." line, then closed
  silent      connect, send nothing: closed within 5 s (+1 s slack)
  hello-die   send "jobserver\\n" and close before reading the answer
  over-return take the fds, take one token, write back five, exit
  bigpipe LOG take the fds, make the token pipe 64 KiB (F_SETPIPE_SZ), wait
              for the daemon's line about it in LOG, then take a token,
              give it back and leave
  keep PID LOG  on a pool of 1: B is a client, A takes the token B left
              unread; B wants one; the daemon (PID, its log LOG) is
              stopped while A gives its token back and a "status" comes
              in: continued, the daemon kept A's token for A (A's pipe
              was empty: its next job takes it), it did not send it to B
  fds PID     the daemon's open fds grow by 4 for a jobserver client (its
              socket, token pipe, our reader of it, return pipe): no more
  ask LINE    send LINE and a newline, print the answer as it came
  flood N     open N connections at once, a third silent, a third asking
              for a jobserver and never reading, a third garbage; while
              all are open the daemon must answer "status" within 5 s
Prints one line per case; exit 0 on the expected behaviour.
"""
import fcntl, os, resource, select, socket, sys, time


def conn(path, block=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(block)
    return s


def closed_within(s, secs):
    """True when the daemon closed S (EOF, no answer) within SECS."""
    s.settimeout(secs)
    try:
        return s.recv(100) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def answer(s, secs):
    """All the daemon sent on S before it closed, within SECS (None if it
    did not close)."""
    s.settimeout(secs)
    out = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return out
            out += b
    except socket.timeout:
        return None
    except ConnectionResetError:
        return out


def status(path, secs):
    s = conn(path)
    s.settimeout(secs)
    s.sendall(b"status\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out.decode()
        out += b


def jobserver(path):
    s = conn(path)
    s.sendall(b"jobserver\n")
    msg, fds, _, _ = socket.recv_fds(s, 64, 4)
    if not msg.startswith(b"jobproxy 1 ") or len(fds) != 2:
        sys.exit("not a jobserver: %r with %d fds" % (msg, len(fds)))
    return s, fds[0], fds[1]


def state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def until(cond, what, secs=30):
    t = time.monotonic()
    while not cond():
        if time.monotonic() - t > secs:
            sys.exit("keep: %s: not within %d s" % (what, secs))
        time.sleep(0.005)


def readable(fd, secs):
    """poll, never select: select breaks on fds >= FD_SETSIZE."""
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(secs * 1000))


def logged(log, text):
    with open(log) as f:
        return text in f.read()


def keep(path, pid, log):
    sb, rb, wb = jobserver(path)            # B: its token parked, unread
    sa, ra, wa = jobserver(path)
    os.read(ra, 1)          # A: once B's token idled back, A gets it
    os.write(wb, b"+")      # B returns one it never took: B wants one now
    until(lambda: logged(log, "returned 1 token(s) it never took"),
          "the daemon saw B's return")
    os.kill(pid, 19)        # SIGSTOP
    until(lambda: state(pid) == "T", "the daemon stopped")
    os.write(wa, b"+")      # A's job ends: its token comes back
    st = conn(path)
    st.sendall(b"status\n")
    os.kill(pid, 18)        # SIGCONT: both in one round
    st.settimeout(10)
    out = b""
    while True:
        b = st.recv(4096)
        if not b:
            break
        out += b
    held = [l.split()[-1] for l in out.decode().splitlines()[1:]]
    print("keep: %s; held by B, A: %s" % (out.decode().splitlines()[0],
                                          " ".join(held)))
    return held == ["0", "1"]


def fd_growth(path, pid):
    def count():
        return len(os.listdir("/proc/%d/fd" % pid))
    until(lambda: state(pid) == "S", "the daemon idle")
    before = count()
    s, r, w = jobserver(path)
    until(lambda: state(pid) == "S", "the daemon idle again")
    after = count()
    print("fds: %d before, %d with a jobserver client" % (before, after))
    return after - before == 4


def main():
    path, case = sys.argv[1], sys.argv[2]
    if case == "garbage":
        s = conn(path)
        s.sendall(b"\xff\x00\x01garbage\n")
        a = answer(s, 2)
        print("garbage: %r" % a)
        ok = a is not None and a.startswith(b"error: ") and \
            a.endswith(b"\n") and a.count(b"\n") == 1
    elif case == "errors":
        ok = True
        for req in [b"jobs 0\n", b"jobs 65537\n", b"jobs 99999999999999999999\n",
                    b"jobs -3\n", b"jobs \n", b"status\x00junk\n",
                    b"jobserver\x00\n", b"status\nstatus\n", b"x" * 70,
                    b"hello\n", b"STATUS\n"]:
            s = conn(path)
            s.sendall(req)
            a = answer(s, 2)
            good = a is not None and a.startswith(b"error: ") and \
                a.endswith(b"\n") and a.count(b"\n") == 1
            print("errors: %r -> %r%s" % (req, a, "" if good else "  WRONG"))
            ok = ok and good
    elif case == "silent":
        s = conn(path)
        t = time.monotonic()
        ok = closed_within(s, 6)
        print("silent: closed after %.0f s" % (time.monotonic() - t)
              if ok else "silent: still open after 6 s")
        ok = ok and time.monotonic() - t >= 4.5
    elif case == "hello-die":
        s = conn(path)
        s.sendall(b"jobserver\n")
        s.close()
        ok = True
        print("hello-die: done")
    elif case == "over-return":
        s = conn(path)
        s.sendall(b"jobserver\n")
        msg, fds, _, _ = socket.recv_fds(s, 64, 4)
        ok = msg.startswith(b"jobproxy 1 ") and len(fds) == 2
        r, w = fds
        os.read(r, 1)
        os.write(w, b"xxxxx")
        print("over-return: %r with %d fds" % (msg, len(fds)))
    elif case == "bigpipe":
        s = conn(path)
        s.sendall(b"jobserver\n")
        msg, fds, _, _ = socket.recv_fds(s, 64, 4)
        r, w = fds
        F_SETPIPE_SZ = 1031
        size = fcntl.fcntl(r, F_SETPIPE_SZ, 1 << 16)
        seen = False
        for _ in range(500):
            with open(sys.argv[3]) as f:
                if "made its token pipe bigger" in f.read():
                    seen = True
                    break
            time.sleep(0.01)
        took = readable(r, 5) and os.read(r, 1)
        if took:
            os.write(w, b"+")
        print("bigpipe: pipe of %d bytes; daemon's line %s; token %s"
              % (size, "seen" if seen else "NOT seen",
                 "taken and returned" if took else "NOT taken"))
        ok = seen and bool(took)
    elif case == "keep":
        ok = keep(path, int(sys.argv[3]), sys.argv[4])
    elif case == "fds":
        ok = fd_growth(path, int(sys.argv[3]))
    elif case == "ask":
        s = conn(path)
        s.sendall(sys.argv[3].encode() + b"\n")
        a = answer(s, 5)
        sys.stdout.write(a.decode() if a is not None else "(no answer)\n")
        ok = a is not None
    elif case == "flood":
        n = int(sys.argv[3])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        socks = []
        t = time.monotonic()
        for i in range(n):
            s = conn(path)
            if i % 3 == 1:
                s.send(b"jobserver\n")
            elif i % 3 == 2:
                s.send(b"\x00\x01\x02")
            socks.append(s)
        opened = time.monotonic() - t
        t = time.monotonic()
        rep = status(path, 5)
        took = time.monotonic() - t
        first = rep.splitlines()[0] if rep else "(nothing)"
        print("flood: %d opened in %.1f s; status in %.2f s: %s"
              % (n, opened, took, first))
        ok = rep.startswith("pool ")
        for s in socks:
            s.close()
    else:
        sys.exit("unknown case " + case)
    sys.exit(0 if ok else 1)


main()
