# Inside a nix-build sandbox (Debian's nix-bin, single-user, sandbox = true,
# no nixpkgs): a recursive make whose sub-make is SIGKILLed while it holds
# all 3 tokens of the root `make -j4`, built with and without jobproxy.
# Needs root (nix-setup installs nix-bin and the nixbld users if missing).
. "$(dirname "$0")/lib.sh"

# nixbuild NAME ARGS...: one build of tests/nix/recursive.nix, a fresh one
# every time (nonce); its result file is left in ./NAME.
nixbuild() {
	name=$1
	shift
	out=$(sh "$ROOT/tests/tools/nixrun.sh" "$CONF" "$ROOT/tests/nix/recursive.nix" \
		--argstr nonce "$(date +%s%N)" "$@") ||
		die "nix-build of tests/nix/recursive.nix ($name) failed (its log is above)"
	cp "$out" "$name" || die "no result file $out"
	# Unrooted from now on: drop the output and its .drv from the store.
	drv=$(NIX_CONF_DIR=$CONF NIX_USER_CONF_FILES='' nix-store --query --deriver "$out" 2>/dev/null)
	nixdel "$out" ${drv:+"$drv"}
}

# nixdel PATH...: delete our own unrooted store paths (quietly: a path
# another build still uses is kept by nix, which is fine).
nixdel() {
	NIX_CONF_DIR=$CONF NIX_USER_CONF_FILES='' nix-store --delete "$@" >/dev/null 2>&1 || :
}

# key NAME FILE: a value from recursive.nix's result file.
key() {
	sed -n "s/^$1=//p" "$2"
}

t_nix_sandbox_crash_pool_whole() {
	[ -x "$JP" ] || die "no $JP: run make first"
	CONF=$(sh "$ROOT/tests/tools/nix-setup.sh" "$ROOT/build/nix" 2>err) ||
		die "nix cannot run here: $(cat err)"

	nixbuild with --arg jobproxy "$JP"
	echo "  sandbox: uid=$(key uid with) ($(key user with)) TMPDIR=$(key tmpdir with)" \
		"NIX_BUILD_CORES=$(key cores with) $(key make with)"
	expect "uid inside the sandbox" "$(key uid with)" 1000
	expect "TMPDIR inside the sandbox" "$(key tmpdir with)" /build
	expect "the sub-make's end, with jobproxy" "$(key sub_status with)" 137
	grep -q '^log: jobproxy: .*gave back 3 token' with ||
		die "jobproxy did not say it gave back 3 tokens: $(cat with)"
	expect "root pool after the crash, with jobproxy (of 3)" "$(key tokens with)" 3
	grep -q 'INTERNAL: Exiting with' with &&
		die "the root make found tokens missing at exit: $(cat with)"
	# The store copy of this jobproxy build: a new one after every rebuild.
	nixdel "$(key jobproxy with)"

	nixbuild without --arg useJobproxy false
	expect "the sub-make's end, plain make" "$(key sub_status without)" 137
	expect "root pool after the crash, plain make (of 3)" "$(key tokens without)" 0
	grep -q 'INTERNAL: Exiting with 1 jobserver tokens available; should be 4!' without ||
		die "the root make did not report the lost tokens: $(cat without)"
	echo "  the root make itself reports the loss only without jobproxy"
}

# nix/setup-hook.sh as stdenv would source it: `make -jN -k` of an
# unmodified recursive tree, under a root pool that counts its tokens.
t_setup_hook_protects_unmodified_tree() {
	need_tool bash
	mkdir -p sub D bin
	sed "s|@out@/bin/jobproxy|$JP|g" "$ROOT/nix/setup-hook.sh" >hook.sh
	printf 'all: ; $(MAKE) -s -k -C sub\n' >Makefile
	cat >sub/Makefile <<EOF
all: a b c k
a b c: ; @$TJOB $PWD/D --until $PWD/D/killed
k: ; @$TJOB $PWD/D --kill \$\$PPID --when 4
EOF
	$POOL -j4 --report r -- bash -c '. ./hook.sh; make -s -k' 2>err
	expect "root pool after a sub-make was SIGKILLed" "$(field end r)" 3
	rm -rf D && mkdir D
	$POOL -j4 --report r -- bash -c 'dontUseJobproxy=1; . ./hook.sh; make -s -k' 2>err
	expect "the same with dontUseJobproxy" "$(field end r)" 0
}

run_one "$1"
