# Rules the sources keep: sizes (tests/tools/sizes.sh), nothing cited that
# is not in the repository.
. "$(dirname "$0")/lib.sh"

t_files_and_functions_stay_small() {
	sh "$ROOT/tests/tools/sizes.sh" -v "$ROOT" >out 2>&1 ||
		die "$(cat out)"
	cat out
}

# A comment or a document that cites a file outside the repository (the
# notes a session worked from, a path on one machine) sends a reader
# nowhere: state the fact, or cite the public source.
t_nothing_cited_outside_the_repository() {
	cd "$ROOT" || die "no $ROOT"
	git ls-files -co --exclude-standard 2>/dev/null >"$T/files" ||
		find . -type f ! -path './.git/*' >"$T/files"
	[ -s "$T/files" ] || die "no files listed"
	# shellcheck disable=SC2046  # file names without blanks
	grep -n -e '\.\./shared' -e '/work/' $(grep -v -e '^tests/integration/t_code\.sh$' \
		-e 'corpus/' "$T/files") >"$T/hits" 2>/dev/null
	[ -s "$T/hits" ] && die "cites outside the repository: $(cat "$T/hits")"
	echo "  $(wc -l <"$T/files" | tr -d ' ') files, none cites outside the repository"
}

run_one "$1"
