#!/bin/sh
# tests/run.sh: every test of `make check`: the cmocka unit tests, then
# each integration test, each under a time limit so a hang is a failure,
# never a stuck build.  Ends with "N passed, N failed" (", N skipped").
#
# REPEAT=N runs the whole suite N times and stops at the first round with
# a failure, after printing the failed test and its log: a test that fails
# once in N runs is a bug (it asserts a schedule, or sleeps instead of
# waiting for its event), not bad luck.
cd "$(dirname "$0")/.." || exit 1
# Each test builds its own jobserver world: nothing of the make that runs
# `make check` (its MAKEFLAGS, its command-line variables) may leak in.
unset MAKEFLAGS MFLAGS GNUMAKEFLAGS MAKELEVEL MAKEOVERRIDES CARGO_MAKEFLAGS \
	JOBPROXY_STYLE JOBPROXY_SOCKET
LIMIT=${TEST_TIMEOUT:-300}
REPEAT=${REPEAT:-1}
# Arguments: the integration test files to run (default: all of them).
# JOBPROXY_MEMCHECK=1 (make memcheck) runs jobproxy under valgrind and
# leaves out the unit tests, which do not run jobproxy.
files=${*:-tests/t_*.sh}
units="tests/test_makeflags tests/test_tokens tests/test_offer"
[ -n "${JOBPROXY_MEMCHECK-}" ] && units=
LOG=tests/.log

# A cmocka binary: each of its cases counts as one test.  A binary that
# dies before its summary (a crash, an abort) is one failure more.
unit() {
	"./$1" >"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	# cmocka names a failed case twice: as it fails, and in its summary.
	grep '^\[  FAILED  \] ' "$LOG" | grep -v ' test(s)' |
		sed 's/^[^]]*\] //' | sort -u >"$LOG.failed"
	ok=$(grep -c '^\[       OK \] ' "$LOG")
	bad=$(wc -l <"$LOG.failed" | tr -d ' ')
	sk=$(grep -c '^\[  SKIPPED \] ' "$LOG")
	pass=$((pass + ok))
	fail=$((fail + bad))
	skip=$((skip + sk))
	[ "$bad" -gt 0 ] && failed="$failed $1:$(tr '\n' ',' <"$LOG.failed" |
		sed 's/,$//')"
	rm -f "$LOG.failed"
	if [ $rc -ne 0 ] && [ "$bad" -eq 0 ]; then
		fail=$((fail + 1))
		failed="$failed $1"
	fi
}

# One round: sets pass, fail, skip, failed.
suite() {
	pass=0 fail=0 skip=0 failed=
	for u in $units; do
		unit "$u"
	done
	for f in $files; do
		for name in $(sed -n 's/^t_\([a-z0-9_]*\)() *{.*/\1/p' "$f"); do
			timeout -k 5 "$LIMIT" sh "$f" "$name" >"$LOG" 2>&1
			rc=$?
			if [ $rc -eq 0 ]; then
				pass=$((pass + 1))
				echo "ok - $f $name"
			elif [ $rc -eq 77 ]; then
				skip=$((skip + 1))
				echo "skip - $f $name: $(cat "$LOG")"
			else
				fail=$((fail + 1))
				failed="$failed $f:$name"
				[ $rc -eq 124 ] && echo "# timed out after ${LIMIT}s"
				echo "not ok - $f $name"
				sed 's/^/#   /' "$LOG"
			fi
		done
	done
	rm -f "$LOG"
}

round=1
while :; do
	[ "$REPEAT" -gt 1 ] && echo "# round $round of $REPEAT"
	suite
	[ "$fail" -gt 0 ] || [ "$round" -ge "$REPEAT" ] && break
	round=$((round + 1))
done
[ -n "$failed" ] && echo "failed:$failed"
[ "$REPEAT" -gt 1 ] && [ "$fail" -gt 0 ] &&
	echo "# round $round of $REPEAT failed (rounds before it all passed)"
[ "$REPEAT" -gt 1 ] && [ "$fail" -eq 0 ] && echo "# all $REPEAT rounds passed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
