# tests/integration/lib.sh: shared by the integration test files (sourced).
# A test file defines t_NAME functions; `sh FILE NAME` runs one of them in a
# fresh directory and exits 0 (pass), 1 (fail, with the reason on stderr)
# or 77 (skipped: this OS cannot give it a tool it needs; one line says
# which, and tests/run.sh counts it, or on Debian 12 fails it).

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/integration	# the tests' data: compat/, insert/, nix/
# JOBPROXY=PATH (make check-static): test that binary instead, with the
# link directory beside it (DIR/libexec/jobproxy, as `make static` makes).
JPBIN=${JOBPROXY:-$ROOT/jobproxy}
case $JPBIN in /*) ;; *) JPBIN=$PWD/$JPBIN ;; esac
JPLINKS=$(dirname "$JPBIN")/libexec/jobproxy
JP=$JPBIN
# make memcheck runs the tests with jobproxy under valgrind.
[ -n "${JOBPROXY_MEMCHECK-}" ] && JP=$ROOT/tests/tools/vgjobproxy
POOL=$ROOT/tests/helpers/pool
TJOB=$ROOT/tests/helpers/tjob
M44=$ROOT/build/make-4.4.1/bin/make
export ROOT JP JPBIN POOL TJOB

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || die "$1: got '$2', want '$3'"
	echo "  $1: $2"
}

# skip WHY: this OS cannot give the test what it needs.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# need_tool NAME: a test that needs a tool this OS lacks skips.
need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "needs '$1', which is not installed"
}

# need_make: GNU make 4.3 or later as `make`, what `make check` needs.
need_make() {
	need_tool make
	v=$(make --version 2>/dev/null | sed -n 1p)
	# shellcheck disable=SC2046  # two numbers, or none
	set -- $(echo "$v" | sed -n 's/^GNU Make \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ $# -eq 2 ] && { [ "$1" -gt 4 ] || { [ "$1" -eq 4 ] && [ "$2" -ge 3 ]; }; } ||
		skip "needs GNU make 4.3 or later as 'make'; found: ${v:-no GNU make}"
}

# need_make43: the test is about GNU make 4.3 as `make` itself (its
# pipe-only jobserver, its root pool of pipes): with another make it
# skips.
need_make43() {
	need_tool make
	v=$(make --version 2>/dev/null | sed -n 1p)
	case $v in
	"GNU Make 4.3"*) ;;
	*) skip "needs GNU make 4.3 as 'make'; found: ${v:-no GNU make}" ;;
	esac
}

# need_make44: GNU make 4.4.1 as $M44, built once into build/ by the
# repository's own script (cached; the first build takes about a minute
# and needs a Debian mirror).
need_make44() {
	sh "$ROOT/tests/tools/build-make44.sh" "$ROOT/build/make-4.4.1" >/dev/null ||
		skip "needs GNU make 4.4.1, which tests/tools/build-make44.sh could not build (see build/make-4.4.1/build.log)"
}

# field KEY FILE: a value from a tests/pool --report file.
field() {
	sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2"
}

# state DIR: "cur max total" as tests/tjob left it.
maxconc() {
	set -- $(cat "$1/state")
	echo "$2"
}

# crash_tree DIR: a sub-make with jobs a b c holding tokens until k has
# SIGKILLed it (k waits for all four to run at once: -j4 reached as well).
crash_tree() {
	mkdir -p "$1" D
	cat >"$1/Makefile" <<EOF
all: a b c k
a b c: ; @$TJOB $PWD/D --until $PWD/D/killed
k: ; @$TJOB $PWD/D --kill \$\$PPID --when 4
EOF
}

# Tests where valgrind, not jobproxy, is the obstacle: 512 runs are too
# slow; valgrind itself needs more fds than the test leaves; and the tests
# that match the inserted MAKE= against $JP (jobproxy inserts its real
# path, /proc/self/exe, not the valgrind wrapper's); and telling 126 from
# 127, which needs posix_spawn's CLONE_VM child to hand its exec error back
# through shared memory: valgrind runs that child as a plain fork.
MEMCHECK_SKIP="exit_codes_mirrored fd_exhaustion_warn_and_run
	exec_not_executable
	tree_jobproxy_root_pool tree_under_pool_ends_whole
	no_jobserver_make_stays_serial no_jobserver_make_j4_reaches_4
	user_make_is_wrapped"

run_one() {
	if [ -n "${JOBPROXY_MEMCHECK-}" ]; then
		case " $(echo $MEMCHECK_SKIP) " in
		*" $1 "*) echo "skipped under valgrind"; exit 77 ;;
		esac
	fi
	T=$(mktemp -d "${TMPDIR:-/tmp}/jobproxy-test.XXXXXX")
	# die exits from anywhere: clean up on every way out.
	trap 'cd / && rm -rf "$T"' EXIT
	cd "$T" || exit 1
	"t_$1"
}

[ $# -eq 1 ] && [ "$1" != "--list" ] && trap '' PIPE 2>/dev/null
