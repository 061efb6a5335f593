#!/bin/sh
# bench/herd.sh - the herd (issue 15): N clients alive at once on one -jJ
# pool, each doing K acquire+release loops after a common barrier
# (bench/client.c under `bh scale`, as scenario 5 of bench/run.sh), three
# ways, interleaved run by run:
#   plain  the clients unwrapped
#   jp     each behind a jobproxy (epoll, the parent's fd EPOLLEXCLUSIVE)
#   poll   each behind a jobproxy that waits with poll()
#          (JOBPROXY_NO_EPOLL=1): every token written wakes every waiter
#
#   sh bench/herd.sh     (make bench builds ./jobproxy and tests/helpers/pool
#                         first; bench/run.sh's helpers are built here if
#                         missing, into build/bench/)
#
# Settings (environment): HERD_N="100 300 1000", HERD_RUNS=3, HERD_J=8,
# HERD_K=5, HERD_WAYS="plain jp poll", BENCH_JOBPROXY=PATH.
#
# Per run one line: the load average before it, then the ms from the
# barrier's release until all exited (run), the ms in all (start-up too),
# context switches per client (all processes: clients and jobproxies) and
# CPU ms per client.  Then, per N, the medians and the ratios to plain.
# Targets (issue 15): jp's run time within 1.5x of plain at N=1000, and
# context switches per client flat in N.  Raw lines: build/bench/herd.txt.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build/bench
NS=${HERD_N:-100 300 1000}
RUNS=${HERD_RUNS:-3}
J=${HERD_J:-8}
K=${HERD_K:-5}
WAYS=${HERD_WAYS:-plain jp poll}

say() { printf '%s\n' "$*" >&2; }
die() { say "herd: $*"; exit 1; }

mkdir -p "$B" || die "cannot create $B"
for f in jobproxy tests/helpers/pool; do
	[ -x "$ROOT/$f" ] || make -C "$ROOT" -s "$f" >/dev/null ||
		die "cannot build $f"
done
CC=${CC:-cc}
for h in client bh; do
	if [ ! -x "$B/$h" ] || [ "$ROOT/bench/$h.c" -nt "$B/$h" ] ||
	   [ "$ROOT/bench/jsauth.h" -nt "$B/$h" ]; then
		$CC -O2 -std=c99 -Wall -Wextra -o "$B/$h" "$ROOT/bench/$h.c" ||
			die "cannot compile bench/$h.c"
	fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/jobproxy-herd.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
trap 'rm -rf "$T"; trap - EXIT; exit 130' INT TERM HUP
cp "${BENCH_JOBPROXY:-$ROOT/jobproxy}" "$T/jobproxy" || die "no jobproxy"
RAW=$B/herd.txt
: >"$RAW"

kv() { sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1; }
pr() { sed -n "s/.*$1=\([0-9-]*\).*/\1/p" "$2" 2>/dev/null | head -n 1; }

# one N WAY: one run, one raw line
one() {
	pre= env=
	case $2 in
	jp) pre=$T/jobproxy ;;
	poll) pre=$T/jobproxy env=JOBPROXY_NO_EPOLL=1 ;;
	esac
	rm -rf "$T/sc" "$T/pool"
	mkdir -p "$T/sc"
	load=$(cut -d' ' -f1 /proc/loadavg)
	# shellcheck disable=SC2086
	env $env "$B/bh" run --timeout 900 --out "$T/run" -- \
		"$ROOT/tests/helpers/pool" -j"$J" --timeout 60 \
		--report "$T/pool" -- "$B/bh" scale -n "$1" --timeout 300 \
		--dir "$T/sc" --out "$T/sc/out" -- \
		$pre "$B/client" -k "$K" -w 0 --timeout 400 >/dev/null 2>"$T/err"
	o=$T/sc/out
	lost=NA
	[ -n "$(pr start "$T/pool")" ] && lost=$(($(pr start "$T/pool") - $(pr end "$T/pool")))
	awk -v n="$1" -v w="$2" -v l="$load" -v r="$(kv run_ms "$o")" \
	    -v t="$(kv total_ms "$o")" -v c="$(kv csw "$o")" \
	    -v u="$(kv cpu_ms "$o")" -v f="$(kv failed "$o")" -v lo="$lost" \
	    'BEGIN { printf "n=%d way=%s load=%s run_ms=%s total_ms=%s csw_per=%.1f cpu_ms_per=%.2f failed=%s lost=%s\n",
		n, w, l, r, t, c / n, u / n, f, lo }' | tee -a "$RAW" >&2
}

say "herd: -j$J, K=$K, runs=$RUNS, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $NS; do
	r=1
	while [ "$r" -le "$RUNS" ]; do
		for w in $WAYS; do
			one "$n" "$w"
		done
		r=$((r + 1))
	done
done

# Medians per N and way, ratios to plain.
awk '
	function v(s, k) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1)
		return substr($i, length(k) + 2); return "" }
	{ n = v($0, "n"); w = v($0, "way"); key = n SUBSEP w
	  c[key]++; R[key, c[key]] = v($0, "run_ms"); T[key, c[key]] = v($0, "total_ms")
	  S[key, c[key]] = v($0, "csw_per"); if (!(n in seen)) { seen[n]; ns[++nn] = n }
	  if (!(w in sw)) { sw[w]; ws[++nw] = w } }
	function med(A, key,   m, i, j, t, x) { m = c[key]
		for (i = 1; i <= m; i++) x[i] = A[key, i] + 0
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
			if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		return m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2 }
	END {
		printf "%-6s %-6s %10s %10s %12s %10s %10s\n", "N", "way", "run ms",
			"total ms", "csw/client", "run/plain", "tot/plain"
		for (a = 1; a <= nn; a++) for (b = 1; b <= nw; b++) {
			key = ns[a] SUBSEP ws[b]; if (!c[key]) continue
			p = ns[a] SUBSEP "plain"
			rr = c[p] ? sprintf("%.2f", med(R, key) / med(R, p)) : "-"
			tr = c[p] ? sprintf("%.2f", med(T, key) / med(T, p)) : "-"
			printf "%-6s %-6s %10.0f %10.0f %12.1f %10s %10s\n", ns[a],
				ws[b], med(R, key), med(T, key), med(S, key), rr, tr
		}
	}' "$RAW"
