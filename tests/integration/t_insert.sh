# Integration tests of the root pool (-j N), of MAKE= insertion (the
# fallback without a link directory: JOBPROXY_LINKS set and empty) into
# sub-makes and of `jobproxy make` with no jobserver at all, against the real
# GNU make 4.3.  Concurrency is what tests/tjob records; tokens at the end
# are what tests/pool counts, or what make 4.3 says when it is the root
# ("INTERNAL: Exiting with N jobserver tokens available; should be M!").
. "$(dirname "$0")/lib.sh"

# These tests start their own pools: nothing of an outer make (`make
# check`, `make -j check`) may look like a jobserver to them.
unset MAKEFLAGS MFLAGS GNUMAKEFLAGS CARGO_MAKEFLAGS MAKELEVEL MAKE
# The links are t_masq.sh's; here the MAKE= fallback is what is tested.
JOBPROXY_LINKS=
export JOBPROXY_LINKS


# count PATTERN FILE...: lines matching (a basic regex), over all FILEs.
count() {
	p=$1
	shift
	cat "$@" | grep -c -e "$p"
}

# has PATTERN FILE: FILE has a line matching PATTERN (fixed string).
has() {
	grep -q -F -e "$1" "$2" || die "no '$1' in $2: $(cat "$2")"
	echo "  $2 says: $1"
}

# hasnt PATTERN FILE: no line of FILE matches PATTERN (fixed string).
hasnt() {
	! grep -q -F -e "$1" "$2" || die "'$1' in $2: $(cat "$2")"
}

# peak DIR...: the most jobs at once over the tjob logs of every DIR merged
# (each line "<monotonic ns> +1|-1"; on a tie the end counts first).
peak() {
	for d; do cat "$d/log"; done | sort -k1,1n -k2,2n |
		awk '{ c += $2; if (c > m) m = c } END { print m + 0 }'
}

# A Makefile with recursive lines `$(MAKE) -C DIR` for each DIR.
submakes() {
	{
		printf 'all: %s\n' "$*"
		for d; do printf '%s:\n\t$(MAKE) -C %s\n' "$d" "$d"; done
		printf '.PHONY: all %s\n' "$*"
	} >Makefile
}

# leaf DIR N STATE [ARG...]: DIR/Makefile runs N independent jobs
# `tjob STATE ARG...`.
leaf() {
	d=$1
	n=$2
	shift 2
	mkdir -p "$d" "$1"
	jobs=$(seq 1 "$n" | tr '\n' ' ')
	printf 'all: %s\n%s:\n\t@%s %s\n' "$jobs" "$jobs" "$TJOB" "$*" >"$d/Makefile"
}

# ---------------------------------------------------------------------------
# 1. A three-level recursive tree (tests/insert/tree), every way a Makefile
#    names a sub-make: $(MAKE) (p, through `cd p && $(MAKE)`), ${MAKE} (b),
#    $(MAKE) -C (c, and p's p1 p2), a rule from an included makefile (x),
#    and a variable (var: `SUB = $(MAKE) -C y`, recipe `$(SUB)`).  Each
#    depth's stderr goes to a file of its own: logs/d2, logs/d3 (logs/y for
#    the variable case), the top's to ./err.  Phases, ordered by
#    prerequisites: p b x y (leaves need 4 at once), then c/crash (its make
#    SIGKILLed holding the pool's 3 tokens), then c/later (needs 4 at once,
#    at most 5 s).
#
#    The variable case: GNU make treats a recipe line as recursive only when
#    its text holds $(MAKE) or ${MAKE} itself, so `$(SUB)` gets MAKEFLAGS
#    with the auth but no jobserver fds (close-on-exec), with or without
#    jobproxy.  jobproxy (inserted all the same, since $(SUB) expands the
#    inserted MAKE) warns in one line and execs make, which prints "warning:
#    jobserver unavailable: using -j1" and builds y/ serially in the one slot
#    its parent gave the recipe.  The build succeeds.
# ---------------------------------------------------------------------------

tree() {
	need_make43
	cp -R "$HERE/insert/tree/." . || die "cannot copy the tree"
	mkdir -p STATE LATER BARRIER logs
	STATE=$PWD/STATE LATER=$PWD/LATER BARRIER=$PWD/BARRIER LOGS=$PWD/logs
	export STATE LATER BARRIER LOGS
	: >logs/d2
	: >logs/d3
	: >logs/y
}

# What every build of the tree does, with or without jobproxy.
tree_common() {
	expect "jobs run (16 in p1 p2 b x, 2 in y, 4 in crash)" \
		"$(cut -d' ' -f3 STATE/state)" 22
	has "make[1]: Entering directory '$PWD/p'" out
	has "make[2]: Entering directory '$PWD/p/p1'" out
	has "make[2]: Entering directory '$PWD/c/later'" out
	has "Killed" logs/d3
	has "make[1]: [Makefile:7: crash] Error 137 (ignored)" logs/d2
	has "make[1]: warning: jobserver unavailable: using -j1.  Add '+' to parent make rule." logs/y
	expect "lines of make in logs/y" "$(count '^make' logs/y)" 1
}

# What a build of the tree with jobproxy inserted does.
tree_proxied() {
	tree_common
	for d in p1 p2; do has "$JP -v make -C $d 2>>$LOGS/d3" out; done
	has "cd p && $JP -v make 2>>$LOGS/d2" out
	has "$JP -v make -C b 2>>$LOGS/d2" out
	has "$JP -v make -C x 2>>$LOGS/d2" out
	has "$JP -v make -C c 2>>$LOGS/d2" out
	has "$JP -v make -C y 2>>$LOGS/y" out
	# Depth 2: p b x c; depth 3: p1 p2 crash later; each behind a jobproxy
	# of its own that found the jobserver of the make above it.
	expect "depth 2: jobproxies on a parent pipe" \
		"$(count '^jobproxy: parent jobserver: pipe [0-9]*,[0-9]* from MAKEFLAGS$' logs/d2)" 4
	expect "depth 2: makes run behind jobproxy" \
		"$(count '^jobproxy: running make as pid [0-9]*$' logs/d2)" 4
	expect "depth 3: jobproxies on a parent pipe" \
		"$(count '^jobproxy: parent jobserver: pipe [0-9]*,[0-9]* from MAKEFLAGS$' logs/d3)" 4
	expect "depth 3: makes run behind jobproxy" \
		"$(count '^jobproxy: running make as pid [0-9]*$' logs/d3)" 4
	expect "sub-makes run behind jobproxy (the 8 that got a jobserver)" \
		"$(count '^jobproxy: running make as pid' logs/d2 logs/d3 logs/y)" 8
	# Nothing inserted twice: sub-makes find MAKE= in MAKEFLAGS.
	expect "insertions below the top" \
		"$(count 'sub-makes run behind jobproxy' logs/d2 logs/d3 logs/y)" 0
	has "jobproxy: make exited; gave back 3 token(s): 3 it held, 0 unread" logs/d3
	# The variable case: one line of jobproxy's own (the rest is -v), no
	# make run behind it.
	expect "jobproxy's warnings in logs/y" \
		"$(grep '^jobproxy:' logs/y | grep -c -v '^jobproxy: parent jobserver:')" 1
	grep -q "^jobproxy: jobserver read fd [0-9]* is closed (a recipe line without '+'?): running without jobproxy$" logs/y ||
		die "logs/y: $(cat logs/y)"
	expect "makes run behind jobproxy in logs/y" "$(count 'running make' logs/y)" 0
	expect "most jobs at once, phase 1 and crash/" "$(maxconc STATE)" 4
	expect "jobs run in later/" "$(cut -d' ' -f3 LATER/state)" 4
	expect "most jobs at once in later/, after the crash" "$(maxconc LATER)" 4
	expect "most jobs at once over the whole build" "$(peak STATE LATER)" 4
	hasnt "tjob:" logs/d3
}

t_tree_jobproxy_root_pool() {
	tree
	"$JP" -v -j4 make -k >out 2>err
	expect "exit status" "$?" 0
	expect "top: jobproxy is the root pool" "$(count '^jobproxy: root pool of 4 slots$' err)" 1
	has "jobproxy: sub-makes run behind jobproxy: MAKE=$JP -v make" err
	expect "top: makes run behind jobproxy" "$(count '^jobproxy: running make as pid' err)" 1
	hasnt "INTERNAL" err
	tree_proxied
}

# The same tree under an external root pool, so the pool can be counted at
# the end (jobproxy's own root pool cannot be read from outside).
t_tree_under_pool_ends_whole() {
	tree
	$POOL -j4 --report r -- "$JP" -v make -k >out 2>err
	expect "exit status" "$?" 0
	expect "top: jobproxy on the pool's pipe" \
		"$(count '^jobproxy: parent jobserver: pipe' err)" 1
	tree_proxied
	expect "root pool at the end" "$(field end r)" 3
}

# The same tree with plain make: the crash's 3 tokens are gone for good.
t_tree_plain_make_loses_tokens() {
	tree
	make -j4 -k >out 2>err
	expect "exit status" "$?" 2
	tree_common
	expect "lines of jobproxy" "$(count '^jobproxy:' out err logs/d2 logs/d3 logs/y)" 0
	expect "most jobs at once, phase 1 and crash/" "$(maxconc STATE)" 4
	expect "jobs run in later/ (-S: it stops at the first failure)" \
		"$(cut -d' ' -f3 LATER/state)" 1
	expect "most jobs at once in later/, after the crash" "$(maxconc LATER)" 1
	has "tjob: only 1 of 4 jobs ever ran at once" logs/d3
	has "make: INTERNAL: Exiting with 1 jobserver tokens available; should be 4!" err
}

# ---------------------------------------------------------------------------
# 2. The root pool.
# ---------------------------------------------------------------------------

# Two builds A and B whose jobs each wait until the other build has a job
# running and until 3 jobs have run at once (both in ./S), then work 200 ms:
# long enough for a spare slot, if there is one, to be used.
two_builds() {
	for d in A B; do
		o=B
		[ $d = B ] && o=A
		mkdir -p $d S
		printf 'all: 1 2 3 4\n1 2 3 4:\n\t@touch %s/%s.started; %s %s --need 3 --until %s/%s.started --ms 200\n' \
			"$PWD/S" $d "$TJOB" "$PWD/S" "$PWD/S" $o >$d/Makefile
	done
}

# The clients get a jobserver from make's recursive lines: make runs A/ on
# its implicit slot and pays a token for B/, so 3 slots are 3 jobs.
t_root_pool_two_submakes_exactly_3() {
	need_make
	two_builds
	submakes A B
	"$JP" -v -j 3 make -s >out 2>err || die "build failed: $(cat err)"
	expect "root pool" "$(count '^jobproxy: root pool of 3 slots$' err)" 1
	expect "builds behind jobproxy" "$(count '^jobproxy: running make as pid' err)" 3
	expect "most jobs at once" "$(maxconc S)" 3
}

# A shell that starts two clients at once gives each the implicit slot of
# the protocol (it spends its own one slot twice): a root pool of 3 slots
# hands out 2 tokens, so the peak is 2 + 2 = 4 jobs.  That is the pool's
# right size, the same as under tests/pool -j3 (and make -j3 running the
# same line); what the root pool guarantees is that no more than its 2
# tokens are ever out (--stats "peak held 2").
t_root_pool_shell_with_two_clients() {
	need_make
	two_builds
	script='make -s -C A & make -s -C B; wait'
	"$JP" --stats -j 3 sh -c "$script" >out 2>err || die "build failed: $(cat err)"
	expect "most jobs at once, jobproxy -j 3" "$(maxconc S)" 4
	grep -q '^jobproxy: stats: relayed [0-9]*, peak held 2, ' err ||
		die "stats: $(cat err)"
	echo "  tokens out at most: 2"
	rm -f S/*
	$POOL -j3 --report r -- sh -c "$script" >out 2>err ||
		die "build failed: $(cat err)"
	expect "most jobs at once, tests/pool -j3" "$(maxconc S)" 4
	expect "tests/pool -j3 at the end" "$(field end r)" 2
}

# -j 0 and -j alone: NIX_BUILD_CORES, else the online CPUs (also for
# NIX_BUILD_CORES=0, nix's "all cores", and for garbage).
t_root_pool_auto_size() {
	cpus=$(getconf _NPROCESSORS_ONLN)
	[ -n "$cpus" ] || die "getconf _NPROCESSORS_ONLN failed"
	[ "$cpus" = "$(nproc)" ] ||
		echo "  note: nproc says $(nproc), online CPUs $cpus (jobproxy uses online CPUs)"
	show='echo "$MAKEFLAGS"'
	for j in "-j 0" "-j0" "-j" "--jobs=0"; do
		got=$(NIX_BUILD_CORES=3 "$JP" $j sh -c "$show")
		case $got in
		" -j3 --jobserver-auth="[0-9]*,[0-9]*) echo "  $j, NIX_BUILD_CORES=3: $got" ;;
		*) die "$j, NIX_BUILD_CORES=3: child's MAKEFLAGS '$got', want -j3" ;;
		esac
		for cores in unset 0 abc; do
			if [ $cores = unset ]; then
				got=$(env -u NIX_BUILD_CORES "$JP" $j sh -c "$show")
			else
				got=$(NIX_BUILD_CORES=$cores "$JP" $j sh -c "$show")
			fi
			case $got in
			" -j$cpus --jobserver-auth="[0-9]*,[0-9]*) echo "  $j, NIX_BUILD_CORES $cores: $got" ;;
			*) die "$j, NIX_BUILD_CORES $cores: child's MAKEFLAGS '$got', want -j$cpus" ;;
			esac
		done
	done
	# And the pool really is that size.
	need_make
	leaf . 5 "$PWD/S" --need 3 --ms 200
	NIX_BUILD_CORES=3 "$JP" -j make -s 2>err || die "build failed: $(cat err)"
	expect "most jobs at once, NIX_BUILD_CORES=3" "$(maxconc S)" 3
}

# ---------------------------------------------------------------------------
# 3. No jobserver, no -j: jobproxy execs make (the top make is its own root
#    pool, or serial) and inserts itself into the sub-makes.
# ---------------------------------------------------------------------------

t_no_jobserver_make_stays_serial() {
	need_make
	submakes A B
	printf 'all: A B\n\t@echo $$PPID >%s/top.pid\n' "$PWD" >>Makefile
	leaf A 2 "$PWD/S"
	leaf B 2 "$PWD/S"
	"$JP" -v make >out 2>err &
	jp=$!
	wait $jp
	expect "exit status" "$?" 0
	expect "make's pid (jobproxy exec'd it)" "$(cat top.pid)" "$jp"
	expect "most jobs at once" "$(maxconc S)" 1
	expect "jobs run" "$(cut -d' ' -f3 S/state)" 4
	has "jobproxy: sub-makes run behind jobproxy: MAKE=$JP -v make" err
	has "$JP -v make -C A" out
	has "$JP -v make -C B" out
	expect "jobproxies that found no jobserver (top, A, B)" \
		"$(count '^jobproxy: no jobserver in the environment$' err)" 3
	expect "makes run behind jobproxy" "$(count 'running make' err)" 0
}

t_no_jobserver_make_j4_reaches_4() {
	need_make43
	submakes A B
	leaf A 4 "$PWD/S" --need 4 --ms 100
	leaf B 4 "$PWD/S" --need 4 --ms 100
	"$JP" -v make -j4 >out 2>err
	expect "exit status" "$?" 0
	expect "most jobs at once" "$(maxconc S)" 4
	has "$JP -v make -C A" out
	expect "sub-makes on make's pipe" \
		"$(count '^jobproxy: parent jobserver: pipe [0-9]*,[0-9]* from MAKEFLAGS$' err)" 2
	expect "sub-makes run behind jobproxy" "$(count '^jobproxy: running make as pid' err)" 2
	expect "top make not behind jobproxy" "$(count '^jobproxy: root pool' err)" 0
	hasnt "INTERNAL" err	# make, the root, found its 3 tokens at exit
}

# ---------------------------------------------------------------------------
# 4. --no-insert, and a user's own MAKE=.
# ---------------------------------------------------------------------------

t_no_insert() {
	need_make
	submakes A B
	leaf A 4 "$PWD/S" --need 4 --ms 100
	leaf B 4 "$PWD/S" --need 4 --ms 100
	"$JP" -v -j4 --no-insert make >out 2>err
	expect "exit status" "$?" 0
	expect "most jobs at once" "$(maxconc S)" 4
	has "make -C A" out
	hasnt "$JP" out
	hasnt "MAKE=" err
	hasnt "sub-makes run behind" err
	expect "jobproxies (the top one only)" "$(count '^jobproxy: running make' err)" 1
	expect "jobproxies below" "$(count '^jobproxy: parent jobserver' err)" 0
	# Without a jobserver: make exec'd (serial), nothing inserted.
	leaf A 4 "$PWD/S"
	leaf B 4 "$PWD/S"
	"$JP" -v --no-insert make >out 2>err
	expect "exit status, no jobserver" "$?" 0
	expect "jobproxy's lines, no jobserver" "$(cat err)" \
		"jobproxy: no jobserver in the environment"
	has "make -C A" out
	hasnt "$JP" out
}

t_user_make_is_wrapped() {
	need_make
	cat >mymake <<EOF
#!/bin/sh
echo "mymake \$*" >>"$PWD/mymake.log"
exec make "\$@"
EOF
	chmod +x mymake
	submakes A B
	mkdir -p A/deep
	printf 'all: deep\ndeep:\n\t$(MAKE) -C deep\n.PHONY: all deep\n' >A/Makefile
	leaf A/deep 2 "$PWD/S" --need 2 --ms 100
	leaf B 2 "$PWD/S" --need 2 --ms 100
	"$JP" -v -j2 make MAKE="$PWD/mymake" >out 2>err
	expect "exit status" "$?" 0
	expect "mymake's log" "$(sort mymake.log | tr '\n' ' ')" \
		"mymake -C A mymake -C B mymake -C deep "
	has "jobproxy: sub-makes run behind jobproxy: MAKE=$JP -v $PWD/mymake" err
	has "$JP -v $PWD/mymake -C A" out
	has "$JP -v $PWD/mymake -C deep" out
	expect "mymake runs behind jobproxy" \
		"$(count "^jobproxy: running $PWD/mymake as pid" err)" 3
	expect "mymakes on a parent pipe" \
		"$(count '^jobproxy: parent jobserver: pipe' err)" 3
	expect "most jobs at once" "$(maxconc S)" 2
}

# ---------------------------------------------------------------------------
# A token jobproxy parks for a make that has nothing more to run is lost to
# every other client until that make ends.  Here a/ (one job) starts while
# the others wait for prep; once prep is done, b/ c/ d/ need the 3 tokens,
# and all four jobs need each other.  Plain make runs them at once.
# ---------------------------------------------------------------------------

t_idle_submake_holds_no_token() {
	need_make
	mkdir -p P
	submakes a b c d
	printf 'b c d: prep\nprep:\n\t@%s %s/P --ms 300\n' "$TJOB" "$PWD" >>Makefile
	for d in a b c d; do leaf $d 1 "$PWD/S" --need 4 --timeout 5; done
	make -s -j4 >out 2>err
	expect "plain make -j4: exit status" "$?" 0
	expect "plain make -j4: most jobs at once" "$(maxconc S)" 4
	rm -f S/* P/*
	"$JP" -v -j4 make -s >out 2>err
	rc=$?
	grep -q '^tjob:' err && echo "  $(grep '^tjob:' err | sort | uniq -c | sed 's/^ *//')"
	expect "jobproxy -j4: most jobs at once" "$(maxconc S)" 4
	expect "jobproxy -j4: exit status" "$rc" 0
}

run_one "$1"
