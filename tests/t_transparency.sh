# Transparency under faults and bad input: whatever path jobproxy takes
# (proxied, root pool, any fallback), the command gets the stdio, the
# signals and the stops it would get without jobproxy, a bad word on the
# command line or in the environment is one clear line, and no token is
# lost.  Each test here failed on jobproxy as it was before these fixes.
. "$(dirname "$0")/lib.sh"

# The token fds of a pipe-style MAKEFLAGS, for a shell child: "R W".
# (Through /proc: dash cannot redirect fds above 9.)
auth_fds='set -- $(echo "$MAKEFLAGS" | sed "s/.*--jobserver-auth=\([0-9]*\),\([0-9]*\).*/\1 \2/")'
take2="$auth_fds; head -c 2 /proc/self/fd/\$1 >/dev/null"

# stdio_case WHAT WARNINGS COMMAND...: COMMAND (jobproxy in front of a
# child) must hand the child its stdin, stdout and stderr as given.
stdio_case() {
	what=$1 warnings=$2
	shift 2
	# (cat writes to stderr: under ulimit -n 6 dash cannot redirect)
	printf 'in\n' | "$@" sh -c 'cat; echo out; cat /no/err || :' >out 2>err
	expect "$what: status" "$?" 0
	expect "$what: the child's stdin and stdout" "$(cat out | tr '\n' ' ')" "in out "
	grep -q /no/err err || die "$what: the child's stderr lost: $(cat err)"
	expect "$what: jobproxy's lines" "$(grep -c '^jobproxy:' err)" "$warnings"
}

t_stdio_on_every_path() {
	: >regular
	stdio_case "no jobserver" 0 "$JP"
	stdio_case "root pool" 0 "$JP" -j 2
	stdio_case "proxied, pipe" 0 "$POOL" -j3 -- "$JP"
	stdio_case "proxied, fifo" 0 "$POOL" --style fifo -j3 -- "$JP"
	stdio_case "closed jobserver fds" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=98,99" "$JP"
	stdio_case "jobserver fds not a pipe" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=7,7" "$JP" 7<regular
	stdio_case "missing fifo" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=fifo:$PWD/none" "$JP"
	stdio_case "not a fifo" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=fifo:$PWD/regular" "$JP"
	stdio_case "malformed MAKEFLAGS" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=x,y" "$JP"
	# Room for stdio and the pool's two fds, not for our pipes.
	stdio_case "no fds left" 1 \
		"$POOL" -j3 -- sh -c 'ulimit -n 6; exec "$@"' sh "$JP"
	stdio_case "standard fds as a jobserver" 1 \
		env MAKEFLAGS=" -j4 --jobserver-auth=0,2" "$JP"
}

# Which of fds 0 1 2 the child has open ("+") or closed ("-"), for
# `"$@" $redir` with REDIR closing one of them.
fds_seen() {
	redir=$1
	shift
	rm -f seen
	eval '"$@" sh -c '\''r=; for fd in 0 1 2; do
		if [ -e /proc/$$/fd/$fd ]; then r="$r+"; else r="$r-"; fi
	done; echo "$r" >"$0"'\'' "$PWD/seen" '"$redir"
	cat seen 2>/dev/null
}

t_closed_stdio_stays_closed() {
	for redir in '<&-' '>&-' '2>&-'; do
		want=$(fds_seen "$redir" env)
		case $want in *-*) ;; *) die "'$redir' closed nothing: $want" ;; esac
		for how in "" "-j 2" "POOL" "POOL fifo" "CLOSED" "NOFIFO"; do
			# The pool's own pipes must not take the closed fd:
			# close it between the pool and jobproxy.
			outer=$redir
			inner="exec \"\$0\" \"\$@\" $redir"
			case $how in
			POOL) outer= ; set -- "$POOL" -j3 -- sh -c "$inner" "$JP" ;;
			"POOL fifo") outer= ; set -- "$POOL" --style fifo -j3 -- sh -c "$inner" "$JP" ;;
			CLOSED) set -- env MAKEFLAGS=" -j4 --jobserver-auth=98,99" "$JP" ;;
			NOFIFO) set -- env MAKEFLAGS=" -j4 --jobserver-auth=fifo:$PWD/no" "$JP" ;;
			*) set -- "$JP" $how ;;
			esac
			got=$(fds_seen "$outer" "$@" 2>/dev/null)
			expect "fds 0 1 2 of the child, $redir, ${how:-no jobserver}" "$got" "$want"
		done
	done
}

t_standard_fds_refused_as_jobserver() {
	out=$(printf 'hello\n' | MAKEFLAGS=" -j3 --jobserver-auth=0,1" \
		"$JP" sh -c 'cat; echo "$MAKEFLAGS"' 2>err | cat)
	expect "the child's output" "$(echo $out)" "hello -j3 --jobserver-auth=0,1"
	expect "lines on stderr" "$(wc -l <err | tr -d ' ')" 1
	grep -q 'fd 0 is standard input' err || die "message: $(cat err)"
	# A real pool to read from, but stdout (a pipe) to write returns to.
	out=$("$POOL" -j3 --report r -- sh -c "$auth_fds"'
		MAKEFLAGS=" -j3 --jobserver-auth=$1,1" exec "$JP" sh -c "echo \$MAKEFLAGS"' \
		2>err | cat)
	case "$(echo $out)" in
	"-j3 --jobserver-auth="[0-9]*",1") echo "  the child's output: $out" ;;
	*) die "the child's output: $out" ;;
	esac
	expect "lines from jobproxy" "$(grep -c '^jobproxy:' err)" 1
	grep -q 'fd 1 is standard output' err || die "message: $(cat err)"
	expect "root pool" "$(field end r)" 2
}

run_one "$1"
