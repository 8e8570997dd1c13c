// SPDX-License-Identifier: GPL-2.0-only
/* Retention: which finished bundles to delete (pure), the sweep that lists, stats and unlinks them, and old traces. */
#include "retain.h"
#include "dirlist.h"

#include <dirent.h>	/* DT_* only: the listing itself is getdents64 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* readdir() mallocs its DIR in libc; getdents64 into a caller's buffer does not. */
#define DENTS_BUF (16 * 1024)
#define BUNDLE_SUFFIX ".tar.zst"
#define PART_PREFIX "aod_"
#define PART_SUFFIX ".part"
/* One candidate of a trimming pass: its entry, its name, and room for alignment. */
#define SLOT_BYTES (sizeof(struct retain_entry) + NAME_MAX + 1 + 8)

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

static bool is_kept(const bool *kept, size_t i)
{
	return kept && kept[i];
}

/* The oldest bundle not yet chosen (of the kept ones when want_kept), n if none. A cursor makes it
 * linear on sorted input. */
static size_t next_oldest(const struct retain_entry *e, size_t n, const bool *del, const bool *kept, bool want_kept,
			  bool sorted, size_t *cursor)
{
	size_t i, best = n;

	for (i = sorted ? *cursor : 0; i < n; i++) {
		if (del[i] || !retain_is_bundle(e[i].name) || is_kept(kept, i) != want_kept)
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

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

bool retain_aged(const struct retain_entry *e, uint64_t max_age_sec, int64_t now_sec)
{
	/* a limit past any clock (centuries) is no limit, and keeps now - limit from overflowing */
	if (!max_age_sec || max_age_sec > (uint64_t)INT32_MAX * 64)
		return false;
	return e->mtime_sec < now_sec - (int64_t)max_age_sec;
}

/* floor(m * 9 / 10) without overflowing 64 bits; total > this is "passes 90 %". */
static uint64_t ninety_percent(uint64_t m)
{
	return m / 10 * 9 + m % 10 * 9 / 10;
}

size_t retain_choose(const struct retain_entry *e, size_t n, uint64_t max_total, uint64_t max_age_sec,
		     int64_t now_sec, bool *del)
{
	return retain_choose_keep(e, n, max_total, max_age_sec, now_sec, NULL, del);
}

size_t retain_choose_keep(const struct retain_entry *e, size_t n, uint64_t max_total, uint64_t max_age_sec,
			  int64_t now_sec, const bool *kept, bool *del)
{
	uint64_t total = 0;
	size_t chosen = 0, i, cursor = 0;
	bool sorted;
	int round;

	for (i = 0; i < n; i++) {
		del[i] = false;
		if (!retain_is_bundle(e[i].name))
			continue;
		if (!is_kept(kept, i) && retain_aged(&e[i], max_age_sec, now_sec)) {
			del[i] = true;
			chosen++;
			continue;
		}
		total = sat_add(total, e[i].size);
	}
	if (!max_total || total <= ninety_percent(max_total))
		return chosen;
	sorted = bundles_sorted(e, n);
	/* round 0: the bundles nobody needs, oldest first; round 1: the kept ones, only if still over */
	for (round = 0; round < 2 && total > max_total / 2; round++) {
		cursor = 0;
		while (total > max_total / 2) {
			size_t k = next_oldest(e, n, del, kept, round == 1, sorted, &cursor);

			if (k == n)
				break;
			del[k] = true;
			chosen++;
			total = total > e[k].size ? total - e[k].size : 0;
		}
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

/* A bundle as a pass sees it: a regular file (never a symlink), already stat'ed. */
static bool stat_bundle(int dfd, const char *name, unsigned char type, struct retain_entry *en)
{
	struct stat st;

	if (!retain_is_bundle(name) || !regular_file(dfd, name, type, &st))
		return false;
	en->name = name;
	en->size = (uint64_t)st.st_size;
	en->mtime_sec = st.st_mtim.tv_sec;
	en->mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	return true;
}

/*
 * State across the passes of one sweep. Memory is fixed whatever the directory holds: the first
 * pass deletes by age and sums the rest as it lists; each later pass keeps only the `cap` oldest
 * bundles newer than the previous pass's newest, and deletes from those.
 */
struct sweep {
	int dfd;
	uint64_t max_age_sec, total;	/* total: bytes of bundles still counted */
	int64_t now_sec;
	size_t live;			/* bundles counted in total */
	struct retain_entry *heap;	/* max-heap of the pass's oldest; each name points into its own slot */
	size_t n, cap;
	struct retain_entry boundary;	/* newest of the previous pass (name in boundary_name) */
	bool have_boundary;
	char boundary_name[NAME_MAX + 1];
	struct retain_result *res;
	int first_err;
	const struct retain_keep *keep;	/* NULL: nothing is kept */
	bool kept_round;		/* trimming the kept bundles, everything else is gone */
};

static bool sweep_keeps(const struct sweep *s, const char *name)
{
	return s->keep && s->keep->keep(s->keep->ctx, name);
}

static void note_unlink_error(struct sweep *s, int err)
{
	if (!s->first_err)
		s->first_err = -err;
	s->res->errors++;
}

static int age_pass_entry(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct sweep *s = ctx;
	struct retain_entry en;

	if (!stat_bundle(dfd, name, type, &en))
		return 0;
	if (!retain_aged(&en, s->max_age_sec, s->now_sec) || sweep_keeps(s, name)) {
		s->total = sat_add(s->total, en.size);
		s->live++;
	} else if (unlinkat(dfd, name, 0) == 0) {
		s->res->deleted_files++;
		s->res->deleted_bytes += en.size;
	} else if (errno != ENOENT) {	/* gone already: someone else's cleanup, not an error */
		note_unlink_error(s, errno);
		s->res->kept_files++;
		s->res->kept_bytes += en.size;
	}
	return 0;
}

static void sift_up(struct retain_entry *e, size_t i)
{
	while (i > 0 && entry_cmp(&e[(i - 1) / 2], &e[i]) < 0) {
		struct retain_entry t = e[i];

		e[i] = e[(i - 1) / 2];
		e[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void set_entry(struct retain_entry *slot, const struct retain_entry *en)
{
	memcpy((char *)slot->name, en->name, strlen(en->name) + 1);
	slot->size = en->size;
	slot->mtime_sec = en->mtime_sec;
	slot->mtime_nsec = en->mtime_nsec;
}

/* Keep en if it is among the cap oldest seen so far; a slot's name buffer moves with its entry. */
static void offer(struct sweep *s, const struct retain_entry *en)
{
	if (s->n < s->cap) {
		set_entry(&s->heap[s->n], en);
		sift_up(s->heap, s->n++);
	} else if (entry_cmp(en, &s->heap[0]) < 0) {	/* older than the newest kept: it takes its place */
		set_entry(&s->heap[0], en);
		sift_down(s->heap, 0, s->n);
	}
}

static int trim_pass_entry(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct sweep *s = ctx;
	struct retain_entry en;

	bool kept;

	if (!stat_bundle(dfd, name, type, &en))
		return 0;
	kept = sweep_keeps(s, name);
	/* aged-out bundles are out of the total even when their unlink failed */
	if (!kept && retain_aged(&en, s->max_age_sec, s->now_sec))
		return 0;
	if (kept != s->kept_round)
		return 0;
	if (s->have_boundary && entry_cmp(&en, &s->boundary) <= 0)
		return 0;
	offer(s, &en);
	return 0;
}

/* Delete this pass's candidates, oldest first, until the total is at or below 50 %. */
static void trim_candidates(struct sweep *s, uint64_t max_total)
{
	size_t i;

	sort_entries(s->heap, s->n);
	for (i = 0; i < s->n && s->total > max_total / 2; i++) {
		const struct retain_entry *en = &s->heap[i];

		if (unlinkat(s->dfd, en->name, 0) == 0) {
			s->res->deleted_files++;
			s->res->deleted_bytes += en->size;
			if (s->kept_round) {
				s->res->lost_files++;
				if (s->keep->lost)
					s->keep->lost(s->keep->ctx, en->name, en->size);
			}
		} else if (errno != ENOENT) {
			note_unlink_error(s, errno);	/* still there: still counted */
			continue;
		}
		s->total = s->total > en->size ? s->total - en->size : 0;
		s->live--;
	}
	s->boundary = s->heap[s->n - 1];
	memcpy(s->boundary_name, s->boundary.name, strlen(s->boundary.name) + 1);
	s->boundary.name = s->boundary_name;
	s->have_boundary = true;
}

/* Rewind and list again: every pass sees the directory as it is now. */
static int list_from_start(struct sweep *s, void *buf, dirlist_fn fn)
{
	if (lseek(s->dfd, 0, SEEK_SET) < 0)
		return -errno;
	return dirlist_each(s->dfd, buf, DENTS_BUF, fn, s);
}

/* Each pass moves the boundary past every candidate it saw, so the loop ends even when unlinks fail. */
static int trim_passes(struct sweep *s, void *buf, uint64_t max_total)
{
	int rc;

	if (!max_total || s->total <= ninety_percent(max_total))
		return 0;
	while (s->total > max_total / 2) {
		s->n = 0;
		rc = list_from_start(s, buf, trim_pass_entry);
		if (rc)
			return rc;
		if (s->n == 0 && (s->kept_round || !s->keep))
			return 0;
		if (s->n == 0) {	/* only kept bundles are left: they go last, oldest first */
			s->kept_round = true;
			s->have_boundary = false;
			continue;
		}
		trim_candidates(s, max_total);
	}
	return 0;
}

/* Scratch for the listing buffer and `slots` candidates with their names: fixed, whatever the directory holds. */
size_t retain_scratch_need(size_t slots)
{
	return DENTS_BUF + slots * SLOT_BYTES + 16;
}

/* All of it before any listing, so a short arena deletes nothing. */
static int sweep_alloc(struct sweep *s, struct arena *a, void **buf)
{
	size_t avail, i;
	char *names;

	/*
	 * The listing buffer and the name slots are reserved, not zeroed: getdents fills the one and
	 * a name is copied into a slot before it is read, so only the pages a sweep writes become
	 * resident (the daemon's first sweep of a near-empty directory touched 144 KiB of zeroes).
	 */
	*buf = arena_reserve(a, 1, DENTS_BUF, 8);
	if (!*buf)
		return -ENOMEM;
	avail = (a->size - a->used) / SLOT_BYTES;
	s->cap = avail < RETAIN_PASS_SLOTS ? avail : RETAIN_PASS_SLOTS;
	s->heap = s->cap ? arena_new(a, struct retain_entry, s->cap) : NULL;
	names = s->heap ? arena_reserve(a, NAME_MAX + 1, s->cap, 1) : NULL;
	if (!names) {
		if (!s->cap)
			a->failures++;	/* not even one slot: refused like any allocation */
		return -ENOMEM;
	}
	for (i = 0; i < s->cap; i++)
		s->heap[i].name = names + i * (NAME_MAX + 1);
	return 0;
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

int retain_sweep(int dirfd, uint64_t max_total, uint64_t max_age_sec, int64_t now_sec,
		 struct arena *scratch, struct retain_result *res)
{
	return retain_sweep_keep(dirfd, max_total, max_age_sec, now_sec, NULL, scratch, res);
}

int retain_sweep_keep(int dirfd, uint64_t max_total, uint64_t max_age_sec, int64_t now_sec,
		      const struct retain_keep *keep, struct arena *scratch, struct retain_result *res)
{
	struct arena *a = scratch ? scratch : static_scratch();
	struct retain_result local;
	struct sweep s = { .max_age_sec = max_age_sec, .now_sec = now_sec, .res = res ? res : &local,
			   .keep = keep && keep->keep ? keep : NULL };
	size_t mark = arena_mark(a);
	void *buf;
	int rc;

	memset(s.res, 0, sizeof(*s.res));
	rc = sweep_alloc(&s, a, &buf);
	/* Its own open file description: the listing offset must not move the caller's dirfd. */
	s.dfd = rc ? -1 : openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!rc && s.dfd < 0)
		rc = -errno;
	if (!rc)
		rc = dirlist_each(s.dfd, buf, DENTS_BUF, age_pass_entry, &s);
	if (!rc)
		rc = trim_passes(&s, buf, max_total);
	s.res->kept_files += s.live;
	s.res->kept_bytes += s.total;
	if (s.dfd >= 0)
		close(s.dfd);
	arena_reset(a, mark);
	return rc ? rc : s.first_err;
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

/* ---- aod trace's output files ---- */

/* trace_<...>.jsonl, or a run cut short: trace_<...>.jsonl.part */
static bool is_trace_file(const char *name)
{
	size_t n = strlen(name);

	return n > 12 && !strncmp(name, "trace_", 6) &&
	       (has_suffix(name, n, ".jsonl") || (n > 11 && has_suffix(name, n, ".jsonl.part")));
}

struct trace_sweep {
	int64_t max_age_sec, now;
	int removed;
};

static int trace_entry(void *arg, int dfd, const char *name, unsigned char type)
{
	struct trace_sweep *t = arg;
	struct stat st;

	if (!is_trace_file(name) || !regular_file(dfd, name, type, &st))
		return 0;
	if (t->now - (int64_t)st.st_mtime > t->max_age_sec && !unlinkat(dfd, name, 0))
		t->removed++;
	return 0;
}

int retain_traces(const char *dir, int64_t max_age_sec, int64_t now_sec)
{
	/* The daemon calls this from its running loop: no readdir, which would malloc its DIR. */
	char buf[8192] __attribute__((aligned(8)));
	struct trace_sweep t = { .max_age_sec = max_age_sec, .now = now_sec };
	int dfd, err;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = dirlist_each(dfd, buf, sizeof(buf), trace_entry, &t);
	close(dfd);
	return err ? err : t.removed;
}
