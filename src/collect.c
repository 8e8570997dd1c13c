// SPDX-License-Identifier: GPL-2.0-only
/* Collection: an anomaly becomes a bundle of action logs plus manifest.json, archived as one tar.zst. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_TMPFILE */
#endif
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "archive.h"
#include "clock.h"
#include "io.h"
#include "log.h"
#include "history.h"
#include "loop.h"
#include "manifest.h"
#include "tar.h"

#define COLLECT_BUF_SIZE (64 * 1024)		/* shared read scratch: actions run one at a time */
#define COLLECT_MANIFEST_SIZE (128 * 1024)	/* 16 events and 48 actions need about 40 KiB */
#define COLLECT_EXECS_PER_BUNDLE 16		/* exec actions one bundle can run at once */
#define COLLECT_LEVEL 3
#define COLLECT_KILL_WAIT_NS 200000000ull	/* drain: how long a SIGKILLed child may take to die */
/*
 * Tar bytes (headers, manifest, action output) one collect_poll or collect_start may push through
 * zstd: archiving runs in the loop's thread, and while it runs nothing reads the ring buffers,
 * signals or children. At level 3 a 1 MiB step of log text took 1.4-1.9 ms on the development VM
 * and should take ~40 ms under QEMU TCG (96 MiB took 3.5 s there), while the 1 MiB SMB ring buffer
 * holds about 12,000 records of slow or failing commands: the loop is back long before it fills.
 * Much smaller steps would spend more of each pass on select() and per-call zstd overhead.
 */
#define COLLECT_ARCHIVE_STEP ((size_t)1 << 20)

/* A bundle runs its actions, waits for the one archiver, then is archived a step per pass. */
enum bundle_phase {
	BUNDLE_ACTIONS,		/* children may still run; a repeat anomaly is counted into it */
	BUNDLE_QUEUED,		/* actions done, waiting for the archiver (another bundle, or the next pass) */
	BUNDLE_ARCHIVING,	/* its manifest is built and its archive is being written */
};

struct bundle_action {
	char name[CFG_NAME_MAX];
	enum cfg_action_kind kind;
	int cfg_idx;			/* into cfg->actions, valid only during collect_start */
	int fd;				/* the unlinked temp file holding its output */
	bool running;
	struct act_result res;
	struct act_child *ch;		/* EXEC only, from the bundle's scratch arena */
};

struct bundle {
	bool active;
	enum bundle_phase phase;
	uint64_t queued_seq;		/* FIFO order among QUEUED bundles */
	int member;			/* ARCHIVING: -1 manifest, then action index; nacts: all written */
	unsigned steps;			/* archive_work calls that advanced it */
	char name[CFG_NAME_MAX * 2 + 64];
	char proto[8], anomaly[CFG_NAME_MAX];
	/* Copies, not pointers: a HUP may replace the config while the bundle runs. */
	bool has_anom, has_det;
	struct cfg_anomaly anom;
	struct detect_anomaly det;
	uint32_t manifest_events;
	int64_t wall_ns;
	uint64_t start_ns;
	uint32_t coalesced;
	char captures[CFG_CAPTURE_LINKS][CFG_CAPTURE_NAME_MAX];	/* the capture bundles that belong with it */
	int ncaptures;
	int nacts, nrunning;
	struct bundle_action acts[CFG_MAX_ACTIONS];
	struct arena scratch;
	/* The history as it was when the anomaly fired: the ring moves on while actions run. */
	struct history_ring *hist;	/* from collect_init, NULL when history_seconds is 0 */
	bool has_hist;			/* hist holds this bundle's snapshot */
	int hist_len;			/* history.json's length once rendered for the archive, -1 none */
};

struct collect {
	const struct cfg_config *cfg;
	int dirfd;			/* <output_dir>/batches */
	int lockfd;			/* <output_dir>/.aod.lock, flocked while this process lives */
	int nslots;
	struct bundle *slots;
	/* One archive at a time: bundles queue for the compressor and share its arena instead
	 * of reserving their own 1+ MiB each; `arch` is the bundle being archived, or NULL. */
	struct arena archive_arena;
	struct archive *ar;
	struct bundle *arch;
	uint64_t queued_seq;
	size_t step_in_max;		/* most tar bytes one call pushed: the unit test holds it to the bound */
	char *buf;
	char *manifest;
	const struct history *history;	/* the live one (collect_set_history); NULL: bundles have none */
	char *history_json;		/* the bundle being archived's history.json */
	size_t history_cap;
	struct collect_probe_info probe;
	struct collect_stats st;
	unsigned tmp_seq;
	collect_written_fn on_written;
	void *on_written_ctx;
	struct loop *loop;		/* reaps the exec children (collect_init); NULL: collect_poll does */
};

static int limit(const struct collect *c)
{
	int n = c->cfg->max_concurrent_bundles ? (int)c->cfg->max_concurrent_bundles : 1;

	return n < c->nslots ? n : c->nslots;
}

static int open_batches(const char *out_dir)
{
	int dfd, bfd, err;

	err = io_mkdir_p(out_dir, 0700, 0700);
	if (err)
		return err;
	dfd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (mkdirat(dfd, "batches", 0700) && errno != EEXIST) {
		err = -errno;
		close(dfd);
		return err;
	}
	bfd = openat(dfd, "batches", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	err = bfd < 0 ? -errno : 0;
	close(dfd);
	return err ? err : bfd;
}

static int bundle_slots(const struct cfg_config *cfg)
{
	int n = cfg->max_concurrent_bundles ? (int)cfg->max_concurrent_bundles : 1;

	return n > COLLECT_MAX_BUNDLES ? COLLECT_MAX_BUNDLES : n;
}

size_t collect_arena_need(const struct cfg_config *cfg)
{
	size_t n = (size_t)bundle_slots(cfg), zstd = archive_arena_need(COLLECT_LEVEL);

	/* What collect_init takes below, plus 64 bytes of alignment slack per allocation. */
	return sizeof(struct collect) + n * sizeof(struct bundle) + COLLECT_BUF_SIZE + COLLECT_MANIFEST_SIZE + zstd +
	       n * COLLECT_EXECS_PER_BUNDLE * sizeof(struct act_child) + (5 + n) * 64 + collect_history_need(cfg);
}

/*
 * The history's memory, all of it fixed at start: the live ring, one snapshot per bundle slot
 * (the ring as it was at the anomaly) and one history.json buffer for the bundle being archived.
 * A second costs 3 KiB of ring (16 commands with 32 buckets, 8 worst records), so the default
 * 30 s with 4 bundle slots takes 5 x 96 KiB of rings, 30 KiB of kernel counters and 140 KiB of JSON.
 */
size_t collect_history_need(const struct cfg_config *cfg)
{
	size_t n = (size_t)bundle_slots(cfg);

	if (!cfg->history_seconds)
		return 0;
	return history_arena_need(cfg->history_seconds) + n * (history_ring_bytes(cfg->history_seconds) + 64) +
	       history_json_cap(cfg->history_seconds) + 64;
}

/* batches/ removed under a running aod (rm -rf by hand, a cleanup script): every later bundle
 * failed with ENOENT until restart. Checked before each bundle: one fstat. The new directory
 * takes the old fd number, so retention and an archive in flight keep a valid fd. */
static void batches_recheck(struct collect *c)
{
	struct stat st;
	int fd;

	if (fstat(c->dirfd, &st) == 0 && st.st_nlink > 0)
		return;
	fd = open_batches(c->cfg->output_dir);
	if (fd < 0) {
		log_error("unable to recreate %s/batches (it was removed): %s; check the output directory",
			  c->cfg->output_dir, strerror(-fd));
		return;
	}
	if (dup3(fd, c->dirfd, O_CLOEXEC) < 0)
		log_error("unable to reopen %s/batches: %s", c->cfg->output_dir, strerror(errno));
	else
		log_warn("%s/batches was removed while aod ran; created it again", c->cfg->output_dir);
	close(fd);
}

/* Another aod on the same directory would clear this one's in-flight .part files at its start
 * and race its retention: one process per output directory, the pid written for the message. */
static int lock_outdir(const char *out_dir)
{
	char path[PATH_MAX], pid[24];
	struct stat st;
	int fd, n, err;

	if (snprintf(path, sizeof(path), "%s/%s", out_dir, COLLECT_LOCK_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return err;
	}
	/*
	 * Written over the last holder's pid, then cut to length only when that differs: truncating
	 * the file to 0 first made ext4 free and journal its block at every start (0.3 ms).
	 */
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (pwrite(fd, pid, (size_t)n, 0) != n || fstat(fd, &st) < 0 ||
	    (st.st_size != n && ftruncate(fd, n) < 0)) {
		err = errno ? -errno : -EIO;
		close(fd);
		return err;
	}
	return fd;
}

int collect_lock_holder(const char *out_dir)
{
	char path[PATH_MAX], buf[24];
	ssize_t n;
	int fd, pid;

	snprintf(path, sizeof(path), "%s/%s", out_dir, COLLECT_LOCK_FILE);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return sscanf(buf, "%d", &pid) == 1 && pid > 0 ? pid : -ENODATA;
}

static int alloc_state(struct collect *c, struct arena *arena, int nslots)
{
	size_t need = archive_arena_need(COLLECT_LEVEL), per = COLLECT_EXECS_PER_BUNDLE * sizeof(struct act_child);
	int i;

	c->slots = arena_new(arena, struct bundle, (size_t)nslots);
	/* written before read, so left untouched until the first bundle */
	c->buf = arena_reserve(arena, 1, COLLECT_BUF_SIZE, 64);
	c->manifest = arena_reserve(arena, 1, COLLECT_MANIFEST_SIZE, 64);
	if (!c->slots || !c->buf || !c->manifest || !need || arena_sub(arena, &c->archive_arena, need))
		return -ENOMEM;
	for (i = 0; i < nslots; i++)
		if (arena_sub(arena, &c->slots[i].scratch, per))
			return -ENOMEM;
	c->nslots = nslots;
	if (!c->cfg->history_seconds)
		return 0;
	/* written before read: untouched until the first bundle */
	c->history_cap = history_json_cap(c->cfg->history_seconds);
	c->history_json = arena_reserve(arena, 1, c->history_cap, 64);
	for (i = 0; i < nslots; i++)
		if (!(c->slots[i].hist = arena_reserve(arena, 1, history_ring_bytes(c->cfg->history_seconds), 64)))
			return -ENOMEM;
	if (!c->history_json)
		return -ENOMEM;
	return 0;
}

int collect_init(struct collect **cp, const struct cfg_config *cfg, struct arena *arena, struct loop *loop)
{
	int n = bundle_slots(cfg), err;
	size_t mark = arena_mark(arena);
	struct collect *c;

	c = arena_new(arena, struct collect, 1);
	if (!c)
		return -ENOMEM;
	c->cfg = cfg;
	c->loop = loop;
	err = alloc_state(c, arena, n);
	if (err) {
		arena_reset(arena, mark);
		return err;
	}
	c->dirfd = open_batches(cfg->output_dir);
	if (c->dirfd < 0) {
		err = c->dirfd;
		arena_reset(arena, mark);
		return err;
	}
	c->lockfd = lock_outdir(cfg->output_dir);
	if (c->lockfd < 0) {
		err = c->lockfd;
		close(c->dirfd);
		arena_reset(arena, mark);
		return err;
	}
	*cp = c;
	return 0;
}

void collect_set_config(struct collect *c, const struct cfg_config *cfg)
{
	if (cfg->max_concurrent_bundles > (uint32_t)c->nslots)
		log_warn("max_concurrent_bundles %u: only %d bundle slots were reserved at start; restart aod to raise it",
			 cfg->max_concurrent_bundles, c->nslots);
	/* The output directory stays the one opened at start: bundles and retention share its fd. */
	if (strcmp(cfg->output_dir, c->cfg->output_dir))
		log_warn("aod_output_dir changed to %s: takes effect at restart", cfg->output_dir);
	c->cfg = cfg;
}

void collect_notify_written(const struct collect *c, const char *name, uint64_t size, int64_t wall_ns)
{
	if (c->on_written)
		c->on_written(c->on_written_ctx, name, size, wall_ns);
}

void collect_on_written(struct collect *c, collect_written_fn fn, void *ctx)
{
	c->on_written = fn;
	c->on_written_ctx = ctx;
}

void collect_set_history(struct collect *c, const struct history *h)
{
	c->history = h;
}

void collect_set_probe_info(struct collect *c, const struct collect_probe_info *pi)
{
	c->probe = *pi;
}

int collect_running(const struct collect *c)
{
	int i, n = 0;

	for (i = 0; i < c->nslots; i++)
		n += c->slots[i].active;
	return n;
}

int collect_outdir_fd(const struct collect *c)
{
	return c->dirfd;
}

void collect_get_stats(const struct collect *c, struct collect_stats *st)
{
	*st = c->st;
}

/* An unlinked file in the batches directory: action output stays on disk, not in memory,
 * and disappears by itself if aod dies. */
static int tmp_open(struct collect *c)
{
	char name[64];
	int fd;

	fd = openat(c->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* Filesystems without O_TMPFILE (older kernels, some FUSE): a named file unlinked at once. */
	snprintf(name, sizeof(name), ".aod_tmp_%d_%u", (int)getpid(), ++c->tmp_seq);
	fd = openat(c->dirfd, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	unlinkat(c->dirfd, name, 0);
	return fd;
}

/* File names carry config strings; keep them to a safe alphabet. */
static void safe_copy(char *out, size_t cap, const char *in)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++) {
		char ch = in[i];

		out[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			 ch == '-' || ch == '.' ? ch : '_';
	}
	out[i] = '\0';
}

/* Only while its actions run: once they are done the manifest may be written, so a repeat
 * counted into it would be lost; it starts a bundle of its own, as it did when archiving was instant. */
static struct bundle *find_running(struct collect *c, const char *proto, const char *anomaly)
{
	int i;

	for (i = 0; i < c->nslots; i++) {
		struct bundle *b = &c->slots[i];

		if (b->active && b->phase == BUNDLE_ACTIONS && !strcmp(b->proto, proto) && !strcmp(b->anomaly, anomaly))
			return b;
	}
	return NULL;
}

static struct bundle *free_slot(struct collect *c)
{
	int i;

	if (collect_running(c) >= limit(c))
		return NULL;
	for (i = 0; i < c->nslots; i++)
		if (!c->slots[i].active)
			return &c->slots[i];
	return NULL;
}

/* The capture bundles cut for req, each named once. */
static void add_captures(struct bundle *b, const struct collect_request *req)
{
	for (int i = 0; i < req->ncaptures && i < CFG_CAPTURES_PER_REQ; i++) {
		int j;

		for (j = 0; j < b->ncaptures && strcmp(b->captures[j], req->captures[i]); j++)
			;
		if (j == b->ncaptures && b->ncaptures < CFG_CAPTURE_LINKS)
			snprintf(b->captures[b->ncaptures++], CFG_CAPTURE_NAME_MAX, "%s", req->captures[i]);
	}
}

static void bundle_setup(struct collect *c, struct bundle *b, const struct collect_request *req, uint64_t now_ns)
{
	const struct cfg_config *cfg = c->cfg;
	char proto[sizeof(b->proto)], anom[CFG_NAME_MAX];
	struct arena scratch = b->scratch;
	struct history_ring *hist = b->hist;
	int i, n, idx;

	memset(b, 0, sizeof(*b));
	b->scratch = scratch;
	b->hist = hist;
	b->hist_len = -1;
	/* the seconds up to the anomaly (replay: event time, as detection's) */
	if (hist && c->history && c->history->ring) {
		history_snapshot(c->history->ring, hist, req->det ? req->det->ts_ns : now_ns);
		b->has_hist = true;
	}
	arena_reset(&b->scratch, 0);
	b->active = true;
	snprintf(b->proto, sizeof(b->proto), "%s", req->proto);
	snprintf(b->anomaly, sizeof(b->anomaly), "%s", req->anomaly);
	safe_copy(proto, sizeof(proto), req->proto);
	safe_copy(anom, sizeof(anom), req->anomaly);
	snprintf(b->name, sizeof(b->name), "aod_quick_%lld_%s_%s.tar.zst", (long long)req->wall_ns, proto, anom);
	b->wall_ns = req->wall_ns;
	b->start_ns = now_ns;
	add_captures(b, req);
	b->manifest_events = cfg->manifest_events;
	if (req->det) {
		b->det = *req->det;
		b->has_det = true;
	}
	if (req->anomaly_idx >= 0 && req->anomaly_idx < cfg->nanomalies) {
		b->anom = cfg->anomalies[req->anomaly_idx];
		b->has_anom = true;
	}
	/* Snapshot and shutdown (no anomaly) take every defined action: the full picture. */
	n = b->has_anom ? b->anom.nactions : cfg->nactions;
	for (i = 0; i < n && b->nacts < CFG_MAX_ACTIONS; i++) {
		idx = b->has_anom ? b->anom.actions[i] : i;
		if (idx < 0 || idx >= cfg->nactions)
			continue;
		snprintf(b->acts[b->nacts].name, CFG_NAME_MAX, "%s", cfg->actions[idx].name);
		b->acts[b->nacts].kind = cfg->actions[idx].kind;
		b->acts[b->nacts].cfg_idx = idx;
		b->acts[b->nacts].fd = -1;
		b->nacts++;
	}
}

static void action_failed(struct bundle_action *ba, uint64_t now_ns, const char *what, int err)
{
	ba->res.status = ACT_FAILED;
	ba->res.exit_code = -1;
	ba->res.start_ns = ba->res.end_ns = now_ns;
	snprintf(ba->res.note, sizeof(ba->res.note), "%s: %s", what, strerror(-err));
}

static void run_one(struct collect *c, struct bundle *b, struct bundle_action *ba, const struct cfg_action *a,
		    uint64_t now_ns)
{
	/* KMSG compares with the kernel's clock, so it gets the real one, whatever the caller's. */
	struct act_env env = { .interval_sec = c->cfg->watch_interval_sec ? c->cfg->watch_interval_sec : 1,
			       .pid = b->has_det ? manifest_event_pid(&b->det) : 0,
			       .now_ns = mono_ns(), .buf = c->buf, .bufsz = COLLECT_BUF_SIZE, .loop = c->loop };
	int r;

	ba->fd = tmp_open(c);
	if (ba->fd < 0) {
		action_failed(ba, now_ns, "cannot create its temp file", ba->fd);
		return;
	}
	if (actions_is_internal(a)) {
		actions_run_internal(a, &env, ba->fd, &ba->res);
		return;
	}
	ba->ch = arena_new(&b->scratch, struct act_child, 1);
	if (!ba->ch) {
		action_failed(ba, now_ns, "too many exec actions in one bundle", -ENOMEM);
		return;
	}
	r = actions_exec_start(ba->ch, a, &env, ba->fd, &ba->res, now_ns);
	if (r == 1) {
		ba->running = true;
		b->nrunning++;
	}
}

static int build_manifest(struct collect *c, const struct bundle *b)
{
	struct manifest_action ma[CFG_MAX_ACTIONS];
	struct manifest_input in = {
		.bundle = b->name, .proto = b->proto, .anomaly = b->anomaly,
		.anom = b->has_anom ? &b->anom : NULL, .det = b->has_det ? &b->det : NULL,
		.coalesced = b->coalesced, .wall_ns = b->wall_ns, .start_ns = b->start_ns,
		.max_events = b->manifest_events, .acts = ma, .nacts = b->nacts, .probe = &c->probe,
		.captures = b->captures, .ncaptures = b->ncaptures, .history = b->hist_len >= 0,
	};
	int i, len;

	for (i = 0; i < b->nacts; i++)
		ma[i] = (struct manifest_action){ b->acts[i].name, b->acts[i].kind, &b->acts[i].res };
	len = manifest_build(c->manifest, COLLECT_MANIFEST_SIZE, &in);
	if (len == -ENOSPC) {
		/* Events are the bulky part; a manifest with only the worst one beats no bundle. */
		in.max_events = 1;
		len = manifest_build(c->manifest, COLLECT_MANIFEST_SIZE, &in);
	}
	return len;
}

/* Open b's .part and stage the manifest, its first member; nothing is compressed yet. */
static int archive_start(struct collect *c, struct bundle *b)
{
	int len, r;

	b->hist_len = b->has_hist ? history_json(b->hist, c->history_json, c->history_cap) : -1;
	if (b->has_hist && b->hist_len < 0)
		log_warn("bundle %s: history.json did not fit in %zu bytes; the bundle has none", b->name, c->history_cap);
	len = build_manifest(c, b);
	if (len < 0)
		return len;
	arena_reset(&c->archive_arena, 0);
	r = archive_open(&c->ar, &c->archive_arena, c->dirfd, b->name, COLLECT_LEVEL);
	if (r)
		return r;
	c->arch = b;
	b->phase = BUNDLE_ARCHIVING;
	b->member = -1;
	return archive_begin(c->ar, "manifest.json", c->manifest, (size_t)len, b->wall_ns / 1000000000ll);
}

/* Stage the next action's log after b->member; b->member becomes nacts when none is left. */
static int begin_next(struct collect *c, struct bundle *b)
{
	char log[CFG_NAME_MAX + 8];
	int hist_len = b->hist_len;

	/* history.json right after the manifest, once */
	if (b->member == -1 && hist_len >= 0) {
		b->hist_len = -1;
		return archive_begin(c->ar, "history.json", c->history_json, (size_t)hist_len, b->wall_ns / 1000000000ll);
	}
	/* No temp file: the manifest says why. */
	while (++b->member < b->nacts && b->acts[b->member].fd < 0)
		;
	if (b->member == b->nacts)
		return 0;
	snprintf(log, sizeof(log), "%s.log", b->acts[b->member].name);
	return archive_begin_fd(c->ar, log, b->acts[b->member].fd, b->wall_ns / 1000000000ll);
}

/* Push at most *budget tar bytes of b's archive: 1 when it is written, 0 when the budget ran out. */
static int archive_advance(struct collect *c, struct bundle *b, size_t *budget)
{
	int r;

	while (b->member < b->nacts) {
		r = archive_step(c->ar, budget);
		if (r <= 0)
			return r;
		r = begin_next(c, b);
		if (r)
			return r;
	}
	if (*budget < TAR_END_SIZE)
		return 0;
	*budget -= TAR_END_SIZE;
	r = archive_finish(c->ar);
	return r ? r : 1;
}

static void bundle_finish(struct collect *c, struct bundle *b, int r)
{
	struct stat st;
	int i;

	if (c->arch == b) {
		archive_abort(c->ar);	/* a no-op once finished; removes the .part after a failure */
		c->ar = NULL;
		c->arch = NULL;
		arena_reset(&c->archive_arena, 0);
	}
	if (r) {
		c->st.bundles_failed++;
		if (r == -ELOOP)
			log_error("unable to create %s.part: it is a symbolic link; refused (aod never writes through "
				  "links); remove it", b->name);
		else
			log_error("unable to write bundle %s: %s", b->name, strerror(-r));
	} else {
		c->st.bundles_written++;
		if (fstatat(c->dirfd, b->name, &st, AT_SYMLINK_NOFOLLOW))
			st.st_size = 0;
		c->st.bytes_written += (uint64_t)st.st_size;
		log_info("wrote bundle %s/batches/%s (%lld bytes, %d actions, %u coalesced, %.1f ms, %u archive steps)",
			 c->cfg->output_dir, b->name, (long long)st.st_size, b->nacts, b->coalesced,
			 (double)(mono_ns() - b->start_ns) / 1e6, b->steps);
		if (c->on_written)
			c->on_written(c->on_written_ctx, b->name, (uint64_t)st.st_size, b->wall_ns);
	}
	for (i = 0; i < b->nacts; i++) {
		if (b->acts[i].fd >= 0)
			close(b->acts[i].fd);
		c->st.actions_failed += b->acts[i].res.status == ACT_FAILED;
		c->st.actions_timeout += b->acts[i].res.status == ACT_TIMEOUT;
	}
	arena_reset(&b->scratch, 0);
	b->active = false;
}

static struct bundle *oldest_queued(struct collect *c)
{
	struct bundle *best = NULL;
	int i;

	for (i = 0; i < c->nslots; i++) {
		struct bundle *b = &c->slots[i];

		if (b->active && b->phase == BUNDLE_QUEUED && (!best || b->queued_seq < best->queued_seq))
			best = b;
	}
	return best;
}

/*
 * One bounded step of archiving: at most COLLECT_ARCHIVE_STEP tar bytes in all, the current
 * bundle first, then the queued ones in the order their actions finished.
 */
static void archive_work(struct collect *c)
{
	size_t budget = COLLECT_ARCHIVE_STEP;
	struct bundle *b;
	int r;

	while (budget > 0) {
		b = c->arch;
		if (!b) {
			b = oldest_queued(c);
			if (!b)
				break;
			r = archive_start(c, b);
			if (r) {
				bundle_finish(c, b, r);
				continue;
			}
		}
		b->steps++;
		r = archive_advance(c, b, &budget);
		if (r == 0)
			break;
		bundle_finish(c, b, r < 0 ? r : 0);
	}
	if (COLLECT_ARCHIVE_STEP - budget > c->step_in_max)
		c->step_in_max = COLLECT_ARCHIVE_STEP - budget;
}

static void bundle_queue(struct collect *c, struct bundle *b)
{
	b->phase = BUNDLE_QUEUED;
	b->queued_seq = ++c->queued_seq;
}

static bool archive_pending(const struct collect *c)
{
	int i;

	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].active && c->slots[i].phase != BUNDLE_ACTIONS)
			return true;
	return false;
}

int collect_start(struct collect *c, const struct collect_request *req, uint64_t now_ns)
{
	struct bundle *b = find_running(c, req->proto, req->anomaly);
	int i, pass;

	if (b) {
		b->coalesced++;
		c->st.coalesced++;
		add_captures(b, req);
		return 1;
	}
	b = free_slot(c);
	if (!b) {
		c->st.refused_busy++;
		return -EBUSY;
	}
	batches_recheck(c);
	bundle_setup(c, b, req, now_ns);
	/* Children first, so they run while the internal reads happen inline. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < b->nacts; i++) {
			const struct cfg_action *a = &c->cfg->actions[b->acts[i].cfg_idx];

			if (actions_is_internal(a) == (pass == 1))
				run_one(c, b, &b->acts[i], a, now_ns);
		}
	}
	if (b->nrunning == 0) {
		/* An idle archiver writes a small bundle before returning, as before archiving was
		 * stepped; otherwise it waits its turn in the loop's passes. */
		bool idle = !archive_pending(c);

		bundle_queue(c, b);
		if (idle)
			archive_work(c);
	}
	return 0;
}

void collect_fill_fds(struct collect *c, fd_set *rd, int *maxfd, uint64_t *deadline_ns)
{
	uint64_t now = mono_ns();
	int i, k;

	for (i = 0; i < c->nslots; i++) {
		struct bundle *b = &c->slots[i];

		for (k = 0; b->active && k < b->nacts; k++)
			if (b->acts[k].running)
				actions_exec_fill(b->acts[k].ch, rd, maxfd, deadline_ns, now);
	}
	/* Archiving left: come back as soon as the other fds are served. */
	if (archive_pending(c) && *deadline_ns > now)
		*deadline_ns = now;
}

void collect_poll(struct collect *c, const fd_set *rd, uint64_t now_ns)
{
	int i, k;

	for (i = 0; i < c->nslots; i++) {
		struct bundle *b = &c->slots[i];

		if (!b->active || b->phase != BUNDLE_ACTIONS)
			continue;
		for (k = 0; k < b->nacts; k++) {
			struct bundle_action *ba = &b->acts[k];

			if (ba->running && actions_exec_poll(ba->ch, rd, now_ns, c->buf, COLLECT_BUF_SIZE)) {
				ba->running = false;
				b->nrunning--;
			}
		}
		if (b->nrunning == 0)
			bundle_queue(c, b);
	}
	archive_work(c);
}

void collect_loop_fill(void *c, struct loop_set *s)
{
	collect_fill_fds(c, &s->rd, &s->maxfd, &s->deadline_ns);
}

void collect_loop_poll(void *c, const struct loop_set *s, uint64_t now_ns)
{
	collect_poll(c, &s->rd, now_ns);
}

static bool all_done(void *c)
{
	return collect_running(c) == 0;
}

void collect_drain(struct collect *c, uint64_t grace_ns)
{
	int i, k;

	/* Shutdown is the one place aod waits: nothing else is left to serve but the children's exits. */
	if (loop_drain_until(c->loop, collect_loop_fill, collect_loop_poll, all_done, c, mono_ns() + grace_ns) < 0)
		log_warn("unable to wait for the running bundles; finishing them now");
	for (i = 0; i < c->nslots; i++) {
		struct bundle *b = &c->slots[i];

		if (!b->active || b->phase != BUNDLE_ACTIONS)
			continue;
		for (k = 0; k < b->nacts; k++) {
			struct bundle_action *ba = &b->acts[k];

			if (!ba->running)
				continue;
			actions_exec_kill(ba->ch, COLLECT_KILL_WAIT_NS, "killed at shutdown", c->buf, COLLECT_BUF_SIZE);
			ba->running = false;
			b->nrunning--;
		}
		bundle_queue(c, b);
	}
	/* Past the grace the evidence is still written: nothing else is left to serve, and each
	 * action's output is capped by its max_bytes, so this ends. */
	while (archive_pending(c))
		archive_work(c);
}
