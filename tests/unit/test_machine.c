/* Unit tests of machine.c: the readings, from fake /proc and
 * /sys/fs/cgroup trees under a temporary root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine.h"

#include "fakeroot.h"

#define MiB ((int64_t)1 << 20)
#define GiB ((int64_t)1 << 30)
#define V1MEM "/sys/fs/cgroup/memory"
#define V1_MOUNT "30 25 0:27 / /sys/fs/cgroup/memory rw,relatime - " \
		 "cgroup cgroup rw,memory\n"
#define V2_MOUNT "26 25 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 " \
		 "cgroup2 rw,nsdelegate\n"
#define OTHER_MOUNTS "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n" \
		     "31 25 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"


/* PATH/{limit,usage,stat} of a v1 level. */
static void v1(const char *path, const char *limit, const char *usage,
	       const char *stat)
{
	char f[512];

	snprintf(f, sizeof f, V1MEM "%s/memory.limit_in_bytes", path);
	put(f, limit);
	snprintf(f, sizeof f, V1MEM "%s/memory.usage_in_bytes", path);
	put(f, usage);
	snprintf(f, sizeof f, V1MEM "%s/memory.stat", path);
	put(f, stat);
}

static void v2(const char *path, const char *max, const char *current,
	       const char *stat)
{
	char f[512];

	snprintf(f, sizeof f, "/sys/fs/cgroup%s/memory.max", path);
	put(f, max);
	snprintf(f, sizeof f, "/sys/fs/cgroup%s/memory.current", path);
	put(f, current);
	snprintf(f, sizeof f, "/sys/fs/cgroup%s/memory.stat", path);
	put(f, stat);
}

#define UNLIMITED "9223372036854771712\n"
#define MEMINFO "MemTotal:       24684084 kB\nMemFree:        " \
		"24387548 kB\nMemAvailable:    8388608 kB\nBuffers: 1 kB\n"

static void meminfo_available(void **state)
{
	(void)state;
	assert_int_equal(machine_meminfo(root), -1);	/* none */
	put("/proc/meminfo", MEMINFO);
	assert_int_equal(machine_meminfo(root), 8 * GiB);
	put("/proc/meminfo", "MemTotal: 100 kB\nMemFree: 50 kB\n");
	assert_int_equal(machine_meminfo(root), -1);	/* before 3.14 */
	put("/proc/meminfo", "MemAvailable: lots\n");
	assert_int_equal(machine_meminfo(root), -1);
	put("/proc/meminfo", "MemAvailableX: 5 kB\nMemAvailable: 7 kB\n");
	assert_int_equal(machine_meminfo(root), 7 * 1024);
	put("/proc/meminfo", "MemAvailable: 99999999999999999999 kB\n");
	assert_int_equal(machine_meminfo(root), -1);
}

static void load_average(void **state)
{
	(void)state;
	assert_true(machine_load1(root) < 0);	/* no getloadavg under a root */
	put("/proc/loadavg", "0.52 0.40 0.30 1/123 4567\n");
	assert_true(machine_load1(root) > 0.519 && machine_load1(root) < 0.521);
	put("/proc/loadavg", "17.00 3.00 1.00 9/99 1\n");
	assert_true(machine_load1(root) > 16.99 && machine_load1(root) < 17.01);
	put("/proc/loadavg", "garbage\n");
	assert_true(machine_load1(root) < 0);
	put("/proc/loadavg", "");
	assert_true(machine_load1(root) < 0);
	put("/proc/loadavg", "-1.0 0 0 1/1 1\n");
	assert_true(machine_load1(root) < 0);
}

/* v1, the limit on our own cgroup; the page cache is taken off. */
static void v1_own_limit(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "9:name=systemd:/\n4:memory:/build/x\n"
				 "1:cpu:/\n0::/\n");
	put("/proc/self/mountinfo", OTHER_MOUNTS V1_MOUNT V2_MOUNT);
	v1("", UNLIMITED, "5000000000\n", "total_inactive_file 0\n");
	v1("/build", UNLIMITED, "1073741824\n", "");
	v1("/build/x", "1610612736\n", "1073741824\n",
	   "cache 5\ninactive_file 1\ntotal_inactive_file 104857600\n");
	assert_int_equal(machine_open(&m, root), MACHINE_CGROUP);
	assert_int_equal(m.version, 1);
	assert_int_equal(machine_cgroup_left(&m), 1536 * MiB - 924 * MiB);
	/* the tighter of machine and cgroup */
	put("/proc/meminfo", MEMINFO);
	assert_int_equal(machine_mem_left(&m), 612 * MiB);
	put("/proc/meminfo", "MemAvailable: 102400 kB\n");
	assert_int_equal(machine_mem_left(&m), 100 * MiB);
	/* over the limit for a moment: nothing left, not less */
	v1("/build/x", "1000\n", "5000\n", "");
	assert_int_equal(machine_cgroup_left(&m), 0);
}

/* v1 writes 2^63 - 4096 for "no limit": none, not 8 EiB left. */
static void v1_unlimited_is_no_limit(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "4:memory:/a\n");
	put("/proc/self/mountinfo", V1_MOUNT);
	v1("", UNLIMITED, "1\n", "");
	v1("/a", UNLIMITED, "1\n", "");
	assert_int_equal(machine_open(&m, root), 0);
	assert_int_equal(machine_cgroup_left(&m), -1);
	v1("/a", "4611686018427387904\n", "1\n", "");	/* 2^62 */
	assert_int_equal(machine_cgroup_left(&m), -1);
	v1("/a", "4611686018427387903\n", "1\n", "");
	assert_int_equal(machine_cgroup_left(&m), 4611686018427387902);
}

/* A parent's limit covers its children, and siblings use it too. */
static void v1_tighter_parent(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "4:memory:/a/b/c\n");
	put("/proc/self/mountinfo", V1_MOUNT);
	v1("", UNLIMITED, "1\n", "");
	v1("/a", "2147483648\n", "2095054848\n", "");	/* 50 MiB left */
	v1("/a/b", UNLIMITED, "5\n", "");
	v1("/a/b/c", "4294967296\n", "1073741824\n", "");
	assert_int_equal(machine_open(&m, root), MACHINE_CGROUP);
	assert_int_equal(machine_cgroup_left(&m), 50 * MiB);
	/* a parent without hierarchy does not cover its children */
	put(V1MEM "/a/b/memory.use_hierarchy", "0\n");
	assert_int_equal(machine_cgroup_left(&m), 3 * GiB);
	put(V1MEM "/a/b/memory.use_hierarchy", "1\n");
	assert_int_equal(machine_cgroup_left(&m), 50 * MiB);
}

static void v2_limits(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "0::/user.slice/build.scope\n");
	put("/proc/self/mountinfo", OTHER_MOUNTS V2_MOUNT);
	v2("/user.slice/build.scope", "max\n", "100\n", "anon 1\n");
	assert_int_equal(machine_open(&m, root), 0);	/* no limit at all */
	assert_int_equal(m.version, 2);
	assert_int_equal(machine_cgroup_left(&m), -1);
	v2("/user.slice", "4294967296\n", "3221225472\n",
	   "anon 5\nactive_file 9\ninactive_file 536870912\n");
	assert_int_equal(machine_cgroup_left(&m), 1536 * MiB);
	v2("/user.slice/build.scope", "1073741824\n", "268435456\n", "");
	assert_int_equal(machine_cgroup_left(&m), 768 * MiB);
}

/* cgroup v2 without the memory controller: no memory.* files. */
static void v2_without_memory_controller(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "0::/a\n");
	put("/proc/self/mountinfo", V2_MOUNT);
	put("/sys/fs/cgroup/a/cgroup.procs", "1\n");
	put("/proc/meminfo", MEMINFO);
	put("/proc/loadavg", "1.00 1.00 1.00 1/1 1\n");
	assert_int_equal(machine_open(&m, root), MACHINE_MEMINFO | MACHINE_LOAD);
	assert_int_equal(machine_mem_left(&m), 8 * GiB);
}

/* Hybrid (this machine): memory on v1, v2 mounted without it. */
static void hybrid_prefers_v1_memory(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "0::/\n4:memory:/job\n");
	put("/proc/self/mountinfo",
	    "26 25 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
	    V1_MOUNT);
	v1("/job", "1048576\n", "0\n", "");
	assert_int_equal(machine_open(&m, root), MACHINE_CGROUP);
	assert_int_equal(m.version, 1);
	assert_int_equal(machine_cgroup_left(&m), 1 * MiB);
}

/* No mountinfo: the usual mount points. */
static void default_mount_points(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "4:memory:/job\n");
	v1("/job", "1048576\n", "0\n", "");
	assert_int_equal(machine_open(&m, root), MACHINE_CGROUP);
	assert_int_equal(machine_cgroup_left(&m), 1 * MiB);
}

/* A container sees its own cgroup mounted as the hierarchy's root. */
static void mounted_subtree(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "4:memory:/docker/abc\n");
	put("/proc/self/mountinfo", "30 25 0:27 /docker/abc "
	    "/sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n");
	v1("", "2097152\n", "1048576\n", "");
	assert_int_equal(machine_open(&m, root), MACHINE_CGROUP);
	assert_int_equal(machine_cgroup_left(&m), 1 * MiB);
	/* a cgroup outside what is mounted cannot be read */
	put("/proc/self/cgroup", "4:memory:/docker/xyz\n");
	assert_int_equal(machine_open(&m, root), 0);
	assert_int_equal(m.version, 0);
	put("/proc/self/cgroup", "4:memory:/docker/abcd\n");
	assert_int_equal(machine_open(&m, root), 0);
}

static void escaped_mount_point(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "0::/j\n");
	put("/proc/self/mountinfo",
	    "26 25 0:26 / /cg\\040two rw - cgroup2 cgroup2 rw\n");
	put("/cg two/j/memory.max", "4096\n");
	put("/cg two/j/memory.current", "1024\n");
	assert_int_equal(machine_open(&m, root), MACHINE_CGROUP);
	assert_int_equal(machine_cgroup_left(&m), 3072);
}

/* Garbage at one level: that level says nothing, the others still do. */
static void garbage_levels_are_skipped(void **state)
{
	struct machine m;

	(void)state;
	put("/proc/self/cgroup", "garbage\n4:memory\n4:memory:/a/b\n:::\n");
	put("/proc/self/mountinfo", "garbage line\n\n - \n" V1_MOUNT);
	v1("/a", "1048576\n", "0\n", "");
	v1("/a/b", "12abc\n", "0\n", "");
	assert_int_equal(machine_open(&m, root), MACHINE_CGROUP);
	assert_int_equal(machine_cgroup_left(&m), 1 * MiB);
	v1("/a/b", "\n", "0\n", "");
	assert_int_equal(machine_cgroup_left(&m), 1 * MiB);
	v1("/a/b", "99999999999999999999\n", "0\n", "");
	assert_int_equal(machine_cgroup_left(&m), 1 * MiB);
	v1("/a/b", "1024\n", "-5\n", "");
	assert_int_equal(machine_cgroup_left(&m), 1 * MiB);
	v1("/a/b", "1024\n", "512\n", "total_inactive_file junk\n");
	assert_int_equal(machine_cgroup_left(&m), 512);
	/* a stat that says more is inactive than used: nothing used */
	v1("/a/b", "1024\n", "512\n", "total_inactive_file 4096\n");
	assert_int_equal(machine_cgroup_left(&m), 1024);
}

static void nothing_on_this_system(void **state)
{
	struct machine m;

	(void)state;
	assert_int_equal(machine_open(&m, root), 0);
	assert_int_equal(machine_mem_left(&m), -1);
	assert_true(machine_load1(root) < 0);
}

/* The real thing, loosely: Linux has MemAvailable and a load. */
static void this_system(void **state)
{
	struct machine m;
	int found = machine_open(&m, "");

	(void)state;
#ifdef __linux__
	assert_true(found & MACHINE_MEMINFO);
	assert_true(found & MACHINE_LOAD);
	assert_true(machine_mem_left(&m) > 0);
#endif
	assert_true(machine_load1("") >= 0 || !(found & MACHINE_LOAD));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(meminfo_available, setup, teardown),
		cmocka_unit_test_setup_teardown(load_average, setup, teardown),
		cmocka_unit_test_setup_teardown(v1_own_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(v1_unlimited_is_no_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(v1_tighter_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(v2_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(v2_without_memory_controller,
						setup, teardown),
		cmocka_unit_test_setup_teardown(hybrid_prefers_v1_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(default_mount_points, setup,
						teardown),
		cmocka_unit_test_setup_teardown(mounted_subtree, setup, teardown),
		cmocka_unit_test_setup_teardown(escaped_mount_point, setup,
						teardown),
		cmocka_unit_test_setup_teardown(garbage_levels_are_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(nothing_on_this_system, setup,
						teardown),
		cmocka_unit_test(this_system),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
