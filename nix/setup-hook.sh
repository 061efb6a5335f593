# jobproxy setup hook (bash, sourced by stdenv's setup).
#
# jobproxy's link directory (make, gmake, ninja, cargo, cmake, ... all
# jobproxy) goes first on PATH, so every one of those tools the build
# starts by name, from stdenv's phases, a script, cmake, meson's ninja or a
# cargo build script, runs behind a jobproxy of its own; stdenv's `make`
# is a shell function that runs it behind jobproxy, and its sub-makes go
# through the links.  A sub-make that crashes or is killed gives its job
# slots back instead of shrinking the build's -j$NIX_BUILD_CORES for good.
#
#   dontUseJobproxy = true;          turn it off for one derivation
#   jobproxySocket = "/jobsock";     share the machine-wide pool of a
#                                    `jobproxy --serve` daemon whose socket
#                                    is bind-mounted into the sandbox
#                                    (nix.conf: extra-sandbox-paths);
#                                    make's and ninja's -j are dropped

# The links first on PATH, exactly once: the directory $links/tool/NAME
# of each tool NAME the PATH has further on (a link for a tool that is
# not there would be found by `command -v` and by cmake, which would then
# run it: "not found"), as jobproxy itself does for its child.  Again
# before configure and build: stdenv puts its inputs' bin directories in
# front after the hooks are sourced.
jobproxyLinksFirst() {
    local links=@out@/libexec/jobproxy p= e d first= IFS=:
    for e in ${PATH-}; do
        case $e in
            "$links" | "$links/" | "$links"/tool/*) ;;
            *) p=$p${p:+:}$e ;;
        esac
    done
    for d in "$links"/tool/*; do
        [ -d "$d" ] && PATH=$p type -P "${d##*/}" >/dev/null &&
            first=$first${first:+:}$d
    done
    PATH=$first${first:+${p:+:}}$p
    export PATH
}

# jobproxyRun TOOL ARGS...: TOOL behind jobproxy; with a daemon's
# socket, without its -j and -l: the daemon sets the pool (a make -jN
# would start a pool of its own, "-jN forced in submake"; ninja given -jN
# turns its jobserver client off).
jobproxyRun() {
    local tool=$1 args=() a skip=
    shift
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
        JOBPROXY_SOCKET=$jobproxySocket @out@/bin/jobproxy "$tool" "${args[@]}"
    else
        @out@/bin/jobproxy "$tool" "$@"
    fi
}

jobproxyMake() { jobproxyRun make "$@"; }

if [ -z "${dontUseJobproxy-}" ]; then
    jobproxyLinksFirst
    preConfigureHooks+=(jobproxyLinksFirst)
    preBuildHooks+=(jobproxyLinksFirst)
    make() { jobproxyRun make "$@"; }
    if [ -n "${jobproxySocket-}" ]; then
        ninja() { jobproxyRun ninja "$@"; }
    fi
fi
