#!/bin/sh
# Issue 12, "broken": `jobproxy -j 4 ninja` gives ninja 1.13 a fifo
# jobserver (the only style it reads); ninja passes MAKEFLAGS to its edges
# unchanged, so an edge that runs a make 4.3 sub-build (Debian 12's,
# Ubuntu 22.04's and 24.04's make) gets `fifo:PATH`, which make 4.3 does not
# know: "internal error: invalid --jobserver-auth string", the build fails.
# Without jobproxy the same ninja build runs the sub-make (serially).
#   sh tests/integration/masq/ninja_edge_make43.sh
. "$(dirname "$0")/common.sh"
usemake 4.3
needninja

mkdir sub
printf 'all: a b\na b:\n\t@echo sub: $@ built\n' >sub/Makefile
printf 'rule sub\n  command = make -s -C sub\nbuild s: sub\n' >build.ninja

echo "make $MAKEVER; ninja $(ninja --version); an edge runs: make -s -C sub"
# The fifo's name differs from run to run.
norm() { sed 's|fifo:[^ '\'']*|fifo:PATH|g' "$1" >"$1.n" && mv "$1.n" "$1"; }
ninja >plain 2>&1
echo "exit $?" >>plain
"$JP" -j 4 ninja >jp 2>&1
echo "exit $?" >>jp
norm jp
show "plain ninja        " plain
show "jobproxy -j 4 ninja" jp
cmp -s plain jp
