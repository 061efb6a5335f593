#!/bin/sh
# bench/abtree.sh ROUNDS J JOBPROXY... - two builds of jobproxy, or more,
# side by side on the bench's recursive tree (scenario 2 of bench/run.sh).
#
# Each round builds the tree at -jJ once with the do-nothing wrapper before
# every sub-make (MAKE="nullwrap make") and once with each JOBPROXY in
# front of make, in an order that turns from round to round.  Give each
# binary with its link directory beside it (libexec/jobproxy, as `make`
# leaves one in a build tree), or its sub-makes take the MAKE= fallback.
# Prints each binary's median ratio to the same round's wrapper build, and
# for every binary after the first its ratio to the first, paired within
# rounds, with how many rounds it was the faster.  A table of 5 rounds
# (make bench) cannot tell 0.3% on a VM whose builds drift by more than
# that; interleaving and pairing over 100 rounds can.  No assertion:
# it measures.  About 2.5 s a round for two binaries at -j8.
set -u
[ $# -ge 3 ] || { echo "usage: sh bench/abtree.sh ROUNDS J JOBPROXY..." >&2
		  exit 2; }
R=$1 J=$2
shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build/bench
say() { printf '%s\n' "$*" >&2; }
die() { say "abtree: $*"; exit 1; }
kv() { sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1; }
clr() { rm -f "$T/run"; }
for b in "$@"; do
	[ -x "$b" ] || die "$b: not an executable"
done
make -C "$ROOT" -s tests/helpers/tjob >/dev/null || die "cannot build tjob"
mkdir -p "$B" || die "cannot create $B"
for h in bh nullwrap; do
	[ -x "$B/$h" ] && [ ! "$ROOT/bench/$h.c" -nt "$B/$h" ] ||
		${CC:-cc} -O2 -std=c99 -Wall -Wextra -o "$B/$h" \
			"$ROOT/bench/$h.c" || die "cannot compile bench/$h.c"
done
BH=$B/bh
NULLWRAP=$B/nullwrap
TJOB=$ROOT/tests/helpers/tjob
T=$(mktemp -d "${TMPDIR:-/tmp}/jobproxy-abtree.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
trap 'rm -rf "$T"; trap - EXIT; exit 130' INT TERM HUP
. "$ROOT/bench/tree.sh"
gen_tree
n=$(( $# + 1 ))
: >"$T/res"
r=0
while [ "$r" -lt "$R" ]; do
	i=0
	while [ "$i" -lt "$n" ]; do
		k=$(( (i + r) % n ))
		if [ "$k" -eq 0 ]; then
			tree_run "$T/run" "$T/log" make -j"$J" \
				MAKE="$NULLWRAP make"
		else
			eval "b=\${$k}"
			tree_run "$T/run" "$T/log" "$b" make -j"$J"
		fi
		w=$(kv wall_ns "$T/run")
		[ "$(kv status "$T/run")" = 0 ] && [ -n "$w" ] ||
			die "round $r: a build failed (see $T/run.err)"
		echo "$r $k $w" >>"$T/res"
		i=$(( i + 1 ))
	done
	r=$(( r + 1 ))
done
awk -v n="$#" -v R="$R" '
	{ w[$1 " " $2] = $3 }
	function median(a, c,    i, j, t) {	# insertion sort: c is small
		for (i = 2; i <= c; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
	}
	END {
		for (k = 1; k <= n; k++) {
			for (r = 0; r < R; r++) x[r + 1] = w[r " " k] / w[r " 0"]
			lo = hi = x[1]
			for (r = 1; r <= R; r++) {
				if (x[r] < lo) lo = x[r]
				if (x[r] > hi) hi = x[r]
			}
			printf "jobproxy %d: %.4fx the wrapper [%.4f-%.4f], %d rounds\n",
			       k, median(x, R), lo, hi, R
		}
		for (k = 2; k <= n; k++) {
			f = 0
			for (r = 0; r < R; r++) {
				x[r + 1] = w[r " " k] / w[r " 1"]
				f += x[r + 1] < 1
			}
			printf "jobproxy %d / jobproxy 1: %.4f paired, faster in %d of %d rounds\n",
			       k, median(x, R), f, R
		}
	}' "$T/res"
