# The man page and --help agree option for option; the README's commands
# exist as Makefile targets.
. "$(dirname "$0")/lib.sh"

# Options a man page lists: every Fl word on its .It tags and in the
# SYNOPSIS (.Op); "Fl -" alone is the "--" end of options, not one.
man_options() {
	grep -e '^\.It Fl' -e '^\.Op Fl' "$ROOT/man/jobproxy.1" |
		grep -o 'Fl -*[a-zA-Z][a-zA-Z-]*' | sed 's/^Fl /-/' | sort -u
}

# Options --help lists: words that start with - after a blank or bracket.
help_options() {
	"$JP" --help | grep -oE '(^|[][ ,])--?[a-zA-Z][a-zA-Z-]*' |
		sed 's/^[][ ,]//' | sort -u
}

t_help_and_man_page_agree() {
	man_options >man.txt
	help_options >help.txt
	[ -s man.txt ] || die "no options found in the man page"
	if ! diff man.txt help.txt >diff.txt; then
		die "options differ (< man page, > --help): $(tr '\n' ' ' <diff.txt)"
	fi
	echo "  $(wc -l <man.txt | tr -d ' ') options in both: $(tr '\n' ' ' <man.txt)"
}

t_readme_targets_exist() {
	for t in demo check check-static static memcheck bench stress fuzz install clean; do
		grep -q "^$t:" "$ROOT/Makefile" || die "README names 'make $t', no such target"
		grep -q "make $t" "$ROOT/README.md" || die "README does not mention 'make $t'"
	done
	echo "  every make target the README names exists"
}

run_one "$1"
