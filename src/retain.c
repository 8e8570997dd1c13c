// SPDX-License-Identifier: GPL-2.0-only
/* Retention: which finished bundles to delete (pure), and the sweep that lists, stats and unlinks them. */
#include "retain.h"
#include "dirlist.h"

#include <dirent.h>	/* DT_* only: the listing itself is getdents64 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEC_PER_DAY 86400
/* readdir() mallocs its DIR in libc; getdents64 into a caller's buffer does not. */
#define DENTS_BUF (16 * 1024)
#define BUNDLE_SUFFIX ".tar.zst"
#define PART_PREFIX "aod_"
#define PART_SUFFIX ".part"

static bool has_suffix(const char *s, size_t len, const char *sfx)
{
	size_t n = strlen(sfx);

	return len >= n && !memcmp(s + len - n, sfx, n);
}

bool retain_is_bundle(const char *name)
{
	static const char *const prefixes[] = { "aod_quick_", "aod_capture_" };
	size_t len = strlen(name), i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pre = strlen(prefixes[i]);

		/* something must sit between prefix and suffix: "aod_quick_.tar.zst" is not ours */
		if (!strncmp(name, prefixes[i], pre) && len > pre + strlen(BUNDLE_SUFFIX))
			return has_suffix(name, len, BUNDLE_SUFFIX);
	}
	return false;
}

/* Oldest first: mtime, then name, so equal clocks still give one stable order. */
static int entry_cmp(const struct retain_entry *a, const struct retain_entry *b)
{
	if (a->mtime_sec != b->mtime_sec)
		return a->mtime_sec < b->mtime_sec ? -1 : 1;
	if (a->mtime_nsec != b->mtime_nsec)
		return a->mtime_nsec < b->mtime_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

static bool bundles_sorted(const struct retain_entry *e, size_t n)
{
	const struct retain_entry *prev = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!retain_is_bundle(e[i].name))
			continue;
		if (prev && entry_cmp(prev, &e[i]) > 0)
			return false;
		prev = &e[i];
	}
	return true;
}

/* The oldest bundle not yet chosen, n if none. A cursor makes it linear on sorted input. */
static size_t next_oldest(const struct retain_entry *e, size_t n, const bool *del, bool sorted, size_t *cursor)
{
	size_t i, best = n;

	for (i = sorted ? *cursor : 0; i < n; i++) {
		if (del[i] || !retain_is_bundle(e[i].name))
			continue;
		if (sorted) {
			*cursor = i + 1;
			return i;
		}
		if (best == n || entry_cmp(&e[i], &e[best]) < 0)
			best = i;
	}
	return best;
}

/* floor(m * 9 / 10) without overflowing 64 bits; total > this is "passes 90 %". */
static uint64_t ninety_percent(uint64_t m)
{
	return m / 10 * 9 + m % 10 * 9 / 10;
}

size_t retain_choose(const struct retain_entry *e, size_t n, uint64_t max_total, uint32_t max_age_days,
		     int64_t now_sec, bool *del)
{
	int64_t oldest_kept = now_sec - (int64_t)max_age_days * SEC_PER_DAY;
	uint64_t total = 0;
	size_t chosen = 0, i, cursor = 0;
	bool sorted;

	for (i = 0; i < n; i++) {
		del[i] = false;
		if (!retain_is_bundle(e[i].name))
			continue;
		if (max_age_days && e[i].mtime_sec < oldest_kept) {
			del[i] = true;
			chosen++;
			continue;
		}
		total = total + e[i].size < total ? UINT64_MAX : total + e[i].size;
	}
	if (!max_total || total <= ninety_percent(max_total))
		return chosen;
	sorted = bundles_sorted(e, n);
	while (total > max_total / 2) {
		size_t k = next_oldest(e, n, del, sorted, &cursor);

		if (k == n)
			break;
		del[k] = true;
		chosen++;
		total = total > e[k].size ? total - e[k].size : 0;
	}
	return chosen;
}

static void sift_down(struct retain_entry *e, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct retain_entry t;

		if (child >= n)
			return;
		if (child + 1 < n && entry_cmp(&e[child], &e[child + 1]) < 0)
			child++;
		if (entry_cmp(&e[root], &e[child]) >= 0)
			return;
		t = e[root];
		e[root] = e[child];
		e[child] = t;
		root = child;
	}
}

/* Heapsort: in place and without malloc (glibc's qsort may allocate). */
static void sort_entries(struct retain_entry *e, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(e, i, n);
	for (i = n; i-- > 1;) {
		struct retain_entry t = e[0];

		e[0] = e[i];
		e[i] = t;
		sift_down(e, 0, i);
	}
}

/* A regular file, not a symlink: a link named like a bundle must not make aod delete its target. */
static bool regular_file(int dfd, const char *name, unsigned char type, struct stat *st)
{
	if (type != DT_REG && type != DT_UNKNOWN)
		return false;
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode);
}

struct listing {
	struct arena *a;
	struct retain_entry *e;
	size_t n, cap;		/* cap: bundles counted by the first pass */
};

static int count_bundle(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct listing *l = ctx;

	(void)dfd;
	if ((type == DT_REG || type == DT_UNKNOWN) && retain_is_bundle(name))
		l->cap++;
	return 0;
}

static int add_bundle(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct listing *l = ctx;
	struct retain_entry *en;
	struct stat st;
	char *copy;

	/* Files that appeared after the count wait for the next sweep. */
	if (l->n == l->cap || !retain_is_bundle(name) || !regular_file(dfd, name, type, &st))
		return 0;
	copy = arena_alloc(l->a, 1, strlen(name) + 1, 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, name, strlen(name) + 1);
	en = &l->e[l->n++];
	en->name = copy;
	en->size = (uint64_t)st.st_size;
	en->mtime_sec = st.st_mtim.tv_sec;
	en->mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	return 0;
}

/* Two passes over the directory so the entry array is allocated once, at its size. */
static int list_bundles(int dfd, struct arena *a, struct listing *l)
{
	void *buf = arena_alloc(a, 1, DENTS_BUF, 8);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = dirlist_each(dfd, buf, DENTS_BUF, count_bundle, l);
	if (rc)
		return rc;
	l->e = arena_new(a, struct retain_entry, l->cap);
	if (!l->e)
		return -ENOMEM;
	if (lseek(dfd, 0, SEEK_SET) < 0)
		return -errno;
	return dirlist_each(dfd, buf, DENTS_BUF, add_bundle, l);
}

static int apply(int dfd, const struct listing *l, const bool *del, struct retain_result *res)
{
	int first = 0;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct retain_entry *en = &l->e[i];

		if (!del[i]) {
			res->kept_files++;
			res->kept_bytes += en->size;
		} else if (unlinkat(dfd, en->name, 0) == 0) {
			res->deleted_files++;
			res->deleted_bytes += en->size;
		} else if (errno != ENOENT) {	/* gone already: someone else's cleanup, not an error */
			if (!first)
				first = -errno;
			res->errors++;
			res->kept_files++;
			res->kept_bytes += en->size;
		}
	}
	return first;
}

size_t retain_scratch_need(size_t n)
{
	return DENTS_BUF + n * (sizeof(struct retain_entry) + 256 + sizeof(bool)) + 3 * 16;
}

/* For callers without a scratch arena: BSS costs no resident memory until a sweep touches it. */
static struct arena *static_scratch(void)
{
	static _Alignas(64) unsigned char mem[RETAIN_STATIC_SCRATCH];
	static struct arena a;

	if (!a.base)
		arena_init_buffer(&a, mem, sizeof(mem));
	return &a;
}

int retain_sweep(int dirfd, uint64_t max_total, uint32_t max_age_days, int64_t now_sec,
		 struct arena *scratch, struct retain_result *res)
{
	struct arena *a = scratch ? scratch : static_scratch();
	struct listing l = { .a = a };
	struct retain_result local;
	size_t mark = arena_mark(a);
	bool *del;
	int dfd, rc;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	/* Its own open file description: the listing offset must not move the caller's dirfd. */
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	rc = list_bundles(dfd, a, &l);
	del = rc ? NULL : arena_new(a, bool, l.n);
	if (!rc && !del)
		rc = -ENOMEM;
	if (!rc) {
		sort_entries(l.e, l.n);
		retain_choose(l.e, l.n, max_total, max_age_days, now_sec, del);
		rc = apply(dfd, &l, del, res);
	}
	close(dfd);
	arena_reset(a, mark);
	return rc;
}

struct parts {
	unsigned removed;
	int first_err;
};

static int remove_part(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct parts *p = ctx;
	struct stat st;

	/* Only aod's own names: a user's *.part next to the bundles is not ours to delete. */
	if (strncmp(name, PART_PREFIX, strlen(PART_PREFIX)) || !has_suffix(name, strlen(name), PART_SUFFIX))
		return 0;
	if (!regular_file(dfd, name, type, &st))
		return 0;
	if (unlinkat(dfd, name, 0) == 0)
		p->removed++;
	else if (errno != ENOENT && !p->first_err)
		p->first_err = -errno;
	return 0;
}

int retain_remove_parts(int dirfd, unsigned *removed)
{
	/* Startup only, so a stack buffer; 8-byte alignment for the kernel's records. */
	uint64_t buf[4096 / sizeof(uint64_t)];
	struct parts p = { 0, 0 };
	int dfd, rc;

	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		rc = dirlist_each(dfd, buf, sizeof(buf), remove_part, &p);
		close(dfd);
	} else {
		rc = -errno;
	}
	if (removed)
		*removed = p.removed;
	return rc ? rc : p.first_err;
}
