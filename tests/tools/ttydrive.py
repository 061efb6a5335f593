"""Drive jobproxy from a real terminal, as a person at a keyboard would.

Usage: python3 ttydrive.py ctrl-c|ctrl-z COMMAND-PREFIX

COMMAND-PREFIX is typed before "sh child.sh", e.g. "tests/helpers/pool -j2 --
jobproxy" so that jobproxy has a jobserver to proxy.

ctrl-c: an interactive bash in a pty runs `jobproxy sh child.sh`; Ctrl-C
  goes to the foreground process group (jobproxy and its child).  The child
  counts SIGINTs; SIGUSR1, forwarded after any SIGINT would have been,
  makes it print the count and exit.  Prints "ints=N".
ctrl-z: Ctrl-Z must stop both jobproxy and the child; `fg` resumes both.
  Prints "stopped=jobproxy,child" then "resumed=jobproxy,child".
Every wait is on a condition with a deadline; no sleeps stand in for sync.
"""
import os, pty, select, sys, time

def main():
    mode, jp = sys.argv[1], sys.argv[2]
    with open("child.sh", "w") as f:
        f.write('n=0\ntrap \'n=$((n+1)); echo "int $n"\' INT\n'
                'trap \'echo "ints=$n"; exit 0\' USR1\n'
                'echo "ready $$"\n'
                # A busy loop, no command: a shell stopped while it
                # vforks a `sleep` waits in state D until the child execs.
                'while :; do :; done\n')
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    buf = b""
    # poll, never select: select corrupts memory for fds >= FD_SETSIZE.
    poller = select.poll()
    poller.register(fd, select.POLLIN)

    def until(pat, secs=20):
        nonlocal buf
        end = time.time() + secs
        while pat.encode() not in buf:
            left = end - time.time()
            if left <= 0:
                sys.exit("ttydrive: never saw %r; screen: %r" % (pat, buf[-400:]))
            if poller.poll(int(left * 1000) + 1):
                try:
                    buf += os.read(fd, 4096)
                except OSError:
                    break
        i = buf.index(pat.encode())
        out, buf = buf[:i + len(pat)], buf[i + len(pat):]
        return out

    def send(s):
        os.write(fd, s.encode() if isinstance(s, str) else s)

    def state(p, field=0):
        with open("/proc/%d/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()[field]

    def wait_state(p, want, secs=20):
        end = time.time() + secs
        while state(p) not in want:
            if time.time() > end:
                wchan = open("/proc/%d/wchan" % p).read()
                sys.exit("ttydrive: pid %d (%s) in state %s (wchan %s), want %s"
                         % (p, "jobproxy" if p == jpid else "child",
                            state(p), wchan, want))
            time.sleep(0.005)

    send("PS1='$ '; stty -echo\n")
    send("%s sh child.sh\n" % jp)
    until("ready ")
    child = int(until("\n").strip())
    jpid = int(state(child, 1))
    if not open("/proc/%d/cmdline" % jpid).read().startswith(jp.split()[-1]):
        sys.exit("ttydrive: the child's parent is not jobproxy")
    if mode == "ctrl-c":
        send(b"\x03")
        until("int 1")
        os.kill(jpid, 10)  # SIGUSR1 to jobproxy alone: forwarded
        until("ints=")
        print("ints=" + until("\n").decode().strip())
        send("exit\n")
    else:
        send(b"\x1a")
        wait_state(jpid, "T")
        wait_state(child, "T")
        print("stopped=jobproxy,child")
        send("fg\n")
        wait_state(jpid, "SR")
        wait_state(child, "SR")
        print("resumed=jobproxy,child")
        os.kill(jpid, 10)
        until("ints=0")
        send("exit\n")

main()
