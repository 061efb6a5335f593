#!/bin/sh
# What `make check` needs that a fresh Debian machine may lack: cmocka's
# headers for the unit tests.  Installed with apt-get when we can; else one
# line saying what is missing, and a failure (never a silent skip).
if printf '#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n#include <cmocka.h>\n' |
	${CC:-cc} -E -x c - >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "deps: installing libcmocka-dev for the unit tests"
	{ apt-get install -y -qq libcmocka-dev ||
	  { apt-get update -qq && apt-get install -y -qq libcmocka-dev; }; } \
		>/dev/null 2>&1 && exit 0
fi
echo "deps: the unit tests need cmocka (Debian: apt-get install libcmocka-dev)" >&2
exit 1
