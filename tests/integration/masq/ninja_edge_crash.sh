#!/bin/sh
# Issue 12, "partial": a ninja edge runs a make 4.4.1 (or 4.3) sub-build
# by name; that make is SIGKILLed holding the 3 tokens of a -j4 fifo
# pool.  Under a make 4.4.1 -j4 root (`+ninja` in its recipe) the tokens
# are lost and the 4 edges of 1 s after it run one at a time; under
# `jobproxy -j 4 ninja` the make runs behind the make link, whose
# jobproxy gives them back, and the 4 run at once.  A last line runs
# the edge as `jobproxy make -C sub`.
#
# ninja 1.13 never waits for a token: it tries one non-blocking read as a
# job ends.  A jobproxy root that parked one token at a time, and took it
# back after 20 ms unread, ran the 4 serially even with no crash (the
# line above showed 1 at once): a pool of our own now keeps all its free
# tokens in a ninja's fifo (lease.h, greedy).
# With make 4.3 (the argument) the root gives ninja a pipe, which ninja
# ignores: it runs at its own -j, so the loss shows only in make's own
# INTERNAL line at exit; under jobproxy the edge's make 4.3 gets a pipe
# from its link, below ninja's fifo.
#   sh tests/integration/masq/ninja_edge_crash.sh [4.3|4.4.1]
. "$(dirname "$0")/common.sh"
usemake "${1:-4.4.1}"
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
# make's own count of its pool at exit: the loss, whatever ninja's -j.
lost=$(grep -c 'INTERNAL: Exiting with' err)
LABEL="jobproxy -j 4 ninja" run "$JP" -j 4 ninja
jp=$(latermax)
LABEL='jobproxy -j 4 ninja, the edge runs jobproxy make -C sub' run "$JP" -j 4 ninja -f ctl.ninja
# The build without jobproxy must show the loss, or this shows nothing.
[ "$lost" = 1 ] || setup_error "make -j4 lost no token (no INTERNAL line)"
[ "$jp" = 4 ]
