# Faults found by outside testing (issue 11), in the relay: the bytes that
# go back to the parent, a SIGKILLed jobproxy in the middle of a chain, a
# fifo child that floods its fifo with over-returns, and over-returns read
# back as tokens.  Each test runs real processes under tests/pool and
# asserts what cannot depend on timing: the pool's tokens and bytes at the
# end, exit statuses, the most tokens a client held at once.
. "$(dirname "$0")/lib.sh"

# bytes KEY FILE: startbytes or endbytes of a tests/pool --report file.
bytes() {
	sed -n "s/.* $1=\([0-9a-f]*\).*/\1/p" "$2"
}

# until_file FILE SECONDS: wait for FILE; 1 if it did not appear in time.
until_file() {
	i=0
	while [ ! -e "$1" ]; do
		[ $i -ge $(($2 * 100)) ] && return 1
		sleep 0.01
		i=$((i + 1))
	done
}

# A crashing sub-make (SIGKILLed holding tokens) beside a client that
# over-returns bytes of its own ('G'), all behind jobproxy: the pool must
# get back exactly the bytes it handed out, not '+' nor 'G'.
bytes_tree() {
	crash_tree sub
	cat >Makefile <<EOF
all: s o
s: ; +@$JP \$(MAKE) -s -k -C sub
o: ; +@$TJOB --client take=1 put=6:G
EOF
}

t_token_bytes_come_back_make43() {
	need_make43
	bytes_tree
	$POOL --fill abc --report r -- "$JP" make -s -k
	expect "make's exit status" "$(field status r)" 2
	expect "root pool at the end" "$(field end r)" 3
	expect "the bytes back in the pool" "$(bytes endbytes r)" 616263
}

t_token_bytes_come_back_make44_fifo() {
	need_make44
	bytes_tree
	$POOL --style fifo --fill abc --report r -- "$JP" "$M44" -s -k
	expect "make's exit status" "$(field status r)" 2
	expect "root pool at the end" "$(field end r)" 3
	expect "the bytes back in the pool" "$(bytes endbytes r)" 616263
}

# gone_and_ended PID WHICH: PID, a jobproxy whose parent jobserver went,
# ends within 30 s and has said so in err.
gone_and_ended() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 3000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null && die "the $2 jobproxy did not end"
	grep -q 'parent jobserver is gone' err || die "message: $(cat err)"
}

# root pool -> jobproxy -> jobproxy -> jobproxy -> sh: A holds $2 tokens,
# B waits for $3 in a blocking read(2).  The middle jobproxy is SIGKILLed,
# then A gives its tokens back: B must get what it waits for (the inner
# jobproxy's own pool), not wait for ever on a token pipe nobody feeds.
killed_middle() {
	cat >chain.sh <<EOF
echo \$PPID >jp3
$TJOB --client take=$2 touch=A-holds wait=killed put=$2 &
echo \$! >A
while [ ! -e A-holds ]; do sleep 0.01; done
$TJOB --client touch=B-ready take=$3 touch=B-got put=$3 &
echo \$! >B
wait
EOF
	$POOL "$1" --report r -- "$JP" "$JP" "$JP" sh chain.sh 2>err &
	until_file B-ready 60 || die "the client never started: $(cat err)"
	jp3=$(cat jp3)
	jp2=$(sed 's/.*) . \([0-9]*\) .*/\1/' /proc/$jp3/stat)
	[ "$(cat /proc/$jp2/comm)" = jobproxy ] || die "pid $jp2 is not jobproxy"
	kill -9 "$jp2"
	# Dead, its fds closed (a zombie or reaped), before A gives its
	# tokens back: a return written while its pipes still had a reader
	# would go into a pipe no one will ever read.
	i=0
	while case $(cut -d' ' -f3 /proc/$jp2/stat 2>/dev/null) in Z | '') false ;; esac; do
		i=$((i + 1))
		[ $i -gt 3000 ] && die "the middle jobproxy did not die"
		sleep 0.01
	done
	: >killed
	if ! until_file B-got 30; then
		kill -9 "$(cat B)" "$(cat A)" "$jp3" 2>/dev/null
		wait
		die "the client blocked in read() still waits 30 s after the middle jobproxy died: $(cat err)"
	fi
	wait
	# The inner jobproxy outlives the pool's own client: wait for it.
	gone_and_ended "$jp3" inner
	echo "  the blocked client got its token(s)"
	expect "root pool at the end" "$(field end r)" "$(field start r)"
}

# A fifo parent ends while a jobproxy below it, orphaned, has a client
# blocked waiting for a token (a stress round hung so for 30 s): the top's
# -j1 pool has none to give.  Our own write end keeps the fifo from ever
# reading EOF, the sign a pipe parent gives; its path, removed by its
# owner at the end (jobproxy, make 4.4), and the owner's pid in its name
# no longer there, is what tells.  The client gets
# the subtree's own token, and its jobproxy ends.
t_fifo_parent_ends_orphan_gets_a_token() {
	cat >orphan.sh <<EOF
$JP $TJOB --client touch=B-ready take=1 touch=B-got put=1 &
echo \$! >jp2
while [ ! -e B-ready ]; do sleep 0.01; done
EOF
	"$JP" -j 1 --style=fifo sh orphan.sh 2>err || die "top: $(cat err)"
	if ! until_file B-got 30; then
		kill -9 "$(cat jp2)" 2>/dev/null
		die "the client still waits 30 s after the fifo's owner ended: $(cat err)"
	fi
	gone_and_ended "$(cat jp2)" orphaned
	echo "  the orphan's client got its token"
}

# The same sign with the owner alive: make 4.4's fifo removed from under it
# while a jobproxy below waits for one of its tokens.  make still counts
# that token, so the jobproxy must wait for it (b holds it 2.5 s, two of
# the jobproxy's looks at the path), not go on with a pool of its own.
t_fifo_removed_under_live_owner_still_relays() {
	need_make44
	cat >Makefile <<'EOF'
all: a b
a: ; +@$(JP) sh -c 'rm -f "$$1"; exec $(TJOB) --client take=1 touch=got put=1' sh "$$(echo "$$MAKEFLAGS" | sed 's/.*fifo:\([^ ]*\).*/\1/')"
b: ; @sleep 2.5
EOF
	"$M44" -s -j2 JP="$JP" TJOB="$TJOB" >out 2>err
	expect "make's exit status" "$?" 0
	[ -e got ] || die "the client got no token: $(cat err)"
	grep -q 'is gone' err && die "took the live owner for gone: $(cat err)"
	[ -s err ] && die "stderr: $(cat err)"
	echo "  the jobproxy waited for make's token"
}

t_killed_middle_blocked_reader_nothing_held() {
	killed_middle -j1 0 1
}

t_killed_middle_holder_returns() {
	killed_middle -j3 2 2
}

# A child that floods its jobserver with over-returns (4096 bytes fills a
# one-page fifo; more blocks in write() until it is read) must end, and the
# pool end whole, in either style.
t_flood_over_return_ends() {
	got=
	for style in fifo pipe; do
		for n in 4096 65536 5000000; do
			timeout -k 5 60 $POOL --style $style --fill abc --report r \
				-- "$JP" --style=$style $TJOB --client take=1 put=$n:G
			rc=$?
			[ $rc -eq 124 ] && die "$style style, $n bytes: hung"
			expect "$style style, $n bytes over-returned: status" $rc 0
			expect "$style style, $n bytes: root pool" "$(field end r)" 3
			got="$got $style/$n:$(bytes endbytes r)"
		done
	done
	expect "the bytes back in the pool" "$got" \
		" fifo/4096:616263 fifo/65536:616263 fifo/5000000:616263 pipe/4096:616263 pipe/65536:616263 pipe/5000000:616263"
}

# Fifo style: a client takes two tokens while a third waits for it, writes
# back seven ('!': two returns, five over-returns), waits until jobproxy
# sleeps again (it has handled what that write woke it for), then reads all
# it can.  It may never hold more than the pool's three tokens at once.
# What this cannot see: the client reading its own over-return between its
# write and jobproxy's wake-up (see CAVEATS); here the client waits for
# jobproxy first, so the assertion is exact.
t_fifo_over_return_not_read_back() {
	$POOL --style fifo --fill abc --report r -- "$JP" \
		$TJOB --client take=2 parked=1 'put=7:!' settle grab report=held
	expect "status" "$(field status r)" 0
	cat held
	expect "most tokens held at once" "$(sed 's/max=\([0-9]*\).*/\1/' held)" 3
	expect "root pool at the end" "$(field end r)" 3
	expect "the bytes back in the pool" "$(bytes endbytes r)" 616263
}

# poll() failing in the relay (here EINVAL: more fds than RLIMIT_NOFILE,
# lowered under the running jobproxy) must not end jobproxy under its
# command: the command runs to its end, its exit status comes through and
# every token comes back.
t_poll_error_keeps_the_command_and_its_tokens() {
	need_tool prlimit
	cat >child.sh <<EOF
echo \$PPID >jp
$TJOB --client take=1 touch=holds wait=go put=1 wait=seen
echo done >out
exit 3
EOF
	# (A SANITIZE=1 build's leak check at exit needs fds of its own,
	# which this test takes away.)  JOBPROXY_NO_EPOLL=1: poll() checks
	# its fds against RLIMIT_NOFILE, an epoll set made before does not.
	ASAN_OPTIONS=detect_leaks=0 JOBPROXY_NO_EPOLL=1 \
		$POOL -j4 --report r -- "$JP" sh child.sh 2>err &
	until_file holds 60 || die "the command never took its token: $(cat err)"
	prlimit --pid "$(cat jp)" --nofile=2:2 || die "prlimit failed"
	# The return wakes jobproxy, whose next poll() fails; the command
	# waits until that has happened (on some schedules its exit came in
	# the same wakeup as its return, and poll() was never called again).
	: >go
	i=0
	until grep -q '^jobproxy: poll:' err; do
		[ $i -ge 6000 ] && die "no poll error within 60 s: $(cat err)"
		sleep 0.01
		i=$((i + 1))
	done
	: >seen
	wait
	expect "exit status" "$(field status r)" 3
	expect "the command ran to its end" "$(cat out)" done
	expect "root pool at the end" "$(field end r)" 3
	expect "jobproxy's line" "$(grep '^jobproxy:' err)" \
		"jobproxy: poll: relaying stops; waiting for sh: Invalid argument"
}

# A command that makes its token pipe bigger (F_SETPIPE_SZ works on either
# end) takes away the "room in the pipe = token taken" event: the relay
# was woken over and over while the token sat there unread (a spin).  It
# says so and looks at that pipe on a timer; the command still gets and
# gives back its tokens.
t_grown_token_pipe_is_watched_on_a_timer() {
	"$POOL" -j3 --report r -- "$JP" -v "$TJOB" --client parked=1 grow settle \
		take=2 put=2 2>err
	expect "exit status" "$(field status r)" 0
	grep -q "made its token pipe bigger: looking at it every 2 ms" err ||
		die "no line about the pipe: $(cat err)"
	expect "root pool at the end" "$(field end r)" 2
}

run_one "$1"
