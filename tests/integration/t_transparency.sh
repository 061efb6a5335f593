# Transparency under faults and bad input: whatever path jobproxy takes
# (proxied, root pool, any fallback), the command gets the stdio, the
# signals and the stops it would get without jobproxy, a bad word on the
# command line or in the environment is one clear line, and no token is
# lost.  Each test here failed on jobproxy as it was before these fixes.
. "$(dirname "$0")/lib.sh"

# The token fds of a pipe-style MAKEFLAGS, for a shell child: "R W".
# (Through /proc: dash cannot redirect fds above 9.)
auth_fds='set -- $(echo "$MAKEFLAGS" | sed "s/.*--jobserver-auth=\([0-9]*\),\([0-9]*\).*/\1 \2/")'
take2="$auth_fds; head -c 2 /proc/self/fd/\$1 >/dev/null"

# stdio_case WHAT WARNINGS COMMAND...: COMMAND (jobproxy in front of a
# child) must hand the child its stdin, stdout and stderr as given.
stdio_case() {
	what=$1 warnings=$2
	shift 2
	# (cat writes to stderr: under ulimit -n 6 dash cannot redirect)
	printf 'in\n' | "$@" sh -c 'cat; echo out; cat /no/err || :' >out 2>err
	expect "$what: status" "$?" 0
	expect "$what: the child's stdin and stdout" "$(cat out | tr '\n' ' ')" "in out "
	grep -q /no/err err || die "$what: the child's stderr lost: $(cat err)"
	expect "$what: jobproxy's lines" "$(grep -c '^jobproxy:' err)" "$warnings"
}

t_stdio_on_every_path() {
	: >regular
	stdio_case "no jobserver" 0 "$JP"
	stdio_case "root pool" 0 "$JP" -j 2
	stdio_case "proxied, pipe" 0 "$POOL" -j3 -- "$JP"
	stdio_case "proxied, fifo" 0 "$POOL" --style fifo -j3 -- "$JP"
	stdio_case "closed jobserver fds" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=98,99" "$JP"
	stdio_case "jobserver fds not a pipe" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=7,7" "$JP" 7<regular
	stdio_case "missing fifo" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=fifo:$PWD/none" "$JP"
	stdio_case "not a fifo" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=fifo:$PWD/regular" "$JP"
	stdio_case "malformed MAKEFLAGS" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=x,y" "$JP"
	# Room for stdio and the pool's two fds, not for our pipes.
	stdio_case "no fds left" 1 \
		"$POOL" -j3 -- sh -c 'ulimit -n 6; exec "$@"' sh "$JP"
	stdio_case "standard fds as a jobserver" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=0,2" "$JP"
}

# Which of fds 0 1 2 the child has open ("+") or closed ("-"), for
# `"$@" $redir` with REDIR closing one of them.
fds_seen() {
	redir=$1
	shift
	rm -f seen
	eval '"$@" sh -c '\''r=; for fd in 0 1 2; do
		if [ -e /proc/$$/fd/$fd ]; then r="$r+"; else r="$r-"; fi
	done; echo "$r" >"$0"'\'' "$PWD/seen" '"$redir"
	cat seen 2>/dev/null
}

t_closed_stdio_stays_closed() {
	for redir in '<&-' '>&-' '2>&-'; do
		want=$(fds_seen "$redir" env)
		case $want in *-*) ;; *) die "'$redir' closed nothing: $want" ;; esac
		for how in "" "-j 2" "POOL" "POOL fifo" "CLOSED" "NOFIFO"; do
			# The pool's own pipes must not take the closed fd:
			# close it between the pool and jobproxy.
			outer=$redir
			inner="exec \"\$0\" \"\$@\" $redir"
			case $how in
			POOL) outer= ; set -- "$POOL" -j3 -- sh -c "$inner" "$JP" ;;
			"POOL fifo") outer= ; set -- "$POOL" --style fifo -j3 -- sh -c "$inner" "$JP" ;;
			CLOSED) set -- env MAKEFLAGS=" -j4 --jobserver-auth=98,99" "$JP" ;;
			NOFIFO) set -- env MAKEFLAGS=" -j4 --jobserver-auth=fifo:$PWD/no" "$JP" ;;
			*) set -- "$JP" $how ;;
			esac
			got=$(fds_seen "$outer" "$@" 2>/dev/null)
			expect "fds 0 1 2 of the child, $redir, ${how:-no jobserver}" "$got" "$want"
		done
	done
}

t_standard_fds_refused_as_jobserver() {
	out=$(printf 'hello\n' | MAKEFLAGS=" -j3 --jobserver-auth=0,1" \
		"$JP" sh -c 'cat; echo "$MAKEFLAGS"' 2>err | cat)
	expect "the child's output" "$(echo $out)" "hello -j3 --jobserver-auth=0,1"
	expect "lines on stderr" "$(wc -l <err | tr -d ' ')" 1
	grep -q 'fd 0 is standard input' err || die "message: $(cat err)"
	# A real pool to read from, but stdout (a pipe) to write returns to.
	out=$("$POOL" -j3 --report r -- sh -c "$auth_fds"'
		MAKEFLAGS=" -j3 --jobserver-auth=$1,1" exec "$JP" sh -c "echo \$MAKEFLAGS"' \
		2>err | cat)
	case "$(echo $out)" in
	"-j3 --jobserver-auth="[0-9]*",1") echo "  the child's output: $out" ;;
	*) die "the child's output: $out" ;;
	esac
	expect "lines from jobproxy" "$(grep -c '^jobproxy:' err)" 1
	grep -q 'fd 1 is standard output' err || die "message: $(cat err)"
	expect "root pool" "$(field end r)" 2
}

# stopwatch.py MODE COMMAND...: run COMMAND as a shell runs a job (a
# process group of its own) and watch it with WUNTRACED, as a shell's wait
# does.  MODE "self": the command stops itself.  "send:SIG": once the file
# "ready" exists, send SIG to COMMAND's pid; "group:SIG": to its group.
# Once stopped, continue it (SIGCONT to the pid; to the group for
# "group:"), create "go", and report how it ended.  Prints "stopped SIGX"
# (and "command T" once the command, whose pid "ready" holds, is seen
# stopped too), then "exit N" or "signal N", or what happened instead.
write_stopwatch() {
	cat >stopwatch.py <<'EOF'
import os, signal, sys, time
mode, cmd = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.execvp(cmd[0], cmd)
try:
    os.setpgid(pid, pid)
except OSError:
    pass
def give_up(*_):
    print("timed out")
    os.killpg(pid, signal.SIGKILL)
    os.killpg(pid, signal.SIGCONT)
    sys.exit(1)
signal.signal(signal.SIGALRM, give_up)
signal.alarm(60)
if mode != "self":
    how, sig = mode.split(":")
    # Whole: the command may be stopped between creating it and writing.
    while not (os.path.exists("ready") and open("ready").read().endswith("\n")):
        time.sleep(0.01)
    (os.killpg if how == "group" else os.kill)(pid, getattr(signal, sig))
_, st = os.waitpid(pid, os.WUNTRACED)
if not os.WIFSTOPPED(st):
    print("not stopped:", st)
    sys.exit(1)
print("stopped", signal.Signals(os.WSTOPSIG(st)).name)
if mode != "self":
    # The command itself must be stopped, not only what runs it.
    with open("/proc/%d/stat" % int(open("ready").read())) as f:
        print("command", f.read().rsplit(")", 1)[1].split()[0])
(os.killpg if mode.startswith("group") else os.kill)(pid, signal.SIGCONT)
open("go", "w").close()		# a fifo: the command's read ends
_, st = os.waitpid(pid, os.WUNTRACED)
if os.WIFSTOPPED(st):
    print("stopped again", signal.Signals(os.WSTOPSIG(st)).name)
    sys.exit(1)
print("exit", os.WEXITSTATUS(st) if os.WIFEXITED(st) else "signal %d" % os.WTERMSIG(st))
EOF
}

t_child_stop_mirrored() {
	need_tool python3
	write_stopwatch
	for s in STOP TSTP TTIN TTOU; do
		child="$take2; kill -$s \$\$; echo resumed; exit 5"
		want=$("$POOL" -j3 -- python3 stopwatch.py self sh -c "$child")
		expect "SIG$s, without jobproxy" "$(echo $want)" "stopped SIG$s resumed exit 5"
		got=$("$POOL" -j3 --report r -- python3 stopwatch.py self "$JP" sh -c "$child")
		expect "SIG$s, with jobproxy" "$(echo $got)" "$(echo $want)"
		expect "root pool" "$(field end r)" 2
	done
}

t_stop_sent_to_jobproxy_stops_child() {
	need_tool python3
	write_stopwatch
	# The command waits in a read of the fifo "go", never in a child:
	# dash starts commands with vfork, and a vfork parent cannot stop
	# while its child is stopped before exec (it sits in state D), so a
	# group stop then never reaches the shell, with or without jobproxy.
	child="$take2; echo \$\$ >ready; read x <go; echo done; exit 5"
	for mode in send:SIGTSTP send:SIGTTIN send:SIGTTOU group:SIGTSTP; do
		rm -f ready go
		mkfifo go
		want=$("$POOL" -j3 -- python3 stopwatch.py $mode sh -c "$child")
		expect "$mode, without jobproxy" "$(echo $want)" \
			"stopped ${mode#*:} command T done exit 5"
		rm -f ready go
		mkfifo go
		got=$("$POOL" -j3 --report r -- python3 stopwatch.py $mode "$JP" sh -c "$child")
		expect "$mode, with jobproxy" "$(echo $got)" "$(echo $want)"
		expect "root pool" "$(field end r)" 2
	done
}

# sigchild.py MODE SIG: take two tokens, then wait for SIG: "trap" catches
# it (prints "got SIG", exits 7), "die" leaves it at its default action,
# "sysdfl" too, for the signals python refuses.
write_sigchild() {
	cat >sigchild.py <<'EOF'
import os, re, signal, sys, time
mode, sig = sys.argv[1], int(sys.argv[2])
r, w = map(int, re.search(r"--jobserver-auth=(\d+),(\d+)", os.environ["MAKEFLAGS"]).groups())
assert len(os.read(r, 1) + os.read(r, 1)) == 2
def got(s, f):
    print("got", s, flush=True)
    os._exit(7)
if mode == "sysdfl":
    # python and glibc refuse 32 and 33, and glibc's posix_spawn starts
    # every child with them ignored: the system call itself sets the
    # default (a kernel struct sigaction of zeros, on these machines).
    import ctypes, platform
    nr = {"x86_64": 13, "aarch64": 134, "riscv64": 134}[platform.machine()]
    k = (ctypes.c_ulong * 8)()
    assert ctypes.CDLL(None).syscall(nr, sig, k, None, 8) == 0
else:
    signal.signal(sig, got if mode == "trap" else signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
with open("ready.tmp", "w") as f:
    f.write("%d\n" % os.getppid())
os.rename("ready.tmp", "ready")
end = time.time() + 30
while time.time() < end:
    time.sleep(0.05)
print("never got it")
EOF
}

# The signals a process can catch, by number (python3 knows this system's
# real-time range), without SIGKILL and SIGSTOP.
catchable() {
	python3 -c 'import signal
print(*sorted(int(s) for s in signal.valid_signals()
      if s not in (signal.SIGKILL, signal.SIGSTOP)))'
}

# signal_child MODE N: SIG N sent to jobproxy by kill while its child
# holds tokens; prints the pool's status of jobproxy and the child's output.
signal_child() {
	rm -f ready
	# A shell starts background jobs with SIGINT and SIGQUIT ignored.
	env --default-signal "$POOL" -j3 --timeout 20 --report r -- \
		"$JP" python3 sigchild.py "$1" "$2" >out 2>err &
	pool=$!
	n=0
	while [ ! -e ready ]; do
		n=$((n + 1))
		[ $n -lt 3000 ] || die "the child never got ready: $(cat out)"
		sleep 0.01
	done
	kill -"$2" "$(cat ready)"
	wait $pool
	out=$(cat out)
	echo "status $(field status r) end $(field end r)${out:+ $out}"
}

t_every_signal_caught_by_child() {
	need_tool python3
	write_sigchild
	for n in $(catchable); do
		expect "signal $n caught" "$(signal_child trap $n)" "status 7 end 2 got $n"
	done
}

t_every_deadly_signal_kills_child() {
	need_tool python3
	write_sigchild
	ulimit -c 0
	# Not those whose default is to be ignored, or to stop.
	for n in $(catchable); do
		case " $(kill -l $n) " in
		*" CHLD "* | *" CONT "* | *" URG "* | *" WINCH "* | *" TSTP "* | \
		*" TTIN "* | *" TTOU "*) continue ;;
		esac
		expect "signal $n" "$(signal_child die $n)" "status $((128 + n)) end 2"
	done
	[ ! -e core ] || die "a core file was left"
}

# The signals libc keeps for itself, 32 to 34 (musl's sigaction refuses
# all three, glibc's 32 and 33): one sent to jobproxy still reaches the
# child, which dies of it at its default action, and the tokens come back.
t_libc_signals_reach_child() {
	need_tool python3
	case $(uname -m) in
	x86_64 | aarch64 | riscv64) ;;
	*) skip "knows rt_sigaction's number on x86_64, aarch64, riscv64 only" ;;
	esac
	write_sigchild
	ulimit -c 0
	for n in 32 33 34; do
		expect "signal $n" "$(signal_child sysdfl $n)" "status $((128 + n)) end 2"
	done
}

# --trace under a file size limit: SIGXFSZ from jobproxy's own write is
# that write failing, not jobproxy's death.
t_trace_over_file_size_limit() {
	churn="$auth_fds"'; i=0
	while [ $i -lt 60 ]; do
		head -c 2 /proc/self/fd/$1 >/dev/null; printf xx >/proc/self/fd/$2
		i=$((i + 1))
	done; echo churned'
	"$POOL" -j3 --report r -- sh -c 'ulimit -f 1; exec "$@"' sh \
		"$JP" --trace=trace.json sh -c "$churn" >out 2>err
	expect "status" "$(field status r)" 0
	expect "the child's output" "$(cat out)" churned
	expect "lines from jobproxy" "$(grep -c '^jobproxy:' err)" 1
	grep -q '^jobproxy: cannot write the trace.*File too large' err ||
		die "message: $(cat err)"
	expect "root pool" "$(field end r)" 2
}

t_bad_style_env_warns_and_runs() {
	JOBPROXY_STYLE=garbage "$JP" sh -c 'echo ran' >out 2>err
	expect "status" "$?" 0
	expect "the command ran" "$(cat out)" ran
	expect "lines on stderr" "$(wc -l <err | tr -d ' ')" 1
	grep -q "JOBPROXY_STYLE" err || die "message: $(cat err)"
	# Nested: each jobproxy says it once, and runs.
	JOBPROXY_STYLE=garbage "$POOL" -j3 --report r -- "$JP" "$JP" sh -c 'echo ran' >out 2>err
	expect "nested status" "$(field status r)" 0
	expect "nested, the command ran" "$(cat out)" ran
	expect "nested, lines from jobproxy" "$(grep -c '^jobproxy:' err)" 2
	expect "root pool" "$(field end r)" 2
}

t_bad_job_count_is_usage_error() {
	for j in "-j 99999999" "-j 65537" "-j abc" "-j ''" "-j 4x" "-j99999999" \
		"-jabc" "--jobs=65537" "--jobs=" "--jobs 65537" "--jobs abc"; do
		eval "\"\$JP\" $j sh -c 'echo ran'" >out 2>err
		expect "status for $j" "$?" 125
		expect "the command did not run ($j)" "$(cat out)" ""
		expect "lines on stderr for $j" "$(wc -l <err | tr -d ' ')" 1
		grep -q 'job count' err || die "message for $j: $(cat err)"
	done
	"$JP" --serve "$PWD/sock" -j 65537 2>err
	expect "the daemon's status for -j 65537" "$?" 125
	"$JP" -j 65536 sh -c 'echo "$MAKEFLAGS"' >out
	expect "-j 65536" "$(sed 's/ --jobserver-auth.*//' out)" " -j65536"
	# -j alone before the command still means auto.
	"$JP" -j sh -c 'echo "$MAKEFLAGS"' >out
	expect "-j alone" "$(sed 's/ --jobserver-auth.*//' out)" " -j$(nproc)"
	"$JP" --help | grep -q 65536 || die "--help does not say the limit"
	grep -q 65536 "$ROOT/man/jobproxy.1" || die "the man page does not say the limit"
}

t_missing_option_values() {
	for o in --connect --trace --style; do
		"$JP" $o 2>err
		expect "status for $o alone" "$?" 125
		grep -q "missing value after $o" err || die "message for $o: $(cat err)"
		"$JP" $o= true 2>err
		expect "status for $o=" "$?" 125
		expect "lines on stderr for $o=" "$(wc -l <err | tr -d ' ')" 1
	done
	[ ! -e '' ] || die "an empty trace file name was opened"
}

run_one "$1"
