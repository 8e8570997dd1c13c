/* SPDX-License-Identifier: GPL-2.0-only */
/* Bundle upload: a user command or an atomic copy per finished bundle, retried with backoff, journaled. */
#ifndef AOD_UPLOAD_H
#define AOD_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include "config.h"

/* Bundles waiting or running at once; more wait in the directory and are picked up by a rescan. */
#define UPLOAD_QUEUE 256
/* Bundles the journal remembers as uploaded or failed; compaction forgets the ones retention deleted. */
#define UPLOAD_DONE_MAX 16384
/* Longest bundle name tracked (collect's names are at most 2 * CFG_NAME_MAX + 64). */
#define UPLOAD_NAME_MAX 200
/* In <output_dir>: "ok NAME" and "failed NAME ATTEMPTS" lines, appended and fsynced. */
#define UPLOAD_JOURNAL "upload.journal"
/* Bytes of a command's output kept to explain a failure in the log. */
#define UPLOAD_OUTPUT_MAX 2048

struct loop;
struct upload;

struct upload_stats {
	uint64_t uploaded;	/* attempts that succeeded (each bundle once) */
	uint64_t failed;	/* bundles given up on after max_attempts */
	uint64_t retries;	/* attempts that failed and were scheduled again */
	uint64_t lost;		/* bundles deleted before they were uploaded (retention's size limit, or by hand) */
	uint32_t backlog;	/* bundles waiting or running */
	uint32_t running;
	bool backlog_more;	/* more than UPLOAD_QUEUE wait: backlog counts the tracked ones */
};

/*
 * Read <out_dir>/upload.journal, list the batches directory (batches_fd) and queue every bundle the
 * journal does not name, then rewrite the journal with only the bundles still present. The state is
 * static (one uploader per process), no allocation. loop reaps the running commands (loop_add_child);
 * NULL: upload_poll reaps them with WNOHANG. 0 or -errno (the journal cannot be opened).
 */
int upload_open(struct upload **u, const struct cfg_upload *cfg, const char *out_dir, int batches_fd,
		struct loop *loop);
/* After HUP: the new command, directory and retry settings apply to the next attempts. */
void upload_set_config(struct upload *u, const struct cfg_upload *cfg);
/* A bundle was renamed into the batches directory. */
void upload_bundle_written(struct upload *u, const char *name);
/* The loop: pipes of running uploads, and the next deadline (a retry due, a timeout). */
void upload_fill(struct upload *u, fd_set *rd, int *maxfd, uint64_t *deadline_ns, uint64_t now_ns);
/* Reap finished uploads (journal, retry or give up) and start due ones, at most max_concurrent. */
void upload_poll(struct upload *u, const fd_set *rd, uint64_t now_ns);
/* Cleanup tick: pick up bundles that did not fit the queue, compact a journal that has grown. */
void upload_tick(struct upload *u);
/* For retention (struct retain_keep): true while name is not uploaded (waiting, running or failed). */
bool upload_keeps(void *u, const char *name);
/* For retention: name was deleted before it was uploaded: logged, counted, dropped from the queue. */
void upload_lost(void *u, const char *name, uint64_t size);
/* Shutdown: kill running uploads; they are not journaled, so the next start sends them again. */
void upload_stop(struct upload *u);
void upload_get_stats(const struct upload *u, struct upload_stats *st);

/* Pure: the delay before attempt `failed + 1` after `failed` failures (>= 1): base * 2^(failed-1)
 * capped at max, then "equal jitter": half of it fixed, the other half scaled by rnd (0..UINT32_MAX). */
uint64_t upload_backoff_ms(uint32_t base_ms, uint32_t max_ms, unsigned failed, uint32_t rnd);
/* Pure: copy in to out with "{bundle}" replaced by path and "{name}" by name. -ENAMETOOLONG when it
 * does not fit (out is then cut short but terminated). */
int upload_subst(char *out, size_t cap, const char *in, const char *path, const char *name);
/* Pure: parse one journal line ("ok NAME" / "failed NAME N"); 1 ok, 2 failed, 0 not a valid line.
 * name points into line, namelen its length. */
int upload_journal_parse(const char *line, size_t len, const char **name, size_t *namelen);

/* `aod upload-copy FILE DIR`: what upload.dir runs in a child, so a hung share blocks only the child. */
int upload_copy_main(int argc, char **argv);

#endif /* AOD_UPLOAD_H */
