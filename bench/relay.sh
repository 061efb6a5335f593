# bench/relay.sh - scenario 1 of bench/run.sh (sourced by it).

# ---- 1: relay cost -----------------------------------------------------------
# On one CPU (taskset, where there is one): a wake-up then costs the same
# two context switches every time.  Spread over CPUs, each wake-up of an
# idle vCPU costs what the hypervisor takes to resume it, which on this
# VM swings the same figures 5-fold from one run to the next, for the
# ping-pong floor and any jobproxy alike (measured: old and new binaries
# interleaved, 0.9x to 11x the floor unpinned, 1.17-1.21x pinned).
PIN=
command -v taskset >/dev/null 2>&1 && PIN="taskset -c 0"
# relay_one KEY POOLJ PREFIX...: one sample of K acquire+release loops
relay_one() {
	_k=$1 _j=$2
	shift 2
	clr
	# shellcheck disable=SC2086  # $PIN: 0 or 3 words
	"$BH" run --timeout 300 --out "$T/run" -- $PIN "$POOL" -j"$_j" \
		--report "$T/pool" -- "$@" "$CLIENT" -k "$K" >"$T/out" 2>"$T/err"
	v=$(sed -n 's/^ns_per_iter=\([0-9.]*\).*/\1/p' "$T/out")
	[ -n "$v" ] || { say "  $_k: no figure: $(cat "$T/err")"; return; }
	rec "$_k" "$(calc "$v / 1000")"
	_m=${_k#s1.}
	_m=${_m%%.*}
	[ "$_m" = three ] && _m=jp
	rec s1.lost "$(lost "$T/pool")"
	rec "s1.$_m.lost" "$(lost "$T/pool")"
}
s1() {
	# -j3: the client holds one token and the parent has one more, the
	# case the target is about ("an acquire the parent can serve at
	# once").  -j2: the parent has nothing spare, so after each release
	# the token must travel child -> jobproxy -> child: a wake-up round
	# trip per acquire, at least the ping-pong floor.
	say "== 1 relay cost: $RUNS x $K acquire+release, pools -j3 and -j2"
	for r in $(runs); do
		for j in 3 2; do
			for m in $(modes "$r") three; do
				case $m in
				plain) relay_one "s1.plain.j$j" "$j" ;;
				wrap) relay_one "s1.wrap.j$j" "$j" "$NULLWRAP" ;;
				jp) relay_one "s1.jp.j$j" "$j" "$JP" ;;
				three) relay_one "s1.three.j$j" "$j" "$JP" "$JP" "$JP" ;;
				esac
			done
		done
		clr
		# shellcheck disable=SC2086
		"$BH" run --timeout 300 --out "$T/run" -- $PIN "$CLIENT" \
			--pingpong "$K" >"$T/out" 2>/dev/null
		v=$(sed -n 's/^ns_per_iter=\([0-9.]*\).*/\1/p' "$T/out")
		[ -n "$v" ] && rec s1.floor "$(calc "$v / 1000")"
		say "  run $r: -j3 $(tail_of s1.plain.j3) / $(tail_of s1.wrap.j3) / $(tail_of s1.jp.j3) us (plain/wrap/jp), -j2 jp $(tail_of s1.jp.j2) us, floor $(tail_of s1.floor) us"
	done
	pair s1.floor s1.jp.j3 s1.jp.vsfloor
	row "1-relay -j3" "us per acquire+release (1 jobproxy; the parent has a token spare)" \
		"$(fig s1.plain.j3)" "$(fig s1.wrap.j3)" "$(fig s1.jp.j3)" \
		"$(fig s1.jp.vsfloor)x ping-pong" "<= 1x ping-pong" \
		"$(met "$(med s1.jp.vsfloor)" "<=" 1)"
	row "1-relay" "us per round trip: two processes ping-ponging a byte (the floor)" \
		"$(fig s1.floor)" - - - - - r
	row "1-relay -j3" "us per acquire+release, 3 nested jobproxies" \
		"$(fig s1.plain.j3)" "$(fig s1.wrap.j3)" "$(fig s1.three.j3)" - - -
	row "1-relay -j2" "us per acquire+release, none spare: 1 jobproxy" \
		"$(fig s1.plain.j2)" "$(fig s1.wrap.j2)" "$(fig s1.jp.j2)" - - - r
	row "1-relay -j2" "us per acquire+release, none spare: 3 nested" \
		"$(fig s1.plain.j2)" "$(fig s1.wrap.j2)" "$(fig s1.three.j2)" - - -
	row "1-relay" "tokens lost (worst sample)" "$(max s1.plain.lost)" \
		"$(max s1.wrap.lost)" "$(max s1.jp.lost)" - "all 0" \
		"$(met "$(max s1.lost)" == 0)"
}
