# bench/scale.sh - scenario 5 of bench/run.sh (sourced by it): the herd.

# ---- 5: scale ----------------------------------------------------------------------
s5() {
	say "== 5 scale: $SN clients alive at once on a -j$SJ pool"
	for r in $(runs); do
		for m in plain jp; do
			pre=; [ $m = jp ] && pre=$JP
			mkdir -p "$T/sc"
			clr
			# shellcheck disable=SC2086
			"$BH" run --timeout 600 --out "$T/run" -- "$POOL" -j"$SJ" \
				--timeout 60 --report "$T/pool" -- "$BH" scale -n "$SN" \
				--timeout 240 --dir "$T/sc" --out "$T/sc/out" -- \
				$pre "$CLIENT" -k 5 -w 0 --timeout 250 >/dev/null 2>"$T/err"
			for k in ready ready_ms run_ms total_ms rss_kb pss_kb failed \
				cpu_ms csw; do
				rec "s5.$m.$k" "$(kv $k "$T/sc/out")"
			done
			rec "s5.$m.lost" "$(lost "$T/pool")"
			say "  run $r $m: $(tr '\n' ' ' <"$T/sc/out")"
		done
	done
	for k in ready_ms run_ms total_ms; do
		case $k in
		ready_ms) l="ms from the first fork until all $SN are alive" ;;
		run_ms) l="ms from the barrier's release until all exited" ;;
		total_ms) l="ms in all (the two above)" ;;
		esac
		p=$(med "s5.plain.$k") q=$(med "s5.jp.$k")
		row "5-scale n=$SN" "$l" "$p" "$q" "$(ratio "$p" "$q")" - -
	done
	p=$(med s5.plain.cpu_ms) q=$(med s5.jp.cpu_ms)
	row "5-scale n=$SN" "CPU ms, all processes" "$p" "$q" "$(ratio "$p" "$q")" - -
	p=$(med s5.plain.csw) q=$(med s5.jp.csw)
	row "5-scale n=$SN" "context switches, all processes" "$p" "$q" "$(ratio "$p" "$q")" - -
	p=$(min s5.plain.ready) q=$(min s5.jp.ready)
	row "5-scale n=$SN" "alive at once (worst run)" "$p" "$q" - "$SN" \
		"$(ok "$p" == "$SN")/$(ok "$q" == "$SN")"
	p=$(calc "$(med s5.plain.rss_kb) / 1024") q=$(calc "$(med s5.jp.rss_kb) / 1024")
	row "5-scale n=$SN" "sum RSS MiB, all processes" "$p" "$q" "$(ratio "$p" "$q")" - -
	p=$(calc "$(med s5.plain.pss_kb) / 1024") q=$(calc "$(med s5.jp.pss_kb) / 1024")
	row "5-scale n=$SN" "sum PSS MiB, all processes" "$p" "$q" "$(ratio "$p" "$q")" - -
	p=$(max s5.plain.lost) q=$(max s5.jp.lost)
	row "5-scale n=$SN" "tokens lost (worst run)" "$p" "$q" - 0 \
		"$(ok "$p" == 0)/$(ok "$q" == 0)"
	p=$(max s5.plain.failed) q=$(max s5.jp.failed)
	row "5-scale n=$SN" "clients failed (worst run)" "$p" "$q" - 0 \
		"$(ok "$p" == 0)/$(ok "$q" == 0)"
	# An idle child's parked token: clients that use their tokens first
	# and then wait for each other (BENCH_AFTER=1) starve for as long as
	# idle proxies keep tokens parked (for good, before jobproxy took
	# unread tokens back).
	for m in plain jp; do
		pre=; [ $m = jp ] && pre=$JP
		for r in $(runs); do
			clr
			# shellcheck disable=SC2086
			BENCH_AFTER=1 "$BH" run --timeout 120 --out "$T/run" -- "$POOL" \
				-j3 --timeout 60 --report "$T/pool" -- "$BH" scale -n 20 \
				--timeout 10 --dir "$T/sc" --out "$T/sc/out" -- \
				$pre "$CLIENT" -k 5 -w 0 --timeout 60 >/dev/null 2>&1
			rec "s5h.$m.ready" "$(kv ready "$T/sc/out")"
			rec "s5h.$m.ms" "$(kv ready_ms "$T/sc/out")"
			rec "s5h.$m.lost" "$(lost "$T/pool")"
		done
	done
	p=$(min s5h.plain.ready) q=$(min s5h.jp.ready)
	say "  barrier after token use, 20 clients, -j3: $p / $q reached it"
	row "5-hoard n=20 -j3" "use tokens, then wait for all: done (worst run, 10 s)" \
		"$p" "$q" - 20 "$(ok "$p" == 20)/$(ok "$q" == 20)"
	p=$(med s5h.plain.ms) q=$(med s5h.jp.ms)
	row "5-hoard n=20 -j3" "ms until all 20 are done" "$p" "$q" "$(ratio "$p" "$q")" - -
	p=$(max s5h.plain.lost) q=$(max s5h.jp.lost)
	row "5-hoard n=20 -j3" "tokens lost (worst run)" "$p" "$q" - 0 \
		"$(ok "$p" == 0)/$(ok "$q" == 0)"
}

