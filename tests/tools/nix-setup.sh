#!/bin/sh
# Make nix-build usable for the tests, with a private configuration.
#
#   sh tests/tools/nix-setup.sh DIR        -> prints DIR (absolute)
#
# Idempotent.  As root: installs Debian's nix-bin if nix-build is missing
# (without its Recommends: nix-setup-systemd would write /etc/nix/nix.conf
# and start a daemon), makes sure the group nixbld has build users
# (nixbld1..nixbld4, as Debian's nix-setup-systemd would), writes
# DIR/nix.conf, then runs one tiny sandboxed build to prove it all works.
# Use the result as `NIX_CONF_DIR=DIR nix-build ...`, or through
# tests/tools/nixrun.sh DIR.  /etc/nix is never read or written.
#
# Single-user nix: `store = local` makes every nix command open /nix/store
# and its database directly (root may), so no nix-daemon is needed, even
# when NIX_REMOTE=daemon is set in the environment.
#
# Verbose output goes to DIR/setup.log; on failure one line "nix-setup: ..."
# goes to stderr and the exit status is 1.

[ $# -eq 1 ] || { echo "nix-setup: usage: $0 DIR" >&2; exit 1; }
# Single-user nix writes /nix/store and runs builds as the nixbld users:
# only root can do either.
uid=$(id -u)
[ "$uid" -eq 0 ] || {
	echo "nix-setup: must run as root (single-user nix writes /nix/store and builds as nixbld users); running as uid $uid" >&2
	exit 1
}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" 2>/dev/null || { echo "nix-setup: cannot create $1" >&2; exit 1; }
DIR=$(cd "$1" && pwd)
LOG=$DIR/setup.log
: >"$LOG" 2>/dev/null || { echo "nix-setup: cannot write $LOG" >&2; exit 1; }

die() { echo "nix-setup: $* (log: $LOG)" >&2; exit 1; }
# step DESCRIPTION CMD...: run CMD with its output in the log; on failure die
# naming the step and the last line it printed.
step() {
	d=$1
	shift
	echo "== $d: $*" >>"$LOG"
	"$@" >"$LOG.step" 2>&1
	rc=$?
	cat "$LOG.step" >>"$LOG"
	why=$(grep -v '^[[:space:]]*$' "$LOG.step" | tail -n 1)
	rm -f "$LOG.step"
	[ $rc -eq 0 ] || die "$d failed (status $rc): ${why:-no output}"
}

# 1. nix-build, from Debian's nix-bin.
if ! command -v nix-build >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 ||
		die "nix-build is missing and there is no apt-get to install nix-bin"
	export DEBIAN_FRONTEND=noninteractive
	INSTALL="apt-get -q -y install --no-install-recommends nix-bin"
	echo "== apt-get install nix-bin (first try)" >>"$LOG"
	if ! $INSTALL >>"$LOG" 2>&1; then
		# Stale or missing package lists: refresh once, then try again.
		step "apt-get update" apt-get -q update
		# shellcheck disable=SC2086  # $INSTALL is deliberately word-split
		step "apt-get install nix-bin" $INSTALL
	fi
	command -v nix-build >/dev/null 2>&1 ||
		die "apt-get installed nix-bin but nix-build is still not on PATH ($PATH)"
fi
echo "nix-build: $(command -v nix-build): $(nix-build --version 2>&1)" >>"$LOG"

# 2. The build users: build-users-group needs a group whose member list
# (/etc/group, not primary groups) names at least one user other than root.
if ! getent group nixbld >/dev/null 2>&1; then
	step "groupadd nixbld" groupadd --system nixbld
fi
nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/bin/false
for n in 1 2 3 4; do
	u=nixbld$n
	if ! id "$u" >/dev/null 2>&1; then
		step "useradd $u" useradd --system --comment "Nix build user $n" \
			--home-dir /var/empty --gid nixbld --groups nixbld \
			--no-user-group --shell "$nologin" "$u"
	fi
	if ! getent group nixbld | cut -d: -f4 | tr ',' '\n' | grep -qx "$u"; then
		step "usermod -a -G nixbld $u" usermod -a -G nixbld "$u"
	fi
done

# 3. The private configuration.  The sandbox sees the host's /bin/sh, make,
# coreutils and shared libraries read-only (no nixpkgs here); paths this
# machine lacks are left out, since nix refuses a missing sandbox path.
paths=
for p in /bin /usr /lib /lib64 /etc/alternatives; do
	[ -e "$p" ] && paths="$paths $p"
done
cat >"$DIR/nix.conf.tmp" <<EOF || die "cannot write $DIR/nix.conf.tmp"
# Written by tests/tools/nix-setup.sh: use as NIX_CONF_DIR=$DIR.
# Single-user: root opens /nix/store directly, no nix-daemon.
store = local
# Builds run in a sandbox as the nixbld users; never silently without one.
sandbox = true
sandbox-fallback = false
build-users-group = nixbld
extra-sandbox-paths =$paths
# No network: build everything here, fetch nothing.
substituters =
max-jobs = 1
# tests/tools/nixrun.sh prints these logs when a build fails.
keep-build-log = true
EOF
mv -f "$DIR/nix.conf.tmp" "$DIR/nix.conf" || die "cannot write $DIR/nix.conf"

# 4. Prove it: a sandboxed build as nixbld, with the host's /bin/sh.
cat >"$DIR/smoke.nix" <<'EOF' || die "cannot write $DIR/smoke.nix"
# tests/tools/nix-setup.sh's check that a sandboxed build runs here.
{ nonce }: builtins.derivation {
  name = "nix-setup-smoke";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  inherit nonce;
  args = [ "-c" "echo \"uid=$(id -u) tmpdir=$TMPDIR\" >$out" ];
}
EOF
out=$(sh "$HERE/nixrun.sh" "$DIR" "$DIR/smoke.nix" --argstr nonce "$(date +%s%N)" 2>"$LOG.step")
rc=$?
cat "$LOG.step" >>"$LOG"
# Plain text: no colours, and none of the NULs and length bytes nix 2.8
# prints when it cannot exec the builder.
esc=$(printf '\033')
tr -d '\000-\010\016-\032\034-\037' <"$LOG.step" | sed "s/$esc\[[0-9;]*m//g" >"$LOG.txt"
why=$(grep 'error:' "$LOG.txt" | tail -n 1)
[ -n "$why" ] || why=$(grep -v '^[[:space:]-]*$' "$LOG.txt" | tail -n 1)
# A builder's failure: its own last words say more than nix's summary.
last=$(sed -n '/^---- build log of /,/^---- nix-build/p' "$LOG.txt" | grep -v '^----' |
	grep -v '^[[:space:]]*$' | tail -n 1 | sed "s/.*\(executing '\)/\1/")
rm -f "$LOG.txt"
[ -z "$last" ] || why="$why; the build's last line: $last"
rm -f "$LOG.step"
[ $rc -eq 0 ] || die "sandboxed smoke build failed: ${why:-status $rc}"
got=$(cat "$out" 2>/dev/null)
echo "smoke build: $out: $got" >>"$LOG"
case $got in
"uid=0 "*) die "smoke build ran as root: no build users, no sandbox ($got)" ;;
uid=*" tmpdir=/build") ;;
*) die "smoke build did not run in the sandbox: '$got'" ;;
esac
# The smoke output and its .drv are garbage from now on: drop them.
drv=$(NIX_CONF_DIR=$DIR NIX_USER_CONF_FILES='' nix-store --query --deriver "$out" 2>/dev/null)
NIX_CONF_DIR=$DIR NIX_USER_CONF_FILES='' nix-store --delete "$out" ${drv:+"$drv"} >>"$LOG" 2>&1 || :

echo "$DIR"
