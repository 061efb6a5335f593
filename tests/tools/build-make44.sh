#!/bin/sh
# Build GNU make 4.4.1 (Debian trixie's make-dfsg source) into a cache dir.
# bookworm ships make 4.3, which only has the pipe jobserver; the tests
# need 4.4's --jobserver-auth=fifo: style as well.
#
#   sh tests/tools/build-make44.sh OUTDIR   -> prints OUTDIR/bin/make
#
# Verbose output goes to OUTDIR/build.log; on failure one line
# "build-make44: ..." goes to stderr and the exit status is 1.
set -eu

[ $# -eq 1 ] || { echo "build-make44: usage: $0 OUTDIR" >&2; exit 1; }
mkdir -p "$1" || { echo "build-make44: cannot create $1" >&2; exit 1; }
OUT=$(cd "$1" && pwd)
MAKE44=$OUT/bin/make
LOG=$OUT/build.log

# Cache hit: nothing to do.
if [ -x "$MAKE44" ] && "$MAKE44" --version 2>/dev/null | grep -q '^GNU Make 4\.4\.1$'; then
    echo "$MAKE44"
    exit 0
fi

: >"$LOG"
die() { echo "build-make44: $* (see $LOG)" >&2; exit 1; }
# step DESCRIPTION CMD...: run CMD with output in the log, die naming the step.
step() { d=$1; shift; echo "== $d: $*" >>"$LOG"; "$@" >>"$LOG" 2>&1 || die "$d failed"; }

# Start from a clean scratch dir so an interrupted earlier run cannot leak in.
SRC=$OUT/src
rm -rf "$SRC" || die "cannot clean $SRC (is an earlier build still running?)"
mkdir -p "$SRC/dl" || die "cannot create $SRC"

# A private apt config for trixie's deb-src, its lists and cache under $SRC:
# the system's apt state and /etc/apt stay untouched (aptsrc.sh).
. "$(dirname "$0")/aptsrc.sh"
aptsrc_init "$SRC" trixie
aptsrc_download make-dfsg "$SRC/dl"
cd "$SRC/dl"
# Pin the upstream version: if trixie ever moves past 4.4.1, fail loudly.
ls ./make-dfsg_4.4.1-*.dsc >/dev/null 2>&1 || die "trixie make-dfsg is not 4.4.1 ($(ls ./*.dsc 2>/dev/null))"
aptsrc_extract ./make-dfsg_4.4.1-*.dsc "$SRC/make"

# The dfsg tarball drops doc/ (GFDL manual); Debian patches configure.ac but
# not the shipped configure script, which still generates
# doc/Makefile; a stub with no-op targets is enough.
cd "$SRC/make"
mkdir -p doc
printf 'all install clean distclean check:\n\t@:\n.PHONY: all install clean distclean check\n' >doc/Makefile.in

# build.sh compiles make without needing an existing make: no dependency on
# the host make's behaviour, no guile/gettext needed.
step "configure" ./configure --without-guile --disable-nls
step "build.sh" sh ./build.sh
"./make" --version 2>>"$LOG" | grep -q '^GNU Make 4\.4\.1$' || die "built ./make does not report GNU Make 4.4.1"

mkdir -p "$OUT/bin"
# Copy then rename, so OUTDIR/bin/make is never a half-written file.
if ! { cp ./make "$MAKE44.tmp" && mv "$MAKE44.tmp" "$MAKE44"; }; then
    die "installing $MAKE44 failed"
fi
echo "$MAKE44"
