#!/bin/sh
# tests/run.sh: every test of `make check`: the cmocka unit tests
# (tests/unit/test_*.c, each case one test), then each integration test
# (the t_NAME functions of tests/integration/t_*.sh), each under a time
# limit so a hang is a failure, never a stuck build.  Ends with
# "N passed, N failed, N skipped".
#
# A test skips (exit 77, one line of reason) where this OS cannot give it
# its tool: GNU make 4.3 as `make`, make 4.4.1 built from Debian's source,
# nix, cargo, gcc, python3...  On Debian 12 nothing may skip: the project
# installs what it needs there (tests/tools/deps.sh and the tools it
# names), so a skip there is a failure, said in one line.  (Not under
# `make memcheck`, whose skips are valgrind's, listed in lib.sh.)
#
# JOBPROXY=PATH runs the integration tests against that binary instead of
# ./jobproxy (make check-static: the musl build) and leaves out the unit
# tests, which do not run it.
#
# REPEAT=N runs the whole suite N times and stops at the first round with
# a failure, after printing the failed test and its log: a test that fails
# once in N runs is a bug (it asserts a schedule, or sleeps instead of
# waiting for its event), not bad luck.
if [ -n "${JOBPROXY-}" ]; then
	JOBPROXY=$(cd "$(dirname "$JOBPROXY")" && pwd)/$(basename "$JOBPROXY") ||
		exit 1
	export JOBPROXY
fi
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
files=${*:-tests/integration/t_*.sh}
units=
for c in tests/unit/test_*.c; do
	units="$units ${c%.c}"
done
[ -n "${JOBPROXY_MEMCHECK-}${JOBPROXY-}" ] && units=
LOG=tests/.log
NOSKIP=
if [ -z "${JOBPROXY_MEMCHECK-}" ] && [ -r /etc/os-release ] &&
	(. /etc/os-release && [ "$ID" = debian ] && [ "$VERSION_ID" = 12 ]); then
	NOSKIP="Debian 12"
fi

# skipped WHAT WHY: a skip, or on Debian 12 a failure.
skipped() {
	if [ -n "$NOSKIP" ]; then
		fail=$((fail + 1))
		failed="$failed $1"
		echo "not ok - $1: skipped on $NOSKIP, where nothing may skip: $2"
	else
		skip=$((skip + 1))
		echo "skip - $1: $2"
	fi
}

# A cmocka binary: each of its cases counts as one test.  A binary that
# dies before its summary (a crash, an abort) is one failure more.
unit() {
	if [ ! -x "$1" ]; then
		fail=$((fail + 1))
		failed="$failed $1"
		echo "not ok - $1: not built (make $1)"
		return
	fi
	"./$1" >"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	# cmocka names a failed case twice: as it fails, and in its summary.
	grep '^\[  FAILED  \] ' "$LOG" | grep -v ' test(s)' |
		sed 's/^[^]]*\] //' | sort -u >"$LOG.failed"
	ok=$(grep -c '^\[       OK \] ' "$LOG")
	bad=$(wc -l <"$LOG.failed" | tr -d ' ')
	pass=$((pass + ok))
	fail=$((fail + bad))
	grep '^\[  SKIPPED \] ' "$LOG" | grep -v ' test(s)' |
		sed 's/^[^]]*\] //' | sort -u >"$LOG.skipped"
	while read -r c; do
		skipped "$1:$c" "cmocka skipped it"
	done <"$LOG.skipped"
	rm -f "$LOG.skipped"
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
				skipped "$f:$name" "$(tail -n 1 "$LOG")"
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
