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
mkdir -p "$SRC/apt/lists/partial" "$SRC/apt/cache/archives/partial" "$SRC/dl" \
    || die "cannot create $SRC"

# Mirror: reuse whatever this machine's apt config uses for bookworm (a
# proxy/snapshot mirror may be the only thing reachable), never hardcode it.
# Handles both one-line *.list and deb822 *.sources files.
MIRROR=$(
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                             if ($(i+1) == "bookworm") print $i }'
      cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk 'BEGIN { RS = "" }
               /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t\n]|$)/ {
                   if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) {
                       u = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", u); print u } }'
    } | head -n 1
)
[ -n "$MIRROR" ] || die "no bookworm deb URI found in /etc/apt/sources.list{,.d/*}"
echo "mirror: $MIRROR" >>"$LOG"

# Private apt config: a trixie deb-src line, with own lists/cache so the
# system apt state and /etc/apt stay untouched. bookworm's
# debian-archive-keyring already trusts the trixie keys; fall back to
# trusted=yes only if they are missing.
OPT=
[ -e /usr/share/keyrings/debian-archive-trixie-stable.gpg ] || OPT='[trusted=yes] '
echo "deb-src ${OPT}$MIRROR trixie main" >"$SRC/apt/sources.list"
APT="apt-get -q -o Dir::Etc::SourceList=$SRC/apt/sources.list
  -o Dir::Etc::SourceParts=/dev/null -o Dir::State=$SRC/apt
  -o Dir::State::Lists=$SRC/apt/lists -o Dir::Cache=$SRC/apt/cache
  -o Dir::State::extended_states=$SRC/apt/extended_states
  -o APT::Sandbox::User=root"

# dpkg-source comes from dpkg-dev; install it only if missing (system-wide).
if ! command -v dpkg-source >/dev/null 2>&1; then
    step "apt-get install dpkg-dev" apt-get -q install -y --no-install-recommends dpkg-dev
fi

# shellcheck disable=SC2086  # $APT is deliberately word-split
step "apt-get update (private trixie deb-src config)" $APT update
cd "$SRC/dl"
# shellcheck disable=SC2086
step "apt-get source make-dfsg from trixie" $APT source --download-only make-dfsg
# Pin the upstream version: if trixie ever moves past 4.4.1, fail loudly.
ls ./make-dfsg_4.4.1-*.dsc >/dev/null 2>&1 || die "trixie make-dfsg is not 4.4.1 ($(ls ./*.dsc 2>/dev/null))"
step "dpkg-source -x make-dfsg" dpkg-source -x ./make-dfsg_4.4.1-*.dsc "$SRC/make"

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
