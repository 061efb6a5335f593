#!/bin/sh
# The size rule of the program's sources (the .c and .h files at the top):
# no file above MAX_FILE lines, no function above MAX_FUNC lines (from its
# "{" to its "}", the project's style: both alone at the start of a line).
# One line per breach, exit 1 if any; with -v, the largest file and
# function too.
#
#   sh tests/tools/sizes.sh [-v] [DIR]
MAX_FILE=600
MAX_FUNC=80
verbose=
[ "${1-}" = -v ] && { verbose=1; shift; }
cd "${1:-$(dirname "$0")/../..}" || exit 2

awk -v maxfile=$MAX_FILE -v maxfunc=$MAX_FUNC -v verbose="$verbose" '
FNR == 1 {
	if (prev != "")
		endfile()
	prev = FILENAME
	name = ""
}
# The name of a function: the identifier before "(" on the last line that
# had one before the body.
/^[A-Za-z_].*\(/ {
	s = $0
	sub(/\(.*/, "", s)
	n = split(s, w, /[ \t*]+/)
	name = w[n]
}
/^\{$/ { start = FNR; fname = name }
/^\}$/ && start {
	len = FNR - start + 1
	if (len > bigfunc) {
		bigfunc = len
		bigname = FILENAME ":" start ": " fname "()"
	}
	if (len > maxfunc) {
		printf "sizes: %s:%d: %s() is %d lines (at most %d)\n",
		       FILENAME, start, fname, len, maxfunc
		bad = 1
	}
	start = 0
}
function endfile() {
	if (lines[prev] > bigfile) {
		bigfile = lines[prev]
		bigfname = prev
	}
	if (lines[prev] > maxfile) {
		printf "sizes: %s is %d lines (at most %d)\n", prev,
		       lines[prev], maxfile
		bad = 1
	}
}
{ lines[FILENAME] = FNR }
END {
	if (prev != "")
		endfile()
	if (verbose)
		printf "largest file: %s, %d lines; largest function: %s, %d lines\n",
		       bigfname, bigfile, bigname, bigfunc
	exit bad
}' ./*.c ./*.h
