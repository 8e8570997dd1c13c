/* SPDX-License-Identifier: GPL-2.0-only */
/* Retention of finished bundles (AODv2's rules): a size budget with 90 % / 50 % marks, and a maximum age. */
#ifndef AOD_RETAIN_H
#define AOD_RETAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define RETAIN_STATIC_SCRATCH (256 * 1024)

/* One directory entry as the sweep saw it; the tests build these by hand. */
struct retain_entry {
	const char *name;
	uint64_t size;		/* st_size */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
};

struct retain_result {
	unsigned deleted_files, kept_files;	/* bundles only: other files are never counted */
	uint64_t deleted_bytes, kept_bytes;
	unsigned errors;			/* unlinks that failed (ENOENT is not one) */
};

/* Whether name is a finished bundle: aod_quick_*.tar.zst or aod_capture_*.tar.zst (never *.part). */
bool retain_is_bundle(const char *name);

/*
 * The decision, without I/O. Sets del[i] for every bundle to delete and returns how many.
 * Entries that are not bundles are never chosen and do not count toward the total.
 * - Age: a bundle whose mtime is more than max_age_days * 86400 s before now_sec goes (0 = no age limit).
 * - Size: when the remaining bundles total more than 90 % of max_total, the oldest (by mtime, then
 *   by name) go until the total is at or below 50 % (max_total 0 = no size limit).
 * Linear when e is sorted oldest first (retain_sweep sorts), quadratic at worst otherwise.
 */
size_t retain_choose(const struct retain_entry *e, size_t n, uint64_t max_total, uint32_t max_age_days,
		     int64_t now_sec, bool *del);

/*
 * List dirfd (getdents64 into the scratch arena: no malloc), stat each bundle, choose and unlink.
 * The scratch arena is reset to where it was before returning; NULL uses a static RETAIN_STATIC_SCRATCH
 * bytes inside retain.c (about 2500 bundles). res may be NULL.
 * Returns 0, -ENOMEM (scratch too small: nothing deleted), -errno if the listing fails (nothing
 * deleted), or the first -errno of a failed unlink (the others still happen; res->errors counts them).
 */
int retain_sweep(int dirfd, uint64_t max_total, uint32_t max_age_days, int64_t now_sec,
		 struct arena *scratch, struct retain_result *res);

/* Scratch bytes a sweep needs for a directory of n entries (any names). */
size_t retain_scratch_need(size_t n);

/* At start: remove leftover aod_*.part regular files from a crash (not symlinks, not other names).
 * Goes on past a failed unlink and returns the first -errno. removed may be NULL. */
int retain_remove_parts(int dirfd, unsigned *removed);

#endif /* AOD_RETAIN_H */
