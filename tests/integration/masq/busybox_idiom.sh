#!/bin/sh
# Issue 12, "visible": busybox's (and old kbuild's) test for `make -s`,
#     ifneq ($(findstring s,$(MAKEFLAGS)),)
#       quiet=silent_
#     endif
# make 4.4.1 shows a command-line variable in $(MAKEFLAGS) while makefiles
# are read, so jobproxy's MAKE=/usr/local/bin/jobproxy make (an "s" in the
# path) turns the build silent: no "CC" line.  jobproxy runs from a copy
# at $T/usr/local/bin/jobproxy, where an installed one would be.
#   sh tests/integration/masq/busybox_idiom.sh [4.3|4.4.1] [real]
# "real": build busybox from Debian 12's source package (make defconfig;
# make -j4, about 30 s on 2 cores) and count the lines of its log.
. "$(dirname "$0")/common.sh"
usemake "${1:-4.3}"
mkdir -p usr/local/bin && cp "$JP" usr/local/bin/jobproxy || setup_error "cannot copy $JP"
JPS=$T/usr/local/bin/jobproxy

# real: the busybox build itself, plain and under jobproxy.
real() {
	SRC=$(sh "$ROOT/tests/tools/debsrc.sh" busybox "$ROOT/build/debsrc" 2>&1) ||
		skip "$SRC"
	echo "make $MAKEVER; busybox $(sed -n '1s/.*(\(.*\)).*/\1/p' "$SRC/debian/changelog"): make defconfig; make -j4"
	for k in plain jp; do
		cp -Rp "$SRC" $k.src && cd $k.src || setup_error "cannot copy $SRC"
		make defconfig >/dev/null 2>&1 || setup_error "make defconfig failed"
		case $k in
		plain) make -j4 >../$k 2>&1 ;;
		jp) "$JPS" make -j4 >../$k 2>&1 ;;
		esac
		echo "exit $?, $(wc -l <../$k) lines of log, $(grep -c '^  CC ' ../$k) of them '  CC ...'" >../$k.sum
		cd .. || exit 2
	done
	show "plain    " plain.sum
	show "jobproxy " jp.sum
	cmp -s plain.sum jp.sum
	exit
}
[ "${2-}" = real ] && real

# As in busybox: the top Makefile decides, and exports $(quiet) to the
# sub-makes (which would see make 4.4.1's "--jobserver-auth" in their
# MAKEFLAGS, an "s" of their own).
mkdir sub
cat >cmd.mk <<'MK'
quiet_cmd_cc = CC $@
cmd = @$(if $($(quiet)cmd_$(1)),echo '  $($(quiet)cmd_$(1))';):
MK
cat >Makefile <<'MK'
quiet = quiet_
ifneq ($(findstring s,$(MAKEFLAGS)),)
  quiet = silent_
endif
export quiet
include cmd.mk
all: x.o sub
x.o: ; $(call cmd,cc)
sub: x.o ; @$(MAKE) -C sub
.PHONY: sub
MK
printf 'include ../cmd.mk\nall: y.o\ny.o: ; $(call cmd,cc)\n' >sub/Makefile

echo "make $MAKEVER; busybox's findstring-s idiom, a top and a sub-make, jobproxy in /usr/local/bin"
make -j2 --no-print-directory >plain 2>&1
echo "exit $?" >>plain
"$JPS" make -j2 --no-print-directory >jp 2>&1
echo "exit $?" >>jp
show "plain    " plain
show "jobproxy " jp
cmp -s plain jp
