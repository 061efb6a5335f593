#!/bin/sh
# What `make check` needs that a fresh machine may lack.  As root with
# apt-get (Debian, Ubuntu), each missing tool's package is installed; else
# one line says what is missing.  cmocka's headers are a must (the unit
# tests do not build without them: exit 1); every other tool only has its
# tests skip (tests/run.sh), except on Debian 12, where the project
# installs them all and a skip is a failure.  nix (tests/tools/nix-setup.sh)
# and GNU make 4.4.1 (tests/tools/build-make44.sh) are fetched by the
# tests that use them.
#
#   sh tests/tools/deps.sh [memcheck|static]
#       memcheck: valgrind too
#       static (make check-static): musl-gcc too, not cmocka (no unit
#       test runs there); exits 77 after one line where musl-gcc cannot
#       be had, 1 on Debian 12, where nothing may skip

APT=
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	APT=apt-get
fi
updated=

# install PACKAGE: with apt-get, quietly; 0 if it went in.
install() {
	[ -n "$APT" ] || return 1
	echo "deps: installing $1 for the tests"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" \
		>/dev/null 2>&1 && return 0
	[ -n "$updated" ] && return 1
	updated=1
	apt-get update -qq >/dev/null 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" \
			>/dev/null 2>&1
}

have_cmocka() {
	printf '#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n#include <cmocka.h>\n' |
		${CC:-cc} -E -x c - >/dev/null 2>&1
}

if [ "${1-}" != static ] && ! have_cmocka && ! { install libcmocka-dev && have_cmocka; }; then
	echo "deps: the unit tests need cmocka (Debian: apt-get install libcmocka-dev)" >&2
	exit 1
fi

# TOOL PACKAGE: what the integration tests run, and where Debian has it.
TOOLS="make:make gcc:gcc python3:python3 perl:perl gdb:gdb bash:bash
	ps:procps setpriv:util-linux unshare:util-linux prlimit:util-linux
	useradd:passwd groupadd:passwd cargo:cargo rustc:rustc"
[ "${1-}" = memcheck ] && TOOLS="$TOOLS valgrind:valgrind"
for tp in $TOOLS; do
	tool=${tp%%:*}
	command -v "$tool" >/dev/null 2>&1 && continue
	install "${tp#*:}" && command -v "$tool" >/dev/null 2>&1 && continue
	echo "deps: '$tool' is missing (Debian: ${tp#*:}): the tests that need it will skip" >&2
done
# make check-static: the musl build's compiler, or one line and exit 77.
MUSL=${MUSL_CC:-musl-gcc}
if [ "${1-}" = static ] && ! command -v "$MUSL" >/dev/null 2>&1 &&
	! { install musl-tools && command -v "$MUSL" >/dev/null 2>&1; }; then
	if [ -r /etc/os-release ] &&
		(. /etc/os-release && [ "$ID" = debian ] && [ "$VERSION_ID" = 12 ]); then
		echo "deps: no $MUSL on Debian 12, where nothing may skip (apt-get install musl-tools)" >&2
		exit 1
	fi
	echo "check-static: skipped: no $MUSL (Debian: apt-get install musl-tools)"
	exit 77
fi
exit 0
