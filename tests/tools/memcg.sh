#!/bin/sh
# memcg.sh LIMIT COMMAND [ARG...]: run COMMAND in a memory cgroup of its
# own, limited to LIMIT bytes (k, M, G suffixes: powers of 1024), then
# remove the cgroup.  Exit status: the command's; 77 (one line on stderr
# saying why) where no such cgroup can be made: not root, no memory
# controller, a hierarchy we may not write.
#
# cgroup v1 (a hierarchy with the memory controller): the new cgroup goes
# under the one we run in, so every limit above still applies; swap is
# limited too where memsw exists, so the limit kills rather than swaps.
# cgroup v2: a child of our cgroup's parent (v2 puts no process in a cgroup
# that has children), or of the root when we run in the root.
#
# MEMCG_REPORT=FILE: write "oom_kill N" there at the end, N the processes
# the kernel's OOM killer ended in the cgroup (0 where the kernel does not
# count them).
set -u

skip() {
	echo "memcg: skipped: $*" >&2
	exit 77
}

[ $# -ge 2 ] || { echo "usage: memcg.sh LIMIT COMMAND [ARG...]" >&2; exit 2; }
case $1 in
*[kK]) limit=$((${1%?} * 1024)) ;;
*[mM]) limit=$((${1%?} * 1048576)) ;;
*[gG]) limit=$((${1%?} * 1073741824)) ;;
*[!0-9]* | '') echo "memcg: bad LIMIT '$1'" >&2; exit 2 ;;
*) limit=$1 ;;
esac
shift
[ "$(id -u)" = 0 ] || skip "not root"
[ -r /proc/self/cgroup ] && [ -r /proc/self/mountinfo ] ||
	skip "no /proc/self/cgroup or mountinfo"

# Our memory cgroup, and where its hierarchy is mounted (the mountinfo
# fields: 4 the path mounted, 5 the mount point; after " - ": type,
# source, options).
v1path=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)/\3/p' \
	/proc/self/cgroup)
if [ -n "$v1path" ]; then
	version=1
	path=$v1path
	mnt=$(awk '{ for (i = 7; $i != "-"; i++); t = $(i + 1); o = $(i + 3)
		if (t == "cgroup" && ("," o ",") ~ /,memory,/) { print $4, $5; exit } }' \
		/proc/self/mountinfo)
else
	version=2
	path=$(sed -n 's/^0::\(.*\)/\1/p' /proc/self/cgroup)
	mnt=$(awk '{ for (i = 7; $i != "-"; i++)
		if ($(i + 1) == "cgroup2") { print $4, $5; exit } }' \
		/proc/self/mountinfo)
fi
[ -n "$mnt" ] || skip "no cgroup hierarchy with a memory controller"
mroot=${mnt%% *}
mnt=${mnt#* }
[ "$mroot" = / ] && mroot=
case $path in
"$mroot" | "$mroot"/*) path=${path#"$mroot"} ;;
*) skip "our cgroup $path is outside the mounted $mroot" ;;
esac
path=${path%/}

if [ $version = 1 ]; then
	parent=$mnt$path
else
	[ -n "$path" ] && parent=$mnt${path%/*} || parent=$mnt
	grep -qw memory "$parent/cgroup.subtree_control" 2>/dev/null ||
		skip "cgroup v2: no memory controller for the children of $parent"
fi
[ -w "$parent" ] || skip "cannot write $parent"
cg=$parent/jobproxy-memcg.$$
mkdir "$cg" 2>/dev/null || skip "cannot create $cg"

cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "${MEMCG_REPORT-}" ]; then
		n=$(sed -n 's/^oom_kill \([0-9]*\)$/\1/p' \
			"$cg/memory.oom_control" "$cg/memory.events" 2>/dev/null)
		echo "oom_kill ${n:-0}" >"$MEMCG_REPORT"
	fi
	# whatever the command left running dies with the cgroup
	tries=0
	while [ -s "$cg/cgroup.procs" ] && [ $tries -lt 100 ]; do
		xargs kill -9 <"$cg/cgroup.procs" 2>/dev/null
		tries=$((tries + 1))
		sleep 0.05
	done
	rmdir "$cg" 2>/dev/null || echo "memcg: could not remove $cg" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ $version = 1 ]; then
	echo "$limit" >"$cg/memory.limit_in_bytes" ||
		skip "cannot set memory.limit_in_bytes"
	[ -e "$cg/memory.memsw.limit_in_bytes" ] &&
		echo "$limit" >"$cg/memory.memsw.limit_in_bytes"
else
	echo "$limit" >"$cg/memory.max" || skip "cannot set memory.max"
	[ -e "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"
fi

# The command joins the cgroup before it runs, not after: nothing it
# allocates is charged elsewhere.
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' memcg "$cg" "$@"
rc=$?
exit $rc
