# The herd (issue 15): every jobproxy that waits for a token of one pool
# waits on the same pipe.  On Linux each waits with the pipe's read end in
# an epoll set, registered EPOLLEXCLUSIVE, so a token written wakes one of
# them, not all; one woken so that leaves a token in the pipe passes the
# wake-up on.  Here: many jobproxies hammering one pool get every token
# back (epoll, fifo, and the poll() fallback JOBPROXY_NO_EPOLL=1), a waiting
# jobproxy is registered exclusively, and two tokens handed back in one
# write reach both jobproxies asleep waiting for one.
. "$(dirname "$0")/lib.sh"

# until_true SECONDS CMD...: run CMD every 10 ms until it succeeds; 1 if
# it never did within SECONDS.
until_true() {
	_end=$(($(date +%s) + $1 + 1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge $_end ] && return 1
		sleep 0.01
	done
}

# excl_on PID PIPE: is process PID's epoll set watching the pipe PIPE
# ("pipe:[INODE]", as /proc/PID/fd shows it) with EPOLLEXCLUSIVE (1 << 28
# in /proc/PID/fdinfo's "tfd: FD events: HEX")?
excl_on() {
	for _f in /proc/"$1"/fdinfo/*; do
		sed -n 's/^tfd: *\([0-9]*\) *events: *\([0-9a-f]*\).*/\1 \2/p' \
			"$_f" 2>/dev/null
	done | while read -r _fd _ev; do
		[ "$(readlink /proc/"$1"/fd/"$_fd" 2>/dev/null)" = "$2" ] &&
			[ $((0x$_ev & 0x10000000)) -ne 0 ] && echo yes
	done | grep -q yes
}

# asleep_excl PID PIPE: excl_on, and asleep in epoll_wait(2) now.
asleep_excl() {
	[ "$(cat /proc/"$1"/wchan 2>/dev/null)" = do_epoll_wait ] &&
		excl_on "$1" "$2"
}

need_epoll() {
	[ -r /proc/self/fdinfo/0 ] && [ "$(uname -s)" = Linux ] ||
		skip "needs Linux's epoll and /proc/PID/fdinfo"
}

# many N STYLE: N clients, each behind a jobproxy, each taking and giving
# back a token five times from one -j4 pool.  They all start while a
# holder keeps the pool's 3 tokens, so that N jobproxies wait on its pipe
# at once when it gives them back.
many() {
	cat >many.sh <<EOF
"$TJOB" --client take=3 touch=holds wait=go put=3 &
while [ ! -e holds ]; do sleep 0.01; done
i=0
while [ \$i -lt $1 ]; do
	{ "$JP" "$TJOB" --client touch=ready.\$i take=1 put=1 take=1 put=1 \
		take=1 put=1 take=1 put=1 take=1 put=1 || echo \$? >>failed; } &
	i=\$((i + 1))
done
n=0
while [ "\$(ls | grep -c '^ready\.')" -lt $1 ] && [ \$n -lt 6000 ]; do
	sleep 0.01
	n=\$((n + 1))
done
: >go
wait
EOF
	"$POOL" -j4 --style "$2" --timeout 120 --report r -- sh many.sh 2>err
	[ -e failed ] && die "$(wc -l <failed) client(s) failed: $(sort -u failed | tr '\n' ' ')$(cat err)"
	expect "clients started" "$(ls | grep -c '^ready\.')" "$1"
	expect "pool's command" "$(field status r)" 0
	expect "pool timed out" "$(field timeout r)" 0
	expect "tokens back in the root pool" "$(field end r)" "$(field start r)"
}

t_herd_200_clients_pipe() {
	many 200 pipe
}

t_herd_200_clients_fifo() {
	many 200 fifo
}

t_herd_200_clients_poll_fallback() {
	JOBPROXY_NO_EPOLL=1
	export JOBPROXY_NO_EPOLL
	many 200 pipe
}

# A jobproxy waiting for a token of its parent's pool waits on the
# parent's read end exclusively (with poll(), every token written would
# wake every waiting jobproxy).
t_herd_waits_exclusively() {
	need_epoll
	cat >w.sh <<EOF
readlink /proc/\$\$/fd/\$(echo "\$MAKEFLAGS" | sed 's/.*--jobserver-auth=\([0-9]*\),.*/\1/') >pipe
"$TJOB" --client take=1 touch=holds wait=go put=1 &
while [ ! -e holds ]; do sleep 0.01; done
"$JP" "$TJOB" --client take=1 put=1 &
echo \$! >jp
wait
EOF
	"$POOL" -j2 --timeout 60 --report r -- sh w.sh 2>err &
	until_true 60 test -s jp || die "the jobproxy never started: $(cat err)"
	jp=$(cat jp) pipe=$(cat pipe)
	until_true 30 excl_on "$jp" "$pipe"
	ok=$?
	: >go
	wait
	[ $ok -eq 0 ] || die "jobproxy $jp never waited on $pipe with EPOLLEXCLUSIVE"
	echo "  jobproxy waited on the pool's $pipe with EPOLLEXCLUSIVE"
	expect "tokens back in the root pool" "$(field end r)" "$(field start r)"
}

# Both tokens of a -j3 pool come back in one write (a jobproxy hands back
# what its command held when it exits) while two jobproxies sleep waiting
# for one each.  The kernel wakes one of them for that write; it takes one
# token and must pass the wake-up on for the other, which it does by
# reading it and writing it back.  Each client waits for the other's
# token before it ends: a token left unseen in the pipe is a hang.
t_herd_two_tokens_one_write() {
	need_epoll
	cat >h.sh <<EOF
readlink /proc/\$\$/fd/\$(echo "\$MAKEFLAGS" | sed 's/.*--jobserver-auth=\([0-9]*\),.*/\1/') >pipe
"$JP" "$TJOB" --client take=2 touch=X-holds wait=go &
while [ ! -e X-holds ]; do sleep 0.01; done
"$JP" "$TJOB" --client take=1 touch=Y-got wait=Z-got put=1 &
echo \$! >Y
"$JP" "$TJOB" --client take=1 touch=Z-got wait=Y-got put=1 &
echo \$! >Z
wait
EOF
	"$POOL" -j3 --timeout 120 --report r -- sh h.sh 2>err &
	until_true 60 test -s Z || die "the clients never started: $(cat err)"
	y=$(cat Y) z=$(cat Z) pipe=$(cat pipe)
	# Both asleep in epoll_wait on the pool's pipe before the write: one
	# that is not would see the tokens at its next wait anyway.
	until_true 30 asleep_excl "$y" "$pipe" ||
		die "jobproxy $y never slept waiting for a token"
	until_true 30 asleep_excl "$z" "$pipe" ||
		die "jobproxy $z never slept waiting for a token"
	: >go
	if ! until_true 30 test -e Y-got -a -e Z-got; then
		# the clients first (by their parents' pids), then their
		# jobproxies: nothing of the test outlives it
		pkill -9 -P "$y" 2>/dev/null
		pkill -9 -P "$z" 2>/dev/null
		kill -9 "$y" "$z" 2>/dev/null
		wait
		die "a token was left in the pool's pipe while a jobproxy slept waiting for it"
	fi
	wait
	echo "  both waiting jobproxies got a token"
	expect "tokens back in the root pool" "$(field end r)" "$(field start r)"
}

run_one "$1"
