#!/bin/sh
# make demo: the same crashing recursive build twice under a root pool of 4
# slots, with plain make and with jobproxy, and the root pool's tokens
# counted after each.
cd "$(dirname "$0")/crash" || exit 1
POOL=../../tests/helpers/pool
JP=$(cd ../.. && pwd)/jobproxy

run() {
	state=$(mktemp -d "${TMPDIR:-/tmp}/jobproxy-demo.XXXXXX")
	$POOL -j4 --report "$state/report" -- \
		make -s -k WRAP="$1" STATE="$state" >/dev/null 2>&1
	end=$(sed -n 's/.*end=\([0-9]*\).*/\1/p' "$state/report")
	rm -rf "$state"
	echo "$end"
}

echo "A sub-make is SIGKILLed while its jobs hold 3 of the 3 tokens of a -j4 pool."
plain=$(run "")
proxied=$(run "$JP")
printf '  plain make:     root pool holds %s of 3 tokens after the build\n' "$plain"
printf '  with jobproxy:  root pool holds %s of 3 tokens after the build\n' "$proxied"
if [ "$proxied" = 3 ] && [ "$plain" != 3 ]; then
	echo "jobproxy gave back every token the killed sub-make held."
else
	echo "unexpected result" >&2
	exit 1
fi
