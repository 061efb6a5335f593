# The machine-wide pool: `jobproxy --serve SOCKET` and the builds that
# connect to it (`jobproxy --connect SOCKET`).  Each test runs its own
# daemon in the background and kills it on the way out.
. "$(dirname "$0")/lib.sh"

# start_daemon N [OPTION...]: a daemon of N slots at ./sock, log in ./dlog.
start_daemon() {
	n=$1
	shift
	"$JP" --serve "$PWD/sock" -j "$n" "$@" 2>dlog &
	DPID=$!
	trap 'kill $DPID 2>/dev/null; wait $DPID 2>/dev/null; cd / && rm -rf "$T"' EXIT
	i=0
	while [ ! -S sock ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && die "the daemon did not start: $(cat dlog)"
		sleep 0.01
	done
}

# free: the daemon's free tokens, from --status.
free() {
	"$JP" --status sock | sed -n 's/^pool [0-9]* free \([0-9]*\).*/\1/p'
}

# wait_free N MS: the pool shows N free within MS milliseconds.
wait_free() {
	i=0
	while [ "$(free)" != "$1" ]; do
		i=$((i + 20))
		[ $i -gt "$2" ] && die "pool not whole after $2 ms: $("$JP" --status sock)"
		sleep 0.02
	done
	echo "  pool whole (free $1) after about $i ms"
}

need_make43() {
	need_tool make
	make --version | head -1 | grep -q 'GNU Make 4\.3' ||
		die "these tests need GNU make 4.3 as 'make'"
}

t_two_builds_share_the_pool() {
	need_make43
	start_daemon 4
	mkdir -p A B D
	for d in A B; do
		cat >$d/Makefile <<EOF2
all: 1 2 3 4 5 6
1 2 3 4 5 6: ; @$TJOB $PWD/D --need 4 --ms 50
EOF2
	done
	# make without -j: the -jN and the auth come in MAKEFLAGS.
	"$JP" --connect "$PWD/sock" -- make -s -C A 2>errA &
	a=$!
	"$JP" --connect "$PWD/sock" -- make -s -C B 2>errB &
	b=$!
	wait $a || die "build A failed: $(cat errA)"
	wait $b || die "build B failed: $(cat errB)"
	max=$(maxconc D)
	[ "$max" -ge 4 ] || die "most jobs at once across both: $max, want >= 4"
	[ "$max" -le 6 ] || die "most jobs at once across both: $max, want <= 6 (4 + 2 implicit)"
	echo "  most jobs at once across both builds: $max (4..6)"
	expect "stderr of the builds" "$(cat errA errB)" ""
	wait_free 4 1000
}

t_sigkill_of_a_build_gives_back_its_tokens() {
	need_make43
	need_tool perl
	start_daemon 4
	mkdir -p sub D
	cat >sub/Makefile <<EOF2
all: a b c d
a b c d: ; @$TJOB $PWD/D --until $PWD/D/never --timeout 20
EOF2
	# A process group of its own, to kill the whole build at once.
	perl -e 'setpgrp(0, 0); exec @ARGV or die' \
		"$JP" --connect "$PWD/sock" -- make -s -C sub 2>/dev/null &
	pg=$!
	i=0
	until [ -f D/state ] && [ "$(cut -d' ' -f1 D/state)" = 4 ]; do
		i=$((i + 1))
		[ $i -gt 500 ] && die "the build never ran 4 jobs"
		sleep 0.01
	done
	f=$(free)
	[ "$f" -lt 4 ] || die "the build holds no tokens (free $f)"
	echo "  4 jobs running, daemon pool free $f"
	kill -9 -$pg
	wait_free 4 1000
	"$JP" --status sock | grep -q '^pool 4 free 4 clients 0$' ||
		die "status: $("$JP" --status sock)"
}

t_bad_peers_leave_the_pool_whole() {
	need_tool python3
	start_daemon 4 --max-clients 8000 --max-per-uid 8000
	peers="python3 $ROOT/tests/tools/serve_peers.py $PWD/sock"
	$peers garbage || die "garbage"
	grep -q 'bad request from pid [0-9]* uid [0-9]*, closing: "\\xff\\x00\\x01garbage' dlog ||
		die "log: $(cat dlog)"
	$peers silent || die "silent"
	grep -q 'sent no request within 5 s, closing' dlog || die "log: $(cat dlog)"
	$peers hello-die || die "hello-die"
	$peers over-return || die "over-return"
	grep -q 'returned 4 token(s) it never took: refused' dlog ||
		die "log: $(cat dlog)"
	wait_free 4 1000
	$peers flood 5000 || die "flood"
	kill -0 $DPID || die "the daemon died"
	wait_free 4 3000
	"$JP" --status sock | grep -q '^pool 4 free 4 clients 0$' ||
		die "status: $("$JP" --status sock)"
}

t_limits_refuse_and_log_briefly() {
	need_tool python3
	start_daemon 2 --max-per-uid 100
	python3 "$ROOT/tests/tools/serve_peers.py" "$PWD/sock" flood 300 >out 2>&1
	# The status query itself is over the limit while 300 are open.
	grep -q 'refused uid [0-9]*: 100 connections already (--max-per-uid)' dlog ||
		die "log: $(cat dlog)"
	lines=$(grep -c 'max-per-uid' dlog)
	[ "$lines" -le 10 ] || die "$lines log lines for one burst"
	echo "  $lines log line(s) for 200 refusals"
	wait_free 2 3000
}

t_daemon_absent_runs_on_own_pool() {
	"$JP" --connect /nonexistent -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "status" "$?" 0
	expect "lines on stderr" "$(wc -l <err | tr -d ' ')" 1
	grep -q '^jobproxy: no jobserver daemon at /nonexistent: No such file or directory: running on a pool of its own$' err ||
		die "message: $(cat err)"
	grep -q -- ' -j[0-9]* --jobserver-auth=[0-9]*,[0-9]*$' out ||
		die "child's MAKEFLAGS: $(cat out)"
	echo "  child's MAKEFLAGS:$(cat out)"
	# A socket file with no daemon behind it: refused, same fallback.
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' stale
	"$JP" --connect "$PWD/stale" -j 3 -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	grep -q 'Connection refused: running on a pool of its own' err ||
		die "message: $(cat err)"
	expect "child's MAKEFLAGS with -j 3" "$(cat out)" " -j3 --jobserver-auth=$(sed 's/.*=//' out)"
	# ... and a daemon started there replaces the stale file.
	start_daemon 2 2>/dev/null
	expect "status" "$("$JP" --status sock)" "pool 2 free 2 clients 0"
}

t_jobproxy_socket_env_and_resize() {
	start_daemon 3 --jobs-file "$PWD/jobs"
	# JOBPROXY_SOCKET: connect when no jobserver is in the environment.
	JOBPROXY_SOCKET=$PWD/sock "$JP" sh -c '"$JP" --status sock; echo "$MAKEFLAGS"' >out 2>err
	grep -q '^client [0-9]* [0-9]* held [0-9]*$' out || die "status: $(cat out)"
	grep -q -- '^ -j3 --jobserver-auth=' out || die "MAKEFLAGS: $(cat out)"
	expect "stderr" "$(cat err)" ""
	# ... but not under another jobserver.
	JOBPROXY_SOCKET=$PWD/sock $POOL -j2 -- "$JP" sh -c '"$JP" --status sock' >out
	expect "clients under a parent jobserver" "$(head -1 out)" "pool 3 free 3 clients 0"
	# SIGHUP re-reads --jobs-file; "jobs N" resizes.
	echo 5 >jobs
	kill -HUP $DPID
	i=0
	until "$JP" --status sock | grep -q '^pool 5 free 5'; do
		i=$((i + 1))
		[ $i -gt 100 ] && die "SIGHUP: $("$JP" --status sock)"
		sleep 0.01
	done
	echo "  SIGHUP: pool of 5"
	out=$(python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"jobs 2\n")
print(s.recv(100).decode().strip())' sock)
	expect "answer to jobs 2" "$out" "ok"
	expect "status" "$("$JP" --status sock)" "pool 2 free 2 clients 0"
	# SIGTERM: exit 0 once no connection holds tokens.
	kill -TERM $DPID
	wait $DPID
	expect "exit status after SIGTERM" "$?" 0
	[ ! -e sock ] || die "the socket file is still there"
}

run_one "$1"
