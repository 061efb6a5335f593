#!/bin/sh
# Issue 12, "partial": a ninja edge runs a make 4.4.1 sub-build by name;
# that make is SIGKILLed holding the 3 tokens of a -j4 fifo pool, and the
# 4 edges of 1 s after it then run one at a time: under `jobproxy -j 4
# ninja` as under a make 4.4.1 -j4 root (`+ninja` in its recipe), since
# nothing puts a jobproxy between ninja and its edge's make.  The control
# line: the edge runs `jobproxy make -C sub` itself.
#   sh tests/integration/masq/ninja_edge_make44.sh
. "$(dirname "$0")/common.sh"
usemake 4.4.1
needninja

crashsub sub
# build.ninja: crash (the killed sub-make; `|| true` so ninja goes on),
# wait (until the killed make's orphans are gone), then l1..l4.
mk() {
	cat <<EOF2
rule crash
  command = $1 -C sub || true
rule wait
  command = for j in a b c; do $TJOB $T/B --until $T/D/\$\$j.done || exit; done
rule job
  command = $TJOB $T/L --ms 1000
build crash: crash
build wait: wait crash
EOF2
	for i in 1 2 3 4; do echo "build l$i: job wait"; done
}
mk make >build.ninja
mk "$JP make" >ctl.ninja
printf 'all:\n\t+ninja\n' >Makefile

echo "make $MAKEVER; ninja $(ninja --version); an edge runs 'make -C sub', which is SIGKILLed holding 3 tokens of -j4"
run() {
	resetcrash
	"$@" >out 2>err
	echo "$LABEL | exit $?; $(later)"
	grep -e INTERNAL -e 'internal error' err | sed "s/^/$LABEL | /"
}
LABEL="make -j4, +ninja  " run make -j4
LABEL="jobproxy -j 4 ninja" run "$JP" -j 4 ninja
jp=$(latermax)
LABEL='jobproxy -j 4 ninja, control: the edge runs jobproxy make -C sub' run "$JP" -j 4 ninja -f ctl.ninja
[ "$jp" = 4 ]
