# bench/scale.sh - scenario 5 of bench/run.sh (sourced by it): the herd.
#
# N clients alive at once on one -j$SJ pool, each bare (plain), behind
# bench/nullwrap (wrap) or behind a jobproxy (jp).  The barrier keeps them
# hungry, as a build's waiting jobs are: `bh scale --hungry` takes every
# free token of the pool first, starts the N clients, waits until each
# said it is ready (then it goes straight to its acquire and blocks: on
# the pool, or on its wrapper's pipe while the wrapper waits on the pool),
# and gives the tokens back, one write each: the release.  Each client
# then takes and gives back 5 tokens and holds each $HU us (a job's worth
# of work in its slot, asleep: bench/client.c --hold-us), so the work
# alone takes N * 5 * $HU / ($SJ - 1) us at best and a ratio is not a
# ratio of start-up costs alone (with no work the do-nothing wrapper
# alone is about 2x).  BENCH_HERD_US's default, 500, is the work at which the
# jobproxy of before epoll (commit 97e8de5: every wrapper poll()s the
# pool) shows issue 15's herd here: 2.4-2.7x the bare clients' wall time
# at N = 1000, context switches per client growing with N (README,
# "Measured").  The wall time judged is the whole run, from the first
# fork until all exited (the figures issue 15 set its target by); the
# part from the release on, where the herd is, is shown
# beside it.  The figures of one run are the keys s5.N.MODE.KEY of
# raw.txt (herd_one); the rows come from them alone (herd_rows), so
# another way of producing the same keys can take this scenario's place.
#
# The barrier of before (clients asleep in flock(), no work) is kept as
# an information row at the largest N (keys s5f.N.MODE.KEY): a client
# asleep that turns hungry waits for its wrapper's next look.

# herd_one N MODE [flock]: one run (flock: the flock barrier, no work)
herd_one() {
	_pre='' _k=s5 _bar=--hungry _us=$HU
	case $2 in wrap) _pre=$NULLWRAP ;; jp) _pre=$JP ;; musl) _pre=$JPM ;; esac
	[ "${3:-}" = flock ] && _k=s5f _bar='' _us=0
	mkdir -p "$T/sc"
	clr
	# shellcheck disable=SC2086  # $_pre, $_bar: 0 or 1 word
	"$BH" run --timeout 600 --out "$T/run" -- "$POOL" -j"$SJ" \
		--timeout 60 --report "$T/pool" -- "$BH" scale -n "$1" $_bar \
		--timeout 240 --dir "$T/sc" --out "$T/sc/out" -- \
		$_pre "$CLIENT" -k 5 -w 0 --hold-us "$_us" --timeout 250 \
		>/dev/null 2>"$T/err"
	for k in ready run_ms total_ms pss_kb failed cpu_ms csw; do
		rec "$_k.$1.$2.$k" "$(kv $k "$T/sc/out")"
	done
	rec "$_k.$1.$2.lost" "$(lost "$T/pool")"
	rec "s5.lost" "$(lost "$T/pool")"
	rec "s5.failed" "$(kv failed "$T/sc/out")"
	_r=$(kv ready "$T/sc/out")
	rec "s5.short" "$(( $1 - ${_r:-0} ))"
	rec "s5.m.$2.short" "$(( $1 - ${_r:-0} ))"
	rec "s5.m.$2.lost" "$(lost "$T/pool")"
	rec "s5.m.$2.failed" "$(kv failed "$T/sc/out")"
}

# herd_rows: the rows, from the s5.* samples.  Flat in N: the context
# switches per client at the largest N within 1.5x of those at the
# smallest (a herd, where every token wakes every waiter, grows them
# with N).
herd_rows() {
	lo='' hi=''
	for n in $HN; do
		[ -z "$lo" ] && lo=$n
		hi=$n
		for m in plain wrap jp; do
			per "s5.$n.$m.csw" "$n" "s5.$n.$m.cswpc"
		done
		pair "s5.$n.plain.total_ms" "s5.$n.jp.total_ms" "s5.$n.vsplain"
	done
	for n in $HN; do
		tg=- mt=-
		if [ "$n" = "$hi" ]; then
			tg="<= 1.5x unwrapped" mt=$(met "$(med "s5.$n.vsplain")" "<=" 1.5)
		fi
		row "5-herd n=$n -j$SJ" "wall ms, first fork to all exited (hungry barrier, 5 tokens x $HU us)" \
			"$(fig "s5.$n.plain.total_ms")" "$(fig "s5.$n.wrap.total_ms")" \
			"$(fig "s5.$n.jp.total_ms")" "$(fig "s5.$n.vsplain")x unwrapped" \
			"$tg" "$mt" r
		row "5-herd n=$n -j$SJ" "  of it from the release (the pool's tokens given back)" \
			"$(fig "s5.$n.plain.run_ms")" "$(fig "s5.$n.wrap.run_ms")" \
			"$(fig "s5.$n.jp.run_ms")" - - - r
		row "5-herd n=$n -j$SJ" "context switches per client (all processes / n)" \
			"$(fig "s5.$n.plain.cswpc")" "$(fig "s5.$n.wrap.cswpc")" \
			"$(fig "s5.$n.jp.cswpc")" - - - r
		row "5-herd n=$n -j$SJ" "CPU ms, all processes" "$(fig "s5.$n.plain.cpu_ms")" \
			"$(fig "s5.$n.wrap.cpu_ms")" "$(fig "s5.$n.jp.cpu_ms")" - - -
	done
	# The same jobproxy sources linked statically with musl (make static):
	# no dynamic loader, no glibc start-up, which is most of what one more
	# process per client costs here (scenario 9).
	if [ -n "$JPM" ]; then
		pair "s5.$hi.plain.total_ms" "s5.$hi.musl.total_ms" "s5.$hi.muslvs"
		row "5-herd n=$hi -j$SJ" "  the same, jobproxy the musl static build (make static)" \
			"$(fig "s5.$hi.plain.total_ms")" "$(fig "s5.$hi.wrap.total_ms")" \
			"$(fig "s5.$hi.musl.total_ms")" "$(fig "s5.$hi.muslvs")x unwrapped" \
			"<= 1.5x unwrapped" "$(met "$(med "s5.$hi.muslvs")" "<=" 1.5)" r
	else
		row "5-herd n=$hi -j$SJ" "musl static build: skipped: $JPM_WHY" - - - - - - r
	fi
	row "5-herd n=$hi -j$SJ" "flock barrier, no work (info): ms from the release" \
		"$(fig "s5f.$hi.plain.run_ms")" "$(fig "s5f.$hi.wrap.run_ms")" \
		"$(fig "s5f.$hi.jp.run_ms")" - - - r
	row "5-herd n=$hi -j$SJ" "sum PSS KiB, all processes" "$(fig "s5.$hi.plain.pss_kb")" \
		"$(fig "s5.$hi.wrap.pss_kb")" "$(fig "s5.$hi.jp.pss_kb")" - - -
	if [ "$lo" != "$hi" ]; then
		for m in plain wrap jp; do
			pair "s5.$lo.$m.cswpc" "s5.$hi.$m.cswpc" "s5.flat.$m"
		done
		row "5-herd" "context switches per client at n=$hi / at n=$lo" \
			"$(fig s5.flat.plain)" "$(fig s5.flat.wrap)" "$(fig s5.flat.jp)" \
			"$(fig s5.flat.jp)x" "flat: jobproxy <= 1.5x" \
			"$(met "$(med s5.flat.jp)" "<=" 1.5)"
	fi
	for m in plain wrap jp; do
		eval "w_$m=\"\$(max s5.m.$m.short), \$(max s5.m.$m.lost), \$(max s5.m.$m.failed)\""
	done
	row "5-herd" "clients not alive at once, tokens lost, clients failed (worst run, all n)" \
		"$w_plain" "$w_wrap" "$w_jp" - "all 0, 0, 0" \
		"$(met "$(zeros "$(max s5.short)" "$(max s5.lost)" "$(max s5.failed)")" == 0)"
}

# An idle child's parked token: clients that use their tokens first and
# then wait for each other (BENCH_AFTER=1) starve for as long as idle
# proxies keep tokens parked (for good, before jobproxy took unread tokens
# back).
hoard() {
	for r in $(runs); do
		for m in $(modes "$r"); do
			pre=
			case $m in wrap) pre=$NULLWRAP ;; jp) pre=$JP ;; esac
			clr
			# shellcheck disable=SC2086
			BENCH_AFTER=1 "$BH" run --timeout 120 --out "$T/run" -- "$POOL" \
				-j3 --timeout 60 --report "$T/pool" -- "$BH" scale -n 20 \
				--timeout 10 --dir "$T/sc" --out "$T/sc/out" -- \
				$pre "$CLIENT" -k 5 -w 0 --timeout 60 >/dev/null 2>&1
			rec "s5h.$m.ready" "$(kv ready "$T/sc/out")"
			rec "s5h.$m.ms" "$(kv ready_ms "$T/sc/out")"
			rec "s5h.lost" "$(lost "$T/pool")"
			rec "s5h.$m.lost" "$(lost "$T/pool")"
		done
	done
	say "  barrier after token use, 20 clients, -j3: $(min s5h.plain.ready) / $(min s5h.wrap.ready) / $(min s5h.jp.ready) reached it"
	row "5-hoard n=20 -j3" "use tokens, then wait for all: done within 10 s (worst run)" \
		"$(min s5h.plain.ready)" "$(min s5h.wrap.ready)" "$(min s5h.jp.ready)" - \
		"jobproxy 20" "$(met "$(min s5h.jp.ready)" == 20)"
	row "5-hoard n=20 -j3" "ms until all 20 are done" "$(fig s5h.plain.ms)" \
		"$(fig s5h.wrap.ms)" "$(fig s5h.jp.ms)" - - -
	row "5-hoard n=20 -j3" "tokens lost (worst run)" "$(max s5h.plain.lost)" \
		"$(max s5h.wrap.lost)" "$(max s5h.jp.lost)" - "all 0" \
		"$(met "$(max s5h.lost)" == 0)"
}

s5() {
	say "== 5 herd: n = $HN clients alive at once on a -j$SJ pool, hungry, 5 tokens x $HU us"
	for hi in $HN; do :; done
	JPM=$ROOT/build/musl/jobproxy
	JPM_WHY=$(musl_build) || { JPM=; say "  musl: skipped: $JPM_WHY"; }
	for r in $(runs); do
		for n in $HN; do
			_ms=$(modes "$r")
			# musl at the largest N: first or last, round by round
			if [ "$n" = "$hi" ] && [ -n "$JPM" ]; then
				if [ $((r % 2)) = 0 ]; then _ms="$_ms musl"
				else _ms="musl $_ms"; fi
			fi
			for m in $_ms; do
				herd_one "$n" "$m"
				say "  run $r n=$n $m: $(tail_of "s5.$n.$m.total_ms") ms ($(tail_of "s5.$n.$m.run_ms") from the release), $(tail_of "s5.$n.$m.csw") switches, $(tail_of "s5.$n.$m.ready") alive"
			done
		done
		for m in $(modes "$r"); do
			herd_one "$hi" "$m" flock
			say "  run $r n=$hi $m, flock barrier, no work: $(tail_of "s5f.$hi.$m.run_ms") ms from the release"
		done
	done
	herd_rows
	hoard
}
