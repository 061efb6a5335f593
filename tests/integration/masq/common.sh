# tests/integration/masq/common.sh: shared by the reproduction scripts of
# issue 12 (sourced).  Each script builds one small scenario in a scratch
# dir, runs it as a user would, without and with jobproxy, and prints what
# the user sees.  Exit status: 0 when jobproxy's run is what the issue
# wants (invisible, or protected), 1 when it is not (the bug shows), 77
# when a tool this scenario needs cannot be had (one line of reason), 2 on
# a set-up error.
#
# Argument: the GNU make to run as `make`: 4.3 (this OS's, the default) or
# 4.4.1 (built by tests/tools/build-make44.sh into build/make-4.4.1).
# Environment: JP, the jobproxy to measure (default ./jobproxy).
set -u

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
JP=${JP:-$ROOT/jobproxy}
POOL=$ROOT/tests/helpers/pool
TJOB=$ROOT/tests/helpers/tjob
NAME=$(basename "$0" .sh)
export ROOT JP POOL TJOB

# Nothing of a make or jobproxy around us may leak in.
unset MAKEFLAGS MFLAGS GNUMAKEFLAGS CARGO_MAKEFLAGS MAKELEVEL MAKE \
	MAKEOVERRIDES JOBPROXY_STYLE JOBPROXY_SOCKET

setup_error() { echo "$NAME: $*" >&2; exit 2; }
skip() { echo "$NAME: skipped: $*"; exit 77; }

for f in "$JP" "$POOL" "$TJOB"; do
	[ -x "$f" ] || setup_error "$f is missing: make jobproxy tests/pool tests/tjob"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/jobproxy-masq.XXXXXX") || setup_error "mktemp failed"
trap 'cd / && rm -rf "$T"' EXIT
cd "$T" || exit 2

# usemake 4.3|4.4.1: `make` on PATH is that make (a link named make, so
# its argv[0] and $(MAKE) are "make", as for a user).
usemake() {
	mkdir -p "$T/bin"
	case $1 in
	4.3) m=$(command -v make) || skip "no make on PATH" ;;
	4.4.1) m=$(sh "$ROOT/tests/tools/build-make44.sh" "$ROOT/build/make-4.4.1") ||
		skip "no make 4.4.1 (tests/tools/build-make44.sh failed)" ;;
	*) setup_error "usage: $0 [4.3|4.4.1]" ;;
	esac
	ln -sf "$m" "$T/bin/make"
	PATH=$T/bin:$PATH
	export PATH
	v=$(make --version | head -n 1)
	case $v in
	"GNU Make $1") ;;
	*) skip "make $1 wanted, 'make --version' says: $v" ;;
	esac
	MAKEVER=$1
}

# needninja: NINJA, a ninja that is a jobserver client (1.13+, from npm).
needninja() {
	NINJA=$(sh "$ROOT/tests/tools/ninja.sh" "$ROOT/build/ninja" 2>&1) ||
		skip "$NINJA"
	ln -sf "$NINJA" "$T/bin/ninja"
}

# show LABEL FILE: FILE's lines, each after "LABEL | ".
show() {
	sed "s/^/$1 | /" "$2"
}

# A crash scenario, used by the token-loss scripts.  crashsub DIR: a
# Makefile in DIR whose jobs a b c hold tokens until k has SIGKILLed their
# make, which k does once all four run at once (so it holds 3 tokens).
# Each of a b c leaves a .done file in $T/D once it has ended.
crashsub() {
	mkdir -p "$1" "$T/D" "$T/L" "$T/B"
	cat >"$1/Makefile" <<EOF
all: a b c k
a b c: ; @$TJOB $T/D --until $T/D/killed; touch $T/D/\$@.done
k: ; @$TJOB $T/D --kill \$\$PPID --when 4
EOF
}

# laterjobs: make rules for the phase after the crash: wait until the
# killed make's orphans a b c have ended, then 4 jobs of 1 s (l1..l4),
# recorded in $T/L.  Prints the rules; the caller's target is "later".
laterjobs() {
	cat <<EOF
later: l1 l2 l3 l4
l1 l2 l3 l4: wait
	@$TJOB $T/L --ms 1000
wait: crash
	@for j in a b c; do $TJOB $T/B --until $T/D/\$\$j.done || exit; done
.PHONY: later l1 l2 l3 l4 wait crash
EOF
}

# later: "at most M at once, S s" for the jobs after the crash (from tjob's
# log of $T/L: its first start to its last end).
later() {
	if [ ! -s "$T/L/log" ]; then
		echo "the jobs after the crash never ran"
		return
	fi
	sort -n "$T/L/log" | awk -v m="$(latermax)" '
		NR == 1 { a = $1 } { b = $1 }
		END { printf "4 jobs of 1 s after the crash: at most %d at once, %.1f s\n", m, (b - a) / 1e9 }'
}

# latermax: the most jobs after the crash that ran at once (0: none ran).
latermax() {
	if [ -s "$T/L/state" ]; then cut -d' ' -f2 "$T/L/state"; else echo 0; fi
}

# resetcrash: clean the tjob dirs before another run of the scenario.
resetcrash() {
	rm -rf "$T/D" "$T/L" "$T/B"
	mkdir -p "$T/D" "$T/L" "$T/B"
}
