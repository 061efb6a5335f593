#!/bin/sh
# Issue 12, "visible": a recipe that quotes the sub-make, "$(MAKE)" -C sub
# (as some projects write it, for a make in a path with spaces).  jobproxy
# puts MAKE=<path of jobproxy> make on make's command line, so the quoted
# word names no file: "... jobproxy make: not found", and the build fails.
#   sh tests/integration/masq/quoted_make.sh [4.3|4.4.1]
. "$(dirname "$0")/common.sh"
usemake "${1:-4.3}"

mkdir sub
printf 'all:\n\t@echo sub built\n' >sub/Makefile
printf 'all:\n\t@"$(MAKE)" -C sub\n' >Makefile

echo "make $MAKEVER; Makefile: all: ; \"\$(MAKE)\" -C sub"
make --no-print-directory >plain 2>&1
echo "exit $?" >>plain
"$JP" make --no-print-directory >jp 2>&1
echo "exit $?" >>jp
show "plain    " plain
show "jobproxy " jp
cmp -s plain jp
