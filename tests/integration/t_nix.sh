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
	out=$(sh "$ROOT/tests/tools/nixrun.sh" "$CONF" "$HERE/nix/recursive.nix" \
		--argstr nonce "$(date +%s%N)" "$@") ||
		die "nix-build of tests/integration/nix/recursive.nix ($name) failed (its log is above)"
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
		skip "nix cannot run here: $(tail -n 1 err)"

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

# nix/default.nix, evaluated with stand-ins for nixpkgs (none here): on
# Linux built with pkgsStatic's compiler (musl) and STATIC=1, elsewhere
# with the ordinary stdenv, dynamically.
t_package_static_on_linux() {
	CONF=$(sh "$ROOT/tests/tools/nix-setup.sh" "$ROOT/build/nix" 2>err) ||
		skip "nix cannot run here: $(tail -n 1 err)"
	cat >stub.nix <<'EOF'
{ pkg, isLinux }:
let
  stdenvOf = prefix: {
    hostPlatform.isLinux = isLinux;
    cc.targetPrefix = prefix;
    mkDerivation = a: a;
  };
in
(import (/. + pkg)) {
  lib = {
    cleanSource = p: p;
    optional = c: x: if c then [ x ] else [ ];
    platforms.unix = [ ];
  };
  stdenv = stdenvOf "";
  pkgsStatic.stdenv = stdenvOf "x86_64-unknown-linux-musl-";
}
EOF
	for linux in true false; do
		NIX_CONF_DIR=$CONF NIX_USER_CONF_FILES='' nix-instantiate --eval \
			--strict --arg isLinux $linux --argstr pkg "$ROOT/nix/default.nix" \
			-E '{ pkg, isLinux }@a: builtins.concatStringsSep " " (builtins.tail ((import ./stub.nix a).makeFlags))' \
			>flags 2>err || die "nix/default.nix does not evaluate: $(cat err)"
		want='"CC=cc"'
		[ $linux = true ] && want='"CC=x86_64-unknown-linux-musl-cc STATIC=1"'
		expect "make flags, isLinux $linux" "$(cat flags)" "$want"
	done
}

# hook: nix/setup-hook.sh with this tree's jobproxy and links, as hook.sh.
hook() {
	sed "s|@out@/bin/jobproxy|$JP|g; s|@out@/libexec/jobproxy|$JPLINKS|g" \
		"$ROOT/nix/setup-hook.sh" >hook.sh
}

# The hook's links on PATH reach a make that a script in a recipe starts
# by name (as a configure script or a vendored build does): it is the
# link, and SIGKILLed holding 3 tokens, they come back.
t_setup_hook_script_started_make() {
	need_tool bash
	mkdir -p sub D
	hook
	printf 'all: ; +@sh build.sh\n' >Makefile
	printf 'command -v make >which\nexec make -s -k -C sub\n' >build.sh
	cat >sub/Makefile <<EOF
all: a b c k
a b c: ; @$TJOB $PWD/D --until $PWD/D/killed
k: ; @$TJOB $PWD/D --kill \$\$PPID --when 4
EOF
	$POOL -j4 --report r -- bash -c '. ./hook.sh; make -s -k' 2>err
	expect "root pool after a script's make was SIGKILLed" "$(field end r)" 3
	expect "the script's make" "$(cat which)" "$JPLINKS/tool/make/make"
	rm -rf D && mkdir D
	$POOL -j4 --report r -- bash -c 'dontUseJobproxy=1; . ./hook.sh; make -s -k' 2>err
	expect "the same with dontUseJobproxy" "$(field end r)" 0
}

# nix/setup-hook.sh as stdenv would source it: `make -jN -k` of an
# unmodified recursive tree, under a root pool that counts its tokens.
t_setup_hook_protects_unmodified_tree() {
	need_tool bash
	mkdir -p sub D bin
	hook
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

# pool_cleanup: on the way out, stop what t_nix_two_builds_share_daemon_pool
# started: the status sampler, the daemon, the nix-builds still running
# (each in a process group of its own), and the test's directory (the
# EXIT trap of run_one, which this one replaces).
pool_cleanup() {
	for p in $SPID $DPID; do
		kill "$p" 2>/dev/null
	done
	for g in $VPG $SPG; do
		kill -TERM -"$g" 2>/dev/null
	done
	wait 2>/dev/null
	cd / && rm -rf "$T"
}

# The machine-wide pool across nix sandboxes (tests/nix/daemon.nix): a
# `jobproxy --serve` daemon on the host, its socket bind-mounted into every
# sandbox as /jobsock through extra-sandbox-paths.  1: two derivations
# built at once by one nix-build (max-jobs 2) share its pool.  2: of two
# builds run by two nix-builds at once, one is SIGKILLed from the host while
# it holds all 4 tokens: the pool is whole again within a second and the
# other build gets those tokens and completes.
t_nix_two_builds_share_daemon_pool() {
	[ -x "$JP" ] || die "no $JP: run make first"
	[ -x "$TJOB" ] || die "no $TJOB: run make first"
	need_tool perl
	need_tool ps
	CONF=$(sh "$ROOT/tests/tools/nix-setup.sh" "$ROOT/build/nix" 2>err) ||
		skip "nix cannot run here: $(tail -n 1 err)"
	t0=$(date +%s%N)

	# The builders run as the nixbld users.  Inside the sandbox they are uid
	# 1000 (a user namespace); SO_PEERCRED gives the daemon the host's uid.
	nixuids=
	for u in $(getent group nixbld | cut -d: -f4 | tr ',' ' '); do
		nixuids="$nixuids $(id -u "$u")" || die "no uid for $u"
	done
	[ -n "$nixuids" ] || die "the group nixbld has no members"
	# shellcheck disable=SC2086  # a list of numbers, split on purpose
	allow=0$(printf ',%s' $nixuids)
	"$JP" --serve "$T/jobs.sock" -j 4 --mode 0666 --allow "$allow" 2>dlog &
	DPID=$!
	SPID='' VPG='' SPG=''
	trap pool_cleanup EXIT
	i=0
	while [ ! -S "$T/jobs.sock" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && die "the daemon did not start: $(cat dlog)"
		sleep 0.01
	done
	echo "  daemon: pool of 4, --allow $allow (root and the nixbld users)"

	# /shared: what both sandboxes see in common.  The two builds run as two
	# different nixbld users, so tjob's files are made here, writable by all.
	for d in all v s; do
		mkdir -p "shared/$d" || die "mkdir shared/$d"
		(cd "shared/$d" && : >lock && : >state && : >log && chmod 0666 lock state log) ||
			die "cannot prepare shared/$d"
	done
	chmod 0777 shared shared/all shared/v shared/s
	set -- "$HERE/nix/daemon.nix" --arg jobproxy "$JP" --arg tjob "$TJOB" \
		--argstr nonce "$(date +%s%N)" \
		--option extra-sandbox-paths "/jobsock=$T/jobs.sock /shared=$T/shared"
	# status: the daemon's report; st_free, st_clients: its numbers.
	status() { "$JP" --status "$T/jobs.sock"; }
	st_free() { sed -n 's/^pool [0-9]* free \([0-9]*\) .*/\1/p'; }
	st_clients() { sed -n 's/^pool .* clients \([0-9]*\)$/\1/p'; }
	# ms_since NS: milliseconds since NS (date +%s%N).
	ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
	# pool_whole MS: the pool shows 4 free and no client within MS ms.
	pool_whole() {
		w0=$(date +%s%N)
		until [ "$(status)" = "pool 4 free 4 clients 0" ]; do
			[ "$(ms_since "$w0")" -gt "$1" ] &&
				die "pool not whole after $1 ms: $(status)"
			sleep 0.01
		done
	}
	# result KEY FILE: a value from a daemon.nix result file.
	result() { sed -n "s/^$1=//p" "$2"; }
	outs=

	# 1. a and b at once, sampling the daemon's report meanwhile.
	(while :; do status; sleep 0.02; done) >samples 2>&1 &
	SPID=$!
	p1=$(date +%s%N)
	sh "$ROOT/tests/tools/nixrun.sh" "$CONF" "$@" --option max-jobs 2 -A a -A b \
		>ab 2>aberr || die "nix-build of a and b failed: $(cat aberr)"
	p1=$(ms_since "$p1")
	kill $SPID
	wait $SPID 2>/dev/null
	SPID=
	[ "$(wc -l <ab)" -eq 2 ] || die "nix-build printed no two outputs: $(cat ab)"
	outs=$(cat ab)
	for o in $outs; do
		r=$(result role "$o")
		expect "build $r: make's status" "$(result make_status "$o")" 0
		expect "build $r: uid inside the sandbox" "$(result uid "$o")" 1000
		case $(result makeflags "$o") in
		*" -j4 --jobserver-auth="*) ;;
		*) die "build $r: no -j4 and auth from the daemon in MAKEFLAGS: $(result makeflags "$o")" ;;
		esac
	done
	read -r _ max total <shared/all/state || die "no shared/all/state"
	expect "leaves run by a and b" "$total" 12
	[ "$max" -ge 4 ] || die "most leaves at once across a and b: $max, want >= 4"
	[ "$max" -le 6 ] || die "most leaves at once across a and b: $max, want <= 6 (4 tokens + 2 implicit slots)"
	echo "  most leaves at once across a and b: $max (4..6), in $p1 ms of nix-build"
	uids=$(sed -n 's/^client [0-9-]* \([0-9]*\) held [0-9]*$/\1/p' samples | sort -un | tr '\n' ' ')
	[ -n "$uids" ] || die "the daemon never reported a client: $(sort -u samples)"
	for u in $uids; do
		case " $nixuids " in
		*" $u "*) ;;
		*) die "a client of uid $u, not one of the nixbld users ($nixuids)" ;;
		esac
	done
	most=$(st_clients <samples | sort -n | tail -n 1)
	echo "  uids the daemon saw (SO_PEERCRED): $uids(nixbld:$nixuids); at most $most clients at once in the samples"
	pool_whole 1000
	echo "  after both builds: $(status)"

	# 2. The victim takes all 4 tokens (5 leaves: 4 + its implicit slot).
	# Each nix-build in a process group of its own, for the cleanup.
	perl -e 'setpgrp(0, 0); exec @ARGV or die' \
		sh "$ROOT/tests/tools/nixrun.sh" "$CONF" "$@" -A victim >vout 2>verr &
	VPG=$!
	w0=$(date +%s%N)
	until [ "$(cut -d' ' -f1 shared/v/state)" = 5 ]; do
		kill -0 $VPG 2>/dev/null || die "the victim's nix-build ended early: $(cat verr)"
		[ "$(ms_since "$w0")" -gt 60000 ] && die "the victim never ran 5 leaves: $(status)"
		sleep 0.01
	done
	st=$(status)
	vline=$(echo "$st" | grep '^client ')
	echo "$st" | head -n 1 | grep -qx 'pool 4 free 0 clients 1' ||
		die "the victim runs 5 leaves, but the daemon says: $st"
	echo "$vline" | grep -q ' held 4$' || die "the victim should hold 4 tokens: $st"
	vpid=$(echo "$vline" | cut -d' ' -f2)
	vuid=$(echo "$vline" | cut -d' ' -f3)
	echo "  victim: $vline (uid $vuid: $(getent passwd "$vuid" | cut -d: -f1))"
	# The survivor: one leaf on its implicit slot, waiting for tokens (its
	# leaves all wait for shared/checked, made after the checks below).
	perl -e 'setpgrp(0, 0); exec @ARGV or die' \
		sh "$ROOT/tests/tools/nixrun.sh" "$CONF" "$@" -A survivor >sout 2>serr &
	SPG=$!
	w0=$(date +%s%N)
	until [ "$(status | st_clients)" = 2 ] && [ "$(cut -d' ' -f1 shared/s/state)" = 1 ]; do
		kill -0 $SPG 2>/dev/null || die "the survivor's nix-build ended early: $(cat serr)"
		[ "$(ms_since "$w0")" -gt 60000 ] && die "the survivor never started: $(status)"
		sleep 0.01
	done
	st=$(status)
	echo "  both builds running: $(echo "$st" | tr '\n' ';')"
	# The victim's builder: the process group of its jobproxy --connect (the
	# sandbox's session; its leader is the builder, pid 1 of the sandbox).
	vpg=$(ps -o pgid= -p "$vpid" | tr -d ' ')
	[ -n "$vpg" ] || die "no process $vpid (the victim's client)"
	[ "$vpg" != "$(ps -o pgid= -p $$ | tr -d ' ')" ] ||
		die "the victim's builder shares our process group"
	k0=$(date +%s%N)
	kill -9 -"$vpg" || die "kill -9 -$vpg"
	until ! status | grep -q "^client $vpid "; do
		[ "$(ms_since "$k0")" -gt 1000 ] &&
			die "the victim's client is still there 1 s after the kill: $(status)"
		sleep 0.01
	done
	kms=$(ms_since "$k0")
	st=$(status)
	f=$(echo "$st" | st_free)
	held=$(echo "$st" | sed -n 's/^client .* held \([0-9]*\)$/\1/p' | awk '{s += $1} END {print s + 0}')
	expect "clients after the kill" "$(echo "$st" | st_clients)" 1
	expect "free + held after the kill" "$((f + held))" 4
	echo "  victim SIGKILLed (process group $vpg): its tokens back within $kms ms: $(echo "$st" | tr '\n' ';')"
	# The survivor's leaves end only now, once this was checked.
	touch shared/checked

	wait $SPG
	src=$?
	SPG=
	[ $src -eq 0 ] || die "the survivor's nix-build failed: $(cat serr)"
	wait $VPG
	vrc=$?
	VPG=
	[ $vrc -ne 0 ] || die "the victim's nix-build succeeded after SIGKILL: $(cat vout)"
	echo "  the victim's nix-build failed as it should (status $vrc):" \
		"$(grep -o "builder for '[^']*' failed[^;]*" verr | head -n 1)"
	so=$(cat sout)
	outs="$outs $so"
	expect "survivor: make's status" "$(result make_status "$so")" 0
	read -r _ max _ <shared/s/state || die "no shared/s/state"
	expect "most survivor leaves at once (its slot + the victim's 4 tokens)" "$max" 5
	pool_whole 1000
	echo "  after both builds: $(status)"
	grep -q refused dlog && die "the daemon refused a client: $(cat dlog)"

	# Unrooted: drop the outputs, the .drv files and their inputs, and the
	# lock file nix leaves beside the output path of the killed build.
	# shellcheck disable=SC2086  # store paths have no spaces
	drvs=$(for o in $outs; do
		NIX_CONF_DIR=$CONF NIX_USER_CONF_FILES='' nix-store --query --deriver "$o" 2>/dev/null
	done; sed -n "s/.*builder for '\(\/nix\/store\/[^']*\.drv\)' failed.*/\1/p" verr)
	for d in $drvs; do
		case $d in
		*-victim.drv)
			o=$(NIX_CONF_DIR=$CONF NIX_USER_CONF_FILES='' nix-store --query --outputs "$d" 2>/dev/null)
			[ -n "$o" ] && [ ! -e "$o" ] && rm -f "$o.lock"
			;;
		esac
	done
	# shellcheck disable=SC2086
	srcs=$(NIX_CONF_DIR=$CONF NIX_USER_CONF_FILES='' nix-store --query --references $drvs 2>/dev/null)
	# shellcheck disable=SC2086
	nixdel $outs $drvs
	# One at a time: a path still in use (another build's, say the same
	# jobproxy) would make nix-store --delete keep all of them.
	for s in $srcs; do
		nixdel "$s"
	done
	echo "  time: $(ms_since "$t0") ms in all"
}

run_one "$1"
