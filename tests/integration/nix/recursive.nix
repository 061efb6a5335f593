# A recursive make build inside the nix-build sandbox: a sub-make is
# SIGKILLed while its jobs hold all 3 tokens of the root `make -j4`, then
# the root pool's tokens are counted (tree/Makefile explains how).
#
#   sh tests/tools/nixrun.sh CONFDIR tests/integration/nix/recursive.nix \
#       --arg jobproxy "$PWD/jobproxy" --argstr nonce "$(date +%s%N)"
#   ... --arg useJobproxy false       the same build without jobproxy
#
# $out is a file of key=value lines (uid, tmpdir, cores, make, jobproxy,
# make_status, sub_status, tokens) followed by the build's output as
# "log: " lines.  `nonce` only changes the derivation's hash, so the build
# really runs each time instead of coming from the store.
#
# Needs nothing from nixpkgs: the builder is the host's /bin/sh, and make
# and coreutils come from the host's /usr through extra-sandbox-paths
# (tests/tools/nix-setup.sh writes that configuration).
{ jobproxy ? null, useJobproxy ? true, nonce ? "" }:

let
  # A path (or an absolute path string) copied into the store, so the
  # sandbox sees it under /nix/store and nothing else of the host's tree.
  jobproxyInStore =
    if !useJobproxy then ""
    else if jobproxy == null then
      throw "recursive.nix: pass --arg jobproxy /path/to/jobproxy (or --arg useJobproxy false)"
    else builtins.path { path = jobproxy; name = "jobproxy"; };
in
builtins.derivation {
  name = "jobproxy-sandbox-crash-${if useJobproxy then "with" else "without"}-jobproxy";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  inherit nonce;
  PATH = "/usr/bin:/bin";
  tree = builtins.path { path = ./tree; name = "jobproxy-crash-tree"; };
  jobproxy = jobproxyInStore;
  preferLocalBuild = true;
  allowSubstitutes = false;
  args = [ "-c" ''
    set -eu
    cp -R "$tree" "$TMPDIR/tree"
    chmod -R u+w "$TMPDIR/tree"
    D=$TMPDIR/state
    mkdir "$D"
    cd "$TMPDIR/tree"

    # The root of the build: this make's pipe is the only jobserver here.
    rc=0
    make -j4 -k D="$D" ''${jobproxy:+JOBPROXY="$jobproxy"} >"$D/make.log" 2>&1 || rc=$?

    {
      echo "uid=$(id -u)"
      echo "user=$(id -un 2>/dev/null || echo '?')"
      echo "tmpdir=$TMPDIR"
      echo "cores=''${NIX_BUILD_CORES-unset}"
      echo "make=$(make --version | head -n 1)"
      echo "jobproxy=''${jobproxy:-none}"
      echo "make_status=$rc"
      echo "sub_status=$(cat "$D/sub.status" 2>/dev/null || echo 0)"
      echo "tokens=$(cat "$D/tokens" 2>/dev/null || echo none)"
      sed 's/^/log: /' "$D/make.log"
    } >"$D/result"

    # A measurement, not a pass/fail: the build fails only when the
    # scenario itself did not happen (no SIGKILL, no count).
    ok=1
    grep -qx 'sub_status=137' "$D/result" || ok=0
    grep -qx 'tokens=[0-9][0-9]*' "$D/result" || ok=0
    if [ $ok = 0 ]; then
      echo "recursive.nix: the sub-make was not SIGKILLed or the pool was not counted:" >&2
      cat "$D/result" >&2
      exit 1
    fi
    cp "$D/result" "$out"
  '' ];
}
