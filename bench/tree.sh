# bench/tree.sh - scenarios 2 (tree), 3 (crash), 4 (footprint) of bench/run.sh,
# which sources this file; the helpers (rec, med, fig, row...) are there.

# ---- the generated recursive tree (scenarios 2-4) -------------------------
# Depth 3: the top dir has 3 subdirs, each of those 3, each of those 2
# leaves; 4/5/6/10 jobs per dir by depth: 253 jobs of 5..60 ms drawn by a
# fixed generator (Park-Miller), so every run and both modes build the same
# tree.  The recursion sits in the middle of each dir's job list.
# With CRASH=1 three leaves first start a job k, on the make's implicit
# slot, that SIGKILLs the leaf's make ($$PPID) the moment one more job of
# that leaf runs beside it: the make dies holding that job's token (or,
# if no token came within 1 s, holding none).  The leaf's other jobs
# never run.  Those leaves' jobs count in their own tjob dirs (L/k0..k2),
# not in the concurrency log.
TREE=$T/tree
NJOBS=253
gen_tree() {
	[ -f "$TREE/Makefile" ] && return 0
	awk -v top="$TREE" '
	function rnd() { seed = (seed * 16807) % 2147483647; return seed }
	function gen(d, lvl,    ns, nj, i, subs, jobs, f, h, ms, kd) {
		ns = lvl == 0 ? 3 : lvl == 1 ? 3 : lvl == 2 ? 2 : 0
		nj = lvl == 0 ? 4 : lvl == 1 ? 5 : lvl == 2 ? 6 : 10
		system("mkdir -p \"" d "\"")
		subs = ""
		for (i = 0; i < ns; i++) {
			subs = subs " s" i
			gen(d "/s" i, lvl + 1)
		}
		f = d "/Makefile"
		jobs = ""
		for (i = 0; i < nj; i++) jobs = jobs " j" i
		print "SUBDIRS =" subs > f
		print "JOBS =" jobs > f
		kd = d ~ /\/s0\/s0\/s0$/ ? "k0" : d ~ /\/s1\/s2\/s1$/ ? "k1" \
		     : d ~ /\/s2\/s1\/s0$/ ? "k2" : ""
		if (kd != "") {
			print "KILLER := $(if $(filter 1,$(CRASH)),k)" > f
			print "TD := $(if $(filter 1,$(CRASH)),$(L)/" kd ",$(L))" > f
		} else {
			print "KILLER =" > f
			print "TD = $(L)" > f
		}
		print "KD = $(L)/" kd > f
		h = int(nj / 2)
		printf "all: $(KILLER)" > f
		for (i = 0; i < h; i++) printf " j%d", i > f
		printf " $(SUBDIRS)" > f
		for (i = h; i < nj; i++) printf " j%d", i > f
		print "" > f
		print "$(SUBDIRS):" > f
		print "\t+@$(MAKE) -C $@" > f
		for (i = 0; i < nj; i++) {
			ms = 5 + rnd() % 56
			print "j" i ":" > f
			print "\t@$(TJOB) $(TD) --ms " ms > f
		}
		print "k:" > f
		print "\t@$(TJOB) $(KD) --kill $$PPID --when 2 --timeout 1 2>/dev/null || { touch $(KD)/fallback; kill -9 $$PPID; }" > f
		print ".PHONY: all k $(SUBDIRS) $(JOBS)" > f
		close(f)
		total += nj
	}
	BEGIN { seed = 12345; gen(top, 0); print total }' >"$T/njobs" ||
		die "cannot generate the tree"
	[ "$(cat "$T/njobs")" = $NJOBS ] || die "tree has $(cat "$T/njobs") jobs"
}

# tree_run OUT LOGDIR CMD...: one build of the tree (CMD gets -C TREE and
# the variables appended), the tjob log in LOGDIR; bh's figures in OUT,
# the build's stderr in OUT.err.
tree_run() {
	_out=$1 _log=$2
	shift 2
	rm -rf "$_log"
	mkdir -p "$_log/k0" "$_log/k1" "$_log/k2"
	clr
	"$BH" run --timeout 300 --out "$_out" -- "$@" -C "$TREE" \
		--no-print-directory TJOB="$TJOB" L="$_log" >/dev/null 2>"$_out.err"
}
# conc OUT LOGDIR N: "mean= util= max= jobs= unbalanced=" from the tjob log
conc() {
	"$BH" conc --log "$2/log" --start "$(kv start_ns "$1")" \
		--end "$(kv end_ns "$1")" -n "$3"
}

# ---- 2: recursive build --------------------------------------------------------
# tree_mode MODE J ARGS...: one build of the tree by plain make, make with
# nullwrap before every sub-make, or jobproxy
tree_mode() {
	_m=$1 _j=$2
	shift 2
	clr
	case $_m in
	plain) tree_run "$T/run" "$T/log" make -j"$_j" "$@" ;;
	wrap) tree_run "$T/run" "$T/log" make -j"$_j" "$@" MAKE="$NULLWRAP make" ;;
	jp) tree_run "$T/run" "$T/log" "$JP" make -j"$_j" "$@" ;;
	esac
}
s2() {
	gen_tree
	say "== 2 recursive tree: $NJOBS jobs, depth 3, -j: $JOBS, $TRUNS rounds"
	for r in $(runs "$TRUNS"); do
		for j in $JOBS; do
			for m in $(modes "$r"); do
				tree_mode "$m" "$j"
				st=$(kv status "$T/run")
				set -- $(conc "$T/run" "$T/log" "$j")
				util=${2#util=} mx=${3#max=} nj=${4#jobs=}
				if [ "$st" != 0 ] || [ "$nj" != $NJOBS ]; then
					say "  -j$j $m: status $st, $nj of $NJOBS jobs: $(head -c 300 "$T/run.err")"
					rec "s2.$j.bad" 1
				fi
				rec "s2.$j.$m.wall" "$(wall_s "$T/run")"
				rec "s2.$j.$m.util" "$util"
				rec "s2.$j.max" "$mx"
				rec "s2.$j.$m.max" "$mx"
				say "  run $r -j$j $m: $(wall_s "$T/run") s, util $util, max $mx"
			done
		done
	done
	for j in $JOBS; do
		pair "s2.$j.wrap.wall" "s2.$j.jp.wall" "s2.$j.vswrap"
		pair "s2.$j.plain.wall" "s2.$j.jp.wall" "s2.$j.vsplain"
		pair "s2.$j.plain.util" "s2.$j.jp.util" "s2.$j.utilr"
		row "2-tree -j$j" "wall s, $NJOBS jobs in 40 sub-makes ($TRUNS rounds)" "$(fig "s2.$j.plain.wall")" \
			"$(fig "s2.$j.wrap.wall")" "$(fig "s2.$j.jp.wall")" \
			"$(fig "s2.$j.vswrap")x wrapper" "<= 1.01x wrapper" \
			"$(met "$(med "s2.$j.vswrap")" "<=" 1.01)"
		row "2-tree -j$j" "wall: jobproxy / plain make" - - - \
			"$(fig "s2.$j.vsplain")x plain" - - r
		row "2-tree -j$j" "mean concurrency / N" "$(fig "s2.$j.plain.util")" \
			"$(fig "s2.$j.wrap.util")" "$(fig "s2.$j.jp.util")" \
			"$(fig "s2.$j.utilr")x plain" ">= 0.98x plain" \
			"$(met "$(med "s2.$j.utilr")" ">=" 0.98)"
		row "2-tree -j$j" "max concurrency (all runs)" "$(max "s2.$j.plain.max")" \
			"$(max "s2.$j.wrap.max")" "$(max "s2.$j.jp.max")" - "all <= $j" \
			"$(met "$(max "s2.$j.max")" "<=" "$j")"
		p=$(max "s2.$j.bad")
		[ -n "$p" ] && row "2-tree -j$j" "failed builds" - - - - 0 MISSED
	done
}

# ---- 3: crash --------------------------------------------------------------------
s3() {
	gen_tree
	n=$((CJ - 1))
	say "== 3 crash: 3 leaf sub-makes SIGKILLed, make -k under tests/helpers/pool -j$CJ"
	for r in $(runs); do
		for m in $(modes "$r"); do
			case $m in
			plain) set -- make ;; wrap) set -- make MAKE="$NULLWRAP make" ;;
			jp) set -- "$JP" make ;;
			esac
			for c in 0 1; do
				clr
				tree_run "$T/run" "$T/log" "$POOL" -j"$CJ" --timeout 60 \
					--report "$T/pool" -- "$@" -k CRASH=$c
				st=$(kv status "$T/run")
				kills=$(grep -c 'Killed' "$T/run.err")
				w=$(all_s "$T/run")
				left=$(pr end "$T/pool")
				rec "s3.$m.$c.wall" "$w"
				rec "s3.$m.$c.left" "${left:-NA}"
				if [ $c = 1 ]; then
					rec "s3.$m.kills" "$kills"
					rec "s3.$m.fallback" "$(ls "$T"/log/k*/fallback 2>/dev/null | wc -l)"
					[ "$kills" = 3 ] || say "  $m: $kills sub-makes killed, not 3"
				elif [ "$st" != 0 ]; then
					say "  $m clean run failed: $(head -c 300 "$T/run.err")"
					rec "s3.bad" 1
				fi
				say "  run $r $m crash=$c: $w s, pool $left/$n, killed $kills"
			done
		done
	done
	for m in plain wrap jp; do
		pair "s3.$m.0.wall" "s3.$m.1.wall" "s3.$m.cr"
	done
	row "3-crash -j$CJ" "wall s to the last process, crash run" "$(fig s3.plain.1.wall)" \
		"$(fig s3.wrap.1.wall)" "$(fig s3.jp.1.wall)" - - - r
	row "3-crash -j$CJ" "wall s to the last process, crash-free" "$(fig s3.plain.0.wall)" \
		"$(fig s3.wrap.0.wall)" "$(fig s3.jp.0.wall)" - - -
	row "3-crash -j$CJ" "crash / crash-free wall" "$(fig s3.plain.cr)" \
		"$(fig s3.wrap.cr)" "$(fig s3.jp.cr)" "$(fig s3.jp.cr)x" "jobproxy <= 1.05x" \
		"$(met "$(med s3.jp.cr)" "<=" 1.05)"
	row "3-crash -j$CJ" "pool tokens left of $n after the crash run (worst)" \
		"$(min s3.plain.1.left)" "$(min s3.wrap.1.left)" "$(min s3.jp.1.left)" - \
		"jobproxy = $n" "$(met "$(min s3.jp.1.left)" == "$n")"
	l=$( { min s3.plain.0.left; min s3.wrap.0.left; min s3.jp.0.left; } | sort -g | head -n 1)
	row "3-crash -j$CJ" "pool tokens left of $n, crash-free (worst)" \
		"$(min s3.plain.0.left)" "$(min s3.wrap.0.left)" "$(min s3.jp.0.left)" - \
		"all = $n" "$(met "$l" == "$n")"
	row "3-crash -j$CJ" "sub-makes killed (fewest)" "$(min s3.plain.kills)" \
		"$(min s3.wrap.kills)" "$(min s3.jp.kills)" - "jobproxy = 3" \
		"$(met "$(min s3.jp.kills)" == 3)"
	row "3-crash -j$CJ" "of which holding no token (most)" "$(max s3.plain.fallback)" \
		"$(max s3.wrap.fallback)" "$(max s3.jp.fallback)" - - -
	[ -n "$(max s3.bad)" ] && row "3-crash -j$CJ" "failed crash-free builds" - - - - 0 MISSED
}

# ---- 4: footprint ------------------------------------------------------------------
# foot_round R: one round of scenario 4 (the -j$FJ build, then the
# child that sleeps holding a token), the modes in R's order
foot_round() {
	for m in $(modes "$1"); do
		clr
		case $m in
		plain)
			tree_run "$T/run" "$T/log" "$POOL" -j"$FJ" --timeout 60 -- make
			rec s4.plain.rss "$(kv maxrss_kb "$T/run")"
			rec s4.plain.cpu "$(calc "($(kv utime_us "$T/run") + $(kv stime_us "$T/run")) / 1000")" ;;
		wrap)
			tree_run "$T/run" "$T/log" "$POOL" -j"$FJ" --timeout 60 -- \
				"$NULLWRAP" "$BH" tailstat "$T/tail" -- make
			rec s4.wrap.rss "$(kv vmhwm_kb "$T/tail")"
			rec s4.wrap.cpu "$(calc "$(kv cpu_ns "$T/tail") / 1e6")" ;;
		jp)
			tree_run "$T/run" "$T/log" "$POOL" -j"$FJ" --timeout 60 -- "$JP" \
				--no-insert --stats "$BH" tailstat "$T/tail" -- make
			rec s4.jp.rss "$(kv vmhwm_kb "$T/tail")"
			rec s4.jp.anon "$(kv rssanon_kb "$T/tail")"
			rec s4.jp.pss "$(kv pss_kb "$T/tail")"
			rec s4.jp.cpu "$(calc "$(kv cpu_ns "$T/tail") / 1e6")"
			rec s4.jp.relayed "$(sed -n 's/.*relayed \([0-9]*\).*/\1/p' "$T/run.err" | head -n 1)" ;;
		esac
		rec s4.$m.wall "$(wall_s "$T/run")"
		# wakeups over 2 s of the child's sleep, holding a token
		clr
		case $m in
		plain) set -- make -s -f "$T/sleep.mk" SS="$BH sleepstat --take 1 $T/ss" ;;
		wrap) set -- "$NULLWRAP" "$BH" sleepstat --take 1 "$T/ss" ;;
		jp) set -- "$JP" "$BH" sleepstat --take 1 "$T/ss" ;;
		esac
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- "$@" \
			>/dev/null 2>&1
		rec s4.$m.wake1 "$(kv wakeups "$T/ss")"
	done
	if [ -x "$JPS" ]; then
		clr
		tree_run "$T/run" "$T/log" "$POOL" -j"$FJ" --timeout 60 -- "$JPS" \
			--no-insert "$BH" tailstat "$T/tail" -- make
		rec s4.jps.rss "$(kv vmhwm_kb "$T/tail")"
	fi
	clr
	"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- "$JP" \
		--style=fifo "$BH" sleepstat --take 1 "$T/ss" >/dev/null 2>&1
	rec s4.jp.wakefifo "$(kv wakeups "$T/ss")"
}
s4() {
	gen_tree
	say "== 4 footprint: one jobproxy (no insertion) in front of a -j$FJ build"
	# The same sources linked statically (make STATIC=1): a dynamic glibc
	# maps and touches ~1.5 MiB of shared libc pages in any process.
	JPS=$B/jobproxy.static
	(cd "$ROOT" && $CC -O2 -std=c99 -D_XOPEN_SOURCE=700 -static -o "$JPS" \
		$(sed -n '/^OBJS = /,/[^\\]$/p' Makefile | tr -d '\\' |
		  sed 's/^OBJS = //; s/\.o/.c/g') 2>/dev/null) || { say "  no static build: $CC -static failed"; rm -f "$JPS"; }
	# '+': make passes its jobserver to the recipe (sleepstat --take 1)
	printf 'all:\n\t+@$(SS)\n' >"$T/sleep.mk"
	for r in $(runs); do
		foot_round "$r"
		say "  run $r: peak RSS $(tail_of s4.plain.rss) / $(tail_of s4.wrap.rss) / $(tail_of s4.jp.rss) KiB (largest make / nullwrap / jobproxy), jobproxy CPU $(tail_of s4.jp.cpu) ms; wakeups holding a token $(tail_of s4.jp.wake1), fifo $(tail_of s4.jp.wakefifo)"
	done
	# strace on the idle jobproxy (and on idle make): syscalls in 2 s
	rm -f "$T/st.make" "$T/st.jp"
	if command -v strace >/dev/null 2>&1; then
		clr
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- make -s \
			-f "$T/sleep.mk" SS="$BH sleepstat --strace $T/st.make $T/ss" \
			>/dev/null 2>&1
		clr
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- "$JP" \
			"$BH" sleepstat --strace "$T/st.jp" "$T/ss" >/dev/null 2>&1
		sp=$(awk '$NF == "total" { print $4 }' "$T/st.make" 2>/dev/null)
		sj=$(awk '$NF == "total" { print $4 }' "$T/st.jp" 2>/dev/null)
		# strace -c prints no table when it saw no call at all
		[ -f "$T/st.make" ] && sp=${sp:-0}
		[ -f "$T/st.jp" ] && sj=${sj:-0}
	fi
	# The 1 MiB target is judged on the static builds below: a dynamic
	# glibc process maps and touches more than that of shared libc pages
	# whatever it does (the do-nothing wrapper's figure, beside it).
	row "4-footprint -j$FJ" "peak RSS KiB (plain: the largest make; else the wrapper; dynamic glibc)" \
		"$(fig s4.plain.rss)" "$(fig s4.wrap.rss)" "$(fig s4.jp.rss)" - - - r
	row "4-footprint -j$FJ" "  of it private (RssAnon) KiB" - - "$(fig s4.jp.anon)" - - -
	row "4-footprint -j$FJ" "  proportional (Pss) KiB" - - "$(fig s4.jp.pss)" - - -
	row "4-footprint -j$FJ" "peak RSS KiB, make STATIC=1 (glibc) build" - - \
		"$(fig s4.jps.rss)" - "< 1024" "$(met "$(med s4.jps.rss)" "<" 1024)"
	row "4-footprint -j$FJ" "CPU ms (plain: the whole build; else the wrapper)" \
		"$(fig s4.plain.cpu)" "$(fig s4.wrap.cpu)" "$(fig s4.jp.cpu)" - - - r
	row "4-footprint -j$FJ" "wall s of that build" "$(fig s4.plain.wall)" \
		"$(fig s4.wrap.wall)" "$(fig s4.jp.wall)" - - -
	row "4-footprint -j$FJ" "tokens relayed by the jobproxy" - - "$(fig s4.jp.relayed)" - - -
	row 4-footprint "wrapper's wakeups in 2 s, its child sleeps holding 1 token" \
		"$(fig s4.plain.wake1)" "$(fig s4.wrap.wake1)" "$(fig s4.jp.wake1)" - \
		"see 8-idle" -
	row 4-footprint "  the same, --style=fifo" - - "$(fig s4.jp.wakefifo)" - - -
	row 4-footprint "syscalls in 2 s, child idle (strace -c -p; plain: make)" \
		"${sp:-NA}" - "${sj:-NA}" - - -
}
