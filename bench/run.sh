#!/bin/sh
# bench/run.sh - jobproxy against plain GNU make, scenario by scenario.
#
#   sh bench/run.sh            (make bench builds ./jobproxy,
#                               tests/helpers/pool and tests/helpers/tjob
#                               first; this script builds its own helpers
#                               into build/bench/)
#
# Each scenario prints plain make's figure and jobproxy's figure from the
# same run side by side, with their ratio (jobproxy / plain); figures are
# medians over BENCH_RUNS runs.  One table at the end, also written to
# build/bench/results.txt (raw samples: build/bench/raw.txt).
#
#   1 relay    a client taking and giving back K tokens: direct on the root
#              pipe, through 1 and through 3 nested jobproxies; pool -j3
#              (the parent has a token to spare) and -j2 (it has none)
#   2 tree     a generated recursive build (depth 3, 253 sleep jobs of
#              5-60 ms): make -jN vs jobproxy make -jN; wall time, mean
#              and max concurrency from the tjob log; and the same build
#              with bench/nullwrap (spawn, wait, exit) before every
#              sub-make: what one more process per sub-make costs anyway
#   3 crash    the same tree, three leaf sub-makes SIGKILLed mid-build,
#              make -k under tests/helpers/pool -j8: wall time, tokens left
#   4 footprint  peak RSS and CPU of one jobproxy in front of a -j4 build;
#              its wakeups while the child sleeps
#   5 scale    BENCH_SCALE_N jobproxies alive at once on one -j8 pool
#   7 machine  issue 13: 4 jobs of 600 MiB (tests/helpers/memhog) in a
#              1.5 GiB memory cgroup (tests/tools/memcg.sh, root only):
#              make -j4 -k vs jobproxy -j 4 --mem-per-job 700M make -k; wall
#              time and jobs the OOM killer ended; and the wakeups of a
#              --charge jobproxy whose child is idle
#   6 real     GNU grep (Debian source package, automake SUBDIRS) built with
#              make -jN vs jobproxy make -jN
#
# Settings (environment):
#   BENCH_RUNS=5          runs per figure (median)
#   BENCH_ONLY="1 2 3 4 5 6 7" which scenarios
#   BENCH_K=20000         acquire+release loops per relay sample
#   BENCH_JOBS="2 4 8"    -jN of scenario 2
#   BENCH_CRASH_J=8       -jN of scenario 3
#   BENCH_FOOT_J=4        -jN of scenario 4
#   BENCH_SCALE_N=1000    jobproxies alive at once (scenario 5)
#   BENCH_SCALE_J=8       their root pool
#   BENCH_REAL_J="2 4"    -jN of scenario 6
#   BENCH_REAL_PKG=grep   Debian source package of scenario 6
#   BENCH_JOBPROXY=PATH   the jobproxy binary to measure (default ./jobproxy)
#
# Every command runs under `bh run`, which has a deadline, is a child
# subreaper and kills whatever is left below it: no wait is unbounded and
# no process outlives the script.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build/bench
RUNS=${BENCH_RUNS:-5}
ONLY=${BENCH_ONLY:-1 2 3 4 5 6 7}
K=${BENCH_K:-20000}
JOBS=${BENCH_JOBS:-2 4 8}
CJ=${BENCH_CRASH_J:-8}
FJ=${BENCH_FOOT_J:-4}
SN=${BENCH_SCALE_N:-1000}
SJ=${BENCH_SCALE_J:-8}
RJ=${BENCH_REAL_J:-2 4}
PKG=${BENCH_REAL_PKG:-grep}

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

mkdir -p "$B" || die "cannot create $B"
T=$(mktemp -d "${TMPDIR:-/tmp}/jobproxy-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
trap 'rm -rf "$T"; trap - EXIT; exit 130' INT TERM HUP

# ---- tools -----------------------------------------------------------------
for f in jobproxy tests/helpers/pool tests/helpers/tjob; do
	[ -x "$ROOT/$f" ] || make -C "$ROOT" -s "$f" >/dev/null ||
		die "cannot build $f"
done
CC=${CC:-cc}
for h in client bh nullwrap; do
	if [ ! -x "$B/$h" ] || [ "$ROOT/bench/$h.c" -nt "$B/$h" ] ||
	   [ "$ROOT/bench/jsauth.h" -nt "$B/$h" ]; then
		$CC -O2 -std=c99 -Wall -Wextra -o "$B/$h" "$ROOT/bench/$h.c" ||
			die "cannot compile bench/$h.c"
	fi
done
# A copy, so a rebuild of ./jobproxy during the run cannot change what is
# measured (sub-makes run it by the path the first one finds for itself).
JPSRC=${BENCH_JOBPROXY:-$ROOT/jobproxy}
cp "$JPSRC" "$B/jobproxy.bench" || die "cannot copy $JPSRC"
JP=$B/jobproxy.bench
POOL=$ROOT/tests/helpers/pool
TJOB=$ROOT/tests/helpers/tjob
BH=$B/bh
CLIENT=$B/client
NULLWRAP=$B/nullwrap
RAW=$B/raw.txt
ROWS=$T/rows
: >"$RAW"
: >"$ROWS"
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- '*.c' '*.h' 2>/dev/null || REV="$REV+dirty"
[ -n "${BENCH_JOBPROXY:-}" ] && REV="$BENCH_JOBPROXY"
START=$(date +%s)

# ---- small helpers -----------------------------------------------------------
# kv KEY FILE: the value of a KEY=VALUE line (bh output)
kv() { sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1; }
# pr KEY FILE: a field of a tests/helpers/pool --report line
pr() { sed -n "s/.*$1=\([0-9-]*\).*/\1/p" "$2" 2>/dev/null | head -n 1; }
# lost FILE: start - end of a tests/helpers/pool --report ("NA" if it has none)
lost() {
	_s=$(pr start "$1") _e=$(pr end "$1")
	if [ -n "$_s" ] && [ -n "$_e" ]; then echo $((_s - _e)); else echo NA; fi
}
# rec KEY VALUE: one raw sample (an empty VALUE is no sample)
rec() { [ -z "$2" ] || echo "$1 $2" >>"$RAW"; }
# med KEY / max KEY / min KEY over the samples
med() {
	awk -v k="$1" '$1 == k { print $2 }' "$RAW" | sort -g | awk '
		{ a[NR] = $1 }
		END { if (NR == 0) { print "NA"; exit }
		      if (NR % 2) print a[(NR + 1) / 2]
		      else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# tail_of KEY: the latest sample
tail_of() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$RAW"; }
max() { awk -v k="$1" '$1 == k { print $2 }' "$RAW" | sort -g | tail -n 1; }
min() { awk -v k="$1" '$1 == k { print $2 }' "$RAW" | sort -g | head -n 1; }
# calc EXPR: awk arithmetic, 4 significant digits (no exponent)
calc() {
	awk "BEGIN { v = $1; a = v < 0 ? -v : v
		if (a >= 1000) printf \"%.0f\\n\", v
		else if (a >= 1 || a == 0) printf \"%.4g\\n\", v
		else printf \"%.4f\\n\", v }"
}
ratio() {
	case "$1$2" in *NA*|*-*) echo "-"; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0) print "-";
		else printf "%.2f\n", b / a }'
}
# ok VALUE OP LIMIT -> yes / NO
ok() {
	case "$1" in NA|-|"") echo "NO"; return ;; esac
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		r = (op == "<=") ? v + 0 <= l + 0 : (op == ">=") ? v + 0 >= l + 0 \
		    : v + 0 == l + 0; print r ? "yes" : "NO" }'
}
# row SCENARIO METRIC PLAIN JOBPROXY RATIO TARGET OK
row() { printf '%s|%s|%s|%s|%s|%s|%s\n' "$@" >>"$ROWS"; }
wall_s() { awk -v n="$(kv wall_ns "$1")" 'BEGIN { printf "%.3f\n", n / 1e9 }'; }
# all_s OUT: seconds until every process of the build, orphans too, ended
all_s() { awk -v n="$(kv all_ns "$1")" 'BEGIN { printf "%.3f\n", n / 1e9 }'; }
# clr: no figure of an earlier command may pass for this one's
clr() { rm -f "$T/run" "$T/pool" "$T/ss" "$T/tail" "$T/out" "$T/sc/out"; }
on() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
runs() { i=1; while [ "$i" -le "$RUNS" ]; do echo "$i"; i=$((i + 1)); done; }

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

# ---- 1: relay cost -----------------------------------------------------------
s1() {
	# -j3: the client holds one token and the parent has one more, the
	# case the target is about ("an acquire the parent can serve at
	# once").  -j2: the parent has nothing spare, so after each release
	# the token must travel child -> jobproxy -> child: a wake-up round
	# trip per acquire, at least the ping-pong floor.
	say "== 1 relay cost: $RUNS x $K acquire+release, pools -j3 and -j2"
	for r in $(runs); do
		for j in 3 2; do
			for cfg in direct one three; do
				case $cfg in
				direct) pre= ;; one) pre=$JP ;; three) pre="$JP $JP $JP" ;;
				esac
				clr
				# shellcheck disable=SC2086  # $pre: 0-3 words
				"$BH" run --timeout 300 --out "$T/run" -- "$POOL" -j$j \
					--report "$T/pool" -- $pre "$CLIENT" -k "$K" \
					>"$T/out" 2>"$T/err"
				v=$(sed -n 's/^ns_per_iter=\([0-9.]*\).*/\1/p' "$T/out")
				[ -n "$v" ] || { say "  $cfg -j$j: no figure: $(cat "$T/err")"; continue; }
				rec "s1.$cfg.j$j" "$(calc "$v / 1000")"
				rec "s1.lost" "$(lost "$T/pool")"
			done
		done
		clr
		"$BH" run --timeout 300 --out "$T/run" -- "$CLIENT" --pingpong "$K" \
			>"$T/out" 2>/dev/null
		v=$(sed -n 's/^ns_per_iter=\([0-9.]*\).*/\1/p' "$T/out")
		[ -n "$v" ] && rec s1.floor "$(calc "$v / 1000")"
		say "  run $r: $(tail -n 13 "$RAW" | awk '$1 != "s1.lost" { printf "%s %s us  ", substr($1, 4), $2 }')"
	done
	for j in 3 2; do
		d=$(med s1.direct.j$j) o=$(med s1.one.j$j) t=$(med s1.three.j$j)
		say "  -j$j: direct $d us, 1 jobproxy $o us, 3 nested $t us"
		if [ $j = 3 ]; then
			row 1-relay "us/acquire+release -j3, 1 jobproxy" "$d" "$o" \
				"$(ratio "$d" "$o")" "<=3x" "$(ok "$(ratio "$d" "$o")" "<=" 3)"
		else
			row 1-relay "us/acquire+release -j2 (none spare), 1 jobproxy" \
				"$d" "$o" "$(ratio "$d" "$o")" - -
		fi
		row 1-relay "us/acquire+release -j$j, 3 nested" "$d" "$t" \
			"$(ratio "$d" "$t")" - -
	done
	d=$(med s1.direct.j2) f=$(med s1.floor)
	say "  ping-pong floor $f us"
	row 1-relay "us/round trip, 2-process pipe floor" "$d" "$f" "$(ratio "$d" "$f")" - -
	row 1-relay "tokens lost (all runs)" 0 "$(max s1.lost)" - 0 \
		"$(ok "$(max s1.lost)" == 0)"
}

# ---- 2: recursive build --------------------------------------------------------
s2() {
	gen_tree
	say "== 2 recursive tree: $NJOBS jobs, depth 3, -j: $JOBS"
	for r in $(runs); do
		for j in $JOBS; do
			# alternate who goes first, so drift does not favour one
			if [ $((r % 2)) -eq 1 ]; then modes="plain jp wrap"; else modes="wrap jp plain"; fi
			for m in $modes; do
				if [ $m = plain ]; then
					clr
					tree_run "$T/run" "$T/log" make -j"$j"
				elif [ $m = wrap ]; then
					clr
					tree_run "$T/run" "$T/log" make -j"$j" \
						MAKE="$NULLWRAP make"
				else
					clr
					tree_run "$T/run" "$T/log" "$JP" make -j"$j"
				fi
				st=$(kv status "$T/run")
				set -- $(conc "$T/run" "$T/log" "$j")
				mean=${1#mean=} util=${2#util=} mx=${3#max=} nj=${4#jobs=}
				if [ "$st" != 0 ] || [ "$nj" != $NJOBS ]; then
					say "  -j$j $m: status $st, $nj of $NJOBS jobs: $(head -c 300 "$T/run.err")"
					rec "s2.$j.$m.bad" 1
				fi
				rec "s2.$j.$m.wall" "$(wall_s "$T/run")"
				rec "s2.$j.$m.util" "$util"
				rec "s2.$j.$m.max" "$mx"
				say "  run $r -j$j $m: $(wall_s "$T/run") s, util $util, max $mx"
			done
		done
	done
	for j in $JOBS; do
		p=$(med "s2.$j.plain.wall") q=$(med "s2.$j.jp.wall")
		row "2-tree -j$j" "wall s" "$p" "$q" "$(ratio "$p" "$q")" "<=1.02x" \
			"$(ok "$(ratio "$p" "$q")" "<=" 1.02)"
		q=$(med "s2.$j.wrap.wall")
		row "2-tree -j$j" "wall s, do-nothing wrapper per sub-make" "$p" "$q" \
			"$(ratio "$p" "$q")" - -
		p=$(med "s2.$j.plain.util") q=$(med "s2.$j.jp.util")
		row "2-tree -j$j" "mean concurrency / N" "$p" "$q" "$(ratio "$p" "$q")" \
			">=0.98x" "$(ok "$(ratio "$p" "$q")" ">=" 0.98)"
		p=$(max "s2.$j.plain.max") q=$(max "s2.$j.jp.max")
		row "2-tree -j$j" "max concurrency (all runs)" "$p" "$q" - "<=$j" \
			"$(ok "$p" "<=" "$j")/$(ok "$q" "<=" "$j")"
		p=$(max "s2.$j.plain.bad") q=$(max "s2.$j.jp.bad")
		[ -n "$p$q" ] && row "2-tree -j$j" "failed builds" "${p:-0}" "${q:-0}" - 0 NO
	done
}

# ---- 3: crash --------------------------------------------------------------------
s3() {
	gen_tree
	n=$((CJ - 1))
	say "== 3 crash: 3 leaf sub-makes SIGKILLed, make -k under tests/helpers/pool -j$CJ"
	for r in $(runs); do
		for m in plain jp; do
			pre=; [ $m = jp ] && pre=$JP
			for c in 0 1; do
				clr
				# shellcheck disable=SC2086
				tree_run "$T/run" "$T/log" "$POOL" -j"$CJ" --timeout 60 \
					--report "$T/pool" -- $pre make -k CRASH=$c
				st=$(kv status "$T/run")
				kills=$(grep -c 'Killed' "$T/run.err")
				set -- $(conc "$T/run" "$T/log" "$CJ")
				w=$(all_s "$T/run")
				left=$(pr end "$T/pool")
				rec "s3.$m.$c.wall" "$w"
				rec "s3.$m.$c.left" "${left:-NA}"
				rec "s3.$m.$c.max" "${3#max=}"
				if [ $c = 1 ]; then
					rec "s3.$m.kills" "$kills"
					rec "s3.$m.fallback" "$(ls "$T"/log/k*/fallback 2>/dev/null | wc -l)"
					[ "$kills" = 3 ] || say "  $m: $kills sub-makes killed, not 3"
				elif [ "$st" != 0 ]; then
					say "  $m clean run failed: $(head -c 300 "$T/run.err")"
					rec "s3.$m.bad" 1
				fi
				say "  run $r $m crash=$c: $w s, pool $left/$n, ${3}, killed $kills"
			done
		done
	done
	p1=$(med s3.plain.1.wall) q1=$(med s3.jp.1.wall)
	p0=$(med s3.plain.0.wall) q0=$(med s3.jp.0.wall)
	row "3-crash -j$CJ" "wall s to last process, crash run" "$p1" "$q1" "$(ratio "$p1" "$q1")" - -
	row "3-crash -j$CJ" "wall s to last process, crash-free" "$p0" "$q0" "$(ratio "$p0" "$q0")" - -
	pr1=$(ratio "$p0" "$p1") qr1=$(ratio "$q0" "$q1")
	row "3-crash -j$CJ" "crash / crash-free wall" "$pr1" "$qr1" - "jp<=1.05" \
		"$(ok "$qr1" "<=" 1.05)"
	row "3-crash -j$CJ" "pool tokens left of $n (worst run)" "$(min s3.plain.1.left)" \
		"$(min s3.jp.1.left)" - "jp=$n" "$(ok "$(min s3.jp.1.left)" == "$n")"
	row "3-crash -j$CJ" "pool tokens left, crash-free (worst)" \
		"$(min s3.plain.0.left)" "$(min s3.jp.0.left)" - "=$n" \
		"$(ok "$(min s3.plain.0.left)" == "$n")/$(ok "$(min s3.jp.0.left)" == "$n")"
	row "3-crash -j$CJ" "sub-makes killed (min of runs)" "$(min s3.plain.kills)" \
		"$(min s3.jp.kills)" - 3 "$(ok "$(min s3.jp.kills)" == 3)"
	row "3-crash -j$CJ" "of which holding no token (max of runs)" \
		"$(max s3.plain.fallback)" "$(max s3.jp.fallback)" - - -
	row "3-crash -j$CJ" "max concurrency, crash run" "$(max s3.plain.1.max)" \
		"$(max s3.jp.1.max)" - - -
}

# ---- 4: footprint ------------------------------------------------------------------
s4() {
	gen_tree
	say "== 4 footprint: one jobproxy (no insertion) in front of a -j$FJ build"
	# The same sources linked statically (make STATIC=1): a dynamic glibc
	# maps and touches ~1.5 MiB of shared libc pages in any process.
	JPS=$B/jobproxy.static
	(cd "$ROOT" && $CC -O2 -std=c99 -D_XOPEN_SOURCE=700 -static -o "$JPS" \
		$(sed -n '/^OBJS = /,/[^\\]$/p' Makefile | tr -d '\\' |
		  sed 's/^OBJS = //; s/\.o/.c/g') 2>/dev/null) || { say "  no static build: $CC -static failed"; rm -f "$JPS"; }
	printf 'all:\n\t@$(SS)\n' >"$T/sleep.mk"
	for r in $(runs); do
		clr
		tree_run "$T/run" "$T/log" "$POOL" -j"$FJ" --timeout 60 -- make
		rec s4.plain.wall "$(wall_s "$T/run")"
		rec s4.plain.rss "$(kv maxrss_kb "$T/run")"
		rec s4.plain.cpu "$(calc "($(kv utime_us "$T/run") + $(kv stime_us "$T/run")) / 1000")"
		clr
		tree_run "$T/run" "$T/log" "$POOL" -j"$FJ" --timeout 60 -- "$JP" \
			--no-insert --stats "$BH" tailstat "$T/tail" -- make
		rec s4.jp.wall "$(wall_s "$T/run")"
		rec s4.jp.rss "$(kv vmhwm_kb "$T/tail")"
		rec s4.jp.anon "$(kv rssanon_kb "$T/tail")"
		rec s4.jp.pss "$(kv pss_kb "$T/tail")"
		rec s4.jp.cpu "$(calc "$(kv cpu_ns "$T/tail") / 1e6")"
		rec s4.jp.relayed "$(sed -n 's/.*relayed \([0-9]*\).*/\1/p' "$T/run.err" | head -n 1)"
		if [ -x "$JPS" ]; then
			clr
			tree_run "$T/run" "$T/log" "$POOL" -j"$FJ" --timeout 60 -- "$JPS" \
				--no-insert "$BH" tailstat "$T/tail" -- make
			rec s4.jps.rss "$(kv vmhwm_kb "$T/tail")"
		fi
		# wakeups over 2 s of the child's sleep
		clr
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- make -s \
			-f "$T/sleep.mk" SS="$BH sleepstat $T/ss" >/dev/null 2>&1
		rec s4.plain.wake "$(kv wakeups "$T/ss")"
		clr
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- "$JP" \
			"$BH" sleepstat "$T/ss" >/dev/null 2>&1
		rec s4.jp.wake "$(kv wakeups "$T/ss")"
		clr
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- "$JP" \
			"$BH" sleepstat --take 1 "$T/ss" >/dev/null 2>&1
		rec s4.jp.wake1 "$(kv wakeups "$T/ss")"
		clr
		"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j"$FJ" -- "$JP" \
			--style=fifo "$BH" sleepstat --take 1 "$T/ss" >/dev/null 2>&1
		rec s4.jp.wakefifo "$(kv wakeups "$T/ss")"
		say "  run $r: jobproxy peak RSS $(tail_of s4.jp.rss) KiB, CPU $(tail_of s4.jp.cpu) ms; wakeups $(tail_of s4.jp.wake) idle, $(tail_of s4.jp.wake1) holding, $(tail_of s4.jp.wakefifo) fifo"
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
	p=$(med s4.plain.rss) q=$(med s4.jp.rss)
	row "4-footprint -j$FJ" "peak RSS KiB (plain: largest make)" "$p" "$q" "$(ratio "$p" "$q")" "<1024" "$(ok "$q" "<=" 1023)"
	row "4-footprint -j$FJ" "  of it private (RssAnon) KiB" - "$(med s4.jp.anon)" - - -
	row "4-footprint -j$FJ" "  proportional (Pss) KiB" - "$(med s4.jp.pss)" - - -
	q=$(med s4.jps.rss)
	row "4-footprint -j$FJ" "peak RSS KiB, make STATIC=1 build" - "$q" - "<1024" \
		"$(ok "$q" "<=" 1023)"
	p=$(med s4.plain.cpu) q=$(med s4.jp.cpu)
	row "4-footprint -j$FJ" "CPU ms (plain: whole build; jp: proxy)" "$p" "$q" "$(ratio "$p" "$q")" - -
	p=$(med s4.plain.wall) q=$(med s4.jp.wall)
	row "4-footprint -j$FJ" "wall s of that build" "$p" "$q" "$(ratio "$p" "$q")" - -
	row "4-footprint -j$FJ" "tokens relayed by the jobproxy" - "$(med s4.jp.relayed)" - - -
	p=$(max s4.plain.wake) q=$(max s4.jp.wake)
	row 4-footprint "wakeups/2 s, child idle, no token" "$p" "$q" - 0 "$(ok "$q" == 0)"
	q=$(max s4.jp.wake1)
	row 4-footprint "wakeups/2 s, child holds 1 token" - "$q" - 0 "$(ok "$q" == 0)"
	q=$(med s4.jp.wakefifo)
	row 4-footprint "wakeups/2 s, holds 1 token, --style=fifo" - "$q" - - -
	row 4-footprint "syscalls/2 s idle (strace -c -p)" "${sp:-NA}" "${sj:-NA}" - 0 \
		"$(ok "${sj:-NA}" == 0)"
}

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

# ---- 6: a real recursive-make project --------------------------------------------
# The source package from this machine's own Debian mirror (bookworm
# deb-src, private apt config as tests/tools/build-make44.sh does), cached
# in build/bench/real/; configured once.
real_setup() {
	R=$B/real
	SRC=$R/$PKG
	[ -f "$SRC/.configured" ] && return 0
	mkdir -p "$R/apt/lists/partial" "$R/apt/cache/archives/partial" "$R/dl" ||
		return 1
	MIRROR=$(
	    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i+1) == "bookworm") print $i }'
	      cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk 'BEGIN { RS = "" }
		     /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t\n]|$)/ {
			if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) {
			    u = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", u); print u } }'
	    } | head -n 1)
	[ -n "$MIRROR" ] || { say "  no bookworm mirror in /etc/apt"; return 1; }
	echo "deb-src $MIRROR bookworm main" >"$R/apt/sources.list"
	APT="apt-get -q -o Dir::Etc::SourceList=$R/apt/sources.list
	  -o Dir::Etc::SourceParts=/dev/null -o Dir::State=$R/apt
	  -o Dir::State::Lists=$R/apt/lists -o Dir::Cache=$R/apt/cache
	  -o Dir::State::extended_states=$R/apt/extended_states
	  -o APT::Sandbox::User=root"
	if ! ls "$R/dl/${PKG}_"*.dsc >/dev/null 2>&1; then
		command -v dpkg-source >/dev/null 2>&1 ||
			apt-get -q install -y --no-install-recommends dpkg-dev \
				>>"$R/log" 2>&1 || { say "  cannot install dpkg-dev"; return 1; }
		# shellcheck disable=SC2086
		$APT update >>"$R/log" 2>&1 || { say "  apt-get update failed (see $R/log)"; return 1; }
		# shellcheck disable=SC2086
		(cd "$R/dl" && $APT source --download-only "$PKG") >>"$R/log" 2>&1 ||
			{ say "  apt-get source $PKG failed (see $R/log)"; return 1; }
	fi
	rm -rf "$SRC"
	# Upstream tree as released: Debian's patches touch Makefile.am and
	# would make the build want automake.
	dpkg-source --skip-patches -x "$(ls "$R/dl/${PKG}_"*.dsc | head -n 1)" "$SRC" \
		>>"$R/log" 2>&1 || { say "  dpkg-source -x failed (see $R/log)"; return 1; }
	say "  configuring $PKG once (a few minutes on a busy machine)"
	(cd "$SRC" && ./configure --disable-nls --disable-perl-regexp) \
		>>"$R/log" 2>&1 || { say "  configure failed (see $R/log)"; return 1; }
	grep -q '^SUBDIRS' "$SRC/Makefile" ||
		say "  warning: $PKG's Makefile has no SUBDIRS (not recursive?)"
	touch "$SRC/.configured"
}
s6() {
	say "== 6 real project: $PKG, clean builds, -j: $RJ"
	if ! real_setup; then
		row "6-$PKG" "setup failed (see $B/real/log)" - - - - NO
		return
	fi
	for r in $(runs); do
		for j in $RJ; do
			if [ $((r % 2)) -eq 1 ]; then modes="plain jp"; else modes="jp plain"; fi
			for m in $modes; do
				pre=; [ $m = jp ] && pre=$JP
				clr
				"$BH" run --timeout 300 --out "$T/run" -- make -C "$SRC" clean \
					>/dev/null 2>&1
				clr
				# shellcheck disable=SC2086
				"$BH" run --timeout 900 --out "$T/run" -- $pre make -C "$SRC" \
					-j"$j" >"$T/out" 2>&1
				st=$(kv status "$T/run")
				[ "$st" = 0 ] || { say "  -j$j $m failed: $(tail -n 3 "$T/out")"; rec "s6.$j.$m.bad" 1; }
				rec "s6.$j.$m.wall" "$(wall_s "$T/run")"
				say "  run $r -j$j $m: $(wall_s "$T/run") s (status $st)"
			done
		done
	done
	for j in $RJ; do
		p=$(med "s6.$j.plain.wall") q=$(med "s6.$j.jp.wall")
		row "6-$PKG -j$j" "wall s, clean build" "$p" "$q" "$(ratio "$p" "$q")" - -
		p=$(max "s6.$j.plain.bad") q=$(max "s6.$j.jp.bad")
		[ -n "$p$q" ] && row "6-$PKG -j$j" "failed builds" "${p:-0}" "${q:-0}" - 0 NO
	done
}

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

# ---- main ----------------------------------------------------------------------------
say "jobproxy bench: runs=$RUNS, jobproxy $REV, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in 1 2 3 4 5 6 7; do
	on $s || continue
	t0=$(date +%s)
	"s$s"
	say "   (scenario $s: $(( $(date +%s) - t0 )) s)"
done
END=$(date +%s)
# Nothing the bench started may outlive it.
left=$(pgrep -f -- "$T/|$B/" 2>/dev/null | grep -v "^$$\$" | wc -l)
row "all" "processes left over after the bench" - "$left" - 0 "$(ok "$left" == 0)"

{
	echo "jobproxy bench ($REV), BENCH_RUNS=$RUNS, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), $((END - START)) s"
	echo "figures are medians over runs unless the metric says otherwise; ratio = jobproxy / plain"
	echo
	{
		echo "scenario|metric|plain|jobproxy|ratio|target|ok?"
		cat "$ROWS"
	} | awk -F'|' '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i
			if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
		END { for (r = 1; r <= n; r++) { s = ""
			for (i = 1; i <= nf; i++)
				s = s sprintf(i < nf ? "%-" w[i] "s | " : "%s", c[r, i])
			print s
			if (r == 1) { s = ""
				for (i = 1; i <= nf; i++) { d = ""
					for (k = 0; k < w[i]; k++) d = d "-"
					s = s d (i < nf ? "-+-" : "") }
				print s } } }'
} >"$B/results.txt"
cat "$B/results.txt"
