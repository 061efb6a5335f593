# bench/machine.sh - scenario 7 of bench/run.sh (sourced by it).

# ---- 7: machine (issue 13) ---------------------------------------------------
s7() {
	say "== 7 machine: 4 x 600 MiB jobs in a 1.5 GiB cgroup; --charge idle"
	mkdir -p "$T/mem"
	printf 'all: a b c d\na b c d: ; @%s 600 --ms 1000\n' \
		"$ROOT/tests/helpers/memhog" >"$T/mem/Makefile"
	for r in $(runs); do
		for m in plain jp; do
			if [ $m = plain ]; then set -- make -j4 -k
			else set -- "$JP" -j 4 --mem-per-job 700M make -k; fi
			rm -f "$T/memrep"
			m0=$(date +%s.%N)
			(cd "$T/mem" && MEMCG_REPORT=$T/memrep sh \
				"$ROOT/tests/tools/memcg.sh" 1536M "$@" \
				>/dev/null 2>"$T/memerr")
			m1=$(date +%s.%N)
			[ -f "$T/memrep" ] || { say "  $(cat "$T/memerr")"; return; }
			rec "s7.$m.wall" "$(calc "$m1 - $m0")"
			rec "s7.$m.killed" "$(sed -n 's/^oom_kill //p' "$T/memrep")"
		done
		clr
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j4 -- "$JP" \
			--charge "$BH" sleepstat "$T/ss" >/dev/null 2>&1
		rec s7.charge.wake "$(kv wakeups "$T/ss")"
	done
	p=$(med s7.plain.wall) q=$(med s7.jp.wall)
	row "7-machine 1.5 GiB" "wall s, 4 x 600 MiB (jp: --mem-per-job 700M)" "$p" "$q" "$(ratio "$p" "$q")" - -
	p=$(max s7.plain.killed) q=$(max s7.jp.killed)
	row "7-machine 1.5 GiB" "jobs killed by the OOM killer (most)" "$p" "$q" - 0 "$(ok "$q" == 0)"
	q=$(max s7.charge.wake)
	row 7-machine "wakeups/2 s, --charge, child idle" - "$q" - 0 "$(ok "$q" == 0)"
}

