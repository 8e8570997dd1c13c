/* SPDX-License-Identifier: GPL-2.0-only */
/* Rolling captures (tcpdump, trace-cmd) as AODv2 runs them: children of the loop, cut into bundles on a trigger. */
#ifndef AOD_CAPTURE_H
#define AOD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/select.h>

#include "arena.h"
#include "collect.h"
#include "config.h"

struct loop;
struct loop_set;

#define CAPTURE_NAME_MAX CFG_CAPTURE_NAME_MAX	/* aod_capture_<ts>_<proto>_<anomaly>.tar.zst */
#define CAPTURE_DIR "capture"		/* <aod_output_dir>/capture/<proto>: the files of the running capture */
#define CAPTURE_MAX_FAILURES 3		/* spawn failures in a row that disable a capture, as AODv2 */
#define CAPTURE_STOP_GRACE_NS (5ull * 1000000000ull)	/* SIGINT, then SIGKILL this much later (AODv2: 5 s) */
#define CAPTURE_RESTART_NS 1000000000ull	/* between a cut or a failure and the next start (AODv2: 1 s) */
#define CAPTURE_SETTLE_NS 2000000000ull	/* a child that exits sooner than this on its own failed to start */
#define CAPTURE_DRAIN_NS (30ull * 1000000000ull)	/* at exit: the last cuts' stop, extract and archive */

struct capture;			/* opaque; lives in the arena */

struct capture_stats {
	uint64_t written, failed;	/* capture bundles */
	uint64_t merged;		/* triggers merged into a cut already queued or running */
	uint64_t spawn_failures;	/* starts that failed, all captures */
	uint64_t disabled;		/* captures disabled after CAPTURE_MAX_FAILURES failures in a row */
};

/* Bytes capture_init takes from the arena: 0 without captures. */
size_t capture_arena_need(const struct cfg_config *cfg);
/* Prepare <output_dir>/capture/<proto> (leftover files of an earlier run removed) for each configured
 * capture; bundles go into collect's batches directory and are reported through its written callback. *cp is NULL when the config has no captures. The binaries are
 * $AOD_TCPDUMP_BIN and $AOD_TRACECMD_BIN, else tcpdump and trace-cmd from /usr/sbin, /usr/bin, /sbin, /bin.
 * Captures start on the first capture_poll. loop reaps the children and serves capture_drain, as
 * collect_init's; NULL: capture_poll reaps them with WNOHANG. 0 or -errno. */
int capture_init(struct capture **cp, const struct cfg_config *cfg, struct arena *arena, struct collect *collect,
		 struct loop *loop);
/* A trigger: the captures of proto (NULL: all of them, for snapshot and shutdown) are cut into
 * aod_capture_<wall_ns>_<proto>_<anomaly>.tar.zst, merged into a cut already queued when there is one.
 * final (shutdown): no restart after the cut. The bundle names go into out (at most max); returns
 * how many. Never blocks: the cut runs in capture_poll. */
int capture_trigger(struct capture *cp, const char *proto, const char *anomaly, int64_t wall_ns, bool final,
		    char out[][CAPTURE_NAME_MAX], int max);
/* Add the children's pipes to rd; lower *deadline_ns to the next stop/restart deadline, or to now
 * while a cut has archiving left. */
void capture_fill_fds(struct capture *cp, fd_set *rd, int *maxfd, uint64_t *deadline_ns);
/* Advance every capture: start, finish an exited child, stop, archive one bounded step, restart.
 * rd NULL: read anyway. */
void capture_poll(struct capture *cp, const fd_set *rd, uint64_t now_ns);
/* The two above shaped for loop_add_poller; cp is the struct capture (NULL: none). */
void capture_loop_fill(void *cp, struct loop_set *s);
void capture_loop_poll(void *cp, const struct loop_set *s, uint64_t now_ns);
/* End: let cuts in flight finish, stop the rest without a bundle (files deleted, trace-cmd reset),
 * within grace_ns; what is still running then is killed. */
void capture_drain(struct capture *cp, uint64_t grace_ns);
/* HUP: the captures run as started; a changed capture is said to take effect at restart, and next's
 * captures are set back to the running ones so check-config-like output and triggers agree with them. */
void capture_keep_config(const struct capture *cp, const struct cfg_config *cur, struct cfg_config *next);
void capture_get_stats(const struct capture *cp, struct capture_stats *st);
/* For check-config: each capture's command lines as aod runs them. */
void capture_print(const struct cfg_config *cfg, FILE *out);

#endif /* AOD_CAPTURE_H */
