# The machine-wide pool: `jobproxy --serve SOCKET` and the builds that
# connect to it (`jobproxy --connect SOCKET`).  Each test runs its own
# daemon in the background and kills it on the way out.
. "$(dirname "$0")/lib.sh"

# On every way out: the daemons a test started (DPIDS), the throwaway
# users and groups it made, its directory.
DPIDS=
TMPUSERS=
TMPGROUPS=
cleanup() {
	for p in $DPIDS; do kill "$p" 2>/dev/null; done
	for p in $DPIDS; do wait "$p" 2>/dev/null; done
	for u in $TMPUSERS; do userdel "$u" 2>/dev/null; done
	for g in $TMPGROUPS; do groupdel "$g" 2>/dev/null; done
	cd / && rm -rf "$T"
}
# (run_one sets a trap of its own before the test: so each helper that
# starts or makes something sets this one.)
use_cleanup() {
	trap cleanup EXIT
	trap 'exit 1' HUP INT TERM
}

# wait_sock PATH [LOG]: the socket file appears (a daemon started).
wait_sock() {
	i=0
	while [ ! -S "$1" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && die "the daemon did not start: $(cat "${2:-dlog}")"
		sleep 0.01
	done
}

# start_daemon N [OPTION...]: a daemon of N slots at ./sock, log in ./dlog.
start_daemon() {
	n=$1
	shift
	use_cleanup
	"$JP" --serve "$PWD/sock" -j "$n" "$@" 2>dlog &
	DPID=$!
	DPIDS="$DPIDS $DPID"
	wait_sock sock
}

# Throwaway users and groups, named TAG + a role, removed by cleanup:
# new_group ROLE sets G_ROLE; new_user ROLE [useradd option...] sets U_ROLE.
# The test directory is opened to them (they run jobproxy and reach
# sockets in it).
TAG=jpt$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
new_group() {
	need_tool groupadd
	use_cleanup
	groupadd "$TAG$1" || die "groupadd $TAG$1"
	TMPGROUPS="$TMPGROUPS $TAG$1"
	eval "G_$1=$TAG$1"
}
new_user() {
	need_tool useradd
	need_tool setpriv
	name=$TAG$1
	shift
	[ "$(id -u)" = 0 ] || die "making users needs root"
	use_cleanup
	useradd -M -N -s /bin/sh "$@" "$name" || die "useradd $name"
	TMPUSERS="$TMPUSERS $name"
	eval "U_${name#"$TAG"}=$name"
	chmod 0755 "$T"
}

# as USER CMD...: run CMD as USER with its groups (a login's view).
as() {
	u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
}

# serve_as USER LOG ARG...: jobproxy --serve ARG... as USER in the
# background, its stderr in LOG; the daemon's own pid goes on DPIDS.
serve_as() {
	u=$1
	log=$2
	shift 2
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- \
		"$JP" --serve "$@" 2>"$log" &
	DPIDS="$DPIDS $!"
}

# outcome PID LOG: wait until the daemon PID (a child of this shell) has
# exited (R="exit N") or says it serves (R=serving).
outcome() {
	R=
	i=0
	while :; do
		case $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) in
		Z | '')
			wait "$1"
			R="exit $?"
			return
			;;
		esac
		if grep -q 'serving a pool' "$2"; then
			R=serving
			return
		fi
		i=$((i + 1))
		[ $i -gt 1000 ] && die "the daemon neither served nor exited: $(cat "$2")"
		sleep 0.01
	done
}

# makeflags: the auth part of a child's MAKEFLAGS, from ./out.
jflag() {
	sed -n 's/^ *\(-j[0-9]*\) --jobserver-auth=[0-9]*,[0-9]*$/\1/p' out
}

# free: the daemon's free tokens, from --status.
free() {
	"$JP" --status sock | sed -n 's/^pool [0-9]* free \([0-9]*\).*/\1/p'
}

# wait_free N MS: the pool shows N free within MS milliseconds.
wait_free() {
	i=0
	while [ "$(free)" != "$1" ]; do
		i=$((i + 20))
		[ $i -gt "$2" ] && die "pool not whole after $2 ms: $("$JP" --status sock)"
		sleep 0.02
	done
	echo "  pool whole (free $1) after about $i ms"
}

t_two_builds_share_the_pool() {
	need_make
	start_daemon 4
	mkdir -p A B D
	for d in A B; do
		cat >$d/Makefile <<EOF2
all: 1 2 3 4 5 6
1 2 3 4 5 6: ; @$TJOB $PWD/D --need 4 --ms 50
EOF2
	done
	# make without -j: the -jN and the auth come in MAKEFLAGS.
	"$JP" --connect "$PWD/sock" -- make -s -C A 2>errA &
	a=$!
	"$JP" --connect "$PWD/sock" -- make -s -C B 2>errB &
	b=$!
	wait $a || die "build A failed: $(cat errA)"
	wait $b || die "build B failed: $(cat errB)"
	max=$(maxconc D)
	[ "$max" -ge 4 ] || die "most jobs at once across both: $max, want >= 4"
	[ "$max" -le 6 ] || die "most jobs at once across both: $max, want <= 6 (4 + 2 implicit)"
	echo "  most jobs at once across both builds: $max (4..6)"
	expect "stderr of the builds" "$(cat errA errB)" ""
	wait_free 4 1000
}

t_sigkill_of_a_build_gives_back_its_tokens() {
	need_make
	need_tool perl
	start_daemon 4
	mkdir -p sub D
	cat >sub/Makefile <<EOF2
all: a b c d
a b c d: ; @$TJOB $PWD/D --until $PWD/D/never --timeout 20
EOF2
	# A process group of its own, to kill the whole build at once.
	perl -e 'setpgrp(0, 0); exec @ARGV or die' \
		"$JP" --connect "$PWD/sock" -- make -s -C sub 2>/dev/null &
	pg=$!
	i=0
	until [ -f D/state ] && [ "$(cut -d' ' -f1 D/state)" = 4 ]; do
		i=$((i + 1))
		[ $i -gt 500 ] && die "the build never ran 4 jobs"
		sleep 0.01
	done
	f=$(free)
	[ "$f" -lt 4 ] || die "the build holds no tokens (free $f)"
	echo "  4 jobs running, daemon pool free $f"
	kill -9 -$pg
	wait_free 4 1000
	"$JP" --status sock | grep -q '^pool 4 free 4 clients 0$' ||
		die "status: $("$JP" --status sock)"
}

t_bad_peers_leave_the_pool_whole() {
	need_tool python3
	start_daemon 4 --max-clients 8000 --max-per-uid 8000
	peers="python3 $ROOT/tests/tools/serve_peers.py $PWD/sock"
	$peers garbage || die "garbage"
	grep -q 'bad request from pid [0-9]* uid [0-9]*, closing: "\\xff\\x00\\x01garbage' dlog ||
		die "log: $(cat dlog)"
	$peers silent || die "silent"
	grep -q 'sent no request within 5 s, closing' dlog || die "log: $(cat dlog)"
	$peers hello-die || die "hello-die"
	$peers over-return || die "over-return"
	# The peer does not wait for the daemon to read its returns.
	i=0
	until grep -q 'returned 4 token(s) it never took: refused' dlog; do
		i=$((i + 1))
		[ $i -gt 1000 ] && die "log: $(cat dlog)"
		sleep 0.01
	done
	wait_free 4 1000
	$peers flood 5000 || die "flood"
	kill -0 $DPID || die "the daemon died"
	wait_free 4 3000
	"$JP" --status sock | grep -q '^pool 4 free 4 clients 0$' ||
		die "status: $("$JP" --status sock)"
}

t_limits_refuse_and_log_briefly() {
	need_tool python3
	start_daemon 2 --max-per-uid 100
	python3 "$ROOT/tests/tools/serve_peers.py" "$PWD/sock" flood 300 >out 2>&1
	# The status query itself is over the limit while 300 are open.
	grep -q 'refused uid [0-9]*: 100 connections already (--max-per-uid)' dlog ||
		die "log: $(cat dlog)"
	lines=$(grep -c 'max-per-uid' dlog)
	[ "$lines" -le 10 ] || die "$lines log lines for one burst"
	echo "  $lines log line(s) for 200 refusals"
	wait_free 2 3000
}

t_daemon_absent_runs_on_own_pool() {
	"$JP" --connect /nonexistent -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "status" "$?" 0
	expect "lines on stderr" "$(wc -l <err | tr -d ' ')" 1
	grep -q '^jobproxy: no jobserver daemon at /nonexistent: No such file or directory: running on a pool of its own$' err ||
		die "message: $(cat err)"
	grep -q -- ' -j[0-9]* --jobserver-auth=[0-9]*,[0-9]*$' out ||
		die "child's MAKEFLAGS: $(cat out)"
	echo "  child's MAKEFLAGS:$(cat out)"
	# A socket file with no daemon behind it: refused, same fallback.
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' stale
	"$JP" --connect "$PWD/stale" -j 3 -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	grep -q 'Connection refused: running on a pool of its own' err ||
		die "message: $(cat err)"
	expect "child's MAKEFLAGS with -j 3" "$(cat out)" " -j3 --jobserver-auth=$(sed 's/.*=//' out)"
	# ... and a daemon started there replaces the stale file.
	start_daemon 2 2>/dev/null
	expect "status" "$("$JP" --status sock)" "pool 2 free 2 clients 0"
}

t_jobproxy_socket_env_and_resize() {
	start_daemon 3 --jobs-file "$PWD/jobs"
	# JOBPROXY_SOCKET: connect when no jobserver is in the environment.
	JOBPROXY_SOCKET=$PWD/sock "$JP" sh -c '"$JP" --status sock; echo "$MAKEFLAGS"' >out 2>err
	grep -q '^client [0-9]* [0-9]* held [0-9]*$' out || die "status: $(cat out)"
	grep -q -- '^ -j3 --jobserver-auth=' out || die "MAKEFLAGS: $(cat out)"
	expect "stderr" "$(cat err)" ""
	# ... but not under another jobserver.
	JOBPROXY_SOCKET=$PWD/sock $POOL -j2 -- "$JP" sh -c '"$JP" --status sock' >out
	expect "clients under a parent jobserver" "$(head -1 out)" "pool 3 free 3 clients 0"
	# SIGHUP re-reads --jobs-file; "jobs N" resizes.
	echo 5 >jobs
	kill -HUP $DPID
	i=0
	until "$JP" --status sock | grep -q '^pool 5 free 5'; do
		i=$((i + 1))
		[ $i -gt 100 ] && die "SIGHUP: $("$JP" --status sock)"
		sleep 0.01
	done
	echo "  SIGHUP: pool of 5"
	out=$(python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"jobs 2\n")
print(s.recv(100).decode().strip())' sock)
	expect "answer to jobs 2" "$out" "ok"
	expect "status" "$("$JP" --status sock)" "pool 2 free 2 clients 0"
	# SIGTERM: exit 0 once no connection holds tokens.
	kill -TERM $DPID
	wait $DPID
	expect "exit status after SIGTERM" "$?" 0
	[ ! -e sock ] || die "the socket file is still there"
}

# Issue 11, 10: a local user squats the socket name (in a world-writable,
# sticky directory) before the daemon starts and serves a pool of 64.
# Clients check who runs the daemon: root, themselves or --daemon-user;
# anyone else gets one line and the root-pool rules, never a failed build.
t_client_trusts_only_root_itself_or_daemon_user() {
	new_user imp
	mkdir pub && chmod 1777 pub
	serve_as "$U_imp" ilog "$PWD/pub/sock" -j 64
	wait_sock pub/sock ilog
	uid=$(id -u "$U_imp")
	line="jobproxy: no jobserver daemon at $PWD/pub/sock: it runs as uid $uid ($U_imp), not as root, uid 0 or --daemon-user: not trusted"
	# --connect: one line, then a root pool of its own (-j 3).
	"$JP" --connect "$PWD/pub/sock" -j 3 -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "status of the build" "$?" 0
	expect "stderr" "$(cat err)" "$line: running on a pool of its own"
	expect "the build's pool" "$(jflag)" -j3
	# JOBPROXY_SOCKET: the same.
	JOBPROXY_SOCKET=$PWD/pub/sock "$JP" sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "status of the build (JOBPROXY_SOCKET)" "$?" 0
	expect "stderr (JOBPROXY_SOCKET)" "$(cat err)" "$line: running on a pool of its own"
	case $(jflag) in -j64 | '') die "the build's pool: $(cat out)" ;; esac
	# --status: the line, status 1, nothing on stdout.
	"$JP" --status "$PWD/pub/sock" >out 2>err
	expect "status of --status" "$?" 1
	expect "stderr of --status" "$(cat err)" "$line"
	expect "stdout of --status" "$(cat out)" ""
	# Named by --daemon-user (a name or a uid), or asked by its own user:
	# trusted.
	"$JP" --connect "$PWD/pub/sock" --daemon-user "$U_imp" -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "pool with --daemon-user" "$(jflag)" -j64
	expect "stderr with --daemon-user" "$(cat err)" ""
	expect "--status --daemon-user UID" "$("$JP" --status "$PWD/pub/sock" --daemon-user "$uid")" \
		"pool 64 free 64 clients 0"
	expect "--status by its own user" "$(as "$U_imp" "$JP" --status "$PWD/pub/sock")" \
		"pool 64 free 64 clients 0"
	"$JP" --connect "$PWD/pub/sock" --daemon-user "${TAG}nosuchuser" -- true 2>err
	expect "status with an unknown --daemon-user" "$?" 125
}

# A build in a user namespace that maps only its own user (a nix sandbox)
# sees a root daemon as the overflow uid 65534: taken as root there.
t_client_in_a_user_namespace_trusts_the_root_daemon() {
	need_tool unshare
	new_user ns
	start_daemon 3 --mode 0666 --allow "$U_ns"
	as "$U_ns" unshare --user --map-current-user sh -c \
		'cat /proc/self/uid_map >&2; "$JP" --connect "$1" -- sh -c "echo \"\$MAKEFLAGS\""' \
		sh "$PWD/sock" >out 2>err || die "the build failed: $(cat err)"
	expect "the build's pool" "$(jflag)" -j3
	n=$(id -u "$U_ns")
	expect "stderr (the namespace's uid_map)" "$(tr -s ' ' <err)" " $n $n 1"
}

# Issue 11, 10: the daemon does not start where other users could swap
# or squat its socket: in a directory they can write that has no sticky
# bit (or below one), or in another user's directory.
t_serve_refuses_a_directory_others_can_write() {
	new_user other
	mkdir -p d/e
	for how in 0777:d 0775:d 0777:d/e; do
		mode=${how%:*}
		sock=$PWD/${how#*:}/sock
		chmod 0755 d d/e
		chmod "$mode" d
		"$JP" --serve "$sock" -j 2 2>err &
		pid=$!
		DPIDS="$DPIDS $pid"
		outcome $pid err
		expect "daemon at $sock (d $mode)" "$R" "exit 1"
		expect "its one line" "$(cat err)" \
			"jobproxy: not serving at $sock: other users can write to $PWD/d and it has no sticky bit"
		[ ! -e "$sock" ] || die "a socket was made at $sock"
	done
	chmod 0755 d
	chown "$U_other" d
	"$JP" --serve "$PWD/d/sock" -j 2 2>err &
	pid=$!
	DPIDS="$DPIDS $pid"
	outcome $pid err
	expect "daemon in a directory of uid $(id -u "$U_other")" "$R" "exit 1"
	expect "its one line" "$(cat err)" \
		"jobproxy: not serving at $PWD/d/sock: $PWD/d belongs to uid $(id -u "$U_other"), who could replace the socket"
	# A symlink on the way that another user could point elsewhere.
	chown root d
	ln -s d lnk
	chown -h "$U_other" lnk
	"$JP" --serve "$PWD/lnk/sock" -j 2 2>err &
	pid=$!
	DPIDS="$DPIDS $pid"
	outcome $pid err
	expect "daemon behind a symlink of uid $(id -u "$U_other")" "$R" "exit 1"
	expect "its one line" "$(cat err)" \
		"jobproxy: not serving at $PWD/lnk/sock: $PWD/lnk is a symlink of uid $(id -u "$U_other"), who could point it elsewhere"
	# With the sticky bit (/tmp's way) it serves.
	chmod 1777 d
	"$JP" --serve "$PWD/d/sock" -j 2 2>err &
	pid=$!
	DPIDS="$DPIDS $pid"
	outcome $pid err
	expect "daemon in a sticky directory" "$R" serving
	expect "status" "$("$JP" --status "$PWD/d/sock")" "pool 2 free 2 clients 0"
}

# Issue 11, 11: the socket's group and mode are set with no path race.
# gdb stops the daemon as bind() returns; then someone who can write the
# socket's directory puts a symlink to a root-owned 0600 file at the
# socket's name.  That file must keep its mode and group, and the daemon
# must not serve on the symlink.  (jobproxy binds in a private directory
# and links the socket into place: the name is taken, never followed.)
t_socket_mode_and_group_without_a_path_race() {
	need_tool gdb
	new_group sg
	mkdir d
	: >target
	chmod 0600 target
	printf 'rm -f "%s"\nln -s "%s" "%s"\n' "$PWD/d/sock" "$PWD/target" "$PWD/d/sock" >swap.sh
	# The binary itself, not the valgrind wrapper of make memcheck.
	gdb -q -batch -nx -ex 'set startup-with-shell off' \
		-ex 'catch syscall bind' -ex run -ex continue \
		-ex "shell sh $PWD/swap.sh" -ex continue \
		--args "$JPBIN" --serve "$PWD/d/sock" -j 2 --mode 0666 \
		--group "$G_sg" >gdblog 2>dlog </dev/null &
	gpid=$!
	DPIDS="$DPIDS $gpid"
	outcome $gpid dlog
	r=$R
	echo "  the daemon after the swap: $r: $(grep jobproxy: dlog | tr '\n' ' ')"
	expect "the target's mode and group" "$(stat -c '%a %G' target)" "600 root"
	[ "$r" = serving ] && die "the daemon serves on the swapped name"
	grep -q "cannot put the socket at $PWD/d/sock: File exists" dlog ||
		die "log: $(cat dlog)"
	expect "what is left in d" "$(ls -A d)" sock
	# Undisturbed, the socket gets the group and the mode asked for.
	start_daemon 2 --mode 0660 --group "$G_sg"
	expect "socket's mode and group" "$(stat -c '%a %G' sock)" "660 $G_sg"
	expect "private directories left" "$(ls -A | grep -c '^\.jobproxy')" 0
}

# Issue 11, 12: the README's systemd unit, its ExecStart line as written
# (only the socket's path and the group's name swapped for this test's):
# members of the group get jobservers, by their primary group (nix's
# build users, whose sandbox drops every other group) or a supplementary
# one; a non-member reads one line that says "not allowed" and builds on
# a pool of its own; root gets in.
t_readme_unit_lets_group_members_in() {
	new_group bld
	new_group oth
	new_user nb -g "$G_bld"
	new_user sup -g "$G_oth" -G "$G_bld"
	new_user out -g "$G_oth"
	line=$(sed -n 's/^ *ExecStart=//p' "$ROOT/README.md")
	[ -n "$line" ] || die "no ExecStart line in README.md"
	echo "  README: $line"
	sock=$PWD/run/jobs.sock
	args= next= jobs=
	# shellcheck disable=SC2086  # words without blanks, split on purpose
	set -- $line
	shift
	for a in "$@"; do
		case $next in
		serve) a=$sock ;;
		group)
			[ "$a" = nixbld ] || die "the unit's group is $a, not nixbld"
			a=$G_bld
			;;
		jobs) jobs=$a ;;
		esac
		case $a in
		--serve) next=serve ;;
		--group) next=group ;;
		-j) next=jobs ;;
		*) next= ;;
		esac
		args="$args $a"
	done
	[ -n "$jobs" ] || die "no -j N in the unit"
	mkdir run # RuntimeDirectory=: root's, 0755
	use_cleanup
	# shellcheck disable=SC2086
	"$JP" $args 2>dlog &
	DPIDS="$DPIDS $!"
	wait_sock "$sock"
	# A nix build user in its sandbox: its uid and primary gid, no groups.
	setpriv --reuid="$U_nb" --regid="$G_bld" --clear-groups -- \
		"$JP" --connect "$sock" -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "nix-like member's pool (stderr: $(cat err))" "$(jflag)" "-j$jobs"
	# A member by a supplementary group: the kernel's list (SO_PEERGROUPS)...
	as "$U_sup" "$JP" --connect "$sock" -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "supplementary member's pool (stderr: $(cat err))" "$(jflag)" "-j$jobs"
	# ... which the database may not know of (root gave it the group) ...
	setpriv --reuid="$U_out" --regid="$G_oth" --groups="$G_bld" -- \
		"$JP" --connect "$sock" -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "member by the kernel's list only: pool (stderr: $(cat err))" "$(jflag)" "-j$jobs"
	# ... or, with its groups dropped, the group database.
	setpriv --reuid="$U_sup" --regid="$G_oth" --clear-groups -- \
		"$JP" --connect "$sock" -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "member by the database's pool (stderr: $(cat err))" "$(jflag)" "-j$jobs"
	# A non-member: one line, "not allowed", and a pool of its own.
	as "$U_out" "$JP" --connect "$sock" -j 2 -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "non-member's build status" "$?" 0
	nope="not allowed: uid $(id -u "$U_out") is not root, uid 0, in --allow or in --group"
	expect "non-member's stderr" "$(cat err)" \
		"jobproxy: no jobserver daemon at $sock: $nope: running on a pool of its own"
	expect "non-member's pool" "$(jflag)" -j2
	as "$U_out" "$JP" --status "$sock" >out 2>err
	expect "non-member's --status: status and stdout" "$?:$(cat out)" "1:"
	expect "non-member's --status stderr" "$(cat err)" \
		"jobproxy: the daemon at $sock says: $nope"
	grep -q "refused uid $(id -u "$U_out") (pid [0-9]*): not allowed" dlog ||
		die "log: $(cat dlog)"
	# Root (the daemon's owner too): --status and a jobserver.
	expect "root's --status" "$("$JP" --status "$sock")" "pool $jobs free $jobs clients 0"
	"$JP" --connect "$sock" -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "root's pool (stderr: $(cat err))" "$(jflag)" "-j$jobs"
}

# Issue 11, 12: --allow adds users; it does not shut out root and the
# daemon's own user, who alone may resize the pool.
t_allow_keeps_root_and_the_owner() {
	new_user own
	new_user al
	new_user no
	mkdir od
	chown "$U_own" od
	serve_as "$U_own" dlog "$PWD/od/sock" -j 3 --mode 0666 --allow "$U_al"
	wait_sock od/sock
	peers="/usr/bin/python3 $ROOT/tests/tools/serve_peers.py $PWD/od/sock"
	expect "the owner's --status" "$(as "$U_own" "$JP" --status "$PWD/od/sock" 2>&1)" \
		"pool 3 free 3 clients 0"
	expect "the owner's \"jobs 4\"" "$(as "$U_own" $peers ask 'jobs 4')" ok
	expect "root's --status" "$("$JP" --status "$PWD/od/sock" --daemon-user "$U_own" 2>&1)" \
		"pool 4 free 4 clients 0"
	expect "root's \"jobs 3\"" "$($peers ask 'jobs 3')" ok
	as "$U_al" "$JP" --connect "$PWD/od/sock" --daemon-user "$U_own" -- sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "the allowed user's pool (stderr: $(cat err))" "$(jflag)" -j3
	expect "the allowed user's \"jobs 9\"" "$(as "$U_al" $peers ask 'jobs 9')" "error: not allowed"
	as "$U_no" "$JP" --connect "$PWD/od/sock" --daemon-user "$U_own" -- true 2>err
	grep -q ": not allowed: uid $(id -u "$U_no") is not root" err || die "stderr: $(cat err)"
}

# Issue 11, 12: malformed requests get an "error:" line before the close:
# a job count out of range, a NUL inside the line ("status\0junk" is no
# "status"), two lines, one too long, an unknown word.  The pool stays.
t_protocol_errors_get_an_error_answer() {
	need_tool python3
	start_daemon 2
	python3 "$ROOT/tests/tools/serve_peers.py" "$PWD/sock" errors || die "errors"
	grep -q 'bad request from pid [0-9]* uid 0, closing: "jobs 0" (bad job count: 1..65536)$' dlog ||
		die "log: $(cat dlog)"
	expect "status" "$("$JP" --status sock)" "pool 2 free 2 clients 0"
}

# Issue 11, 12: a root daemon does not remove another user's socket, not
# even a dead one in a sticky directory, where root could.
t_root_daemon_keeps_another_users_socket() {
	new_user own
	mkdir pub && chmod 1777 pub
	as "$U_own" /usr/bin/python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$PWD/pub/sock" || die "bind as $U_own"
	"$JP" --serve "$PWD/pub/sock" -j 2 2>err &
	pid=$!
	DPIDS="$DPIDS $pid"
	outcome $pid err
	expect "the daemon" "$R" "exit 1"
	expect "its one line" "$(cat err)" \
		"jobproxy: $PWD/pub/sock is a socket of uid $(id -u "$U_own"), not ours: not serving, not removing it"
	expect "the socket's owner" "$(stat -c %U pub/sock)" "$U_own"
}

# A client that makes its token pipe bigger (F_SETPIPE_SZ) takes away the
# "room in the pipe = token taken" event: the daemon polled it over and
# over (a spin, ~4% of a CPU per such client measured); it now says so and
# looks at that pipe on a timer.  The client still gets its tokens.
t_grown_token_pipe_is_watched_on_a_timer() {
	need_tool python3
	start_daemon 2
	python3 "$ROOT/tests/tools/serve_peers.py" "$PWD/sock" bigpipe dlog || die "bigpipe: $(cat dlog)"
	wait_free 2 1000
}

# The daemon keeps a returned token for the build that returned it while
# that build's pipe is empty (make releases a token at the end of a job
# and takes one for the next), as the wrapper does and the README says:
# it used to give it to the pool, and so to the next build in line.
t_returned_token_kept_for_its_build() {
	need_tool python3
	start_daemon 1
	python3 "$ROOT/tests/tools/serve_peers.py" "$PWD/sock" keep "$DPID" dlog ||
		die "keep: $(cat dlog)"
	wait_free 1 1000
}

# A jobserver client costs the daemon its socket, its token pipe's write
# end and our reader of it, and its return pipe's read end: 4 fds.  Not
# the wrapper's "I wait" pipe too (2 more each, 2,048 at 1024 clients).
t_a_client_costs_the_daemon_four_fds() {
	need_tool python3
	start_daemon 2
	python3 "$ROOT/tests/tools/serve_peers.py" "$PWD/sock" fds "$DPID" ||
		die "fds"
	wait_free 2 1000
}

# The daemon's pool, given no -j or -j 0, is NIX_BUILD_CORES slots, else
# one per CPU: as a wrapper's -j 0 (it used to take the CPU count only).
t_daemon_pool_from_nix_build_cores() {
	use_cleanup
	NIX_BUILD_CORES=3 "$JP" --serve "$PWD/sock" 2>dlog &
	DPIDS="$DPIDS $!"
	wait_sock sock
	expect "status, no -j" "$("$JP" --status sock)" "pool 3 free 3 clients 0"
	NIX_BUILD_CORES=5 "$JP" --serve "$PWD/sock0" -j 0 2>dlog0 &
	DPIDS="$DPIDS $!"
	wait_sock sock0 dlog0
	expect "status, -j 0" "$("$JP" --status sock0)" "pool 5 free 5 clients 0"
	NIX_BUILD_CORES=5 "$JP" --serve "$PWD/sockj" -j 2 2>dlogj &
	DPIDS="$DPIDS $!"
	wait_sock sockj dlogj
	expect "status, -j 2" "$("$JP" --status sockj)" "pool 2 free 2 clients 0"
}

run_one "$1"
