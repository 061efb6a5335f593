# Seeded fault injection (tests/helpers/stress --quick): nested jobproxies over real
# make 4.3 trees and synthetic clients, with SIGKILLs of workers, sub-makes
# and jobproxies (tokens in flight included), bursts of killed children,
# RLIMIT_NOFILE/RLIMIT_NPROC, and a root pool that closes mid-build.  The
# root pool must end whole in every round, with no hang, no leaked fd, no
# jobproxy or zombie left behind.  A failure prints the round's recipe and
# the command that replays it.
. "$(dirname "$0")/lib.sh"

# Fixed, so that a failure reproduces:
# tests/helpers/stress --quick --seed $SEED
SEED=20250101

# tests/helpers/stress as `make stress` builds it; built here if missing
# or stale.
stress_bin() {
	s=$ROOT/tests/helpers/stress
	if [ ! -x "$s" ] || [ "$ROOT/tests/helpers/stress.c" -nt "$s" ]; then
		need_tool cc
		s=$PWD/stress
		cc -O2 -o "$s" "$ROOT/tests/helpers/stress.c" ||
			die "cannot build tests/helpers/stress.c"
	fi
	echo "$s"
}

# summary LABEL OUT: the number after "LABEL:" in the stress summary.
summary() {
	sed -n "s/^  $1: *\([0-9]*\) .*/\1/p" "$2"
}

t_stress_quick() {
	need_make
	[ -x "$JP" ] || die "jobproxy is not built"
	S=$(stress_bin) || exit 1
	"$S" --quick --seed $SEED --jp "$JP" >out 2>&1
	rc=$?
	sed 's/^/    /' out
	grep -q '^RESULT: PASS' out || die "stress failed (exit $rc): see above"
	expect "stress exit status" "$rc" 0
	expect "tokens lost" "$(summary 'tokens lost' out)" 0
	expect "tokens created" "$(summary 'tokens created' out)" 0
	expect "hangs" "$(summary 'hangs' out)" 0
	expect "leaked fds" "$(summary 'leaked fds' out)" 0
	expect "orphaned jobproxy processes" \
		"$(summary 'orphaned jobproxy processes' out)" 0
	expect "zombies" "$(summary 'zombies' out)" 0
	expect "processes outliving a round" \
		"$(summary 'processes outliving a round' out)" 0
	grep -q '^burst scenario: 1000 children started and 1000 SIGKILLed .*all invariants held' out ||
		die "the 1000-children burst did not pass"
	faults=$(sed -n 's/^faults injected: \([0-9]*\) .*/\1/p' out)
	[ "${faults:-0}" -ge 300 ] || die "only ${faults:-0} faults injected"
	echo "  faults injected: $faults"
}

run_one "$1"
