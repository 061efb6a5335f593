#!/bin/sh
# bench/ninja-under-make.sh - ninja run by a make (`+ninja`), plain make
# against `jobproxy make` (the ninja link below make's pool), as README's
# ninja paragraph measured it.  One run a line:
#   sh bench/ninja-under-make.sh plain|/abs/path/jobproxy 4.3|4.4.1 [SIBS]
# ninja: a serial step of WMS ms (default 300), then 8 edges of 300 ms.
# make -j4: `n: +ninja` beside SIBS sibling jobs of 300 ms, which start
# once a gate job of GMS ms (default 0) has ended.  Prints the most and
# the mean ninja jobs at once, the siblings' span (s) and the wall (s).
# Run it interleaved, several rounds; note the load average.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JP=$1 MV=$2 SIBS=${3:-0} WMS=${WMS:-300} GMS=${GMS:-0}
TJOB=$ROOT/tests/helpers/tjob
unset MAKEFLAGS MFLAGS GNUMAKEFLAGS MAKELEVEL MAKE
T=$(mktemp -d "${TMPDIR:-/tmp}/ninja-under-make.XXXXXX")
trap 'cd / && rm -rf "$T"' EXIT
cd "$T"
mkdir bin L S
case $MV in
4.3) ln -s "$(command -v make)" bin/make ;;
*) ln -s "$ROOT/build/make-4.4.1/bin/make" bin/make ;;
esac
ln -s "$(sh "$ROOT/tests/tools/ninja.sh" "$ROOT/build/ninja")" bin/ninja
PATH=$T/bin:$PATH
{
	printf 'rule w\n  command = %s %s/L --ms %s\n' "$TJOB" "$T" "$WMS"
	printf 'rule l\n  command = %s %s/L --ms 300\nbuild w: w\n' "$TJOB" "$T"
	for i in 1 2 3 4 5 6 7 8; do echo "build l$i: l w"; done
} >build.ninja
i=0 all=n
while [ "$i" -lt "$SIBS" ]; do all="$all s$i"; i=$((i + 1)); done
{
	printf 'all: %s\nn:\n\t+ninja >/dev/null\n' "$all"
	printf 'gate:\n\t@%s %s/S --ms %s\n' "$TJOB" "$T" "$GMS"
	i=0
	while [ "$i" -lt "$SIBS" ]; do
		printf 's%s: gate\n\t@%s %s/S --ms 300\n' "$i" "$TJOB" "$T"
		i=$((i + 1))
	done
} >Makefile
s=$(date +%s.%N)
if [ "$JP" = plain ]; then make -s -j4; else "$JP" make -s -j4; fi >out 2>&1
e=$(date +%s.%N)
mean=$(sort -n L/log | awk 'NR == 1 { t0 = $1 }
	NR > 1 { a += cur * ($1 - prev) } { cur += $2; prev = $1 }
	END { printf "%.2f", a / (prev - t0) }')
span=$(sort -n S/log 2>/dev/null | awk 'NR == 1 { t0 = $1 } { t = $1 }
	END { printf "%.2f", (t - t0) / 1e9 }')
read -r _ max _ <L/state
echo "max=$max mean=$mean siblings=$span wall=$(echo "$e - $s" | bc)"
