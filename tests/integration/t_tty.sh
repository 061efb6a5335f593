# Terminal behaviour: an interactive bash in a pseudo-terminal runs
# jobproxy under a root pool, and the keys a person would press are sent.
. "$(dirname "$0")/lib.sh"

drive() {
	need_tool python3
	need_tool bash
	python3 "$ROOT/tests/tools/ttydrive.py" "$1" "$POOL -j2 -- $JP"
}

t_ctrl_c_reaches_child_once() {
	out=$(drive ctrl-c) || die "ttydrive failed"
	expect "SIGINTs the child got from one Ctrl-C" "$out" "ints=1"
}

t_ctrl_z_stops_both_fg_resumes_both() {
	out=$(drive ctrl-z) || die "ttydrive failed"
	expect "after Ctrl-Z and fg" "$(echo $out)" \
		"stopped=jobproxy,child resumed=jobproxy,child"
}

run_one "$1"
