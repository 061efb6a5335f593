#!/bin/sh
# tests/run.sh: every test of `make check`: the cmocka unit tests, then
# each integration test, each under a time limit so a hang is a failure,
# never a stuck build.  Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
# Each test builds its own jobserver world: nothing of the make that runs
# `make check` (its MAKEFLAGS, its command-line variables) may leak in.
unset MAKEFLAGS MFLAGS GNUMAKEFLAGS MAKELEVEL MAKEOVERRIDES CARGO_MAKEFLAGS \
	JOBPROXY_STYLE JOBPROXY_SOCKET
LIMIT=${TEST_TIMEOUT:-300}
pass=0
fail=0
skip=0
failed=
# Arguments: the integration test files to run (default: all of them).
# JOBPROXY_MEMCHECK=1 (make memcheck) runs jobproxy under valgrind and
# leaves out the unit tests, which do not run jobproxy.
files=${*:-tests/t_*.sh}
units="tests/test_makeflags tests/test_tokens tests/test_offer"
[ -n "${JOBPROXY_MEMCHECK-}" ] && units=

for u in $units; do
	if "./$u"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $u"
	fi
done

for f in $files; do
	for name in $(sed -n 's/^t_\([a-z0-9_]*\)() *{.*/\1/p' "$f"); do
		timeout -k 5 "$LIMIT" sh "$f" "$name" >"tests/.log" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			pass=$((pass + 1))
			echo "ok - $f $name"
		elif [ $rc -eq 77 ]; then
			skip=$((skip + 1))
			echo "skip - $f $name: $(cat tests/.log)"
		else
			fail=$((fail + 1))
			failed="$failed $f:$name"
			[ $rc -eq 124 ] && echo "# timed out after ${LIMIT}s"
			echo "not ok - $f $name"
			sed 's/^/#   /' tests/.log
		fi
	done
done
rm -f tests/.log
[ -n "$failed" ] && echo "failed:$failed"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
