# jobproxy setup hook (bash, sourced by stdenv's setup).
#
# stdenv's buildPhase, checkPhase and installPhase call `make` by name; this
# hook defines a shell function `make` that runs the real make behind
# jobproxy.  jobproxy then inserts itself into every recursive $(MAKE) of
# the tree, so a sub-make that crashes or is killed gives its job slots
# back instead of shrinking the build's -j$NIX_BUILD_CORES for good.
#
#   dontUseJobproxy = true;          turn it off for one derivation
#   jobproxySocket = "/jobsock";     share the machine-wide pool of a
#                                    `jobproxy --serve` daemon whose socket
#                                    is bind-mounted into the sandbox
#                                    (nix.conf: extra-sandbox-paths)

jobproxyMake() {
    local args=() a skip=
    if [ -n "${jobproxySocket-}" ] && [ -S "$jobproxySocket" ]; then
        # The daemon sets the pool: a -jN of make's own would start a
        # second one ("-jN forced in submake"), so drop -j and -l.
        for a in "$@"; do
            if [ -n "$skip" ]; then skip=; continue; fi
            case $a in
                -j|-l) skip=1 ;;
                -j*|-l*|--jobs*|--load-average*) ;;
                *) args+=("$a") ;;
            esac
        done
        JOBPROXY_SOCKET=$jobproxySocket @out@/bin/jobproxy make "${args[@]}"
    else
        @out@/bin/jobproxy make "$@"
    fi
}

if [ -z "${dontUseJobproxy-}" ]; then
    make() { jobproxyMake "$@"; }
fi
