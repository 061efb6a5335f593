# bench/machine.sh - scenario 7 of bench/run.sh (sourced by it).

# ---- 7: machine (issue 13) ---------------------------------------------------
s7() {
	say "== 7 machine: 4 x 600 MiB jobs in a 1.5 GiB cgroup; --charge idle"
	mkdir -p "$T/mem"
	printf 'all: a b c d\na b c d: ; @%s 600 --ms 1000\n' \
		"$ROOT/tests/helpers/memhog" >"$T/mem/Makefile"
	for r in $(runs); do
		for m in $(modes "$r"); do
			case $m in
			plain) set -- make -j4 -k ;;
			wrap) set -- "$NULLWRAP" make -j4 -k ;;
			jp) set -- "$JP" -j 4 --mem-per-job 700M make -k ;;
			esac
			rm -f "$T/memrep"
			m0=$(date +%s.%N)
			(cd "$T/mem" && MEMCG_REPORT=$T/memrep sh \
				"$ROOT/tests/tools/memcg.sh" 1536M "$@" \
				>/dev/null 2>"$T/memerr")
			m1=$(date +%s.%N)
			if [ ! -f "$T/memrep" ]; then
				say "  $(cat "$T/memerr")"
				row "7-machine" "skipped: $(head -n 1 "$T/memerr")" - - - - - - r
				return
			fi
			rec "s7.$m.wall" "$(calc "$m1 - $m0")"
			rec "s7.$m.killed" "$(sed -n 's/^oom_kill //p' "$T/memrep")"
			clr
			case $m in
			plain) set -- ;; wrap) set -- "$NULLWRAP" ;; jp) set -- "$JP" --charge ;;
			esac
			# After 3 s: creating a PSI trigger costs --charge two
			# wake-ups from the kernel at the start, whatever the
			# stall (README); the row is about an idle command after.
			"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j4 -- "$@" \
				"$BH" sleepstat --settle 3000 "$T/ss" >/dev/null 2>&1
			rec "s7.$m.wake" "$(kv wakeups "$T/ss")"
			[ "$m" = jp ] || continue
			# the same without --charge: what --charge adds
			clr
			"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j4 -- \
				"$JP" "$BH" sleepstat --settle 3000 "$T/ss" >/dev/null 2>&1
			rec s7.jpnc.wake "$(kv wakeups "$T/ss")"
			rec s7.added.wake "$(calc "$(tail_of s7.jp.wake) - $(kv wakeups "$T/ss")")"
		done
	done
	row "7-machine 1.5 GiB" "wall s, 4 x 600 MiB (jobproxy: --mem-per-job 700M)" \
		"$(fig s7.plain.wall)" "$(fig s7.wrap.wall)" "$(fig s7.jp.wall)" - - -
	row "7-machine 1.5 GiB" "jobs killed by the OOM killer (most)" "$(max s7.plain.killed)" \
		"$(max s7.wrap.killed)" "$(max s7.jp.killed)" - "jobproxy 0" \
		"$(met "$(max s7.jp.killed)" == 0)"
	row 7-machine "wrapper's wakeups in 2 s after the first 3, child idle (jobproxy: --charge)" \
		"$(fig s7.plain.wake)" "$(fig s7.wrap.wake)" "$(fig s7.jp.wake)" - - -
	# The offer's probes wake an idle child's jobproxy (scenario 8 judges
	# them); --charge itself must add no wakeup while the CPU is calm.
	row 7-machine "  of them added by --charge (the same without it: $(fig s7.jpnc.wake))" \
		- - "$(fig s7.added.wake)" "$(fig s7.added.wake)" "--charge adds 0 (median)" \
		"$(met "$(med s7.added.wake)" "<=" 0)"
}
