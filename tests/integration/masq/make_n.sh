#!/bin/sh
# Issue 12, "visible": `make -n` of a recursive build prints the sub-make's
# command line.  Plain make prints "make -C a"; under jobproxy make prints
# the inserted MAKE, "<path of jobproxy> make -C a".
#   sh tests/integration/masq/make_n.sh [4.3|4.4.1]
. "$(dirname "$0")/common.sh"
usemake "${1:-4.3}"

mkdir a
printf 'all:\n\techo building a\n' >a/Makefile
printf 'all:\n\t$(MAKE) -C a\n\techo top done\n' >Makefile

echo "make $MAKEVER; make -n of: all: ; \$(MAKE) -C a; echo top done"
make -n >plain 2>&1
echo "exit $?" >>plain
"$JP" make -n >jp 2>&1
echo "exit $?" >>jp
show "plain    " plain
show "jobproxy " jp
cmp -s plain jp
