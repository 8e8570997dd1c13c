/* SPDX-License-Identifier: GPL-2.0-only */
/* Retention of finished bundles (AODv2's rules: a size budget with 90 % / 50 % marks, a maximum age) and of old traces. */
#ifndef AOD_RETAIN_H
#define AOD_RETAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* Candidates one trimming pass keeps; a directory with more bundles to trim takes more passes. */
#define RETAIN_PASS_SLOTS 512
/* The built-in scratch: the listing buffer and RETAIN_PASS_SLOTS candidates (about 160 KiB). */
#define RETAIN_STATIC_SCRATCH (192 * 1024)

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
	unsigned lost_files;			/* of deleted_files: bundles the keep hook wanted kept */
};

/*
 * Bundles a caller still needs (upload: not yet uploaded). They are never deleted for their age, and
 * for size only after every other bundle has gone; each such deletion is reported through lost().
 */
struct retain_keep {
	bool (*keep)(void *ctx, const char *name);
	void (*lost)(void *ctx, const char *name, uint64_t size);	/* may be NULL */
	void *ctx;
};

/* Whether name is a finished bundle: aod_quick_*.tar.zst or aod_capture_*.tar.zst (never *.part). */
bool retain_is_bundle(const char *name);

/* Whether e is more than max_age_sec older than now_sec (0 = no age limit). */
bool retain_aged(const struct retain_entry *e, uint64_t max_age_sec, int64_t now_sec);

/*
 * The decision for a whole listing, without I/O (the policy retain_sweep follows in passes). Sets del[i] for every bundle to delete and returns how many.
 * Entries that are not bundles are never chosen and do not count toward the total.
 * - Age: a bundle whose mtime is more than max_age_sec before now_sec goes (0 = no age limit); seconds,
 *   not days, because the config accepts fractions of a day.
 * - Size: when the remaining bundles total more than 90 % of max_total, the oldest (by mtime, then
 *   by name) go until the total is at or below 50 % (max_total 0 = no size limit).
 * Linear when e is sorted oldest first (retain_sweep sorts), quadratic at worst otherwise.
 */
size_t retain_choose(const struct retain_entry *e, size_t n, uint64_t max_total, uint64_t max_age_sec,
		     int64_t now_sec, bool *del);
/* The same with kept[i] set for bundles to keep (see struct retain_keep); kept NULL is retain_choose. */
size_t retain_choose_keep(const struct retain_entry *e, size_t n, uint64_t max_total, uint64_t max_age_sec,
			  int64_t now_sec, const bool *kept, bool *del);

/*
 * Apply the same rules to dirfd in fixed memory, whatever it holds: one listing (getdents64, no malloc)
 * deletes aged-out bundles and sums the rest; if the sum passes 90 %, each further listing keeps the
 * RETAIN_PASS_SLOTS oldest bundles not yet tried and deletes from the oldest until at or below 50 %.
 * The scratch arena is reset to where it was before returning; NULL uses a static RETAIN_STATIC_SCRATCH
 * bytes inside retain.c. res may be NULL.
 * Returns 0; -ENOMEM if scratch cannot hold the listing buffer and one candidate (nothing deleted);
 * -errno if opening or listing fails (deletions already made stand); or the first -errno of a failed
 * unlink (the others still happen; res->errors counts them and the file counts as kept).
 */
int retain_sweep(int dirfd, uint64_t max_total, uint64_t max_age_sec, int64_t now_sec,
		 struct arena *scratch, struct retain_result *res);
/* retain_sweep honouring keep (NULL: retain_sweep). */
int retain_sweep_keep(int dirfd, uint64_t max_total, uint64_t max_age_sec, int64_t now_sec,
		      const struct retain_keep *keep, struct arena *scratch, struct retain_result *res);

/* Scratch bytes a sweep needs to keep `slots` candidates per pass (RETAIN_PASS_SLOTS at most are used). */
size_t retain_scratch_need(size_t slots);

/* At start: remove leftover aod_*.part regular files from a crash (not symlinks, not other names).
 * Goes on past a failed unlink and returns the first -errno. removed may be NULL. */
int retain_remove_parts(int dirfd, unsigned *removed);

/* aod trace's files in dir (trace_*.jsonl and the .part of a run cut short; regular files only) whose
 * mtime is more than max_age_sec before now_sec; 0 removes all but this second's. Returns how many
 * were removed, or -errno when dir cannot be opened or listed. */
int retain_traces(const char *dir, int64_t max_age_sec, int64_t now_sec);

#endif /* AOD_RETAIN_H */
