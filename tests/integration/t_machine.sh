# A pool that sees the machine (issue 13): --mem-per-job and
# --load-average on the root pool of `jobproxy -j N` and on the --serve
# daemon's, with real programs: tests/helpers/memhog in a memory cgroup of
# its own (tests/tools/memcg.sh, which needs root and skips with a reason
# where it cannot make one).
. "$(dirname "$0")/lib.sh"
MEMHOG=$ROOT/tests/helpers/memhog
MEMCG=$ROOT/tests/tools/memcg.sh

# hog_tree: ./Makefile with 4 jobs of 600 MiB, each held for a second.
# Each job counts the jobs running when it starts into ./counts (a file
# per job in ./running, made before and removed after its memhog: make
# starts the next job only after a recipe's shell has exited, so a count
# is never below the jobs that really overlap).
hog_tree() {
	mkdir running
	cat >Makefile <<EOF
all: a b c d
a b c d:
	@touch $PWD/running/\$@; ls $PWD/running | wc -l >>$PWD/counts; \\
	$MEMHOG 600 --ms 1000; s=\$\$?; rm $PWD/running/\$@; exit \$\$s
EOF
}

# most_at_once: the highest count in ./counts.
most_at_once() {
	sort -n counts | tail -n 1 | tr -d ' '
}

# in_memcg FILE COMMAND...: COMMAND in a 1.5 GiB memory cgroup; its exit
# status into ./rc, the kernel's OOM kills into FILE.  A cgroup that cannot
# be made skips the test.
in_memcg() {
	rep=$1
	shift
	MEMCG_REPORT=$PWD/$rep sh "$MEMCG" 1536M "$@" >out 2>err
	echo $? >rc
	[ "$(cat rc)" = 77 ] && grep -q '^memcg: skipped' err &&
		skip "$(sed -n 's/^memcg: skipped: //p' err)"
}

kills() {
	sed -n 's/^oom_kill //p' "$1"
}

# The failure the option prevents, measured: plain make -j4 -k in 1.5 GiB
# has 4 jobs of 600 MiB running at once, and the OOM killer ends some.
t_plain_make_loses_jobs_to_the_oom_killer() {
	need_make
	hog_tree
	in_memcg rep make -j4 -k
	[ "$(kills rep)" -ge 1 ] || die "no job killed: $(cat rep err)"
	expect "make's status" "$(cat rc)" 2
	echo "  killed: $(kills rep), at once: $(most_at_once)"
}

# jobproxy -j 4 --mem-per-job 700M: every job runs, never more than 2 at
# once (the memory of 2 more is not there), and --stats tells the holds.
t_mem_per_job_root_pool_runs_every_job() {
	need_make
	hog_tree
	in_memcg rep "$JP" --stats -j 4 --mem-per-job 700M make -k
	expect "status" "$(cat rc)" 0
	expect "killed" "$(kills rep)" 0
	expect "jobs run" "$(wc -l <counts | tr -d ' ')" 4
	[ "$(most_at_once)" -le 2 ] || die "$(most_at_once) jobs at once"
	grep -q '^jobproxy: stats: root pool held back [1-9][0-9]* time(s) (memory [1-9]' err ||
		die "no hold in --stats: $(cat err)"
	grep -q '^jobproxy: stats: relayed' err || die "stats: $(cat err)"
}

# The same through the machine-wide pool: a daemon of 4 slots with
# --mem-per-job 700M and a build connected to it, both in the cgroup.  Every
# job runs, at most 2 at once, every token is back in the pool, and
# --status tells the holds.
t_mem_per_job_daemon_runs_every_job() {
	need_make
	hog_tree
	cat >serve.sh <<EOF
"$JP" --serve "$PWD/sock" -j 4 --mem-per-job 700M 2>"$PWD/dlog" &
d=\$!
i=0
while [ ! -S "$PWD/sock" ] && [ \$i -lt 3000 ]; do i=\$((i + 1)); sleep 0.01; done
[ -S "$PWD/sock" ] || exit 1
"$JP" --connect "$PWD/sock" make -k
rc=\$?
# the daemon sees the build gone a moment later: wait for that
i=0
until "$JP" --status "$PWD/sock" >"$PWD/status" &&
	grep -q ' clients 0\$' "$PWD/status" || [ \$i -ge 3000 ]; do
	i=\$((i + 1)); sleep 0.01
done
# only a daemon that answers is ours to stop (a pid that died early may
# be someone else's by now)
"$JP" --status "$PWD/sock" >/dev/null 2>&1 && kill \$d
wait \$d
exit \$rc
EOF
	in_memcg rep sh serve.sh
	expect "status" "$(cat rc)" 0
	expect "killed" "$(kills rep)" 0
	expect "jobs run" "$(wc -l <counts | tr -d ' ')" 4
	# The client is a jobproxy that keeps a token its make gives back for
	# make's next job: that start is unseen by the daemon, which must not
	# take the memory the ended job freed as spare (budget.h, UNSEEN
	# STARTS; under stress-ng --cpu 2 it once let 3 jobs run at once).
	[ "$(most_at_once)" -le 2 ] || die "$(most_at_once) jobs at once"
	expect "pool after" "$(sed -n 1p status)" "pool 4 free 4 clients 0"
	grep -q '^budget held back [1-9][0-9]* time(s) (memory [1-9]' status ||
		die "no hold in --status: $(cat status)"
	grep -q 'stopped: every token is back' dlog || die "daemon: $(cat dlog)"
}

# --load-average L: a job on the command's own slot already counts 1 in
# the estimate, so L = 0.01 holds every token back whatever the machine's
# real load: the build runs one job at a time, and --stats says why.
t_load_average_holds_are_reported() {
	need_make
	mkdir D
	printf 'all: a b c\na b c: ; @%s %s --ms 50\n' "$TJOB" "$PWD/D" >Makefile
	"$JP" --stats -j 3 --load-average 0.01 make 2>err ||
		die "status $?: $(cat err)"
	expect "most at once" "$(maxconc D)" 1
	grep -q '^jobproxy: stats: root pool held back [1-9][0-9]* time(s) (memory 0, load [1-9]' err ||
		die "no load hold in --stats: $(cat err)"
	expect "tokens relayed" "$(sed -n 's/.*stats: relayed \([0-9]*\),.*/\1/p' err)" 0
}

# --load-average L on the daemon, with a fake load (the test knob
# JOBPROXY_TEST_ROOT, machine.h: a real load cannot be made reliably).
# Above L every token is held back, never the build's own slot: its 3 jobs
# all run, one at a time, and --status tells the load holds.  Below L the
# tokens go out again: 3 jobs that wait for each other (tjob --need 3)
# finish.  Every token is back in the pool after each build.
t_load_average_daemon_holds_tokens_back() {
	need_make
	mkdir -p fk/proc D E
	echo '9.00 9.00 9.00 2/200 4242' >fk/proc/loadavg
	JOBPROXY_TEST_ROOT=$PWD/fk "$JP" --serve "$PWD/sock" -j 3 \
		--load-average 3.5 2>dlog &
	d=$!
	trap 'kill $d 2>/dev/null; cd / && rm -rf "$T"' EXIT
	i=0
	while [ ! -S sock ] && [ $i -lt 3000 ]; do i=$((i + 1)); sleep 0.01; done
	[ -S sock ] || die "the daemon did not start: $(cat dlog)"
	printf 'all: a b c\na b c: ; @%s %s --ms 50\n' "$TJOB" "$PWD/D" \
		>D/Makefile
	"$JP" --connect "$PWD/sock" make -s -C D 2>err ||
		die "status $?: $(cat err)"
	expect "most at once, load 9 > 3.5" "$(maxconc D)" 1
	expect "jobs run" "$(sed 's/.* //' D/state)" 3
	"$JP" --status "$PWD/sock" >status || die "no status: $(cat dlog)"
	grep -q '^budget held back [1-9][0-9]* time(s) (memory 0, load [1-9]' \
		status || die "no load hold in --status: $(cat status)"
	echo '0.00 0.00 0.00 1/200 4242' >fk/proc/loadavg
	printf 'all: a b c\na b c: ; @%s %s --need 3 --ms 50\n' "$TJOB" \
		"$PWD/E" >E/Makefile
	"$JP" --connect "$PWD/sock" make -s -C E 2>err ||
		die "status $?, load 0 < 3.5: $(cat err)"
	expect "most at once, load 0" "$(maxconc E)" 3
	i=0
	until "$JP" --status "$PWD/sock" >status &&
		grep -q ' clients 0$' status || [ $i -ge 3000 ]; do
		i=$((i + 1)); sleep 0.01
	done
	expect "pool after" "$(sed -n 1p status)" "pool 3 free 3 clients 0"
	kill $d
	wait $d
	grep -q 'stopped: every token is back' dlog || die "daemon: $(cat dlog)"
}

# --charge: a command running 4 busy processes on its one slot, never
# reading the jobserver, is charged tokens from the pool above (it waits
# for the warning, the event, with a generous limit), is warned about
# exactly once, and every token is back in the pool at exit.
t_charge_takes_tokens_for_a_tree_that_ignores_the_jobserver() {
	cat >busy.sh <<'EOF'
pids=
for i in 1 2 3 4; do sh -c 'while :; do :; done' & pids="$pids $!"; done
i=0
until grep -q 'ignores the jobserver' "$1" || [ $i -ge 1500 ]; do
	i=$((i + 1)); sleep 0.02
done
kill $pids
wait
grep -q 'ignores the jobserver' "$1"
EOF
	"$POOL" -j 4 --report rep -- "$JP" --stats --charge sh busy.sh \
		"$PWD/err" 2>err || die "status $?: $(cat err)"
	expect "warnings" "$(grep -c 'jobproxy: sh runs [0-9]* processes on 1 slot: it ignores the jobserver' err)" 1
	grep -q 'stats: charge: [0-9]* look(s), at most [1-9]' err ||
		die "nothing charged: $(cat err)"
	expect "pool whole" "$(field start rep) $(field end rep)" "3 3"
}

# --charge wakes up only when the CPU is contended (a PSI trigger on
# /proc/pressure/cpu, charge.h): an idle command costs no look at all.
# Here the trigger is a plain file under the test knob JOBPROXY_TEST_ROOT
# (machine.h), which takes the trigger and never fires, as the kernel's on
# a machine with no contention.  (The test above has real contention.)
t_charge_idle_command_costs_no_look() {
	mkdir -p fk/proc/pressure
	: >fk/proc/pressure/cpu
	JOBPROXY_TEST_ROOT=$PWD/fk "$POOL" -j 2 --report rep -- "$JP" --stats \
		--charge sleep 2 2>err || die "status $?: $(cat err)"
	expect "trigger" "$(tr '\0' '@' <fk/proc/pressure/cpu)" \
		"some 200000 2000000@"
	expect "looks" "$(sed -n 's/.*stats: charge: \([0-9]*\) look.*/\1/p' err)" 0
	expect "pool whole" "$(field start rep) $(field end rep)" "1 1"
}

# JOBPROXY_CHARGE=1 turns it on too (the nix hook, the daemon's clients);
# without it nothing is watched.
t_charge_from_the_environment() {
	JOBPROXY_CHARGE=1 "$POOL" -j 2 --report rep -- "$JP" --stats true \
		2>err || die "status $?"
	grep -q 'stats: charge:' err || die "not on: $(cat err)"
	"$POOL" -j 2 --report rep -- "$JP" --stats true 2>err
	grep -q 'stats: charge:' err && die "on without asking: $(cat err)"
	expect "pool whole" "$(field start rep) $(field end rep)" "1 1"
}

# Bad sizes and loads are usage errors (125), said in one line.
t_bad_sizes_and_loads_are_usage_errors() {
	for a in "--mem-per-job 7T" "--mem-per-job 0" "--mem-per-job=M" \
		"--mem-per-job -1G" "--load-average 0" "--load-average x" \
		"--load-average -1" "--load-average=1.5x"; do
		# shellcheck disable=SC2086  # the option and its value
		"$JP" -j 2 $a true 2>err
		expect "$a" "$? $(wc -l <err | tr -d ' ')" "125 1"
	done
	"$JP" -j 2 --mem-per-job 1g --load-average 2.5 true ||
		die "good values refused"
}

run_one "$1"
