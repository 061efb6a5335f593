#!/bin/sh
# Fetch and unpack a Debian source package into a cache dir.
#
#   sh tests/tools/debsrc.sh [--skip-patches] PKG OUTDIR [SUITE]
#       -> prints OUTDIR/PKG (OUTDIR/PKG-upstream with --skip-patches)
#
# SUITE defaults to bookworm (Debian 12).  OUTDIR/PKG is the unpacked source
# tree with Debian's patches applied (dpkg-source -x); it appears only once
# complete, and a later call with it present does nothing but print it.
# --skip-patches leaves the upstream tarball as it is: a patch that touches
# configure.ac (findutils' does) leaves it newer than configure, and the
# build then wants autoconf and automake, which Debian's own build runs.
# Callers build in a copy that keeps the mtimes (cp -Rp), never in the
# cache.  Verbose output goes
# to OUTDIR/PKG.log; on failure one line "debsrc.sh: ..." goes to stderr and
# the exit status is 1.
set -eu

SKIP=
[ "${1-}" = --skip-patches ] && { SKIP=--skip-patches; shift; }
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "debsrc.sh: usage: $0 [--skip-patches] PKG OUTDIR [SUITE]" >&2; exit 1; }
PKG=$1
SUITE=${3:-bookworm}
case $PKG in
*/* | .* | '') echo "debsrc.sh: bad package name '$PKG'" >&2; exit 1 ;;
esac
mkdir -p "$2" || { echo "debsrc.sh: cannot create $2" >&2; exit 1; }
OUT=$(cd "$2" && pwd)
TREE=$OUT/$PKG${SKIP:+-upstream}
LOG=$TREE.log

# Cache hit: the rename below is the last step, so a tree here is whole.
if [ -d "$TREE/debian" ]; then
    echo "$TREE"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 || { echo "debsrc.sh: no apt-get: not a Debian-based OS" >&2; exit 1; }

: >"$LOG"
die() { echo "debsrc.sh: $* (see $LOG)" >&2; exit 1; }
# step DESCRIPTION CMD...: run CMD with output in the log, die naming the step.
step() { d=$1; shift; echo "== $d: $*" >>"$LOG"; "$@" >>"$LOG" 2>&1 || die "$d failed"; }

. "$(dirname "$0")/aptsrc.sh"

# Start from a clean scratch dir so an interrupted earlier run cannot leak in.
WORK=$TREE.work
rm -rf "$WORK" || die "cannot clean $WORK (is an earlier fetch still running?)"
aptsrc_init "$WORK" "$SUITE"
aptsrc_download "$PKG" "$WORK/dl"
# apt-get source may name a binary package; the .dsc is the source's.
DSC=$(ls "$WORK"/dl/*.dsc 2>/dev/null | head -n 1)
[ -n "$DSC" ] || die "apt-get source $PKG left no .dsc"
aptsrc_extract "$DSC" "$WORK/tree" $SKIP
[ -d "$WORK/tree/debian" ] || die "$DSC unpacked without a debian/ dir"
rm -rf "$TREE"
mv "$WORK/tree" "$TREE" || die "cannot move the tree to $TREE"
echo "source: $(basename "$DSC")" >>"$LOG"
rm -rf "$WORK"
echo "$TREE"
