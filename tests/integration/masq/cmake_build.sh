#!/bin/sh
# Issue 12, "partial": `cmake --build` runs the make it found at configure
# time by its absolute path (CMAKE_MAKE_PROGRAM, /usr/bin/gmake on Debian
# 12), and that make runs its sub-makes as $(MAKE), its own path.  Below
# `jobproxy -j 4` (or cargo's cmake-rs, or any non-make parent) no jobproxy
# is inserted into them: the sub-make that runs the targets (make -f
# CMakeFiles/Makefile2) is SIGKILLed holding the 3 tokens of -j4, and the
# next `cmake --build` in the same pool runs its 4 targets of 1 s one at a
# time.  Under `jobproxy make -j4` (a `+` recipe running cmake) the MAKE=
# jobproxy inserted travels in MAKEFLAGS through cmake into CMake's own
# makes, which then run "jobproxy make", not the gmake cmake chose.
#   sh tests/integration/masq/cmake_build.sh [4.3|4.4.1]
. "$(dirname "$0")/common.sh"
usemake "${1:-4.3}"
command -v cmake >/dev/null 2>&1 || skip "cmake is not installed"
mkdir -p "$T/D" "$T/L" "$T/B"

# k kills the make that runs CMakeFiles/Makefile2 (not a jobproxy in front
# of it) once a b c k all run.
cat >killer.sh <<EOF
p=\$PPID
while [ "\$p" -gt 1 ]; do
	case \$(cat /proc/\$p/comm) in
	make | gmake) if tr '\\0' ' ' </proc/\$p/cmdline | grep -q Makefile2; then
		q=\$(cut -d' ' -f4 /proc/\$p/stat)
		{ tr '\\0' ' ' </proc/\$p/cmdline; echo; tr '\\0' ' ' </proc/\$q/cmdline; echo; } >$T/killed.txt
		exec $TJOB $T/D --kill \$p --when 4
	fi ;;
	esac
	p=\$(cut -d' ' -f4 /proc/\$p/stat)
done
echo "killer.sh: no make of Makefile2 above me" >&2
exit 1
EOF
cat >CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.13)
project(crash NONE)
foreach(t a b c)
  add_custom_target(\${t} COMMAND $TJOB $T/D --until $T/D/killed COMMAND touch $T/D/\${t}.done)
endforeach()
add_custom_target(k COMMAND sh $T/killer.sh)
add_custom_target(crash DEPENDS a b c k)
foreach(t l1 l2 l3 l4)
  add_custom_target(\${t} COMMAND $TJOB $T/L --ms 1000)
endforeach()
add_custom_target(later DEPENDS l1 l2 l3 l4)
EOF
# cmake prefers gmake, which is make 4.3 here: name the make under test.
MP=
[ "$MAKEVER" = 4.3 ] || MP=-DCMAKE_MAKE_PROGRAM=$T/bin/make
cmake $MP -S . -B bld >cmake.log 2>&1 || setup_error "cmake configure failed: $(tail -n 3 cmake.log)"
# Both builds, the second after the first's orphans a b c have ended.
cat >builds.sh <<EOF
cmake --build bld --target crash
for j in a b c; do $TJOB $T/B --until $T/D/\$j.done || exit; done
cmake --build bld --target later
EOF
printf 'all:\n\t+sh builds.sh\n' >Makefile

echo "make $MAKEVER; $(cmake --version | head -n 1); CMAKE_MAKE_PROGRAM=$(sed -n 's/^CMAKE_MAKE_PROGRAM:[A-Z]*=//p' bld/CMakeCache.txt)"
echo "cmake --build runs a make that is SIGKILLed holding 3 tokens of -j4; a second cmake --build runs 4 targets of 1 s"
run() {
	resetcrash
	"$@" >out 2>err
	echo "$LABEL | exit $?; $(later)"
	grep -e INTERNAL -e 'killer.sh' err | sed "s/^/$LABEL | /"
	[ -s killed.txt ] && sed -n "1s/^/$LABEL | killed: /p; 2s/^/$LABEL | its parent: /p" killed.txt
	rm -f killed.txt
}
LABEL="make -j4, +sh builds.sh         " run make -j4
LABEL="jobproxy -j 4 sh builds.sh      " run "$JP" -j 4 sh builds.sh
jp=$(latermax)
LABEL="jobproxy make -j4, +sh builds.sh" run "$JP" make -j4
[ "$jp" = 4 ]
