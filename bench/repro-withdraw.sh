#!/bin/sh
# bench/repro-withdraw.sh [JOBPROXY...] - a sub-make that wants tokens after
# its parent's proxy went idle gets none for up to a second.
#
# Under a -j4 pool: the top make runs one 1.5 s job on its implicit slot,
# then a sub-make whose four 200 ms jobs could run at once.  With plain make
# they do (about 1.5 + 0.2 s).  Through jobproxy (top wrapped, the sub-make
# wrapped by insertion) the top proxy has taken its unread token back and
# backs off (up to 1 s between offers); the sub-make's proxy, a reader
# blocked on the top proxy's empty pipe, makes no event, so the four jobs
# run one after another on the implicit slot (about 1.5 + 4 x 0.2 s).
#
# Prints one line per build: wall ms, and each job's start (+) and end (-)
# in ms from the first start.  Needs ./jobproxy, tests/helpers/pool, tests/helpers/tjob.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build/bench
[ -x "$B/bh" ] || cc -O2 -std=c99 -o "$B/bh" "$ROOT/bench/bh.c" || exit 1
D=$(mktemp -d "${TMPDIR:-/tmp}/jobproxy-repro.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT INT TERM
mkdir -p "$D/leaf"
printf 'all: sub\nsub: pre\n\t+@$(MAKE) -s -C leaf\npre:\n\t@$(TJOB) $(L) --ms 1500\n.PHONY: all sub pre\n' >"$D/Makefile"
printf 'all: a b c d\na b c d:\n\t@$(TJOB) $(L) --ms 200\n.PHONY: all a b c d\n' >"$D/leaf/Makefile"
[ $# -gt 0 ] || set -- "$ROOT/jobproxy"
for jp in "" "$@"; do
	for rep in 1 2 3; do
		rm -rf "$D/L"
		mkdir "$D/L"
		# shellcheck disable=SC2086  # $jp: empty for plain make
		"$B/bh" run --timeout 60 --out "$D/run" -- "$ROOT/tests/helpers/pool" -j4 -- \
			$jp make -s -C "$D" TJOB="$ROOT/tests/helpers/tjob" L="$D/L" 2>/dev/null
		w=$(sed -n 's/^wall_ns=//p' "$D/run")
		printf '%-28s wall %5d ms: %s\n' "${jp:-plain make}" $((w / 1000000)) \
			"$(sort -n "$D/L/log" | awk 'NR == 1 { t0 = $1 }
				{ printf "%d%s ", ($1 - t0) / 1e6, substr($2, 1, 1) }')"
	done
done
