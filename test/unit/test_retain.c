// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for retention: the pure choice at its edges, then sweeps of a real temp directory. */
#include "../../src/dirlist.c"
#include "../../src/arena.c"
#include "../../src/retain.c"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "check.h"

#define DAY 86400
#define NOW INT64_C(1700000000)

#define E(nm, sz, t) { .name = (nm), .size = (sz), .mtime_sec = (t), .mtime_nsec = 0 }
#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

static void test_names(void)
{
	CHECK(retain_is_bundle("aod_quick_1700000000000000000_smb_latency.tar.zst"));
	CHECK(retain_is_bundle("aod_capture_1_smb_error.tar.zst"));
	CHECK(!retain_is_bundle("aod_quick_1_smb_latency.tar.zst.part"));
	CHECK(!retain_is_bundle("aod_quick_.tar.zst"));
	CHECK(!retain_is_bundle("aod_capture_.tar.zst"));
	CHECK(!retain_is_bundle("aod_trace_1.tar.zst"));
	CHECK(!retain_is_bundle("aod_quick_1.tar"));
	CHECK(!retain_is_bundle("xaod_quick_1.tar.zst"));
	CHECK(!retain_is_bundle("notes.txt"));
	CHECK(!retain_is_bundle(""));
}

static void test_exactly_ninety(void)
{
	const struct retain_entry e[] = {
		E("aod_quick_1_smb_latency.tar.zst", 300, NOW - 30),
		E("aod_quick_2_smb_latency.tar.zst", 300, NOW - 20),
		E("aod_quick_3_smb_latency.tar.zst", 300, NOW - 10),
	};
	bool del[N(e)];

	/* 900 of 1000 is at 90 %, not past it */
	CHECK(retain_choose(e, N(e), 1000, 2 * DAY, NOW, del) == 0);
	CHECK(!del[0] && !del[1] && !del[2]);
	/* the same 900 bytes of 999: 90 % is 899.1, so 900 passes it */
	CHECK(retain_choose(e, N(e), 999, 2 * DAY, NOW, del) == 2);
	CHECK(del[0] && del[1] && !del[2]);
}

static void test_just_over(void)
{
	/* 901 of 1000, listed out of order: the two oldest go, leaving 301 <= 500 */
	const struct retain_entry e[] = {
		E("aod_quick_3_smb_latency.tar.zst", 301, NOW - 10),
		E("aod_quick_1_smb_latency.tar.zst", 300, NOW - 30),
		E("aod_capture_2_smb_error.tar.zst", 300, NOW - 20),
	};
	const struct retain_entry exact[] = {
		E("aod_quick_1_smb_latency.tar.zst", 400, NOW - 30),
		E("aod_quick_2_smb_latency.tar.zst", 100, NOW - 20),
		E("aod_quick_3_smb_latency.tar.zst", 500, NOW - 10),
	};
	bool del[3];

	CHECK(retain_choose(e, N(e), 1000, 2 * DAY, NOW, del) == 2);
	CHECK(!del[0] && del[1] && del[2]);
	/* deletion stops as soon as the total is at 50 % exactly */
	CHECK(retain_choose(exact, N(exact), 1000, 2 * DAY, NOW, del) == 2);
	CHECK(del[0] && del[1] && !del[2]);
	/* one bundle alone over the limit is deleted too: AODv2 does the same */
	CHECK(retain_choose(exact + 2, 1, 400, 2 * DAY, NOW, del) == 1 && del[0]);
}

static void test_age(void)
{
	const struct retain_entry e[] = {
		E("aod_quick_1_smb_latency.tar.zst", 10, NOW - 2 * DAY - 1),	/* older than 2 days */
		E("aod_quick_2_smb_latency.tar.zst", 10, NOW - 2 * DAY),	/* exactly 2 days: kept */
		E("aod_quick_3_smb_latency.tar.zst", 10, NOW + 100),		/* clock went back: kept */
		E("notes.txt", 10, NOW - 100 * DAY),				/* not ours */
	};
	bool del[N(e)];

	CHECK(retain_choose(e, N(e), 1000, 2 * DAY, NOW, del) == 1);
	CHECK(del[0] && !del[1] && !del[2] && !del[3]);
	/* max_age_days 0: no age limit */
	CHECK(retain_choose(e, N(e), 1000, 0, NOW, del) == 0);
	/* aged-out bundles no longer count toward the size check */
	{
		const struct retain_entry f[] = {
			E("aod_quick_1_smb_latency.tar.zst", 600, NOW - 5 * DAY),
			E("aod_quick_2_smb_latency.tar.zst", 400, NOW - 10),
		};
		bool d2[2];

		CHECK(retain_choose(f, 2, 1000, 2 * DAY, NOW, d2) == 1);
		CHECK(d2[0] && !d2[1]);
	}
}

/* max_log_age_days 0.25 is 21600 s: a 12-hour-old bundle goes, it was kept when rounded up to a day. */
static void test_fractional_age(void)
{
	const struct retain_entry e[] = {
		E("aod_quick_1_smb_latency.tar.zst", 10, NOW - 12 * 3600),
		E("aod_quick_2_smb_latency.tar.zst", 10, NOW - 6 * 3600),	/* exactly the limit: kept */
		E("aod_quick_3_smb_latency.tar.zst", 10, NOW - 5 * 3600),
	};
	bool del[N(e)];

	CHECK(retain_choose(e, N(e), 0, 6 * 3600, NOW, del) == 1);
	CHECK(del[0] && !del[1] && !del[2]);
	CHECK(retain_aged(&e[0], 21600, NOW) && !retain_aged(&e[1], 21600, NOW));
	CHECK(!retain_aged(&e[0], 0, NOW));
	CHECK(!retain_aged(&e[0], UINT64_MAX, NOW));	/* no overflow into "everything is old" */
}

static void test_ignored(void)
{
	const struct retain_entry e[] = {
		E("aod_quick_9_smb_latency.tar.zst.part", 1u << 30, NOW - 9 * DAY),
		E("core.1234", 1u << 30, NOW - 9 * DAY),
		E("aod_trace_1.jsonl", 1u << 30, NOW - 9 * DAY),
		E("aod_quick_1_smb_latency.tar.zst", 100, NOW - 50),
		E("aod_capture_2_smb_error.tar.zst", 100, NOW - 40),
	};
	bool del[N(e)];

	memset(del, 1, sizeof(del));	/* every flag must be written */
	CHECK(retain_choose(e, N(e), 1000, 2 * DAY, NOW, del) == 0);
	CHECK(!del[0] && !del[1] && !del[2] && !del[3] && !del[4]);
	/* over the limit, only bundles go, and they are enough */
	CHECK(retain_choose(e, N(e), 210, 2 * DAY, NOW, del) == 1);
	CHECK(!del[0] && !del[1] && !del[2] && del[3] && !del[4]);
}

static void test_ties(void)
{
	const struct retain_entry e[] = {
		E("aod_quick_b_smb_latency.tar.zst", 100, NOW - 10),
		E("aod_quick_a_smb_latency.tar.zst", 100, NOW - 10),
		E("aod_quick_c_smb_latency.tar.zst", 100, NOW - 10),
	};
	struct retain_entry ns[3];
	bool del[3];

	/* same mtime: by name */
	CHECK(retain_choose(e, N(e), 300, 2 * DAY, NOW, del) == 2);
	CHECK(del[0] && del[1] && !del[2]);
	CHECK(retain_choose(e, N(e), 330, 2 * DAY, NOW, del) == 2);	/* 300 > 297 */
	CHECK(retain_choose(e, N(e), 400, 2 * DAY, NOW, del) == 0);	/* 300 <= 360 */
	/* nanoseconds come before the name */
	memcpy(ns, e, sizeof(ns));
	ns[0].mtime_nsec = 1;
	ns[1].mtime_nsec = 2;
	ns[2].mtime_nsec = 0;
	CHECK(retain_choose(ns, 3, 300, 2 * DAY, NOW, del) == 2);
	CHECK(del[0] && !del[1] && del[2]);
}

static void test_empty_and_limits(void)
{
	const struct retain_entry e[] = {
		E("aod_quick_1_smb_latency.tar.zst", UINT64_MAX / 2, NOW - 20),
		E("aod_quick_2_smb_latency.tar.zst", UINT64_MAX / 2, NOW - 10),
		E("aod_quick_3_smb_latency.tar.zst", UINT64_MAX / 2, NOW - 5),
	};
	bool del[3] = { true, true, true };

	CHECK(retain_choose(NULL, 0, 1000, 2 * DAY, NOW, del) == 0);
	CHECK(retain_choose(e, 3, 0, 0, NOW, del) == 0);	/* no limits at all */
	CHECK(!del[0] && !del[1] && !del[2]);
	/* totals that overflow 64 bits saturate instead of wrapping to "small" */
	CHECK(retain_choose(e, 3, UINT64_MAX, 0, NOW, del) == 2);
	CHECK(del[0] && del[1] && !del[2]);
}

/* Sorted and shuffled inputs must choose the same files; the size rule's invariants hold. */
static void test_random_equivalence(void)
{
	static struct retain_entry e[500], s[500];
	static char names[500][48];
	static bool d1[500], d2[500];
	unsigned seed = 42;
	size_t i, j, c1, c2;
	int round, unsorted = 0, mismatched = 0;

	for (round = 0; round < 20; round++) {
		uint64_t total = 0, kept = 0;
		int64_t newest_deleted = INT64_MIN, oldest_kept = INT64_MAX;

		for (i = 0; i < N(e); i++) {
			seed = seed * 1103515245u + 12345u;
			snprintf(names[i], sizeof(names[i]), "%s%zu_smb_latency.tar.zst",
				 (seed >> 8) % 7 == 0 ? "other_" : "aod_quick_", i);
			e[i] = (struct retain_entry)E(names[i], (seed >> 4) % 5000, NOW - (int64_t)((seed >> 12) % 1000));
			if (retain_is_bundle(names[i]))
				total += e[i].size;
		}
		memcpy(s, e, sizeof(e));
		sort_entries(s, N(s));
		for (i = 1; i < N(s); i++)
			unsorted += entry_cmp(&s[i - 1], &s[i]) > 0;
		c1 = retain_choose(e, N(e), total, 0, NOW, d1);	/* at 100 %: must cut to 50 % */
		c2 = retain_choose(s, N(s), total, 0, NOW, d2);
		CHECK(c1 == c2 && c1 > 0);
		for (i = 0; i < N(s); i++) {
			for (j = 0; j < N(e) && strcmp(e[j].name, s[i].name); j++)
				;
			mismatched += !(j < N(e) && d1[j] == d2[i]);
			if (!retain_is_bundle(s[i].name))
				continue;
			if (d2[i] && s[i].mtime_sec > newest_deleted)
				newest_deleted = s[i].mtime_sec;
			if (!d2[i]) {
				kept += s[i].size;
				if (s[i].mtime_sec < oldest_kept)
					oldest_kept = s[i].mtime_sec;
			}
		}
		CHECK(kept <= total / 2);
		CHECK(newest_deleted <= oldest_kept);
	}
	CHECK(unsorted == 0);
	CHECK(mismatched == 0);
}

/* ---- sweeps of a real directory ---- */

static char dir[] = "/tmp/aod_test_retain.XXXXXX";
static int dfd = -1;

static void mkfile(const char *name, off_t size, int64_t mtime)
{
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, size) == 0);
	close(fd);
	CHECK(utimensat(dfd, name, ts, 0) == 0);
}

static bool exists(const char *name)
{
	return faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			if (unlinkat(dfd, de->d_name, 0) < 0)
				unlinkat(dfd, de->d_name, AT_REMOVEDIR);
	if (d)
		closedir(d);
}

static void test_sweep(void)
{
	static unsigned char mem[64 << 10];
	struct retain_result r;
	struct arena a;
	size_t mark;

	arena_init_buffer(&a, mem, sizeof(mem));
	CHECK(arena_alloc(&a, 1, 100, 1) != NULL);
	mark = arena_mark(&a);

	mkfile("aod_quick_1_smb_latency.tar.zst", 3000, NOW - 400);
	mkfile("aod_quick_2_smb_latency.tar.zst", 3000, NOW - 300);
	mkfile("aod_capture_3_smb_error.tar.zst", 3000, NOW - 200);
	mkfile("aod_quick_4_smb_latency.tar.zst", 1000, NOW - 100);
	mkfile("aod_quick_0_smb_latency.tar.zst", 10, NOW - 3 * DAY);	/* aged out */
	mkfile("aod_quick_5_smb_latency.tar.zst.part", 50000, NOW - 9 * DAY);
	mkfile("foreign.tar.zst", 50000, NOW - 9 * DAY);
	mkfile("target.txt", 50000, NOW - 9 * DAY);
	CHECK(symlinkat("target.txt", dfd, "aod_quick_6_smb_latency.tar.zst") == 0);
	CHECK(mkdirat(dfd, "aod_quick_7_smb_latency.tar.zst", 0700) == 0);

	/* 10000 of 10000 passes 90 %: 1, 2 go (4000 left <= 5000); 0 goes by age */
	CHECK(retain_sweep(dfd, 10000, 2 * DAY, NOW, &a, &r) == 0);
	CHECK(arena_mark(&a) == mark);
	CHECK(r.deleted_files == 3 && r.deleted_bytes == 6010);
	CHECK(r.kept_files == 2 && r.kept_bytes == 4000);
	CHECK(r.errors == 0);
	CHECK(!exists("aod_quick_0_smb_latency.tar.zst"));
	CHECK(!exists("aod_quick_1_smb_latency.tar.zst"));
	CHECK(!exists("aod_quick_2_smb_latency.tar.zst"));
	CHECK(exists("aod_capture_3_smb_error.tar.zst"));
	CHECK(exists("aod_quick_4_smb_latency.tar.zst"));
	CHECK(exists("aod_quick_5_smb_latency.tar.zst.part"));
	CHECK(exists("foreign.tar.zst"));
	CHECK(exists("target.txt"));
	CHECK(exists("aod_quick_6_smb_latency.tar.zst"));
	CHECK(exists("aod_quick_7_smb_latency.tar.zst"));

	/* nothing more to do: a second sweep keeps everything */
	CHECK(retain_sweep(dfd, 10000, 2 * DAY, NOW, &a, &r) == 0);
	CHECK(r.deleted_files == 0 && r.kept_files == 2 && r.kept_bytes == 4000);

	/* a scratch arena too small is an error and deletes nothing */
	{
		struct arena tiny;
		static unsigned char small[1024];

		arena_init_buffer(&tiny, small, sizeof(small));
		CHECK(retain_sweep(dfd, 1, 0, NOW, &tiny, &r) == -ENOMEM);
		CHECK(tiny.used == 0 && tiny.failures == 1);
		CHECK(exists("aod_quick_4_smb_latency.tar.zst"));
	}

	/* retain_remove_parts: only aod's regular *.part files */
	mkfile("aod_quick_8_smb_latency.tar.zst.part", 1, NOW);
	mkfile("user.part", 1, NOW);
	CHECK(mkdirat(dfd, "aod_dir.part", 0700) == 0);
	CHECK(symlinkat("target.txt", dfd, "aod_link.part") == 0);
	{
		unsigned removed = 99;

		CHECK(retain_remove_parts(dfd, &removed) == 0);
		CHECK(removed == 2);
		CHECK(!exists("aod_quick_5_smb_latency.tar.zst.part"));
		CHECK(!exists("aod_quick_8_smb_latency.tar.zst.part"));
		CHECK(exists("user.part") && exists("aod_dir.part") && exists("aod_link.part"));
		CHECK(exists("target.txt"));
		CHECK(retain_remove_parts(dfd, NULL) == 0);
	}
	clean_dir();

	/* empty directory */
	CHECK(retain_sweep(dfd, 10000, 2 * DAY, NOW, &a, &r) == 0);
	CHECK(r.deleted_files == 0 && r.kept_files == 0 && r.kept_bytes == 0);
	arena_reset(&a, 0);
}

/* More entries than one getdents64 buffer holds: the oldest half goes, the newest half stays. */
static void test_sweep_many(void)
{
	enum { COUNT = 1200 };
	struct retain_result r;
	struct arena a;
	char name[64];
	int i, kept_ok = 0, gone_ok = 0;

	for (i = 0; i < COUNT; i++) {
		snprintf(name, sizeof(name), "aod_quick_%04d_health_sched_latency.tar.zst", i);
		mkfile(name, 100, NOW - 10000 + i);
	}
	/* no scratch arena: the static one holds this listing too */
	CHECK(retain_sweep(dfd, UINT64_MAX, 2 * DAY, NOW, NULL, &r) == 0);
	CHECK(r.deleted_files == 0 && r.kept_files == COUNT && r.kept_bytes == COUNT * 100);
	CHECK(retain_sweep(dfd, UINT64_MAX, 2 * DAY, NOW, NULL, NULL) == 0);
	CHECK(arena_init(&a, retain_scratch_need(COUNT)) == 0);
	CHECK(retain_sweep(dfd, COUNT * 100, 2 * DAY, NOW, &a, &r) == 0);
	CHECK(r.deleted_files == COUNT / 2 && r.kept_files == COUNT / 2);
	CHECK(r.kept_bytes == COUNT / 2 * 100);
	CHECK(a.failures == 0);
	for (i = 0; i < COUNT; i++) {
		snprintf(name, sizeof(name), "aod_quick_%04d_health_sched_latency.tar.zst", i);
		if (i < COUNT / 2)
			gone_ok += !exists(name);
		else
			kept_ok += exists(name);
	}
	CHECK(gone_ok == COUNT / 2 && kept_ok == COUNT / 2);
	arena_fini(&a);
	clean_dir();
}

static void mkbundle(int i, off_t size, int64_t mtime)
{
	char name[64];

	snprintf(name, sizeof(name), "aod_quick_%05d_smb_latency.tar.zst", i);
	mkfile(name, size, mtime);
}

static int count_bundles(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += retain_is_bundle(de->d_name);
	if (d)
		closedir(d);
	return n;
}

/* The fractional limit through a real sweep: seconds reach the age check, not whole days. */
static void test_sweep_fractional_age(void)
{
	struct retain_result r;

	mkbundle(1, 10, NOW - 12 * 3600);
	mkbundle(2, 10, NOW - 5 * 3600);
	CHECK(retain_sweep(dfd, 0, 21600, NOW, NULL, &r) == 0);
	CHECK(r.deleted_files == 1 && r.kept_files == 1);
	CHECK(!exists("aod_quick_00001_smb_latency.tar.zst") && exists("aod_quick_00002_smb_latency.tar.zst"));
	clean_dir();
}

/* 10,000 aged bundles (past what the old fixed listing held) all go in one sweep, in the built-in scratch. */
static void test_sweep_10000_aged(void)
{
	enum { COUNT = 10000 };
	struct retain_result r;
	int i;

	for (i = 0; i < COUNT; i++)
		mkbundle(i, 0, NOW - 3 * DAY - i);
	CHECK(retain_sweep(dfd, 1 << 20, 2 * DAY, NOW, NULL, &r) == 0);
	CHECK(r.deleted_files == COUNT && r.kept_files == 0 && r.errors == 0);
	CHECK(count_bundles() == 0);
	clean_dir();
}

/*
 * 10,000 bundles over the size limit, with scratch for RETAIN_PASS_SLOTS candidates: many passes,
 * and the sweep deletes exactly what retain_choose picks from the whole listing (the oldest half).
 */
static void test_sweep_10000_size(void)
{
	enum { COUNT = 10000 };
	size_t need = retain_scratch_need(RETAIN_PASS_SLOTS);
	struct retain_result r;
	struct arena a;
	char name[64];
	int i, wrong = 0;

	CHECK(need <= RETAIN_STATIC_SCRATCH);
	for (i = 0; i < COUNT; i++)
		mkbundle(i, 1, NOW - COUNT + i / 3);	/* equal mtimes in threes: the name breaks ties */
	CHECK(arena_init(&a, need) == 0);
	CHECK(retain_sweep(dfd, COUNT, 2 * DAY, NOW, &a, &r) == 0);
	CHECK(r.deleted_files == COUNT / 2 && r.kept_files == COUNT / 2 && r.kept_bytes == COUNT / 2);
	CHECK(a.high <= need && a.failures == 0);
	for (i = 0; i < COUNT; i++) {
		snprintf(name, sizeof(name), "aod_quick_%05d_smb_latency.tar.zst", i);
		wrong += exists(name) != (i >= COUNT / 2);
	}
	CHECK(wrong == 0);
	arena_fini(&a);
	clean_dir();
}

/* Random sizes, ages and a tiny scratch (3 candidates a pass): the same files as retain_choose. */
static void test_sweep_matches_choose(void)
{
	enum { COUNT = 200 };
	static struct retain_entry e[COUNT];
	static char names[COUNT][64];
	static bool del[COUNT];
	static unsigned char mem[DENTS_BUF + 3 * SLOT_BYTES + 16];
	struct retain_result r;
	struct arena a;
	unsigned seed = 7;
	uint64_t total = 0;
	size_t i, chosen;
	int wrong = 0;

	for (i = 0; i < COUNT; i++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(names[i], sizeof(names[i]), "aod_quick_%05zu_smb_latency.tar.zst", i);
		e[i] = (struct retain_entry)E(names[i], (seed >> 4) % 5000, NOW - (int64_t)((seed >> 12) % 400) * 600);
		mkfile(names[i], (off_t)e[i].size, e[i].mtime_sec);
		total += e[i].size;
	}
	chosen = retain_choose(e, COUNT, total / 2, 2 * DAY, NOW, del);
	arena_init_buffer(&a, mem, sizeof(mem));
	CHECK(retain_sweep(dfd, total / 2, 2 * DAY, NOW, &a, &r) == 0);
	CHECK(chosen > 0 && r.deleted_files == chosen && a.failures == 0);
	for (i = 0; i < COUNT; i++)
		wrong += exists(names[i]) == del[i];
	CHECK(wrong == 0);
	clean_dir();
}

/* Bundles a keep hook wants (not yet uploaded): never aged out, deleted for size only after all others. */
static void test_keep_choose(void)
{
	const struct retain_entry e[] = {
		E("aod_quick_1_smb_latency.tar.zst", 300, NOW - 40),
		E("aod_quick_2_smb_latency.tar.zst", 300, NOW - 30),
		E("aod_quick_3_smb_latency.tar.zst", 300, NOW - 20),
		E("aod_quick_4_smb_latency.tar.zst", 300, NOW - 10),
	};
	const bool kept[N(e)] = { true, true, false, false };
	const bool none[N(e)] = { false, false, false, false };
	bool del[N(e)];

	/* 1200 of 1000: the two not kept go first (600 left, still over 500), then the oldest kept one */
	CHECK(retain_choose_keep(e, N(e), 1000, 2 * DAY, NOW, kept, del) == 3);
	CHECK(del[0] && !del[1] && del[2] && del[3]);
	/* without a keep hook: plain oldest first */
	CHECK(retain_choose_keep(e, N(e), 1000, 2 * DAY, NOW, none, del) == 3);
	CHECK(del[0] && del[1] && del[2] && !del[3]);
	CHECK(retain_choose_keep(e, N(e), 1000, 2 * DAY, NOW, NULL, del) == 3);
	CHECK(del[0] && del[1] && del[2] && !del[3]);
	/* enough room once the unkept are gone: the kept ones all stay */
	CHECK(retain_choose_keep(e, N(e), 1400, 2 * DAY, NOW, kept, del) == 0);
	CHECK(retain_choose_keep(e, N(e), 1250, 2 * DAY, NOW, kept, del) == 2);
	CHECK(!del[0] && !del[1] && del[2] && del[3]);
	/* age: a kept bundle is never deleted for its age */
	CHECK(retain_choose_keep(e, N(e), 0, 15, NOW, kept, del) == 1);
	CHECK(!del[0] && !del[1] && del[2] && !del[3]);
}

static char lost_names[4][64];
static int nlost;

static bool keep_low(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "aod_quick_00001_smb_latency.tar.zst") || !strcmp(name, "aod_quick_00002_smb_latency.tar.zst");
}

static void note_lost(void *ctx, const char *name, uint64_t size)
{
	(*(uint64_t *)ctx) += size;
	if (nlost < 4)
		snprintf(lost_names[nlost++], sizeof(lost_names[0]), "%s", name);
}

/* The sweep with a keep hook does what retain_choose_keep says, and reports each kept bundle it deleted. */
static void test_sweep_keep(void)
{
	uint64_t lost_bytes = 0;
	struct retain_keep k = { keep_low, note_lost, &lost_bytes };
	struct retain_result r;
	int i;

	for (i = 1; i <= 4; i++)
		mkbundle(i, 300, NOW - 50 + i * 10);
	CHECK(retain_sweep_keep(dfd, 1000, 2 * DAY, NOW, &k, NULL, &r) == 0);
	CHECK(r.deleted_files == 3 && r.lost_files == 1 && r.kept_files == 1);
	CHECK(!exists("aod_quick_00001_smb_latency.tar.zst") && exists("aod_quick_00002_smb_latency.tar.zst"));
	CHECK(!exists("aod_quick_00003_smb_latency.tar.zst") && !exists("aod_quick_00004_smb_latency.tar.zst"));
	CHECK(nlost == 1 && !strcmp(lost_names[0], "aod_quick_00001_smb_latency.tar.zst") && lost_bytes == 300);
	clean_dir();
	/* aged out, but kept: stays; the unkept one of the same age goes */
	mkbundle(1, 10, NOW - 3 * DAY);
	mkbundle(3, 10, NOW - 3 * DAY);
	CHECK(retain_sweep_keep(dfd, 0, 2 * DAY, NOW, &k, NULL, &r) == 0);
	CHECK(r.deleted_files == 1 && r.lost_files == 0 && nlost == 1);
	CHECK(exists("aod_quick_00001_smb_latency.tar.zst") && !exists("aod_quick_00003_smb_latency.tar.zst"));
	clean_dir();
}

static void trace_touch(const char *d, const char *name, time_t mtime)
{
	char path[512];
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	utimes(path, tv);
}

static bool trace_exists(const char *d, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", d, name);
	return access(path, F_OK) == 0;
}

/* aod trace's files: by name and age only, never another file, never a symlink. */
static void test_traces(void)
{
	char d[] = "/tmp/aod-test-trace-XXXXXX", path[600];
	time_t now = 1700000000;

	CHECK(mkdtemp(d) != NULL);
	trace_touch(d, "trace_1_file_trace.jsonl", now - 3601);
	trace_touch(d, "trace_2_file_trace.jsonl.part", now - 7200);
	trace_touch(d, "trace_3_file_trace.jsonl", now - 3600);	/* exactly the limit: kept */
	trace_touch(d, "trace_4_perf.jsonl", now);
	trace_touch(d, "other.jsonl", now - 99999);			/* not ours */
	trace_touch(d, "trace_.json", now - 99999);
	snprintf(path, sizeof(path), "%s/trace_5_link.jsonl", d);
	CHECK(symlink("other.jsonl", path) == 0);
	CHECK(lutimes(path, (struct timeval[2]){ { now - 99999, 0 }, { now - 99999, 0 } }) == 0);	/* aged, yet kept */
	CHECK(retain_traces(d, 3600, now) == 2);
	CHECK(!trace_exists(d, "trace_1_file_trace.jsonl"));
	CHECK(!trace_exists(d, "trace_2_file_trace.jsonl.part"));
	CHECK(trace_exists(d, "trace_3_file_trace.jsonl"));
	CHECK(trace_exists(d, "trace_4_perf.jsonl"));
	CHECK(trace_exists(d, "other.jsonl"));
	CHECK(trace_exists(d, "trace_.json"));
	CHECK(trace_exists(d, "trace_5_link.jsonl"));
	CHECK(unlink(path) == 0);
	CHECK(retain_traces(d, 0, now + 1) == 2);
	CHECK(retain_traces("/nonexistent/aod", 1, now) == -ENOENT);
	snprintf(path, sizeof(path), "%s/other.jsonl", d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/trace_.json", d);
	unlink(path);
	CHECK(rmdir(d) == 0);
}

int main(void)
{
	test_names();
	test_exactly_ninety();
	test_just_over();
	test_age();
	test_fractional_age();
	test_ignored();
	test_ties();
	test_empty_and_limits();
	test_random_equivalence();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	test_sweep();
	test_sweep_many();
	test_sweep_fractional_age();
	test_sweep_10000_aged();
	test_sweep_10000_size();
	test_sweep_matches_choose();
	test_keep_choose();
	test_sweep_keep();
	test_traces();
	close(dfd);
	CHECK(rmdir(dir) == 0);
	return CHECK_DONE();
}
