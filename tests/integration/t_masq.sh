# Integration tests of insertion by links (issue 12): jobproxy run as
# make, ninja, cargo, cmake ... from the link directory first on the
# child's PATH.  Each way a sub-build starts is one reproduction script in
# masq/ (it prints what the user sees, plain and under jobproxy, and exits
# 0 once jobproxy is invisible or protects the build, 1 while the bug
# shows, 77 when a tool is missing); here each must exit 0.  The crash
# scripts SIGKILL a sub-make holding the free tokens of -j4 and measure the
# most jobs at once after it: 4 under jobproxy, 1 without.
. "$(dirname "$0")/lib.sh"

unset MAKEFLAGS MFLAGS GNUMAKEFLAGS CARGO_MAKEFLAGS MAKELEVEL MAKE \
	JOBPROXY_LINKS JOBPROXY_STYLE JOBPROXY_SOCKET

# repro NAME [4.3|4.4.1]: masq/NAME.sh must show the fix.
repro() {
	[ "${2:-4.3}" = 4.4.1 ] && need_make44
	sh "$HERE/masq/$1.sh" "${2:-4.3}" >out 2>&1
	rc=$?
	sed 's/^/  /' out
	[ $rc -eq 77 ] && skip "$(tail -n 1 out)"
	expect "masq/$1.sh $2: exit status" "$rc" 0
}

t_quoted_make_43() { repro quoted_make 4.3; }
t_quoted_make_44() { repro quoted_make 4.4.1; }
t_make_n_43() { repro make_n 4.3; }
t_make_n_44() { repro make_n 4.4.1; }
t_make_vars_43() { repro make_vars 4.3; }
t_make_vars_44() { repro make_vars 4.4.1; }
t_script_runs_make_43() { repro script_runs_make 4.3; }
t_script_runs_make_44() { repro script_runs_make 4.4.1; }
t_cmake_build() { repro cmake_build 4.3; }
t_cargo_build_script() { repro cargo_build_script 4.3; }
t_ninja_edge_crash_43() { repro ninja_edge_crash 4.3; }
t_ninja_edge_crash_44() { repro ninja_edge_crash 4.4.1; }
t_cmake_build_44() { repro cmake_build 4.4.1; }
t_cargo_build_script_44() { repro cargo_build_script 4.4.1; }

# A copy of jobproxy installed as `make install` lays it out: bin/ and
# libexec/jobproxy/ of links to it.  INST: its prefix.
install_copy() {
	INST=$PWD/usr/local
	make -s -C "$ROOT" install PREFIX="$INST" >inst.log 2>&1 ||
		die "make install failed: $(cat inst.log)"
	[ -L "$INST/libexec/jobproxy/make" ] || die "no link installed"
}

# busybox's $(findstring s,$(MAKEFLAGS)) idiom, jobproxy installed in a
# path with an "s" (as /usr/local/bin has): the same log as plain make.
busybox_idiom() {
	install_copy
	mkdir sub
	printf 'quiet_cmd_cc = CC $@\ncmd = @$(if $($(quiet)cmd_$(1)),echo '\''  $($(quiet)cmd_$(1))'\'';):\n' >cmd.mk
	printf 'quiet = quiet_\nifneq ($(findstring s,$(MAKEFLAGS)),)\n  quiet = silent_\nendif\nexport quiet\ninclude cmd.mk\nall: x.o sub\nx.o: ; $(call cmd,cc)\nsub: x.o ; @$(MAKE) -C sub\n.PHONY: sub\n' >Makefile
	printf 'include ../cmd.mk\nall: y.o\ny.o: ; $(call cmd,cc)\n' >sub/Makefile
	$1 -j2 --no-print-directory >plain 2>&1
	echo "exit $?" >>plain
	"$INST/bin/jobproxy" $1 -j2 --no-print-directory >jp 2>&1
	echo "exit $?" >>jp
	sed 's/^/  jobproxy | /' jp
	expect "CC lines under jobproxy" "$(grep -c '  CC' jp)" 2
	cmp -s plain jp || die "logs differ: $(cat plain) / $(cat jp)"
}
t_busybox_idiom_43() { need_make43; busybox_idiom make; }
t_busybox_idiom_44() { need_make44; busybox_idiom "$M44"; }

# cmake configured below jobproxy (a `+` recipe, a cargo build script's
# cmake-rs, the nix hook): cmake finds its modules from argv[0] looked up
# on PATH, which would find the cmake link ("Could not find CMAKE_ROOT").
# It configures, and records the same cmake, as without jobproxy.
t_cmake_configure() {
	need_tool cmake
	printf 'cmake_minimum_required(VERSION 3.13)\nproject(p NONE)\n' \
		>CMakeLists.txt
	cmake -S . -B plain >plain.log 2>&1 ||
		die "plain cmake failed: $(tail -n 3 plain.log)"
	"$JP" -j 2 sh -c 'cmake -S . -B jp' >jp.log 2>&1
	rc=$?
	sed 's/^/  /' jp.log
	expect "exit status" "$rc" 0
	expect "CMAKE_COMMAND" "$(grep '^CMAKE_COMMAND:' jp/CMakeCache.txt)" \
		"$(grep '^CMAKE_COMMAND:' plain/CMakeCache.txt)"
}

# A quoted "$(MAKE)" sub-make SIGKILLed holding 3 tokens of a -j4 pool,
# then 4 jobs that each wait until all 4 run at once (NEED): under
# jobproxy the link gives the 3 back and they do ("$(MAKE)" is "make",
# so the quoted word runs the link like the bare one).  Plain make loses
# them (its pool ends at 0; its later jobs are left without NEED, as
# they could never meet it).
t_quoted_make_crash() {
	need_make
	for r in plain jp; do
		mkdir $r
		(
			cd $r || exit
			crash_tree sub
			mkdir L
			cat >Makefile <<EOF
all: l1 l2 l3 l4
crash: ; -"\$(MAKE)" -s -C sub
l1 l2 l3 l4: crash ; @$TJOB $PWD/L \$(NEED) --timeout 20
EOF
			if [ $r = plain ]; then
				set -- make
			else
				set -- "$JP" make NEED="--need 4"
			fi
			$POOL -j4 --report ../$r.r -- "$@" -s >out 2>&1
			echo "exit $?" >>out
			sed "s/^/  $r | /" out
			[ -e D/killed ] || die "$r: the sub-make was not killed"
		) || exit
	done
	expect "plain: pool at the end (3 lost)" "$(field end plain.r)" 0
	expect "jobproxy: jobs at once after the crash" "$(maxconc jp/L)" 4
	expect "jobproxy: pool at the end" "$(field end jp.r)" 3
}

# The man page's list: a MAKE naming make by name (on the command line or
# in a Makefile) goes through the link; a MAKE or a make named by an
# absolute path runs as without jobproxy.  The sub-make says what started
# it: the file its parent process runs.
t_make_forms() {
	need_make
	m=$(command -v make)
	mkdir sub
	printf 'all:
	@$(MAKE) -s -C sub
' >Makefile
	printf 'MAKE = make
all:
	@$(MAKE) -s -C sub
' >set.mk
	printf 'all:
	@readlink /proc/$$(ps -o ppid= $$PPID | tr -d " ")/exe
' \
		>sub/Makefile
	form() {
		"$JP" -j 2 "$@" >out 2>&1 || die "$*: $(cat out)"
		if [ "$(cat out)" = "$JPBIN" ]; then w=wrapped; else w=plain; fi
		echo "  $*: $w"
	}
	form make MAKE=make; expect "MAKE=make" $w wrapped
	form make -f set.mk; expect "MAKE = make in a Makefile" $w wrapped
	form make; expect "\$(MAKE) by name" $w wrapped
	form make MAKE="$m"; expect "MAKE=$m" $w plain
	form "$m"; expect "$m run by its path" $w plain
}

# `make install` and `make uninstall` honour PREFIX and DESTDIR.
t_install_links() {
	make -s -C "$ROOT" install DESTDIR="$PWD/d" PREFIX=/opt/jp >log 2>&1 ||
		die "make install: $(cat log)"
	for l in make gmake ninja cargo cmake; do
		[ "$(readlink "d/opt/jp/libexec/jobproxy/$l")" = /opt/jp/bin/jobproxy ] ||
			die "link $l: $(ls -l d/opt/jp/libexec/jobproxy)"
		[ "$(readlink "d/opt/jp/libexec/jobproxy/tool/$l/$l")" = \
			/opt/jp/bin/jobproxy ] || die "no link tool/$l/$l"
	done
	make -s -C "$ROOT" uninstall DESTDIR="$PWD/d" PREFIX=/opt/jp >log 2>&1 ||
		die "make uninstall: $(cat log)"
	[ ! -e d/opt/jp/libexec/jobproxy ] || die "links left: $(ls d/opt/jp/libexec/jobproxy)"
	echo "  installed and removed under DESTDIR/PREFIX/libexec/jobproxy"
}

# A link whose real tool is nowhere on PATH: "not found", 127, no loop.
t_link_without_tool() {
	mkdir bin
	ln -s "$JPLINKS/gmake" bin/gmake
	timeout 20 env PATH="$PWD/bin:$JPLINKS:$PWD" \
		"$PWD/bin/gmake" -v >out 2>err
	expect "exit status" "$?" 127
	expect "message" "$(cat err)" "jobproxy: gmake: not found"
}

# A link run with its own directory off PATH (cmake records the make it
# found by its path) still finds the real make, not itself.
t_link_by_path() {
	printf 'all:\n\t@echo "made by $(MAKE)"\n' >Makefile
	timeout 20 "$JPLINKS/make" >out 2>err
	expect "exit status" "$?" 0
	expect "output" "$(cat out)" "made by $JPLINKS/make"
}

# The child's PATH: the link directory first, exactly once, at every depth.
t_child_path() {
	printf 'all:\n\t@echo "$$PATH" >top\n\t@$(MAKE) -s sub\nsub:\n\t@echo "$$PATH" >sub\n' >Makefile
	L=$JPLINKS
	# What the child's PATH must start with: the tool directories of
	# the tools this PATH has, in masq.c's order.
	want=
	for t in make gmake gnumake ninja ninja-build samu cargo cmake; do
		command -v "$t" >/dev/null && want=$want${want:+:}$L/tool/$t
	done
	# A parent's PATH with the flat directory and the tool directory of
	# a tool that is not here (as another PATH may have had it).
	PATH=$L/:$L/tool/samu:$PATH "$JP" -j2 make -s >out 2>err
	expect "exit status" "$?" 0
	n=$(echo "$want" | tr : '\n' | wc -l)
	for f in top sub; do
		expect "$f: first entries" "$(cut -d: -f1-$n $f)" "$want"
		expect "$f: our entries" "$(tr : '\n' <$f | grep -c "^$L")" "$n"
	done
}

# A sub-make below a recipe that puts a directory first on PATH searches
# that PATH again (a PATH a jobproxy made is otherwise taken as it is): a
# tool found only there runs behind its link too.
t_recipe_path_first() {
	mkdir bin
	printf '#!/bin/sh\necho "samu of the recipe"\n' >bin/samu
	chmod +x bin/samu
	printf 'all:\n\t@PATH=$(CURDIR)/bin:$$PATH $(MAKE) -s sub\nsub:\n\t@command -v samu\n\t@samu\n' >Makefile
	"$JP" -j2 make -s >out 2>err
	expect "exit status" "$?" 0
	expect "output" "$(cat out)" "$JPLINKS/tool/samu/samu
samu of the recipe"
}

# A link for a tool this system lacks is not on the child's PATH: a
# script's `command -v gnumake` finds nothing, as without jobproxy.
t_absent_tool_not_found() {
	n=0
	for t in make gmake gnumake ninja ninja-build samu cargo cmake; do
		command -v "$t" >/dev/null && continue
		n=$((n + 1))
		sh -c "command -v $t" >plain 2>&1
		echo "exit $?" >>plain
		"$JP" -j 2 sh -c "command -v $t" >out 2>&1
		echo "exit $?" >>out
		expect "command -v $t under jobproxy" "$(cat out)" "$(cat plain)"
	done
	echo "  $n absent tools looked for"
}

# ninja 1.13 or newer (a real jobserver client; tests/tools/ninja.sh
# fetches it) as bin/ninja here, or skip saying why.
ninja_bin() {
	NINJA=$(sh "$ROOT/tests/tools/ninja.sh" "$ROOT/build/ninja" 2>&1) ||
		skip "$NINJA"
	mkdir bin && ln -s "$NINJA" bin/ninja
}

# cmake -G Ninja looks for ninja-build before ninja and records the first
# it finds: a ninja-build link with no ninja-build behind it made every
# such build fail ("ninja-build: not found", 127).
t_cmake_ninja_generator() {
	need_tool cmake
	ninja_bin
	PATH=$PWD/bin:$PATH
	command -v ninja-build >/dev/null && skip "ninja-build is installed here"
	printf 'cmake_minimum_required(VERSION 3.13)\nproject(p NONE)\nadd_custom_target(t ALL COMMAND echo built)\n' \
		>CMakeLists.txt
	"$JP" -j 2 sh -c 'cmake -G Ninja -S . -B b && cmake --build b' \
		>out 2>&1
	rc=$?
	sed 's/^/  /' out
	expect "exit status" "$rc" 0
	grep -q '^built$' out || die "the target did not run"
}

# --no-insert: no PATH change, no MAKE=.
t_no_insert_path() {
	printf 'all:\n\t@echo "$$PATH" >top\n\t@echo "$(MAKE)" >mk\n' >Makefile
	"$JP" --no-insert -j2 make -s >out 2>err
	expect "exit status" "$?" 0
	expect "PATH" "$(cat top)" "$PATH"
	expect "MAKE" "$(cat mk)" make
}

# `jobproxy -j 2 ninja` (fifo): 8 jobs of 1 s, at most 2 at once, pool
# whole; and a make 4.3 on a ninja edge works and gets a pipe.
t_ninja_j2() {
	ninja_bin
	mkdir S
	{
		printf 'rule t\n  command = %s %s/S --ms 1000\n' "$TJOB" "$PWD"
		for i in 1 2 3 4 5 6 7 8; do printf 'build o%s: t\n' $i; done
	} >build.ninja
	PATH=$PWD/bin:$PATH "$JP" -j 2 ninja >out 2>err
	expect "exit status" "$?" 0
	m=$(maxconc S)
	[ "$m" -ge 1 ] && [ "$m" -le 2 ] || die "most jobs at once: $m, not 1..2"
	echo "  most jobs at once: $m (at most 2)"
	grep -q fifo: err || grep -q 'Jobserver mode detected' out ||
		die "ninja saw no jobserver: $(cat out err)"
}

# ninja never waits for a token: it tries a non-blocking read as a job
# ends, nothing else.  After a serial phase (w, alone) its fan-out l1..l4
# must find every free token of `jobproxy -j 4` in its fifo: w ends once
# the 3 wait there, each l waits until all 4 run at once (tjob --need),
# so a token missing when w ends is a failure, not a slow run.
# fanout_ninja: build.ninja's serial step w, which ends once 3 tokens wait
# in ninja's fifo (else it leaves the file unparked), and the fan-out rule
# l, whose jobs wait in L until 4 run at once.
fanout_ninja() {
	cat >build.ninja <<EOF
rule w
  command = timeout 20 $TJOB --client parked=3 || touch $PWD/unparked
rule l
  command = $TJOB $PWD/L --need 4 --timeout 20
build w: w
EOF
}

t_ninja_fanout_after_serial() {
	ninja_bin
	mkdir W L
	fanout_ninja
	for i in 1 2 3 4; do printf 'build l%s: l w\n' $i; done >>build.ninja
	PATH=$PWD/bin:$PATH "$JP" -j 4 ninja >out 2>err
	rc=$?
	sed 's/^/  /' out err
	expect "exit status" "$rc" 0
	[ -e unparked ] && die "the fifo never held the 3 free tokens"
	expect "most l jobs at once" "$(maxconc L)" 4
}

t_ninja_edge_make43() {
	need_make43
	ninja_bin
	mkdir sub
	printf 'all: a b\na b:\n\t@echo "sub: $@ [$$MAKEFLAGS]"\n' >sub/Makefile
	printf 'rule sub\n  command = make -s -C sub\nbuild s: sub\n' >build.ninja
	PATH=$PWD/bin:$PATH "$JP" -j 4 ninja >out 2>&1
	rc=$?
	sed 's/^/  /' out
	expect "exit status" "$rc" 0
	grep -q 'internal error' out && die "make 4.3 got a fifo"
	expect "sub-make jobs on a pipe" "$(grep -c 'sub: .*--jobserver-auth=[0-9]' out)" 2
}

# ninja run by a make (`+ninja`), through its link, below make's pool:
# ninja never waits for a token (it tries a non-blocking read as a job
# starts or ends), so the free tokens of the -j4 pool must wait in its
# fifo when its serial step w ends (nowait.h).  w ends once the 3 wait
# there; each l waits until all 4 run at once (tjob --need): a fan-out
# short of a token fails, it is not a slow run.  KILL=1: the fourth edge
# k SIGKILLs ninja once the 4 run, and every token must come back to
# make: its jobs a1..a4 after ninja run at once too.  Either way make
# counts its pool whole at exit (no INTERNAL line).  $1: the make.
ninja_under_make() {
	ninja_bin
	mkdir L A
	fanout_ninja
	cat >>build.ninja <<EOF
rule k
  command = $TJOB $PWD/L --kill \$\$PPID --when 4 --timeout 20
EOF
	for i in 1 2 3; do printf 'build l%s: l w\n' $i; done >>build.ninja
	if [ "${KILL:-0}" = 1 ]; then
		printf 'build k: k w\n' >>build.ninja
		sed -i "/--need 4/s|\$| --until $PWD/L/killed|" build.ninja
	else
		printf 'build l4: l w\n' >>build.ninja
	fi
	printf 'all: a1 a2 a3 a4\nn:\n\t+ninja%s\na1 a2 a3 a4: n\n\t@%s %s/A --need 4 --timeout 20\n' \
		"$([ "${KILL:-0}" = 1 ] && echo ' || true')" "$TJOB" "$PWD" >Makefile
	PATH=$PWD/bin:$PATH "$JP" "$1" -j4 >out 2>err
	rc=$?
	sed 's/^/  /' out err
	expect "exit status" "$rc" 0
	[ -e unparked ] && die "ninja's fifo never held the 3 free tokens"
	grep INTERNAL err && die "make's pool is not whole at exit"
	expect "most ninja jobs at once" "$(maxconc L)" 4
	expect "most jobs after ninja at once" "$(maxconc A)" 4
}
# The same, the free tokens held by 3 sibling jobs of make as ninja starts
# (each waits until the 3 run at once), its serial step w ending only once
# they have ended and the 3 tokens wait in its fifo: no event of ninja's
# says they are free again, jobproxy must look at the parent by itself.
t_ninja_after_siblings_under_make44() {
	need_make44
	ninja_bin
	mkdir L S
	cat >build.ninja <<EOF
rule w
  command = timeout 20 $TJOB --client wait=$PWD/S/s1 wait=$PWD/S/s2 wait=$PWD/S/s3 parked=3 || touch $PWD/unparked
rule l
  command = $TJOB $PWD/L --need 4 --timeout 20
build w: w
EOF
	for i in 1 2 3 4; do printf 'build l%s: l w\n' $i; done >>build.ninja
	printf 'all: n s1 s2 s3\nn:\n\t+ninja\ns1 s2 s3:\n\t@%s %s/S --need 3 --timeout 20; touch %s/S/$@\n' \
		"$TJOB" "$PWD" "$PWD" >Makefile
	PATH=$PWD/bin:$PATH "$JP" "$M44" -j4 >out 2>err
	rc=$?
	sed 's/^/  /' out err
	expect "exit status" "$rc" 0
	[ -e unparked ] && die "ninja's fifo never held the 3 tokens the siblings freed"
	grep INTERNAL err && die "make's pool is not whole at exit"
	expect "most sibling jobs at once" "$(maxconc S)" 3
	expect "most ninja jobs at once" "$(maxconc L)" 4
}
t_ninja_under_make44() { need_make44; ninja_under_make "$M44"; }
t_ninja_under_make43() { need_make43; ninja_under_make make; }
t_ninja_killed_under_make44() { need_make44; KILL=1 ninja_under_make "$M44"; }
t_ninja_killed_under_make43() { need_make43; KILL=1 ninja_under_make make; }

run_one "$1"
