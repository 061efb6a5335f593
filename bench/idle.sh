# bench/idle.sh - scenario 8 of bench/run.sh (sourced by it): idle children.
#
# One child that sleeps (bh sleepstat): its parent's context switches
# over BENCH_IDLE_MS after the first second, per second.  BENCH_IDLE_N
# children on one -j$SJ pool that wait at a barrier (client -k 0: they
# never ask for a token): the pool's free tokens, sampled every 2 ms over
# the same window (bh scale --hold); what is missing from the $SJ - 1 was
# out of the pool, parked for a child that did not want it.

idle_round() {
	for m in $(modes "$1"); do
		pre=
		case $m in wrap) pre=$NULLWRAP ;; jp) pre=$JP ;; esac
		clr
		# shellcheck disable=SC2086  # $pre: 0 or 1 word
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$SJ" -- $pre \
			"$BH" sleepstat --settle 1000 --ms "$IDLE_MS" "$T/ss" \
			>/dev/null 2>&1
		w=$(kv wakeups "$T/ss")
		[ -n "$w" ] && rec "s8.$m.wake" "$(calc "$w * 1000 / $IDLE_MS")"
		mkdir -p "$T/sc"
		clr
		# shellcheck disable=SC2086
		"$BH" run --timeout 120 --out "$T/run" -- "$POOL" -j"$SJ" \
			--timeout 60 --report "$T/pool" -- "$BH" scale -n "$IDLE_N" \
			--timeout 60 --settle 1000 --hold "$IDLE_MS" --dir "$T/sc" \
			--out "$T/sc/out" -- $pre "$CLIENT" -k 0 -w 0 --timeout 90 \
			>/dev/null 2>"$T/err"
		f=$(kv free_mean "$T/sc/out")
		[ -n "$f" ] && rec "s8.$m.out" "$(calc "$SJ - 1 - $f")"
		rec s8.lost "$(lost "$T/pool")"
		rec "s8.$m.lost" "$(lost "$T/pool")"
		n=$(kv ready "$T/sc/out")
		rec s8.short "$(( IDLE_N - ${n:-0} ))"
		rec "s8.$m.short" "$(( IDLE_N - ${n:-0} ))"
	done
}

s8() {
	say "== 8 idle: 1 idle child; $IDLE_N idle children on a -j$SJ pool; ${IDLE_MS} ms after 1 s"
	for r in $(runs); do
		idle_round "$r"
		say "  run $r: wakeups/s $(tail_of s8.plain.wake) / $(tail_of s8.wrap.wake) / $(tail_of s8.jp.wake), tokens out $(tail_of s8.plain.out) / $(tail_of s8.wrap.out) / $(tail_of s8.jp.out) (plain/wrap/jp)"
	done
	row "8-idle" "wrapper's wakeups a second, one idle child, after the first second" \
		"$(fig s8.plain.wake)" "$(fig s8.wrap.wake)" "$(fig s8.jp.wake)" - \
		"jobproxy <= 1" "$(met "$(med s8.jp.wake)" "<=" 1)"
	row "8-idle -j$SJ" "mean tokens out of the pool, $IDLE_N idle children" \
		"$(fig s8.plain.out)" "$(fig s8.wrap.out)" "$(fig s8.jp.out)" - \
		"jobproxy < 0.1" "$(met "$(med s8.jp.out)" "<" 0.1)"
	row "8-idle -j$SJ" "children not all idle at once, tokens lost (worst run)" \
		"$(max s8.plain.short), $(max s8.plain.lost)" \
		"$(max s8.wrap.short), $(max s8.wrap.lost)" \
		"$(max s8.jp.short), $(max s8.jp.lost)" - "all 0, 0" \
		"$(met "$(zeros "$(max s8.short)" "$(max s8.lost)")" == 0)"
}
