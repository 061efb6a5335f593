# tests/tools/aptsrc.sh: fetch Debian source packages through a private apt
# configuration (sourced, POSIX sh).  The system's apt state and /etc/apt stay
# untouched: the sources list, lists and cache live under a work dir.
#
# The caller defines, before calling any of these:
#   die MSG              print one line naming the script, exit non-zero
#   step DESC CMD...     run CMD with its output in the caller's log, die
#                        naming DESC on failure
#
#   aptsrc_mirror              the deb URI this machine uses for bookworm
#   aptsrc_init WORK SUITE     private config under WORK/apt for SUITE's
#                              deb-src, apt-get update; sets APTSRC (the
#                              apt-get command, to be word-split)
#   aptsrc_download PKG DIR    apt-get source --download-only PKG into DIR
#   aptsrc_extract DSC DEST [OPTION...]   dpkg-source -x [OPTION...] DSC DEST

# Reuse whatever this machine's apt config uses for bookworm (a proxy or
# snapshot mirror may be the only thing reachable), never hardcode it.
# Handles both one-line *.list and deb822 *.sources files.
aptsrc_mirror() {
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                             if ($(i+1) == "bookworm") print $i }'
      cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk 'BEGIN { RS = "" }
               /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t\n]|$)/ {
                   if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) {
                       u = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", u); print u } }'
    } | head -n 1
}

aptsrc_init() {
    _aw=$1
    _suite=$2
    mkdir -p "$_aw/apt/lists/partial" "$_aw/apt/cache/archives/partial" \
        || die "cannot create $_aw/apt"
    _mirror=$(aptsrc_mirror)
    [ -n "$_mirror" ] || die "no bookworm deb URI found in /etc/apt/sources.list{,.d/*}"
    # bookworm's debian-archive-keyring trusts bookworm's and trixie's keys;
    # fall back to trusted=yes only if the suite's key is missing.
    _opt=
    [ -e "/usr/share/keyrings/debian-archive-$_suite-stable.gpg" ] || _opt='[trusted=yes] '
    echo "deb-src ${_opt}$_mirror $_suite main" >"$_aw/apt/sources.list" \
        || die "cannot write $_aw/apt/sources.list"
    APTSRC="apt-get -q -o Dir::Etc::SourceList=$_aw/apt/sources.list
      -o Dir::Etc::SourceParts=/dev/null -o Dir::State=$_aw/apt
      -o Dir::State::Lists=$_aw/apt/lists -o Dir::Cache=$_aw/apt/cache
      -o Dir::State::extended_states=$_aw/apt/extended_states
      -o APT::Sandbox::User=root"
    # dpkg-source comes from dpkg-dev; install it only if missing
    # (system-wide: it is the one change outside WORK).
    if ! command -v dpkg-source >/dev/null 2>&1; then
        step "apt-get install dpkg-dev" apt-get -q install -y --no-install-recommends dpkg-dev
    fi
    # shellcheck disable=SC2086  # $APTSRC is deliberately word-split
    step "apt-get update (private $_suite deb-src config, mirror $_mirror)" $APTSRC update
}

aptsrc_download() {
    mkdir -p "$2" || die "cannot create $2"
    # shellcheck disable=SC2086
    (cd "$2" && step "apt-get source $1 from $_suite" $APTSRC source --download-only "$1") \
        || exit 1
}

aptsrc_extract() {
    _dsc=$1
    _dest=$2
    shift 2
    step "dpkg-source -x${*:+ $*} $(basename "$_dsc")" dpkg-source -x "$@" "$_dsc" "$_dest"
}
