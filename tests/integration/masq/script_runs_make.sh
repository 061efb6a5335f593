#!/bin/sh
# Issue 12, "partial": a sub-make started by name from a script in a recipe
# (`+sh build.sh`, the script runs `make -C sub`) is not behind jobproxy.
# It is SIGKILLed holding the 3 tokens of a -j4 build; the 4 jobs of 1 s
# after it then run one at a time, with and without jobproxy.  The control
# line: the same sub-make started as `$(MAKE) -C sub`, which jobproxy
# reaches today.
#   sh tests/integration/masq/script_runs_make.sh [4.3|4.4.1]
. "$(dirname "$0")/common.sh"
usemake "${1:-4.3}"

crashsub sub
echo 'exec make -C sub' >build.sh
# top.mk: the crash through the script; ctl.mk: through $(MAKE).
{ printf 'all: later\ncrash:\n\t-+sh build.sh\n'; laterjobs; } >top.mk
{ printf 'all: later\ncrash:\n\t-$(MAKE) -C sub\n'; laterjobs; } >ctl.mk

echo "make $MAKEVER; a script in a recipe runs 'make -C sub', which is SIGKILLed holding 3 tokens of -j4"
run() {
	resetcrash
	"$@" >out 2>err
	echo "$LABEL | exit $?; $(later)"
	grep -e INTERNAL -e 'not found' err | sed "s/^/$LABEL | /"
}
LABEL="plain    " run make -j4 -f top.mk
LABEL="jobproxy " run "$JP" make -j4 -f top.mk
jp=$(latermax)
LABEL='jobproxy, control: $(MAKE) -C sub' run "$JP" make -j4 -f ctl.mk
[ "$jp" = 4 ]
