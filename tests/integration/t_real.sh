# Integration test of insertion on a real third-party recursive build
# (issue 12): GNU findutils from Debian 12's source (automake recursion,
# gnulib, gettext's po/), configured once into a cache by
# tests/tools/findutils.sh, built with plain `make -j4` and with
# `jobproxy make -j4` (the link directory first on the child's PATH, as
# by default): the same files, the same bytes, the same log.
. "$(dirname "$0")/lib.sh"

unset MAKEFLAGS MFLAGS GNUMAKEFLAGS CARGO_MAKEFLAGS MAKELEVEL MAKE \
	JOBPROXY_LINKS JOBPROXY_STYLE JOBPROXY_SOCKET

# build NAME CMD...: a fresh copy of the configured tree at the path
# configure ran in (findutils.sh says why that path), CMD run in it; its
# exit status, its log, its files and their checksums kept under NAME.
build() {
	n=$1
	shift
	rm -rf "$FU/b" && cp -Rp "$FU/configured" "$FU/b" ||
		die "cannot copy the configured tree"
	(cd "$FU/b" && "$@") >"$n.log" 2>&1
	echo "exit $?" >"$n.rc"
	# Every file and link, built or not, and its bytes: a file jobproxy
	# added, left out or changed shows.  The files' mtimes differ
	# between any two builds and are not compared.
	(cd "$FU/b" && find . ! -type d | LC_ALL=C sort) >"$n.files"
	(cd "$FU/b" && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 md5sum) >"$n.sums"
}

# same WHAT A B: files A and B are equal, or the test fails showing how.
same() {
	cmp -s "$2" "$3" && return
	diff "$2" "$3" | head -n 20 >&2
	die "$1 differ (plain <, jobproxy >)"
}

# The log is compared as a sorted list of lines, duplicates kept: at -j4
# the order of the lines of parallel jobs is the scheduler's (two plain
# runs differ in it too), their set is the build's.  Nothing else is
# normalised: both builds run at the same path with the same environment,
# so even the "Entering directory" lines, their make[N] levels and the
# `make  all-recursive` line that shows $(MAKE) must be the same.  The
# binaries carry no time stamp (checked: two plain builds give the same
# checksums), so every built file must be byte for byte the same.
t_findutils_j4() {
	need_make
	FU=$(sh "$ROOT/tests/tools/findutils.sh" "$ROOT/build" 2>&1) ||
		skip "$FU"
	build plain make -j4
	build jp "$JP" make -j4
	rm -rf "$FU/b"
	expect "plain make -j4" "$(cat plain.rc)" "exit 0"
	expect "jobproxy make -j4" "$(cat jp.rc)" "exit 0"
	echo "  $(wc -l <plain.files) files, $(wc -l <plain.log) log lines"
	grep -q '^make  all-recursive$' plain.log ||
		die "no \$(MAKE) line in the plain log: $(head -n 3 plain.log)"
	same "file lists" plain.files jp.files
	same "checksums" plain.sums jp.sums
	LC_ALL=C sort plain.log >plain.sorted
	LC_ALL=C sort jp.log >jp.sorted
	same "logs" plain.sorted jp.sorted
}

# The sub-makes of that build ran behind jobproxy: $(MAKE), as a recipe's
# shell runs it, is the link, not the real make (else the test above
# compares two plain builds).
t_findutils_make_is_link() {
	need_make
	FU=$(sh "$ROOT/tests/tools/findutils.sh" "$ROOT/build" 2>&1) ||
		skip "$FU"
	build probe "$JP" make -s --eval 'jp-probe: ; @command -v $(MAKE)' \
		jp-probe
	rm -rf "$FU/b"
	expect "\$(MAKE) found at" "$(cat probe.log)" \
		"$JPLINKS/tool/make/make"
}

run_one "$1"
