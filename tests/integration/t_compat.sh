# Compatibility with the real jobserver clients: GNU make 4.4.1 (fifo and
# pipe style) and 4.3, style conversion between parent and child, make's
# own quirks (the appended --jobserver-auth=-2,-2, -jN in a sub-make, -n),
# cargo and gcc's LTO link.  Every build runs under tests/pool, the root
# jobserver that counts its tokens once every holder is gone, and the tests
# assert on what a user sees: tokens back in the root pool, jobs at once,
# exit statuses, output.
. "$(dirname "$0")/lib.sh"

# with_make FLAVOUR: STYLE, the root pool's style, and MK, the make that
# runs as the pool's client (and so passes that style down).
#   make44-fifo   make 4.4.1 under a fifo pool (4.4's default style)
#   make44-pipe   make 4.4.1 --jobserver-style=pipe under a pipe pool
#   make43-pipe   make 4.3 (pipe only) under a pipe pool
#   make-pipe     `make` (4.3 on Debian 12, any GNU make >= 4.3 elsewhere)
#                 under a pipe pool
MAKES="make44-fifo make44-pipe make-pipe"
with_make() {
	case $1 in
	make44-fifo) need_make44; STYLE=fifo; MK=$M44 ;;
	make44-pipe) need_make44; STYLE=pipe; MK="$M44 --jobserver-style=pipe" ;;
	make43-pipe) need_make43; STYLE=pipe; MK="make" ;;
	make-pipe) need_make; STYLE=pipe; MK="make" ;;
	*) die "unknown make flavour $1" ;;
	esac
}

# fresh DIR: work in a new directory DIR under the test's own.
fresh() {
	: "${TOP:=$PWD}"
	mkdir -p "$TOP/$1" && cd "$TOP/$1" || die "cannot make $TOP/$1"
}

# A sub-make DIR of six jobs that each wait until four ran at once.
need4_tree() {
	mkdir -p "$1" D
	cat >"$1/Makefile" <<EOF
all: 1 2 3 4 5 6
1 2 3 4 5 6: ; @$TJOB $PWD/D --need 4
EOF
}

# The top Makefile: one '+' line, jobproxy in front of the sub-make.
top_makefile() {
	printf 'all: ; +@%s -v $(MAKE) -s -k -C sub\n' "$JP" >Makefile
}

# jp_stat NAME FILE: a number from jobproxy's "--stats" line in FILE.
jp_stat() {
	sed -n "s/^jobproxy: stats:.* $1 \([0-9]*\).*/\1/p" "$2"
}

# at_least WHAT GOT MIN
at_least() {
	[ -n "$2" ] && [ "$2" -ge "$3" ] || die "$1: got '$2', want at least $3"
	echo "  $1: $2 (>= $3)"
}

# wait_for CMD...: poll a condition (never a fixed sleep), 20 s at most.
wait_for() {
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -le 2000 ] || die "timed out waiting for: $*"
		sleep 0.01
	done
}

# --- 1. make 4.4.1 fifo, make 4.4.1 pipe, make 4.3: -j4 and a crash -----

# tree_under FLAVOUR: a recursive tree `+jobproxy $(MAKE) -C sub` reaches
# 4 jobs at once; then a SIGKILLed sub-make's tokens come back.
tree_under() {
	with_make "$1"
	fresh conc
	need4_tree sub
	top_makefile
	$POOL --style $STYLE -j4 --report r -- $MK -s 2>err ||
		die "build failed: $(cat err)"
	grep -q "^jobproxy: parent jobserver: $STYLE " err ||
		die "jobproxy did not see a $STYLE jobserver: $(cat err)"
	expect "most jobs at once" "$(maxconc D)" 4
	expect "root pool at the end" "$(field end r)" 3

	fresh crash
	crash_tree sub
	top_makefile
	$POOL --style $STYLE -j4 --report r -- $MK -s -k 2>err
	expect "make's exit status after the crash" "$(field status r)" 2
	expect "most jobs at once" "$(maxconc D)" 4
	expect "root pool at the end" "$(field end r)" 3
}

t_make44_fifo_tree() { tree_under make44-fifo; }
t_make44_pipe_tree() { tree_under make44-pipe; }
t_make43_pipe_tree() { tree_under make43-pipe; }

# Two sibling sub-makes behind jobproxy: A runs 3 jobs, B one, and every
# job waits until four ran at once.  Plain make reaches -j4 here (the top
# make's token goes to one line, A's make holds the other two).  Behind
# jobproxy it must too: B's make never asks for a token, so B's jobproxy
# must not hold one of the pool's tokens parked for it.  (B's line comes
# first, so B's jobproxy is usually up before A's make asks.)
t_idle_sibling_holds_no_token() {
	for k in $MAKES; do
		with_make "$k"
		echo " $k:"
		fresh "$k"
		mkdir -p A B D
		job="@$TJOB $PWD/D --need 4 --timeout 10"
		printf 'all: 1 2 3\n1 2 3: ; %s\n' "$job" >A/Makefile
		printf 'all: ; %s\n' "$job" >B/Makefile
		cat >Makefile <<'EOF'
all: b a
a: ; +@$(JPX) $(MAKE) -s -C A
b: ; +@$(JPX) $(MAKE) -s -C B
EOF
		$POOL --style $STYLE -j4 --report r -- $MK -s -k JPX= 2>err
		expect "most jobs at once, plain make" "$(maxconc D)" 4
		rm -f D/*
		$POOL --style $STYLE -j4 --report r -- $MK -s -k JPX="$JP" 2>err
		expect "most jobs at once, behind jobproxy" "$(maxconc D)" 4
		expect "status" "$(field status r)" 0
		expect "root pool at the end" "$(field end r)" 3
	done
}

# --- 2. make 4.4's appended --jobserver-auth=-2,-2 -----------------------

# A non-'+' line of make 4.4.1 in pipe style gets "--jobserver-auth=-2,-2"
# appended: "no jobserver here".  jobproxy must stay silent and pass
# MAKEFLAGS on as it is, "-- V=a\ b" tail included.
t_make44_negative_auth_silent() {
	need_make44
	cat >Makefile <<EOF
all: plus
	@echo "\$\$MAKEFLAGS" >direct
	@$JP sh -c 'echo "\$\$MAKEFLAGS"' >proxied
plus: ; +@echo "\$\$MAKEFLAGS" >plus
EOF
	for root in "$M44 -j4 --jobserver-style=pipe" "$POOL -j4 -- $M44"; do
		echo " root: $root"
		rm -f direct proxied plus
		$root -s 'V=a b' >out 2>err
		expect "status" "$?" 0
		sed -i '/^pool: /d' err
		grep -q -- '--jobserver-auth=-2,-2 -- V=a\\ b$' direct ||
			die "make 4.4.1 did not append -2,-2: $(cat direct)"
		grep -q -- '-2,-2' plus && die "a '+' line got -2,-2: $(cat plus)"
		expect "stderr" "$(cat err)" ""
		expect "child's MAKEFLAGS" "$(cat proxied)" "$(cat direct)"
	done
}

# --- 3. -jN on the command line of a make behind jobproxy ----------------

t_j_flag_with_auth_warns_once() {
	for k in make-pipe make44-fifo; do
		with_make "$k"
		echo " $k:"
		fresh "$k"
		mkdir D
		printf 'all: 1 2\n1 2: ; @%s %s/D --need 2\n' "$TJOB" "$PWD" >Makefile
		$POOL --style $STYLE -j4 --report r -- "$JP" $MK -j2 -s >out 2>err
		expect "status" "$?" 0
		expect "jobproxy's lines" "$(grep -c '^jobproxy:' err)" 1
		grep -q '^jobproxy: .*pool of its own' err ||
			die "no 'pool of its own' warning: $(cat err)"
		grep -q -- '-j2 forced in submake' err ||
			die "make's own warning is missing: $(cat err)"
		expect "most jobs at once (make's own pool)" "$(maxconc D)" 2
		expect "root pool at the end" "$(field end r)" 3
	done
}

# --- 4. make -n ----------------------------------------------------------

# The '+' line runs even under -n, so jobproxy and the sub-make do run;
# the sub-make's recipes must be printed, never run.
t_dry_run_runs_nothing() {
	for k in make-pipe make44-pipe make44-fifo; do
		with_make "$k"
		echo " $k:"
		fresh "$k"
		mkdir sub
		printf 'all: ; %s %s/D --need 1\n' "$TJOB" "$PWD" >sub/Makefile
		printf 'all: ; +@%s $(MAKE) -C sub\n' "$JP" >Makefile
		$POOL --style $STYLE -j4 --report r -- $MK -n >out 2>err
		expect "status" "$?" 0
		grep -q "^$TJOB $PWD/D --need 1\$" out ||
			die "the sub-make's recipe was not printed: $(cat out err)"
		[ ! -e D/state ] || die "the sub-make's recipe ran under -n"
		echo "  recipe printed, not run"
		expect "stderr" "$(grep -v '^pool: ' err)" ""
		expect "root pool at the end" "$(field end r)" 3
	done
}

# --- 5. MAKEFLAGS that starts with the auth, no flags word ---------------

# Built by hand from the pool's auth: "--jobserver-auth=AUTH -j4".
t_makeflags_without_flags_word() {
	for k in make-pipe make44-fifo; do
		with_make "$k"
		echo " $k:"
		fresh "$k"
		crash_tree .
		$POOL --style $STYLE -j4 --var POOLFLAGS --report r -- sh -c '
			MAKEFLAGS="--jobserver-auth=${POOLFLAGS#* --jobserver-auth=} -j4"
			export MAKEFLAGS
			echo "$MAKEFLAGS" >given
			"$JP" sh -c "echo \"\$MAKEFLAGS\"" >seen
			exec "$JP" '"$MK"' -s -k' 2>err
		given=$(cat given)
		case $given in
		--jobserver-auth=*' -j4') ;;
		*) die "MAKEFLAGS built badly: '$given'" ;;
		esac
		seen=$(cat seen)
		case $seen in
		"$given") die "the child got the parent's auth: '$seen'" ;;
		--jobserver-auth=*' -j4') echo "  child's MAKEFLAGS: $seen" ;;
		*) die "the child's MAKEFLAGS is '$seen' (given '$given')" ;;
		esac
		# k SIGKILLs the make itself: jobproxy dies of the same signal.
		expect "status" "$(field status r)" 137
		expect "most jobs at once" "$(maxconc D)" 4
		expect "root pool at the end" "$(field end r)" 3
		expect "messages" "$(grep -v '^pool: ' err)" ""
	done
}

# --- 6. style conversion, and the fifo directories ---------------------

# chain PARENT-STYLE CHILD-STYLE MAKE: a root pool of one style, jobproxy
# giving the top make the other; the sub-make (jobproxy inserted through
# MAKE=) crashes at the bottom.  Every fifo jobproxy made must be gone.
chain() {
	mkdir tmp
	TMPDIR=$PWD/tmp
	# MAKE= insertion carries -v and --style to the sub-make's jobproxy.
	JOBPROXY_LINKS=
	export TMPDIR JOBPROXY_LINKS
	crash_tree sub
	printf 'all: ; +@$(MAKE) -s -k -C sub\n' >Makefile
	$POOL --style "$1" -j4 --report r -- "$JP" -v --style="$2" $3 -s -k 2>err
	expect "status" "$(field status r)" 2
	expect "jobproxies that saw the $1 root" \
		"$(grep -c "^jobproxy: parent jobserver: $1 " err)" 1
	expect "jobproxies giving a $2 jobserver" \
		"$(grep -c "^jobproxy: child jobserver: $2 " err)" 2
	expect "most jobs at once" "$(maxconc D)" 4
	expect "root pool at the end" "$(field end r)" 3
	for f in $(sed -n 's/^jobproxy: child jobserver: fifo //p' err); do
		[ ! -e "$f" ] && [ ! -e "${f%/fifo}" ] ||
			die "jobproxy left $f behind"
		echo "  removed: ${f%/fifo}"
	done
	expect "left in TMPDIR" "$(ls tmp)" ""
}

t_chain_fifo_parent_pipe_child() {
	need_make43
	chain fifo pipe make
}

t_chain_pipe_parent_fifo_child() {
	need_make44
	chain pipe fifo "$M44"
}

# A SIGKILLed jobproxy cannot remove its fifo; the next fifo-style
# jobproxy removes it (its directory names a dead pid).
t_fifo_leftover_removed_by_next_run() {
	mkdir tmp
	TMPDIR=$PWD/tmp
	export TMPDIR
	$POOL -j2 -- "$JP" -v --style=fifo sleep 300 2>err &
	pool=$!
	wait_for grep -q 'running sleep as pid' err
	f=$(sed -n 's/^jobproxy: child jobserver: fifo //p' err)
	dir=${f%/fifo}
	jp=${dir##*/jobproxy-}
	jp=${jp%%.*}
	child=$(sed -n 's/.*running sleep as pid \([0-9]*\).*/\1/p' err)
	[ -p "$f" ] || die "no fifo at '$f': $(cat err)"
	kill -9 "$jp" || die "cannot kill jobproxy ($jp)"
	kill "$child"
	wait $pool
	[ -p "$f" ] || die "the fifo of a SIGKILLed jobproxy vanished by itself"
	echo "  left by the SIGKILLed jobproxy: $dir"
	$POOL -j2 --report r -- "$JP" --style=fifo true 2>err2 ||
		die "the next jobproxy failed"
	[ ! -e "$dir" ] || die "the next fifo-style jobproxy left $dir"
	echo "  removed by the next run"
	expect "left in TMPDIR" "$(ls tmp)" ""
	expect "root pool of the next run" "$(field end r)" 1
}

# --- 7. cargo ------------------------------------------------------------

# Debian's cargo is a large install: if it is missing, say so and skip.
need_cargo() {
	need_tool cargo
	need_tool rustc
	cargo --version >/dev/null 2>&1 || skip "cargo is installed but does not run"
}

# cargo_build STYLE SLOTS: build tests/compat/cargo (4 crates whose build
# scripts run tjob with $COMPAT_ARGS...) offline into a scratch target dir
# under a root pool, cargo behind `jobproxy --stats --style=STYLE`.
cargo_build() {
	rm -rf D target ws
	mkdir D
	cp -R "$HERE/compat/cargo" ws || die "cannot copy the cargo fixture"
	COMPAT_TJOB=$TJOB COMPAT_DIR=$PWD/D CARGO_TARGET_DIR=$PWD/target \
	CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never \
		$POOL --style "$1" -j"$2" --report r -- "$JP" --stats \
		--style="$1" cargo build --offline --manifest-path ws/Cargo.toml \
		>out 2>err
}

# cargo and rustc take their tokens from jobproxy's jobserver: the four
# build scripts each wait until all four run at once.  "relayed" counts
# the tokens jobproxy read from the parent, and it reads one ahead of any
# demand (`jobproxy --stats true` says "relayed 1"), so only >= 3 shows
# that cargo itself took tokens.
t_cargo_relays_tokens() {
	need_cargo
	for s in pipe fifo; do
		echo " --style=$s:"
		COMPAT_ARGS="--need 4 --timeout 120" cargo_build $s 4
		expect "status" "$(field status r)" 0
		expect "most build scripts at once" "$(maxconc D)" 4
		at_least "tokens relayed" "$(jp_stat relayed err)" 3
		expect "root pool at the end" "$(field end r)" 3
	done
}

# Crate d's build script SIGKILLs cargo once all four build scripts run:
# cargo dies holding 3 tokens, which jobproxy gives back.
t_cargo_killed_keeps_pool_whole() {
	need_cargo
	for s in pipe fifo; do
		echo " --style=$s:"
		COMPAT_ARGS="--until $PWD/D/killed --timeout 120" \
		COMPAT_ARGS_d="--kill PPID --when 4 --timeout 120" cargo_build $s 4
		expect "status (cargo SIGKILLed)" "$(field status r)" 137
		expect "most build scripts at once" "$(maxconc D)" 4
		expect "tokens handed back at exit" "$(jp_stat 'handed back' err)" 3
		expect "root pool at the end" "$(field end r)" 3
	done
}

# --- 8. gcc -flto=jobserver ----------------------------------------------

# Four files of six functions each; the link is cut into 4 LTO partitions
# that lto-wrapper builds with `make -f ccXXX.mk` on the jobserver.  gcc 12
# says "Using make jobserver" only when verbose, hence -v on the link.
lto_sources() {
	main='#include <stdio.h>'
	body=
	for i in 1 2 3 4; do
		: >m$i.c
		for j in 1 2 3 4 5 6; do
			echo "__attribute__((noinline)) int f${i}_$j(int x)
{ int s = 0; for (int k = 0; k < x; k++) s += k * $i + $j; return s; }" >>m$i.c
			main="$main
int f${i}_$j(int);"
			body="$body s += f${i}_$j($i$j);"
		done
	done
	printf '%s\nint main(void) { long s = 0;%s printf("%%ld\\n", s); return 0; }\n' \
		"$main" "$body" >main.c
	cat >Makefile <<EOF
OBJS = main.o m1.o m2.o m3.o m4.o
LTO = -flto=jobserver --param lto-partitions=4 --param lto-min-partition=1
prog: \$(OBJS)
	+$JP --stats \$(CC) -v -save-temps -O2 \$(LTO) -o \$@ \$(OBJS)
.c.o: ; \$(CC) -O2 -flto -c \$<
EOF
}

t_gcc_lto_jobserver() {
	need_tool gcc
	need_make	# gcc 12 reads only the pipe style; it runs this make
	lto_sources
	$POOL -j4 --report r -- make -s >out 2>&1
	expect "status" "$(field status r)" 0
	grep -q '^Using make jobserver$' out ||
		die "gcc did not use the jobserver: $(grep -i jobserver out)"
	# Counted by the files -save-temps keeps, not in -v's text: the
	# partitions' lto1 runs print their command lines at once, and the
	# lines interleave (a round of make check REPEAT=20 counted 3).
	expect "LTO partitions built" "$(ls prog.ltrans*.ltrans.o | wc -l | tr -d ' ')" 4
	# One token is read ahead of any demand; a second means the LTO
	# partitions' make took the first.
	at_least "tokens relayed" "$(jp_stat relayed out)" 2
	expect "root pool at the end" "$(field end r)" 3
	expect "the program's output" "$(./prog)" 38214
}

# Found by make stress (seed 424242, round 35): under a make <= 4.1 parent,
# which writes only --jobserver-fds, a fifo-style child lost its jobserver.
t_old_form_parent_fifo_child() {
	$POOL -j3 --fds-form --report r -- "$JP" --style=fifo \
		sh -c 'echo "$MAKEFLAGS"' >out 2>err
	expect "status" "$?" 0
	grep -q -- '--jobserver-auth=fifo:' out ||
		die "the child was given no jobserver: $(cat out)"
	expect "root pool" "$(field end r)" 2
}

run_one "$1"
