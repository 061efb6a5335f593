#!/bin/sh
# An idle child (issue 15): a make whose one job runs on its implicit slot
# sits in wait4 and will want no token until that job ends.  Its jobproxy
# may look at it about once a second, and parks no token for it where
# /proc tells that nothing in its tree waits for one; a child that turns
# hungry still gets its tokens.  tests/tools/idle.py drives the children
# and measures; the bounds are invariants with room to spare (one wakeup
# a second plus slack; no token taken at all), never a schedule.
. "$(dirname "$0")/lib.sh"

IDLE=$ROOT/tests/tools/idle.py

# The idle make: one job, which says its pid and sleeps until ended.
idle_makefile() {
	# shellcheck disable=SC2016  # $$ and $(D) are make's
	printf 'all: ; @echo $$$$ >$(D).pid; exec sleep 600\n' >Makefile
}

# took FILE FROM TO: tokens jobproxy's --trace FILE says it took from its
# parent between FROM and TO (us, CLOCK_MONOTONIC).
took() {
	python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))
print(sum(e["args"]["tokens"] for e in ev if e.get("name") == "took"
          and int(sys.argv[2]) <= e["ts"] <= int(sys.argv[3])))' "$@"
}

# one_idle ARGS...: one idle child behind `jobproxy --trace=tr ARGS...`
# under a -j8 pool, 5 s watched after its first second: at most one
# wakeup a second (5, plus 2 of slack), no token taken in that time, and
# the pool whole at the end.  POOL_ARGS: more for the pool (its style).
one_idle() {
	# shellcheck disable=SC2086  # POOL_ARGS: 0 or more words
	$POOL ${POOL_ARGS:-} -j8 --report r -- python3 "$IDLE" one 5 "$JP" \
		--trace=tr "$@" >out 2>err || die "idle.py: $(cat err)"
	w=$(sed -n 's/.*wakeups=\([0-9]*\).*/\1/p' out)
	echo "  wakeups in 5 s after the first second: $w"
	[ "$w" -le 7 ] || die "$w wakeups in 5 s: more than one a second"
	from=$(sed -n 's/.*from=\([0-9]*\).*/\1/p' out)
	to=$(sed -n 's/.*to=\([0-9]*\).*/\1/p' out)
	expect "tokens taken for the idle tree after its first second" \
		"$(took tr "$from" "$to")" 0
	expect "root pool at the end" "$(field end r)" 7
}

t_idle_child_one_wakeup_a_second_no_token() {
	need_make
	need_tool python3
	idle_makefile
	one_idle make -s
}

# The same with a jobproxy between: the sub-make's (inserted by MAKE=)
# sits in poll() on its own pipes, not on ours, once its child is idle.
t_idle_nested_tree_no_token() {
	need_make
	need_tool python3
	mkdir sub
	idle_makefile
	mv Makefile sub/Makefile
	# shellcheck disable=SC2016
	printf 'all: ; +@$(MAKE) -s -C sub D=$(CURDIR)/$(D)\n' >Makefile
	one_idle make -s
}

# A fifo child (make 4.4) asleep while one of its jobs holds a token of
# ours: returns and parked tokens share its fifo, and our own parking
# write is an event there too.  It was taken for a sign of life (the
# client held tokens), which reset the back-off: a token parked and taken
# back every 70 ms, 30 wakeups a second.  Job a runs on the implicit slot,
# b on a token and ends with a.
t_idle_fifo_child_holding_a_token() {
	need_make44
	need_tool python3
	# shellcheck disable=SC2016  # $$ and $(D) are make's
	printf '%s\n' 'all: a b' \
		'a: ; @echo $$$$ >$(D).pid; exec sleep 600' \
		'b: ; @while [ ! -s $(D).pid ]; do sleep 0.05; done; exec tail --pid=$$(cat $(D).pid) -f /dev/null' \
		>Makefile
	POOL_ARGS="--style fifo" one_idle "$M44" -s
}

# 50 idle children on one -j8 pool: the tokens they keep out of it,
# sampled every 2 ms over 3 s, average under 0.1 (it was 1.0: a probe
# parked a token every second for 20 ms, children in phase).
t_idle_fifty_children_keep_no_token_out() {
	need_make
	need_tool python3
	idle_makefile
	$POOL -j8 --report r -- python3 "$IDLE" many 50 3 "$JP" make -s \
		>out 2>err || die "idle.py: $(cat err)"
	echo "  $(cat out)"
	m=$(sed -n 's/.*mean_out=\([0-9.]*\).*/\1/p' out)
	awk -v m="$m" 'BEGIN { exit !(m < 0.1) }' ||
		die "50 idle children kept $m token(s) out on average"
	expect "root pool at the end" "$(field end r)" 7
}

# A child idle past its first second (its probes on the back-off) turns
# hungry: make, in pselect on its token pipe, must be seen waiting and get
# its tokens: three jobs at once (tjob --need 3) where it had one.
hungry_makefile() {
	mkdir -p J
	cat >Makefile <<EOF
all: b c d
b c d: a ; @$TJOB $PWD/J --need 3
a: ; @echo \$\$\$\$ >\$(D).pid; $TJOB $PWD/J --until $PWD/go --timeout 60
EOF
}

t_idle_child_turns_hungry_gets_tokens() {
	need_make
	need_tool python3
	hungry_makefile
	$POOL -j8 --report r -- python3 "$IDLE" hungry go "$JP" make -s \
		>out 2>err || die "idle.py: $(cat err)"
	expect "jobs at once after the idle one" "$(maxconc J)" 3
	expect "root pool at the end" "$(field end r)" 7
}

# The same with a signal passed on while the child is idle: a look waits
# while a signal is pending (relay.c), so one that stayed marked pending
# would stop every look and probe, and the hungry make would never get a
# token.  SIGWINCH: make's default for it is to ignore it.
t_idle_child_turns_hungry_after_a_signal() {
	need_make
	need_tool python3
	hungry_makefile
	IDLE_SIGNAL=WINCH $POOL -j8 --report r -- python3 "$IDLE" hungry go \
		"$JP" make -s >out 2>err || die "idle.py: $(cat err)"
	expect "jobs at once after the idle one" "$(maxconc J)" 3
	expect "root pool at the end" "$(field end r)" 7
}

t_idle_fifo_child_turns_hungry_gets_tokens() {
	need_make44
	need_tool python3
	hungry_makefile
	$POOL --style fifo -j8 --report r -- python3 "$IDLE" hungry go "$JP" \
		"$M44" -s >out 2>err || die "idle.py: $(cat err)"
	expect "jobs at once after the idle one" "$(maxconc J)" 3
	expect "root pool at the end" "$(field end r)" 7
}

# A token parked for a make that sits in wait4 (its jobs run, it has no
# other target) goes back to the pool at a look (2-16 ms after parking,
# 1-4 for a kept return), not after the 20 ms (5 ms) idle time: a sibling
# sub-make may wait for that slot.  x runs long; each y ends on its own,
# and its token, returned and kept, is a chance for the look to find make
# in wait4.  Asserted: at least one take-back by a look among the five
# (a schedule where make never settles within 4 ms of a return misses
# one; five in a row is the broken policy), the trace's ledger whole and
# the pool whole.
t_idle_parked_token_back_when_make_waits() {
	[ "$(uname -s)" = Linux ] || skip "needs Linux's /proc to look at the tree"
	need_make
	need_tool python3
	# shellcheck disable=SC2016  # $@ is make's
	printf '%s\n' 'all: x y1 y2 y3 y4 y5' 'x: ; @sleep 0.6' \
		'y1: ; @sleep 0.05' 'y2: ; @sleep 0.1' 'y3: ; @sleep 0.15' \
		'y4: ; @sleep 0.2' 'y5: ; @sleep 0.25' >Makefile
	$POOL -j8 --report r -- "$JP" --trace=tr make -s >out 2>err ||
		die "build failed: $(cat err)"
	set -- $(python3 -c 'import json
ev = json.load(open("tr"))
def n(name): return sum(e["args"]["tokens"] for e in ev if e.get("name") == name)
print(n("withdrew, none waiting"), n("took"),
      n("returned") + n("withdrew unread") + n("withdrew, none waiting") +
      n("handed back after exit"))')
	echo "  tokens taken back at a look: $1"
	[ "$1" -ge 1 ] || die "no parked token went back at a look"
	expect "taken = returned + withdrawn + handed back" "$3" "$2"
	expect "root pool at the end" "$(field end r)" 7
}

run_one "$1"
