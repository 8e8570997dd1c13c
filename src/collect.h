/* SPDX-License-Identifier: GPL-2.0-only */
/* Collection: an anomaly becomes a bundle; actions run (internal or child processes), then archive. */
#ifndef AOD_COLLECT_H
#define AOD_COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/select.h>

#include "arena.h"
#include "config.h"
#include "detect.h"
#include "manifest.h"

struct loop;
struct loop_set;

#define COLLECT_MAX_BUNDLES CFG_MAX_BUNDLES

struct collect_request {
	char proto[8];			/* "smb", "health" or "aod" */
	char anomaly[CFG_NAME_MAX];	/* "latency", "error", "snapshot", "shutdown", ... */
	int anomaly_idx;		/* into cfg->anomalies, -1 for snapshot/shutdown (all actions) */
	const struct detect_anomaly *det;	/* NULL for snapshot/shutdown */
	int64_t wall_ns;		/* CLOCK_REALTIME at detection: names the file */
	char captures[CFG_CAPTURES_PER_REQ][CFG_CAPTURE_NAME_MAX];	/* capture bundles cut for it */
	int ncaptures;
};

struct collect;			/* opaque; lives in the arena */

#define COLLECT_LOCK_FILE ".aod.lock"

/* out_dir is created 0700 if missing; "<out_dir>/batches" holds the bundles. The directory is
 * locked (flock on <out_dir>/.aod.lock) for the life of the process: -EBUSY when another has it.
 * loop reaps the exec children (loop_add_child) and serves collect_drain; NULL (a caller that polls
 * by hand, as aod replay): collect_poll reaps them with WNOHANG. */
int collect_init(struct collect **c, const struct cfg_config *cfg, struct arena *arena, struct loop *loop);
/* Bytes collect_init takes from the arena for this config: the least memory.arena_kb can be. */
size_t collect_arena_need(const struct cfg_config *cfg);
/* The pid written in out_dir's lock file (after -EBUSY from collect_init), or -errno. */
int collect_lock_holder(const char *out_dir);
void collect_set_config(struct collect *c, const struct cfg_config *cfg);	/* after HUP */
void collect_set_probe_info(struct collect *c, const struct collect_probe_info *pi);
struct history;
/* The live history each new bundle snapshots into its history.json; NULL: none. */
void collect_set_history(struct collect *c, const struct history *h);
/* The part of collect_arena_need that is the history's (history_seconds): 0 when it is off. */
size_t collect_history_need(const struct cfg_config *cfg);
/* 0 started, 1 counted into a running bundle of the same anomaly, -EBUSY at the concurrency
 * limit (counted), other -errno on failure. */
int collect_start(struct collect *c, const struct collect_request *req, uint64_t now_ns);
/* Add the pipes of running children to rd; lower *deadline_ns to the next action deadline, or to
 * now while a bundle has archiving left, so the loop returns at once after serving its other fds. */
void collect_fill_fds(struct collect *c, fd_set *rd, int *maxfd, uint64_t *deadline_ns);
/* Read ready pipes, enforce deadlines (TERM then KILL), finish children whose exit the loop reported
 * (or reap them, without one) once their pipes are drained; a bundle whose actions are
 * done queues for archiving, and each call archives one bounded step (about 1 MiB of tar data),
 * one bundle at a time in the order their actions finished. collect_start writes a bundle at
 * once only when nothing else waits for the archiver and it fits in that one step. */
void collect_poll(struct collect *c, const fd_set *rd, uint64_t now_ns);
/* The two above shaped for loop_add_poller; c is the struct collect. */
void collect_loop_fill(void *c, struct loop_set *s);
void collect_loop_poll(void *c, const struct loop_set *s, uint64_t now_ns);
/* Bundles holding a slot: actions running, queued or being archived. */
int collect_running(const struct collect *c);
/* Shutdown: give running bundles grace_ns more ns (a duration) while archiving goes on (on collect_init's
 * loop, which serves collect alone then, and the children's exits), then SIGKILL children, their
 * actions marked "timeout", and archive all that is left. */
void collect_drain(struct collect *c, uint64_t grace_ns);
int collect_outdir_fd(const struct collect *c);	/* the batches directory */

/* Called once per bundle renamed into place (name in the batches directory, its size): upload and status. */
typedef void (*collect_written_fn)(void *ctx, const char *name, uint64_t size, int64_t wall_ns);
void collect_on_written(struct collect *c, collect_written_fn fn, void *ctx);
/* A bundle another module renamed into the batches directory (a capture bundle): the same callback. */
void collect_notify_written(const struct collect *c, const char *name, uint64_t size, int64_t wall_ns);

struct collect_stats {
	uint64_t bundles_written, bundles_failed, coalesced, refused_busy;
	uint64_t bytes_written;			/* sizes of the bundles written */
	uint64_t actions_failed, actions_timeout;	/* actions of finished bundles, by outcome */
};
void collect_get_stats(const struct collect *c, struct collect_stats *st);

#endif /* AOD_COLLECT_H */
