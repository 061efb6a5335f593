#!/bin/sh
# Issue 12, "partial": a cargo build script runs `make` by name, as
# openssl-src, cmake-rs and many -sys crates do (with MAKEFLAGS set to
# cargo's CARGO_MAKEFLAGS, so the make shares cargo's jobserver).  That make
# is SIGKILLed holding the 3 tokens of a -j4 build (`+cargo build` in a
# Makefile); the 4 jobs of 1 s after it then run one at a time, with and
# without `jobproxy make`, which reaches no make that cargo starts.  The
# control line: the build script runs `jobproxy make` itself.
#   sh tests/integration/masq/cargo_build_script.sh [4.3|4.4.1]
. "$(dirname "$0")/common.sh"
usemake "${1:-4.3}"
command -v cargo >/dev/null 2>&1 || skip "cargo is not installed"

crashsub sub
mkdir -p crate/src
printf '[package]\nname = "crashy"\nversion = "0.1.0"\nedition = "2021"\nbuild = "build.rs"\n' >crate/Cargo.toml
: >crate/src/lib.rs
# SUBMAKE: the command it runs as make (words), default "make".
cat >crate/build.rs <<'RS'
use std::env::var;
use std::process::Command;

fn main() {
    let submake = var("SUBMAKE").unwrap_or_else(|_| "make".into());
    let mut w = submake.split_whitespace();
    let mut cmd = Command::new(w.next().unwrap());
    cmd.args(w).arg("-C").arg(var("SUBDIR").unwrap());
    if let Ok(f) = var("CARGO_MAKEFLAGS") {
        cmd.env("MAKEFLAGS", f);
    }
    let st = cmd.status().expect("cannot run make");
    assert!(st.success(), "make failed: {st}");
}
RS
SUBDIR=$T/sub
export SUBDIR
{
	printf 'all: later\ncrash:\n\t-+cargo build --offline -q --manifest-path crate/Cargo.toml --target-dir $(TGT)\n'
	laterjobs
} >Makefile

echo "make $MAKEVER; $(cargo --version | cut -d' ' -f1-2); a build script runs 'make -C sub', which is SIGKILLed holding 3 tokens of -j4"
n=0
run() {
	resetcrash
	n=$((n + 1))
	"$@" TGT="$T/target$n" >out 2>err
	echo "$LABEL | exit $?; $(later)"
	grep -e INTERNAL -e 'not found' -e 'error:' err | sed "s/^/$LABEL | /"
}
LABEL="plain    " run make -j4
LABEL="jobproxy " run "$JP" make -j4
jp=$(latermax)
SUBMAKE="$JP make" LABEL='jobproxy, control: the build script runs jobproxy make' run "$JP" make -j4
[ "$jp" = 4 ]
