#!/bin/sh
# A configured GNU findutils tree (Debian 12's source, upstream as
# released) in a cache dir, for a real third-party recursive build.
#
#   sh tests/tools/findutils.sh OUTDIR   -> prints OUTDIR/findutils-VERSION
#
# That dir holds `configured` (the tree right after ./configure, never
# built in) and the path `b`, where configure ran: configure writes its
# absolute path into every Makefile (abs_builddir...) and gcc -g writes
# the build dir into every object, so a build is only whole and only
# comparable with another when it runs at that very path.  A caller
# builds in `b`: rm -rf b, cp -Rp configured b (cp -p keeps the mtimes,
# so make does not run configure again), build.  VERSION is the Debian
# source version (4.9.0-4): a new one gets a new cache dir.  Verbose
# output goes to OUTDIR/findutils.log; on failure one line
# "findutils.sh: ..." goes to stderr and the exit status is 1.
set -eu

[ $# -eq 1 ] || { echo "findutils.sh: usage: $0 OUTDIR" >&2; exit 1; }
mkdir -p "$1" || { echo "findutils.sh: cannot create $1" >&2; exit 1; }
OUT=$(cd "$1" && pwd)
LOG=$OUT/findutils.log
die() { echo "findutils.sh: $* (see $LOG)" >&2; exit 1; }

# --skip-patches: Debian's patch touches configure.ac, which would make
# the build want autoconf (debsrc.sh says more).
SRC=$(sh "$(dirname "$0")/debsrc.sh" --skip-patches findutils "$OUT/debsrc") ||
    exit 1
VER=$(sed -n 's/^source: findutils_\(.*\)\.dsc$/\1/p' "$SRC.log")
[ -n "$VER" ] || die "no version in $SRC.log"
DIR=$OUT/findutils-$VER

# Cache hit: the rename below is the last step, so `configured` is whole.
if [ -f "$DIR/configured/config.status" ]; then
    echo "$DIR"
    exit 0
fi

: >"$LOG"
mkdir -p "$DIR" || die "cannot create $DIR"
rm -rf "$DIR/b" "$DIR/configured.tmp" || die "cannot clean $DIR"
cp -Rp "$SRC" "$DIR/b" || die "cannot copy $SRC"
# No make may leak its jobserver or variables into configure.
(cd "$DIR/b" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ./configure) \
    >>"$LOG" 2>&1 || die "configure failed"
cp -Rp "$DIR/b" "$DIR/configured.tmp" &&
    mv "$DIR/configured.tmp" "$DIR/configured" || die "cannot store the tree"
echo "$DIR"
