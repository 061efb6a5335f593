#!/bin/sh
# bench/run.sh - jobproxy beside plain GNU make and beside a wrapper that
# does nothing (bench/nullwrap: spawn, wait, exit), scenario by scenario.
#
#   sh bench/run.sh            run it (make bench builds ./jobproxy,
#                              tests/helpers/pool and tests/helpers/tjob
#                              first; the bench's own helpers are built
#                              into build/bench/)
#   sh bench/run.sh --readme   put the last run's build/bench/table.md into
#                              README.md between its two bench-table marks
#                              (make bench-readme does the same)
#
# Every round runs plain, the do-nothing wrapper and jobproxy back to back
# (A B C, then B C A, ...), never all of one first.  A figure is the median
# of its rounds, with the whole range of them: "median [min-max]".  A ratio
# is taken within each round (jobproxy's figure over the reference's of
# the same round) and summed up the same way.  Every target row says the
# figure it judges, the target, and met or MISSED.  Written to
# build/bench/results.txt (all rows), build/bench/table.md (the README's
# rows: those with a target and a few marked for it), build/bench/raw.txt
# (every sample).
#
#   1 relay    a client taking and giving back K tokens: direct on the root
#              pipe, through nullwrap, through 1 and 3 nested jobproxies;
#              pool -j3 (the parent has a token to spare) and -j2 (none);
#              and two processes passing a byte back and forth (the floor
#              of any relay; the target: 1 jobproxy at -j3 <= that floor)
#   2 tree     a generated recursive build (depth 3, 253 sleep jobs of
#              5-60 ms) at each -jN: plain make, nullwrap before every
#              sub-make (MAKE="nullwrap make"), jobproxy; wall time, mean
#              and max concurrency from the tjob log (the target: jobproxy
#              within 1% of nullwrap)
#   3 crash    the same tree, three leaf sub-makes SIGKILLed mid-build,
#              make -k under tests/helpers/pool -j8: wall time, tokens left
#   4 footprint  peak RSS and CPU of one jobproxy in front of a -j4 build;
#              its wakeups while the child sleeps holding a token
#   5 herd     N clients (BENCH_HERD_N) alive at once on one -j8 pool, each
#              bare, behind nullwrap, behind a jobproxy, hungry at a
#              barrier that holds the pool's tokens, then 5 tokens each,
#              each held BENCH_HERD_US us: wall time, context switches per
#              client (targets: wall 1.5x unwrapped at the largest N;
#              switches per client flat in N); the same clients asleep at
#              a flock() barrier, no work (information); and 20 clients
#              that use their tokens first, then wait for each other (the
#              hoard)
#   6 real     GNU grep (Debian source package, automake SUBDIRS) built
#              with make -jN, nullwrap per sub-make, jobproxy (the target:
#              within 1% of plain make)
#   7 machine  issue 13: 4 jobs of 600 MiB (tests/helpers/memhog) in a
#              1.5 GiB memory cgroup (tests/tools/memcg.sh, root only):
#              make -j4 -k vs jobproxy -j 4 --mem-per-job 700M make -k; wall
#              time and jobs the OOM killer ended; and the wakeups of a
#              --charge jobproxy whose child is idle
#   8 idle     one idle child: the wrapper's wakeups a second after the
#              first second; 50 idle children on a -j8 pool: the mean of
#              the tokens out of the pool (sampled every 2 ms)
#   9 start    start-up (ms per `jobproxy true`, fork to reap) and peak RSS
#              of ./jobproxy and of a musl static build of the same sources
#              (build/bench/musl/; skipped without musl-gcc)
#
# Settings (environment):
#   BENCH_RUNS=5          rounds per figure
#   BENCH_ONLY="1 2 3 4 5 6 7 8 9" which scenarios
#   BENCH_K=20000         acquire+release loops per relay sample
#   BENCH_JOBS="2 4 8"    -jN of scenario 2
#   BENCH_TREE_RUNS=15    rounds of scenario 2: its target is 1%, and its
#                         builds on a VM drift by more than that from one
#                         round to the next (bench/abtree.sh: 100 rounds)
#   BENCH_CRASH_J=8       -jN of scenario 3
#   BENCH_FOOT_J=4        -jN of scenario 4
#   BENCH_HERD_N="100 300 1000"  clients alive at once (scenario 5)
#   BENCH_SCALE_J=8       their root pool (and scenario 8's)
#   BENCH_HERD_US=500     us each herd client holds each of its tokens
#   BENCH_REAL_J="2 4"    -jN of scenario 6
#   BENCH_REAL_RUNS=3     rounds of scenario 6 (minutes each)
#   BENCH_REAL_PKG=grep   Debian source package of scenario 6
#   BENCH_IDLE_N=50       idle children of scenario 8
#   BENCH_IDLE_MS=3000    how long scenario 8 watches, after 1 s
#   BENCH_STARTS=200      starts per sample of scenario 9
#   BENCH_JOBPROXY=PATH   the jobproxy binary to measure (default ./jobproxy)
#
# Every command runs under `bh run` (or bh's own deadline), which is a child
# subreaper and kills whatever is left below it: no wait is unbounded and
# no process outlives the script.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build/bench
RUNS=${BENCH_RUNS:-5}
ONLY=${BENCH_ONLY:-1 2 3 4 5 6 7 8 9}
K=${BENCH_K:-20000}
JOBS=${BENCH_JOBS:-2 4 8}
TRUNS=${BENCH_TREE_RUNS:-15}
CJ=${BENCH_CRASH_J:-8}
FJ=${BENCH_FOOT_J:-4}
HN=${BENCH_HERD_N:-100 300 1000}
SJ=${BENCH_SCALE_J:-8}
HU=${BENCH_HERD_US:-500}
RJ=${BENCH_REAL_J:-2 4}
RRUNS=${BENCH_REAL_RUNS:-3}
PKG=${BENCH_REAL_PKG:-grep}
IDLE_N=${BENCH_IDLE_N:-50}
IDLE_MS=${BENCH_IDLE_MS:-3000}
STARTS=${BENCH_STARTS:-200}
LOAD0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# --readme: the README's table between its marks, from the last run
if [ "${1:-}" = --readme ]; then
	[ -s "$B/table.md" ] || die "no $B/table.md: run the bench first"
	BEGIN_MARK='<!-- bench-table: begin'
	END_MARK='<!-- bench-table: end'
	[ "$(grep -c "^$BEGIN_MARK" "$ROOT/README.md")" = 1 ] &&
	[ "$(grep -c "^$END_MARK" "$ROOT/README.md")" = 1 ] ||
		die "README.md needs one '$BEGIN_MARK' line and one '$END_MARK' line"
	awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v t="$B/table.md" '
		index($0, b) == 1 { print; while ((getline l < t) > 0) print l
			skip = 1; next }
		index($0, e) == 1 { skip = 0 }
		!skip' "$ROOT/README.md" >"$ROOT/README.md.new" &&
		mv "$ROOT/README.md.new" "$ROOT/README.md" || die "cannot rewrite README.md"
	say "README.md: table from $B/table.md"
	exit 0
fi
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
# A SANITIZE=1 build left by `make check SANITIZE=1` (CI's last step) is
# up to date for make, and 4x slower to start and 6x larger: not what a
# user runs.  (It happened: one whole bench measured it.)
if grep -q __asan_init "$JPSRC" 2>/dev/null; then
	die "$JPSRC is a SANITIZE=1 build: make clean && make, then bench"
fi
# With a link directory of its own beside it, as the build tree's and an
# installed jobproxy have: sub-makes then run through its links, the way
# users run it.  (Until this copy had one, every jobproxy row measured
# the MAKE= fallback, and the herd's clients no start-up PATH search.)
rm -rf "$B/jp"
mkdir -p "$B/jp" && cp "$JPSRC" "$B/jp/jobproxy" || die "cannot copy $JPSRC"
_d=$B/jp/libexec/jobproxy
for _l in $(sed -n 's/^LINKS = //p' "$ROOT/Makefile"); do
	mkdir -p "$_d/tool/$_l" &&
		ln -sf ../../jobproxy "$_d/$_l" &&
		ln -sf ../../../../jobproxy "$_d/tool/$_l/$_l" ||
		die "cannot make the link directory $_d"
done
JP=$B/jp/jobproxy
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
# max KEY / min KEY: the extreme sample; NA if any sample is not a number
# (a lost figure must not hide behind the others)
ext() {
	awk -v k="$1" -v hi="$2" '$1 == k { n++
		if ($2 !~ /^-?[0-9.]+$/) bad = 1
		else if (n == 1 || (hi ? $2 + 0 > v : $2 + 0 < v)) v = $2 + 0 }
		END { if (bad) print "NA"; else if (n) print v }' "$RAW"
}
max() { ext "$1" 1; }
min() { ext "$1" 0; }
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
# fig KEY: "median [min-max]" of KEY's samples, "NA" without one.  The
# spread is the whole range of the samples, not a confidence interval.
fig() {
	awk -v k="$1" '$1 == k { print $2 }' "$RAW" | sort -g | awk '
		function f(v,  a) { a = v < 0 ? -v : v
			if (a >= 100 || v == int(v)) return sprintf("%.0f", v)
			if (a >= 10) return sprintf("%.1f", v)
			return sprintf("%.3f", v) }
		{ a[NR] = $1 }
		END { if (NR == 0) { print "NA"; exit }
		      m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		      if (f(a[1]) == f(a[NR])) print f(m)
		      else printf "%s [%s-%s]\n", f(m), f(a[1]), f(a[NR]) }'
}
# pair A B OUT: the ratio B/A of each run (the i-th sample of B over the
# i-th of A: both were measured in the same round, back to back) as
# samples of OUT.  A ratio's spread is then the spread of these ratios.
pair() {
	awk -v a="$1" -v b="$2" -v o="$3" '
		$1 == a { x[++na] = $2 } $1 == b { y[++nb] = $2 }
		END { for (i = 1; i <= na && i <= nb; i++)
			if (x[i] + 0 != 0) printf "%s %.6g\n", o, y[i] / x[i] }' \
		"$RAW" >"$T/pair" && cat "$T/pair" >>"$RAW"
}
# per KEY DIVISOR OUT: each sample of KEY divided by DIVISOR, as OUT
per() {
	awk -v k="$1" -v d="$2" -v o="$3" '$1 == k { printf "%s %.6g\n", o, $2 / d }' \
		"$RAW" >"$T/pair" && cat "$T/pair" >>"$RAW"
}
# ok VALUE OP LIMIT -> yes / NO
ok() {
	case "$1" in NA|-|"") echo "NO"; return ;; esac
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		r = (op == "<=") ? v + 0 <= l + 0 : (op == ">=") ? v + 0 >= l + 0 \
		    : (op == "<") ? v + 0 < l + 0 : v + 0 == l + 0
		print r ? "yes" : "NO" }'
}
# met VALUE OP LIMIT -> met / MISSED ("no figure" without a value)
met() {
	case "$1" in NA|-|"") echo "no figure"; return ;; esac
	[ "$(ok "$@")" = yes ] && echo met || echo MISSED
}
# zeros V...: 0 when every V is 0 (an empty or NA one is not), else 1
zeros() {
	for _v; do [ "$_v" = 0 ] || { echo 1; return; }; done
	echo 0
}
# row SCENARIO METRIC PLAIN WRAPPER JOBPROXY VERSUS TARGET MET [r]
# PLAIN: no wrapper; WRAPPER: bench/nullwrap where jobproxy goes;
# VERSUS: the figure the target judges (a ratio says against what).
# Rows with a target go into the README's table; r puts an information
# row there too.
row() {
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
		"$7" "$8" "${9:-}" >>"$ROWS"
}
wall_s() { awk -v n="$(kv wall_ns "$1")" 'BEGIN { printf "%.3f\n", n / 1e9 }'; }
# all_s OUT: seconds until every process of the build, orphans too, ended
all_s() { awk -v n="$(kv all_ns "$1")" 'BEGIN { printf "%.3f\n", n / 1e9 }'; }
# clr: no figure of an earlier command may pass for this one's
clr() { rm -f "$T/run" "$T/pool" "$T/ss" "$T/tail" "$T/out" "$T/sc/out"; }
on() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
# runs [N]: the rounds 1..N (default BENCH_RUNS)
runs() { i=1; while [ "$i" -le "${1:-$RUNS}" ]; do echo "$i"; i=$((i + 1)); done; }
# modes R: plain, the do-nothing wrapper and jobproxy, in an order that
# turns each round, so a drift of the machine favours none of them
modes() {
	case $(($1 % 3)) in
	1) echo "plain wrap jp" ;; 2) echo "wrap jp plain" ;; *) echo "jp plain wrap" ;;
	esac
}

for f in relay tree scale real machine idle start; do
	. "$ROOT/bench/$f.sh"
done

# ---- main ----------------------------------------------------------------------------
say "jobproxy bench: runs=$RUNS, jobproxy $REV, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in 1 2 3 4 5 6 7 8 9; do
	on $s || continue
	t0=$(date +%s)
	"s$s"
	say "   (scenario $s: $(( $(date +%s) - t0 )) s)"
done
END=$(date +%s)
# Nothing the bench started may outlive it.
left=$(pgrep -f -- "$T/|$B/" 2>/dev/null | grep -v "^$$\$" | wc -l)
row "all" "processes left over after the bench" - - "$left" - 0 "$(met "$left" == 0)"

HDR="jobproxy $REV, BENCH_RUNS=$RUNS, $(nproc) cores, load $LOAD0 at the start, $(date -u '+%Y-%m-%d %H:%M UTC'), $((END - START)) s"
COLS="scenario|metric|plain|do-nothing wrapper|jobproxy|judged figure|target|met?"
{
	echo "$HDR"
	echo "figures: median [min-max] over the runs; ratios: of each run's own pair"
	echo
	{ echo "$COLS"; cut -d'|' -f1-8 "$ROWS"; } | awk -F'|' '
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
# The README's table: every row with a target, and the rows marked r.
{
	echo "$HDR; figures: median [min-max] over the runs; ratios: of each run's own pair."
	echo
	{ echo "$COLS"; echo "---|---|---|---|---|---|---|---"
	  awk -F'|' '$7 != "-" || $9 == "r"' "$ROWS" | cut -d'|' -f1-8; } |
		awk -F'|' '{ s = "|"; for (i = 1; i <= NF; i++) s = s " " $i " |"
			print s }'
} >"$B/table.md"
cat "$B/results.txt"
say "README table: $B/table.md (sh bench/run.sh --readme puts it into README.md)"
