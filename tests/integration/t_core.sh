# Integration tests of the core wrapper against the real GNU make 4.3.
# Each test builds a tree in a fresh directory, runs it under tests/pool
# (the root jobserver, which counts its tokens when every holder is gone)
# and asserts on what a user would see.
. "$(dirname "$0")/lib.sh"

t_concurrency_reaches_j4() {
	need_make
	mkdir -p sub D
	printf 'all: ; +@%s $(MAKE) -s -C sub\n' "$JP" >Makefile
	cat >sub/Makefile <<EOF
all: 1 2 3 4 5 6
1 2 3 4 5 6: ; @$TJOB $PWD/D --need 4
EOF
	$POOL -j4 --report r -- make -s || die "build failed"
	expect "most jobs at once" "$(maxconc D)" 4
	expect "root pool at the end" "$(field end r)" 3
}

t_sigkill_without_jobproxy_loses_tokens() {
	need_make
	crash_tree sub
	printf 'all: ; +@$(MAKE) -s -k -C sub\n' >Makefile
	$POOL -j4 --report r -- make -s -k
	expect "root pool at the end (plain make)" "$(field end r)" 0
}

t_sigkill_with_jobproxy_keeps_pool_whole() {
	need_make
	crash_tree sub
	printf 'all: ; +@%s $(MAKE) -s -k -C sub\n' "$JP" >Makefile
	$POOL -j4 --report r -- make -s -k
	expect "make's exit status" "$(field status r)" 2
	expect "root pool at the end" "$(field end r)" 3
}

t_nested_three_deep_crash_at_bottom() {
	need_make
	mkdir -p l1/l2
	crash_tree l1/l2/l3
	printf 'all: ; +@%s $(MAKE) -s -k -C l1\n' "$JP" >Makefile
	printf 'all: ; +@%s $(MAKE) -s -k -C l2\n' "$JP" >l1/Makefile
	printf 'all: ; +@%s $(MAKE) -s -k -C l3\n' "$JP" >l1/l2/Makefile
	$POOL -j4 --report r -- make -s -k
	expect "most jobs at once" "$(maxconc D)" 4
	expect "root pool at the end" "$(field end r)" 3
}

# A client that writes back tokens it never took (cargo does, #7344).
# (Through /proc: dash cannot redirect fds above 9.)
over_return='set -- $(echo "$MAKEFLAGS" | sed "s/.*--jobserver-auth=\([0-9]*\),\([0-9]*\).*/\1 \2/")
head -c 2 /proc/self/fd/$1 >/dev/null && printf xxxxxxx >/proc/self/fd/$2'

t_over_return_never_grows_pool() {
	$POOL -j4 --report r -- sh -c "$over_return"
	expect "root pool without jobproxy" "$(field end r)" 8
	$POOL -j4 --report r -- "$JP" sh -c "$over_return"
	expect "root pool with jobproxy" "$(field end r)" 3
}

t_exit_codes_mirrored() {
	n=0
	while [ $n -le 255 ]; do
		$POOL -j2 -- "$JP" sh -c "exit $n" 2>/dev/null
		rc=$?
		[ $rc -eq $n ] || die "exit $n under a jobserver came out as $rc"
		"$JP" sh -c "exit $n"
		rc=$?
		[ $rc -eq $n ] || die "exit $n without a jobserver came out as $rc"
		n=$((n + 1))
	done
	echo "  exit codes 0..255 mirrored"
}

# How a process died, as its parent sees it: "exit N" or "signal S".
HOW='system(@ARGV); my $s = $?;
	print(($s & 127) ? "signal " . ($s & 127) . "\n" : "exit " . ($s >> 8) . "\n")'

t_death_by_signal_mirrored() {
	need_tool perl
	ulimit -c 0
	for s in TERM KILL SEGV INT HUP USR1; do
		n=$(perl -MPOSIX -e "print POSIX::SIG$s()")
		got=$($POOL -j3 --report r -- perl -e "$HOW" -- "$JP" sh -c "kill -$s \$\$")
		expect "child killed by SIG$s: jobproxy" "$got" "signal $n"
		expect "root pool" "$(field end r)" 2
		got=$(perl -e "$HOW" -- "$JP" sh -c "kill -$s \$\$")
		expect "the same without a jobserver" "$got" "signal $n"
	done
	[ ! -e core ] || die "jobproxy left a core file"
}

t_exec_failures() {
	"$JP" ./no-such-command 2>err
	expect "not found, no jobserver" "$?" 127
	grep -q '^jobproxy: cannot run ./no-such-command: No such file' err ||
		die "message: $(cat err)"
	$POOL -j2 --report r -- "$JP" ./no-such-command 2>err
	expect "not found, under a jobserver" "$?" 127
	expect "root pool" "$(field end r)" 1
	"$JP" 2>err
	expect "no command" "$?" 125
}

t_exec_not_executable() {
	printf 'echo hi\n' >notexec
	$POOL -j2 --report r -- "$JP" ./notexec 2>err
	expect "not executable" "$?" 126
	grep -q 'Permission denied' err || die "message: $(cat err)"
	expect "root pool" "$(field end r)" 1
}

t_closed_fds_warn_and_run() {
	need_make
	printf 'all: ; @echo "ran with $$MAKEFLAGS"\n' >Makefile
	MAKEFLAGS=" -j4 --jobserver-auth=98,99" "$JP" sh -c 'echo "child sees $MAKEFLAGS"' >out 2>err
	expect "status" "$?" 0
	expect "child's MAKEFLAGS untouched" "$(cat out)" "child sees  -j4 --jobserver-auth=98,99"
	expect "one warning line" "$(wc -l <err | tr -d ' ')" 1
	grep -q 'jobserver read fd 98 is closed' err || die "message: $(cat err)"
	# fd 3 open on a regular file: reused, not a jobserver.
	MAKEFLAGS=" -j4 --jobserver-auth=3,3" "$JP" true 3<Makefile 2>err
	expect "status, reused fd" "$?" 0
	grep -q 'is not a pipe' err || die "message: $(cat err)"
	# make itself then runs at -j1 with its own warning.
	MAKEFLAGS=" -j4 --jobserver-auth=98,99" "$JP" make -s >out 2>err
	expect "make's status" "$?" 0
	grep -q 'ran with' out || die "make did not run"
}

t_garbage_makeflags_warn_and_run() {
	for mf in "--jobserver-auth=" "--jobserver-auth=x,y" "--jobserver-fds=3" \
		"-j --jobserver-auth=3,-1" "--jobserver-auth=fifo:"; do
		MAKEFLAGS="$mf" "$JP" sh -c 'echo "$MAKEFLAGS"' >out 2>err
		expect "status for '$mf'" "$?" 0
		expect "child's MAKEFLAGS" "$(cat out)" "$mf"
		expect "lines on stderr" "$(wc -l <err | tr -d ' ')" 1
		grep -q "^jobproxy: malformed" err || die "message: $(cat err)"
	done
	# Negative fds: make 4.4's "no jobserver here", no message at all.
	MAKEFLAGS="-j4 --jobserver-auth=3,4 --jobserver-auth=-2,-2" "$JP" true 2>err
	expect "stderr for -2,-2" "$(cat err)" ""
}

t_bad_fifo_warns_and_runs() {
	: >regular
	for path in "$PWD/no-such-fifo" "$PWD/regular"; do
		mf=" -j4 --jobserver-auth=fifo:$path"
		MAKEFLAGS="$mf" "$JP" sh -c 'echo "$MAKEFLAGS"' >out 2>err
		expect "status for $path" "$?" 0
		expect "child's MAKEFLAGS untouched" "$(cat out)" "$mf"
		expect "lines on stderr" "$(wc -l <err | tr -d ' ')" 1
	done
	grep -q 'is not a fifo' err || die "message: $(cat err)"
}

# The parent's fifo vanishes mid-build (make 4.4 unlinks it when it dies):
# the fds jobproxy holds still work, and nothing fails.
t_vanished_fifo_mid_build() {
	cat >child.sh <<'EOF'
# Remove the pool's fifo, then take and give back tokens through ours.
rm -f "$1"
set -- $(echo "$MAKEFLAGS" | sed 's/.*--jobserver-auth=\([0-9]*\),\([0-9]*\).*/\1 \2/')
head -c 2 /proc/self/fd/$1 >/dev/null && printf xx >/proc/self/fd/$2
echo done
EOF
	$POOL --style fifo -j3 --report r -- sh -c \
		'exec "$JP" --style=pipe sh child.sh "${MAKEFLAGS##*fifo:}"' >out 2>err
	expect "status" "$?" 0
	expect "child ran" "$(cat out)" "done"
	expect "root pool" "$(field end r)" 2
}

t_fd_exhaustion_warn_and_run() {
	# Room for stdio and the pool's two fds, not for our pipes.
	$POOL -j3 --report r -- sh -c "ulimit -n 6; exec \"$JP\" sh -c 'echo ran'" >out 2>err
	expect "status" "$?" 0
	expect "child ran" "$(cat out)" "ran"
	# The error's text is the libc's own (glibc: "Too many open files",
	# musl: "No file descriptors available"): the part before it is ours.
	grep -q '^jobproxy: cannot open the parent jobserver: [^:][^:]*$' err ||
		die "message: $(cat err)"
	expect "one warning line" "$(grep -c jobproxy err)" 1
	expect "root pool" "$(field end r)" 2
}

# Whatever fd limit jobproxy meets, the command runs, with at most one
# line from jobproxy, and the pool ends whole: at some limits musl's
# posix_spawn, which needs two fds of its own, is what fails.
t_fd_limits_never_fail_the_command() {
	for style in pipe fifo; do
		n=6
		while [ $n -le 24 ]; do
			$POOL -j3 --style $style --report r -- \
				sh -c "ulimit -n $n; exec \"$JP\" sh -c 'echo ran'" >out 2>err
			expect "$style, ulimit -n $n: status" "$(field status r)" 0
			[ "$(cat out)" = ran ] || die "$style, ulimit -n $n: $(cat out err)"
			[ "$(grep -c jobproxy err)" -le 1 ] || die "$style, ulimit -n $n: $(cat err)"
			[ "$(field end r)" = 2 ] || die "$style, ulimit -n $n: pool $(cat r)"
			n=$((n + 1))
		done
	done
}

t_parent_fds_not_inherited() {
	$POOL -j3 -- sh -c 'echo "$MAKEFLAGS" >orig; ls -l /proc/$$/fd/ >direct
		exec "$JP" sh -c "ls -l /proc/\$\$/fd/ >proxied"'
	# The pool's two pipe ends are replaced by the child's own two, and
	# the "I wait" pipe JOBPROXY_WANT names for a jobproxy below.
	expect "pipes the child holds" "$(grep -c pipe: proxied)" \
		"$(($(grep -c pipe: direct) + 1))"
	for fd in $(sed 's/.*=\([0-9]*\),\([0-9]*\).*/\1 \2/' orig); do
		grep -q " $fd -> pipe" proxied &&
			die "the pool's fd $fd reached the child"
	done
	echo "  the pool's fds $(cat orig) did not reach the child"
}

t_child_signal_state_as_inherited() {
	# jobproxy catches every signal it can; the child must get the
	# dispositions and mask jobproxy itself was given: ignored ones (SIGINT
	# in a background job, SIGHUP under nohup, a real-time one...) and
	# blocked ones stay so, none is left caught, and SIGPIPE comes back at
	# its default.  34 too, which musl keeps for itself (glibc's SIGRTMIN).
	need_tool python3
	cat >sigs.py <<'EOF'
import os, signal, sys
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGTSTP,
          signal.SIGTTOU, signal.SIGXFSZ, signal.SIGRTMIN + 2, 34):
    signal.signal(s, signal.SIG_IGN)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2, signal.SIGTERM,
                                          signal.SIGRTMAX, 34})
os.execvp(sys.argv[1], sys.argv[1:])
EOF
	$POOL -j3 -- python3 sigs.py grep -E '^Sig(Ign|Blk|Cgt)' /proc/self/status >direct
	$POOL -j3 -- python3 sigs.py "$JP" grep -E '^Sig(Ign|Blk|Cgt)' /proc/self/status >proxied
	grep -q . direct || die "no signal state read from /proc"
	# glibc's posix_spawn leaves its own two internal signals (32, 33,
	# below SIGRTMIN: no program can use them) ignored in every child it
	# starts, GNU make's own jobs included; mask them off.
	mask='import sys
for l in open(sys.argv[1]):
    k, v = l.split()
    print(k, hex(int(v, 16) & ~(3 << 31)))'
	python3 -c "$mask" proxied >p
	python3 -c "$mask" direct >d
	cat direct
	expect "the child's SigIgn, SigBlk and SigCgt" "$(cat p)" "$(cat d)"
}

t_signal_to_jobproxy_reaches_child() {
	for s in TERM HUP INT QUIT USR1 USR2; do
		cat >child.sh <<EOF
trap 'echo got $s; exit 7' $s
echo ready >ready
while :; do sleep 0.05; done
EOF
		rm -f ready
		# A shell starts background jobs with SIGINT and SIGQUIT
		# ignored; reset them as an interactive shell would.
		env --default-signal "$JP" -- sh child.sh >out 2>&1 &
		pid=$!
		while [ ! -e ready ]; do sleep 0.01; done
		kill -$s $pid
		wait $pid
		expect "SIG$s: child's status" "$?" 7
		expect "SIG$s: child got it once" "$(cat out)" "got $s"
	done
}

# --stats and --trace describe the same ledger.  How many tokens sit parked
# when the child exits is the scheduler's choice, so only what holds on
# every schedule is asserted: the child needed 4 at once on a pool of 4
# (peak held 3 exactly), the trace's counts equal --stats' counts, every
# token taken is accounted for once (returned, withdrawn or handed back),
# and the root pool ends whole.
t_stats_and_trace() {
	need_tool python3
	mkdir -p sub D
	printf 'all: ; +@%s --stats --trace=%s/trace.json $(MAKE) -s -C sub\n' \
		"$JP" "$PWD" >Makefile
	printf 'all: 1 2 3 4 5 6\n1 2 3 4 5 6: ; @%s %s/D --need 4\n' \
		"$TJOB" "$PWD" >sub/Makefile
	$POOL -j4 --report r -- make -s 2>err || die "build failed: $(cat err)"
	line=$(grep '^jobproxy: stats: ' err) || die "no stats line: $(cat err)"
	echo "$line" | grep -q '^jobproxy: stats: relayed [1-9][0-9]*, peak held 3, handed back [0-3] after exit, over-returns refused 0$' ||
		die "stats line: $line"
	stat() { echo "$line" | sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }
	set -- $(python3 -c 'import json
ev = json.load(open("trace.json"))
def n(name): return sum(e["args"]["tokens"] for e in ev if e.get("name") == name)
print(n("took"), n("returned"),
      n("withdrew unread") + n("withdrew, none waiting"),
      n("handed back after exit"), n("refused over-return"))')
	expect "taken in the trace = relayed in --stats" "$1" "$(stat relayed)"
	expect "handed back in the trace = --stats" "$4" "$(stat 'handed back')"
	expect "refused in the trace = --stats" "$5" "$(stat 'over-returns refused')"
	expect "taken = returned + withdrawn + handed back" "$1" "$(($2 + $3 + $4))"
	expect "root pool" "$(field end r)" 3
}

run_one "$1"
