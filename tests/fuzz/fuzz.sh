#!/bin/sh
# shellcheck disable=SC2012,SC2015,SC2086
# tests/fuzz/fuzz.sh: build and run the libFuzzer harnesses.
#
#   sh tests/fuzz/fuzz.sh [SECONDS] [TARGET]
#
# SECONDS  how long each target runs (default 60), libFuzzer -max_total_time
# TARGET   fuzz_makeflags, fuzz_tokens or fuzz_proto (or makeflags, tokens,
#          proto); default all three
#
# Builds tests/fuzz/fuzz_*.c with clang -fsanitize=fuzzer,address,undefined
# into build/fuzz/ (installing Debian's libclang-rt-N-dev first if the
# fuzzer runtime is missing), each against the real code it fuzzes,
# fuzzes a scratch copy of tests/fuzz/corpus/<name>/ kept in
# build/fuzz/corpus/<name>/ (the committed corpus stays small), and prints
# one line per target:
#
#   fuzz_makeflags: N execs in S s, 0 crashes
#
# Exits non-zero if a target crashed or broke an invariant, after printing
# the path of the input that did it (build/fuzz/<target>-crash-*; replay it
# with build/fuzz/<target> FILE).
#
# Environment:
#   FUZZ_MERGE=1       afterwards, merge the inputs of the scratch corpus that
#                      add coverage into tests/fuzz/corpus/<name>/ (-merge=1)
#   FUZZ_ARGS="..."    more libFuzzer options, e.g. "-max_len=256"
#   FUZZ_SKIP_KNOWN=1  fuzz_makeflags steps over the known, reported bugs
#                      (to look for new ones; never set by default)
#   CLANG=clang-14     the compiler to use
cd "$(dirname "$0")/../.." || exit 2

SECS=${1:-60}
WANT=${2:-all}
OUT=build/fuzz

die() {
	echo "" >&2
	echo "*************************************************************" >&2
	echo "fuzz.sh: ERROR: $*" >&2
	echo "*************************************************************" >&2
	exit 2
}

case $SECS in
'' | *[!0-9]* | 0*) die "SECONDS must be a number > 0, not '$SECS'" ;;
esac
case $WANT in
all) TARGETS="fuzz_makeflags fuzz_tokens fuzz_proto" ;;
fuzz_makeflags | makeflags) TARGETS=fuzz_makeflags ;;
fuzz_tokens | tokens) TARGETS=fuzz_tokens ;;
fuzz_proto | proto) TARGETS=fuzz_proto ;;
*) die "unknown target '$WANT' (fuzz_makeflags, fuzz_tokens, fuzz_proto)" ;;
esac

# --- clang ---------------------------------------------------------------
if [ -z "$CLANG" ]; then
	for c in clang clang-14 clang-15 clang-16 clang-13; do
		if command -v "$c" >/dev/null 2>&1; then
			CLANG=$c
			break
		fi
	done
fi
[ -n "$CLANG" ] && command -v "$CLANG" >/dev/null 2>&1 ||
	die "clang not found: libFuzzer needs clang (apt-get install clang)"

mkdir -p "$OUT" || die "cannot create $OUT"

# --- the fuzzer runtime --------------------------------------------------
probe() {
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
		'{ (void)d; (void)n; return 0; }' >"$OUT/probe.c"
	"$CLANG" -fsanitize=fuzzer,address,undefined -o "$OUT/probe" \
		"$OUT/probe.c" >"$OUT/probe.log" 2>&1
}

if ! probe; then
	major=$("$CLANG" -dumpversion 2>/dev/null | cut -d. -f1)
	pkg=libclang-rt-$major-dev
	echo "fuzz.sh: $CLANG cannot link -fsanitize=fuzzer;" \
		"installing $pkg" >&2
	if [ "$(id -u)" = 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
	then
		SUDO="sudo -n"
	else
		SUDO=none
	fi
	if [ "$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y \
			"$pkg" >"$OUT/apt.log" 2>&1 ||
			{ $SUDO apt-get update >>"$OUT/apt.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive $SUDO apt-get \
				install -y "$pkg" >>"$OUT/apt.log" 2>&1; }
	fi
	probe || {
		sed 's/^/    /' "$OUT/probe.log" >&2
		die "no libFuzzer runtime for $CLANG, even after trying to" \
		    "install $pkg (see $OUT/apt.log; installing needs root" \
		    "and apt-get)"
	}
fi
rm -f "$OUT/probe" "$OUT/probe.c" "$OUT/probe.log"

# --- build ---------------------------------------------------------------
# The code under test gets libFuzzer's coverage and comparison tracing; the
# makeflags harness, whose reference model would double the cost of every
# run for no new coverage, only the sanitizers.  The tokens harness keeps
# its coverage: its model's states are what the fuzzer must explore.  The
# tokens harness drives the real lease, on real pipes: it links what
# ./jobproxy links for one (the Makefile's LEASE_SRC).
CFLAGS="-std=c99 -D_XOPEN_SOURCE=700 -Wall -Wextra -g -O1 \
-fno-sanitize-recover=all -fno-omit-frame-pointer -I."
SAN=address,undefined
LEASE_SRC="lease.c upstream.c jobserver.c tokens.c offer.c trace.c msg.c
	util.c makeflags.c"
"$CLANG" $CFLAGS -fsanitize=fuzzer-no-link,$SAN -c -o "$OUT/makeflags.o" \
	makeflags.c &&
"$CLANG" $CFLAGS -fsanitize=$SAN -c -o "$OUT/fuzz_makeflags.o" \
	tests/fuzz/fuzz_makeflags.c &&
"$CLANG" -fsanitize=fuzzer,$SAN -o "$OUT/fuzz_makeflags" \
	"$OUT/fuzz_makeflags.o" "$OUT/makeflags.o" ||
	die "cannot build fuzz_makeflags"
"$CLANG" $CFLAGS -fsanitize=fuzzer,$SAN -o "$OUT/fuzz_tokens" \
	tests/fuzz/fuzz_tokens.c $LEASE_SRC || die "cannot build fuzz_tokens"
"$CLANG" $CFLAGS -fsanitize=fuzzer,$SAN -o "$OUT/fuzz_proto" \
	tests/fuzz/fuzz_proto.c proto.c util.c makeflags.c ||
	die "cannot build fuzz_proto"

NICE=
command -v nice >/dev/null 2>&1 && NICE="nice -n 10"

# --- run -----------------------------------------------------------------
status=0
for t in $TARGETS; do
	name=${t#fuzz_}
	corpus=$OUT/corpus/$name
	log=$OUT/$t.log
	mkdir -p "$corpus" || die "cannot create $corpus"
	cp tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null ||
		die "no seed corpus in tests/fuzz/corpus/$name"
	rm -f "$OUT/$t"-crash-* "$OUT/$t"-leak-* "$OUT/$t"-timeout-* \
		"$OUT/$t"-oom-*
	start=$(date +%s)
	$NICE "./$OUT/$t" -max_total_time="$SECS" -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$OUT/$t-" $FUZZ_ARGS "$corpus" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	done_line=$(grep '^Done [0-9]* runs in ' "$log" | tail -n 1)
	if [ -n "$done_line" ]; then
		n=$(echo "$done_line" | sed 's/^Done \([0-9]*\) runs in.*/\1/')
		s=$(echo "$done_line" |
		    sed 's/.* runs in \([0-9]*\) second.*/\1/')
	else
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		    tail -n 1)
		s=$((end - start))
	fi
	[ -n "$n" ] || n=0
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
	if [ "$rc" -eq 0 ] && [ -z "$art" ]; then
		echo "$t: $n execs in $s s, 0 crashes"
	else
		status=1
		echo "$t: $n execs in $s s, 1 crash (libFuzzer exit $rc)"
		grep -m 3 'INVARIANT VIOLATED\|^ *input value\|ERROR: \(Address\|Undefined\|Leak\)Sanitizer\|runtime error:\|ERROR: libFuzzer' \
			"$log" | sed 's/^ */    /'
		if [ -n "$art" ]; then
			for a in $art; do
				echo "    crash input: $a"
			done
			echo "    replay: ./$OUT/$t $art"
		fi
		echo "    full log: $log"
		if [ "$t" = fuzz_makeflags ] && [ -z "$FUZZ_SKIP_KNOWN" ]; then
			echo "    (tests/fuzz/corpus/makeflags/bug-* are known," \
			     "reported bugs; FUZZ_SKIP_KNOWN=1 steps over them)"
		fi
	fi
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		before=$(ls tests/fuzz/corpus/"$name" | wc -l)
		$NICE "./$OUT/$t" -merge=1 "tests/fuzz/corpus/$name" "$corpus" \
			>"$OUT/$t.merge.log" 2>&1 ||
			{ echo "$t: merge failed, see $OUT/$t.merge.log"; status=1; }
		after=$(ls tests/fuzz/corpus/"$name" | wc -l)
		echo "$t: merged $((after - before)) new input(s) into" \
			"tests/fuzz/corpus/$name"
	fi
done
exit $status
