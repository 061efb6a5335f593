# Derivations that take their make tokens from a jobproxy daemon on the
# host (`jobproxy --serve`), whose socket is bind-mounted into the sandbox
# as /jobsock, and record their jobs' concurrency in /shared, a host
# directory bind-mounted into every sandbox (each build's /build is its
# own; /shared is what two builds see in common):
#
#   sh tests/tools/nixrun.sh CONFDIR tests/integration/nix/daemon.nix \
#       --arg jobproxy "$PWD/jobproxy" --arg tjob "$PWD/tests/helpers/tjob" \
#       --argstr nonce "$(date +%s%N)" \
#       --option extra-sandbox-paths "/jobsock=$T/jobs.sock /shared=$T/shared" \
#       -A a -A b
#
# Each builder runs `jobproxy --connect /jobsock -- make -C tree` over
# daemon-tree/ (no -j), six leaves whose command depends on the attribute:
#
#   a, b      built at once: every leaf waits (tests/helpers/tjob, state in
#             /shared/all) until the other build has started a leaf and
#             4 leaves have run at once across both builds.
#   victim    every leaf holds its slot until /shared/never appears (it
#             does not): the host kills this build while it holds tokens.
#   survivor  every leaf waits until 5 of its leaves ran at once
#             (/shared/s): its implicit slot plus all 4 of the daemon's
#             tokens, so it finishes only once the victim's came back;
#             and until the host, done checking, makes /shared/checked.
#
# The host prepares /shared/{all,v,s} with world-writable lock, state and
# log files (the builds run as different nixbld users).  $out is a file
# of key=value lines (role, uid, make_status, makeflags) and the make
# output as "log: " lines.  `nonce` only changes the derivations' hashes,
# so they really build each time.
#
# Needs nothing from nixpkgs: /bin/sh, make and coreutils come from the
# host through extra-sandbox-paths (tests/tools/nix-setup.sh).
{ jobproxy, tjob, nonce ? "" }:

let
  jobproxyInStore = builtins.path { path = jobproxy; name = "jobproxy"; };
  tjobInStore = builtins.path { path = tjob; name = "jobproxy-tjob"; };
  # Each leaf also leaves the MAKEFLAGS it saw ($$: make's escape).
  seen = "echo \"$$MAKEFLAGS\" >$$TMPDIR/makeflags";

  build = role: leaf: builtins.derivation {
    name = "jobproxy-daemon-${role}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    inherit nonce role leaf;
    PATH = "/usr/bin:/bin";
    tree = builtins.path { path = ./daemon-tree; name = "jobproxy-daemon-tree"; };
    jobproxy = jobproxyInStore;
    preferLocalBuild = true;
    allowSubstitutes = false;
    args = [ "-c" ''
      set -eu
      cp -R "$tree" "$TMPDIR/tree"
      chmod -R u+w "$TMPDIR/tree"
      cd "$TMPDIR"
      [ -S /jobsock ] || { echo "daemon.nix: no socket at /jobsock" >&2; exit 1; }
      rc=0
      "$jobproxy" --connect /jobsock -- make -C tree "LEAF=$leaf" >make.log 2>&1 || rc=$?
      {
        echo "role=$role"
        echo "uid=$(id -u)"
        echo "make_status=$rc"
        echo "makeflags=$(cat makeflags 2>/dev/null || echo none)"
        sed 's/^/log: /' make.log
      } >result
      if [ $rc -ne 0 ]; then
        echo "daemon.nix: the $role build failed:" >&2
        cat result >&2
        exit 1
      fi
      cp result "$out"
    '' ];
  };
in
{
  a = build "a" "${seen}; touch /shared/started.a; ${tjobInStore} /shared/all --until /shared/started.b --need 4 --ms 100 --timeout 60";
  b = build "b" "${seen}; touch /shared/started.b; ${tjobInStore} /shared/all --until /shared/started.a --need 4 --ms 100 --timeout 60";
  victim = build "victim" "${seen}; ${tjobInStore} /shared/v --until /shared/never --timeout 90";
  survivor = build "survivor" "${seen}; ${tjobInStore} /shared/s --need 5 --until /shared/checked --ms 50 --timeout 90";
}
