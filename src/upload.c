// SPDX-License-Identifier: GPL-2.0-only
/* Bundle upload: a user command or an atomic copy per finished bundle, retried with backoff, journaled. */
#include "upload.h"

#include <dirent.h>	/* DT_* only */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions.h"
#include "clock.h"
#include "dirlist.h"
#include "io.h"
#include "log.h"
#include "retain.h"

#define JOURNAL_PART UPLOAD_JOURNAL ".part"
#define JOURNAL_READ_CHUNK 16384
#define KILL_WAIT_NS 200000000ull	/* shutdown: how long a SIGKILLed upload may take to die */
/* A journal this many lines past its last compaction is rewritten on the next cleanup tick. */
#define COMPACT_SLACK 1024

enum q_state { Q_FREE, Q_WAIT, Q_RUN };
enum done_state { DONE_OK = 1, DONE_FAILED = 2 };

struct q_ent {
	char name[UPLOAD_NAME_MAX + 1];
	enum q_state state;
	uint32_t failed;		/* attempts that failed so far */
	uint64_t next_at;		/* CLOCK_MONOTONIC: not before */
	uint64_t start_ns;		/* of the running attempt */
};

/* The journal in memory: a sorted array of name hashes, so memory is fixed whatever the names. */
struct done_ent {
	uint64_t h;
	uint16_t attempts;
	uint8_t state;
	uint8_t seen;			/* found by the current directory listing */
};

struct run {
	bool used;
	int q;				/* index into the queue */
	int memfd;			/* the command's stdout and stderr, to explain a failure */
	struct act_child ch;
	struct act_result res;
	struct cfg_action act;
};

struct upload {
	struct cfg_upload cfg;
	char out_dir[PATH_MAX];		/* holds the journal */
	char batches[PATH_MAX + 8];	/* <out_dir>/batches: {bundle} is a path in it */
	int batches_fd, out_fd, jfd;
	struct q_ent q[UPLOAD_QUEUE];
	struct done_ent done[UPLOAD_DONE_MAX];
	size_t ndone;
	struct run runs[CFG_UPLOAD_MAX_CONCURRENT];
	struct upload_stats st;
	struct loop *loop;		/* reaps the commands (upload_open); NULL: upload_poll does */
	bool overflow;			/* a bundle found no queue slot: rescan on the cleanup tick */
	bool full_warned;
	bool partial;			/* the journal ends in a line cut short */
	uint64_t jlines, jlines_compacted;
	uint32_t rng;
	char buf[ACTIONS_BUF_MIN];	/* pipe reads of running commands */
	uint64_t dents[2048];		/* directory listings (8-byte aligned for getdents64) */
	char jbuf[JOURNAL_READ_CHUNK];	/* journal reading and rewriting */
};

static struct upload the_upload;

/* ---- pure parts ---- */

uint64_t upload_backoff_ms(uint32_t base_ms, uint32_t max_ms, unsigned failed, uint32_t rnd)
{
	uint64_t d = base_ms ? base_ms : 1;
	unsigned i;

	for (i = 1; i < failed && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* Hosts that failed together (a storage outage) must not all retry in the same second. */
	return d - d / 2 + (uint64_t)((d / 2) * (double)rnd / UINT32_MAX);
}

int upload_subst(char *out, size_t cap, const char *in, const char *path, const char *name)
{
	static const char kb[] = "{bundle}", kn[] = "{name}";
	size_t w = 0, n;
	const char *v;
	int rc = 0;

	while (*in) {
		if (!strncmp(in, kb, sizeof(kb) - 1)) {
			v = path;
			in += sizeof(kb) - 1;
		} else if (!strncmp(in, kn, sizeof(kn) - 1)) {
			v = name;
			in += sizeof(kn) - 1;
		} else {
			v = NULL;
		}
		n = v ? strlen(v) : 1;
		if (w + n >= cap) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(out + w, v ? v : in, n);
		w += n;
		if (!v)
			in++;
	}
	if (cap)
		out[w < cap ? w : cap - 1] = 0;
	return rc;
}

int upload_journal_parse(const char *line, size_t len, const char **name, size_t *namelen)
{
	const char *sp, *end = line + len;
	int kind;

	if (len > 3 && !memcmp(line, "ok ", 3)) {
		kind = DONE_OK;
		*name = line + 3;
	} else if (len > 7 && !memcmp(line, "failed ", 7)) {
		kind = DONE_FAILED;
		*name = line + 7;
	} else {
		return 0;
	}
	sp = memchr(*name, ' ', (size_t)(end - *name));
	if (kind == DONE_OK && sp)
		return 0;
	if (kind == DONE_FAILED && (!sp || sp + 1 >= end || sp[1] < '0' || sp[1] > '9'))
		return 0;
	*namelen = (size_t)((sp ? sp : end) - *name);
	if (!*namelen || *namelen > UPLOAD_NAME_MAX || memchr(*name, '/', *namelen))
		return 0;
	return kind;
}

/* ---- the journal in memory ---- */

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Index of h, or of where it would go (*found false). */
static size_t done_pos(const struct upload *u, uint64_t h, bool *found)
{
	size_t lo = 0, hi = u->ndone;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->done[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < u->ndone && u->done[lo].h == h;
	return lo;
}

static struct done_ent *done_find(struct upload *u, const char *name)
{
	bool found;
	size_t i = done_pos(u, name_hash(name, strlen(name)), &found);

	return found ? &u->done[i] : NULL;
}

static int done_set(struct upload *u, const char *name, size_t len, int state, unsigned attempts)
{
	uint64_t h = name_hash(name, len);
	bool found;
	size_t i = done_pos(u, h, &found);

	if (!found) {
		if (u->ndone == UPLOAD_DONE_MAX)
			return -ENOSPC;
		memmove(&u->done[i + 1], &u->done[i], (u->ndone - i) * sizeof(u->done[0]));
		u->ndone++;
	}
	u->done[i] = (struct done_ent){ .h = h, .state = (uint8_t)state,
					.attempts = (uint16_t)(attempts > UINT16_MAX ? UINT16_MAX : attempts) };
	return 0;
}

/* ---- the queue ---- */

static struct q_ent *queue_find(struct upload *u, const char *name)
{
	for (int i = 0; i < UPLOAD_QUEUE; i++)
		if (u->q[i].state != Q_FREE && !strcmp(u->q[i].name, name))
			return &u->q[i];
	return NULL;
}

static void enqueue(struct upload *u, const char *name)
{
	int i;

	if (strlen(name) > UPLOAD_NAME_MAX || queue_find(u, name))
		return;
	for (i = 0; i < UPLOAD_QUEUE && u->q[i].state != Q_FREE; i++)
		;
	if (i == UPLOAD_QUEUE) {
		if (!u->overflow)
			log_warn("upload: %d bundles already wait; %s and later ones wait in the directory and are "
				 "picked up as the queue drains", UPLOAD_QUEUE, name);
		u->overflow = true;
		return;
	}
	snprintf(u->q[i].name, sizeof(u->q[i].name), "%s", name);
	u->q[i].state = Q_WAIT;
	u->q[i].failed = 0;
	u->q[i].next_at = 0;
}

/* ---- the journal on disk ---- */

static void journal_append(struct upload *u, const char *line)
{
	int err = io_write_all(u->jfd, line, strlen(line));

	/* fsynced: "uploaded" must survive a power cut, or the bundle goes out twice */
	if (!err)
		err = io_fsync(u->jfd);
	if (err)
		log_error("unable to append to %s/%s: %s; after a restart this bundle may be sent again",
			  u->out_dir, UPLOAD_JOURNAL, strerror(-err));
	u->jlines++;
}

static void journal_line(struct upload *u, const char *p, size_t len)
{
	const char *name;
	size_t n;
	int kind = upload_journal_parse(p, len, &name, &n);
	char tmp[UPLOAD_NAME_MAX + 1];

	u->jlines++;
	if (!kind)
		return;
	memcpy(tmp, name, n);
	tmp[n] = 0;
	if (done_set(u, tmp, n, kind, kind == DONE_FAILED ? (unsigned)strtoul(name + n + 1, NULL, 10) : 0) && !u->full_warned) {
		log_warn("upload: the journal names more than %d bundles; the rest are treated as not sent",
			 UPLOAD_DONE_MAX);
		u->full_warned = true;
	}
}

/* Lines longer than the buffer are not aod's and are skipped whole. */
static int journal_read(struct upload *u)
{
	size_t have = 0, start;
	bool skipping = false;
	ssize_t n;
	off_t off = 0;
	char *nl;

	for (;;) {
		n = io_pread(u->jfd, u->jbuf + have, sizeof(u->jbuf) - have, off);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		off += n;
		have += (size_t)n;
		start = 0;
		while ((nl = memchr(u->jbuf + start, '\n', have - start))) {
			if (!skipping)
				journal_line(u, u->jbuf + start, (size_t)(nl - u->jbuf - start));
			skipping = false;
			start = (size_t)(nl - u->jbuf) + 1;
		}
		memmove(u->jbuf, u->jbuf + start, have - start);
		have -= start;
		if (have == sizeof(u->jbuf)) {
			skipping = true;
			have = 0;
		}
	}
	/* a last line without its newline was cut by a crash mid-append: the upload is not recorded */
	u->partial = have > 0 || skipping;
	return 0;
}

struct scan {
	struct upload *u;
	int fd;			/* the new journal when compacting, else -1 */
	size_t len;		/* bytes buffered in u->jbuf */
	int err;
	uint64_t lines;
};

static void scan_flush(struct scan *s)
{
	int err;

	if (s->fd < 0 || !s->len)
		return;
	err = io_write_all(s->fd, s->u->jbuf, s->len);
	if (err && !s->err)
		s->err = err;
	s->len = 0;
}

static void scan_keep(struct scan *s, const char *name, const struct done_ent *d)
{
	int n;

	if (s->fd < 0)
		return;
	if (s->len + UPLOAD_NAME_MAX + 32 > sizeof(s->u->jbuf))
		scan_flush(s);
	if (d->state == DONE_OK)
		n = snprintf(s->u->jbuf + s->len, sizeof(s->u->jbuf) - s->len, "ok %s\n", name);
	else
		n = snprintf(s->u->jbuf + s->len, sizeof(s->u->jbuf) - s->len, "failed %s %u\n", name, d->attempts);
	s->len += (size_t)n;
	s->lines++;
}

static int scan_entry(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct scan *s = ctx;
	struct done_ent *d;
	struct stat st;

	if (!retain_is_bundle(name) || (type != DT_REG && type != DT_UNKNOWN))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return 0;
	d = done_find(s->u, name);
	if (d) {
		d->seen = 1;
		scan_keep(s, name, d);
	} else {
		enqueue(s->u, name);
	}
	return 0;
}

/* Forget what the listing did not find: those bundles are gone. */
static void done_prune(struct upload *u)
{
	size_t i, w = 0;

	for (i = 0; i < u->ndone; i++)
		if (u->done[i].seen)
			u->done[w++] = u->done[i];
	u->ndone = w;
}

/* List the batches directory: queue what is not in the journal; with compact, also rewrite the
 * journal with the bundles still present (.part, fsync, rename) and forget the others. */
static int scan(struct upload *u, bool compact)
{
	struct scan s = { .u = u, .fd = -1 };
	int dfd, rc, fd;
	size_t i;

	for (i = 0; i < u->ndone; i++)
		u->done[i].seen = 0;
	if (compact) {
		unlinkat(u->out_fd, JOURNAL_PART, 0);
		s.fd = openat(u->out_fd, JOURNAL_PART, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s.fd < 0)
			return -errno;
	}
	u->overflow = false;
	dfd = openat(u->batches_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dfd < 0 ? -errno : dirlist_each(dfd, u->dents, sizeof(u->dents), scan_entry, &s);
	if (dfd >= 0)
		close(dfd);
	if (s.fd < 0)
		return rc;
	scan_flush(&s);
	if (rc || s.err) {
		close(s.fd);
		unlinkat(u->out_fd, JOURNAL_PART, 0);
		return rc ? rc : s.err;
	}
	rc = io_seal_part(s.fd, u->out_fd, JOURNAL_PART, UPLOAD_JOURNAL);
	if (rc)
		return rc;
	fd = openat(u->out_fd, UPLOAD_JOURNAL, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(u->jfd);
	u->jfd = fd;
	io_fsync(u->out_fd);	/* the rename itself must outlive a crash */
	done_prune(u);
	u->jlines = u->jlines_compacted = s.lines;
	return 0;
}

/* ---- attempts ---- */

static void free_entry(struct q_ent *q)
{
	q->state = Q_FREE;
	q->name[0] = 0;
}

static uint32_t next_rand(struct upload *u)
{
	uint32_t x = u->rng ? u->rng : 2463534242u;	/* xorshift32 */

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return u->rng = x;
}

static void record_done(struct upload *u, struct q_ent *q, int state)
{
	char line[UPLOAD_NAME_MAX + 32];

	if (done_set(u, q->name, strlen(q->name), state, q->failed) == -ENOSPC &&
	    (scan(u, true) || done_set(u, q->name, strlen(q->name), state, q->failed)))
		log_error("upload: the journal holds %d bundles, all still on disk; %s is not remembered and may be "
			  "sent again after a restart (lower cleanup.max_total_log_size_mb)", UPLOAD_DONE_MAX, q->name);
	if (state == DONE_OK)
		snprintf(line, sizeof(line), "ok %s\n", q->name);
	else
		snprintf(line, sizeof(line), "failed %s %u\n", q->name, q->failed);
	journal_append(u, line);
}

/* The first line the command printed, for the log: curl's "(22) ... returned error: 500". */
static void output_line(const struct run *r, char *out, size_t cap)
{
	ssize_t n = pread(r->memfd, out, cap - 1, 0);
	char *p;

	out[n > 0 ? n : 0] = 0;
	for (p = out; *p; p++)
		if (*p == '\n' || *p == '\r') {
			*p = 0;
			break;
		}
}

static void attempt_failed(struct upload *u, struct q_ent *q, const char *why, uint64_t now_ns)
{
	uint64_t ms;

	q->failed++;
	if (q->failed >= u->cfg.max_attempts) {
		record_done(u, q, DONE_FAILED);
		u->st.failed++;
		log_error("upload: giving up on %s after %u attempts (last: %s); it stays in %s, marked failed in %s/%s",
			  q->name, q->failed, why, u->batches, u->out_dir, UPLOAD_JOURNAL);
		free_entry(q);
		return;
	}
	ms = upload_backoff_ms(u->cfg.retry_base_ms, u->cfg.retry_max_ms, q->failed, next_rand(u));
	q->state = Q_WAIT;
	q->next_at = now_ns + ms * 1000000ull;
	u->st.retries++;
	log_warn("upload: %s failed (attempt %u of %u: %s); next attempt in %.1f s", q->name, q->failed,
		 u->cfg.max_attempts, why, (double)ms / 1000);
}

static void attempt_done(struct upload *u, struct run *r, uint64_t now_ns)
{
	struct q_ent *q = &u->q[r->q];
	char out[160], why[ACTIONS_NOTE_MAX + sizeof(out) + 4];

	r->used = false;
	if (r->res.status == ACT_OK) {
		record_done(u, q, DONE_OK);
		u->st.uploaded++;
		log_info("upload: sent %s (attempt %u, %.1f s)", q->name, q->failed + 1,
			 (double)(now_ns - q->start_ns) / 1e9);
		free_entry(q);
		return;
	}
	output_line(r, out, sizeof(out));
	snprintf(why, sizeof(why), "%s%s%s", r->res.note[0] ? r->res.note : actions_status_name(r->res.status),
		 out[0] ? ": " : "", out);
	attempt_failed(u, q, why, now_ns);
}

static int build_argv(struct upload *u, struct cfg_action *a, const char *path, const char *name)
{
	int i;

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "upload");
	a->kind = CFG_ACT_EXEC;
	a->max_bytes = UPLOAD_OUTPUT_MAX;
	a->timeout_ms = u->cfg.timeout_ms;
	if (u->cfg.dir[0]) {
		/* the copy runs in a child of its own: a hung share must block it, not the loop */
		const char *argv[] = { "/proc/self/exe", "upload-copy", path, u->cfg.dir };

		for (i = 0; i < 4; i++)
			if (snprintf(a->argv[i], sizeof(a->argv[i]), "%s", argv[i]) >= (int)sizeof(a->argv[i]))
				return -ENAMETOOLONG;
		a->argc = 4;
		return 0;
	}
	for (i = 0; i < u->cfg.argc; i++)
		if (upload_subst(a->argv[i], sizeof(a->argv[i]), u->cfg.argv[i], path, name))
			return -ENAMETOOLONG;
	a->argc = u->cfg.argc;
	return 0;
}

static void start_attempt(struct upload *u, struct run *r, int qi, uint64_t now_ns)
{
	struct q_ent *q = &u->q[qi];
	struct act_env env = { .now_ns = now_ns, .buf = u->buf, .bufsz = sizeof(u->buf), .loop = u->loop };
	char path[PATH_MAX + UPLOAD_NAME_MAX + 16];
	struct stat st;
	int rc;

	if (fstatat(u->batches_fd, q->name, &st, AT_SYMLINK_NOFOLLOW) && errno == ENOENT) {
		upload_lost(u, q->name, 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", u->batches, q->name);
	q->start_ns = now_ns;
	if (build_argv(u, &r->act, path, q->name)) {
		attempt_failed(u, q, "an argument is too long once {bundle} and {name} are filled in "
				     "(at most 159 characters each; a long URL can go in a script)", now_ns);
		return;
	}
	if (ftruncate(r->memfd, 0) == 0)
		lseek(r->memfd, 0, SEEK_SET);
	rc = actions_exec_start(&r->ch, &r->act, &env, r->memfd, &r->res, now_ns);
	if (rc == 1) {
		q->state = Q_RUN;
		r->used = true;
		r->q = qi;
		return;
	}
	attempt_failed(u, q, r->res.note[0] ? r->res.note : "could not start", now_ns);
}

static int running(const struct upload *u)
{
	int i, n = 0;

	for (i = 0; i < CFG_UPLOAD_MAX_CONCURRENT; i++)
		n += u->runs[i].used;
	return n;
}

/* The waiting bundle due first (earliest next_at), -1 if none is due by now_ns. */
static int next_due(const struct upload *u, uint64_t now_ns, uint64_t *when)
{
	int i, best = -1;

	for (i = 0; i < UPLOAD_QUEUE; i++)
		if (u->q[i].state == Q_WAIT && (best < 0 || u->q[i].next_at < u->q[best].next_at))
			best = i;
	if (when)
		*when = best >= 0 ? u->q[best].next_at : UINT64_MAX;
	return best >= 0 && u->q[best].next_at <= now_ns ? best : -1;
}

static void start_due(struct upload *u, uint64_t now_ns)
{
	int i, qi;

	for (i = 0; i < CFG_UPLOAD_MAX_CONCURRENT && running(u) < (int)u->cfg.max_concurrent; i++) {
		if (u->runs[i].used)
			continue;
		qi = next_due(u, now_ns, NULL);
		if (qi < 0)
			return;
		start_attempt(u, &u->runs[i], qi, now_ns);
	}
}

/* ---- the loop's interface ---- */

int upload_open(struct upload **up, const struct cfg_upload *cfg, const char *out_dir, int batches_fd,
		struct loop *loop)
{
	struct upload *u = &the_upload;
	int i, rc;

	memset(u, 0, sizeof(*u));
	u->jfd = u->out_fd = -1;
	u->cfg = *cfg;
	u->batches_fd = batches_fd;
	u->loop = loop;
	snprintf(u->out_dir, sizeof(u->out_dir), "%s", out_dir);
	snprintf(u->batches, sizeof(u->batches), "%s/batches", out_dir);
	u->rng = (uint32_t)(mono_ns() ^ ((uint64_t)getpid() << 16));
	u->out_fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->out_fd < 0)
		return -errno;
	u->jfd = openat(u->out_fd, UPLOAD_JOURNAL, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (u->jfd < 0)
		return -errno;
	for (i = 0; i < CFG_UPLOAD_MAX_CONCURRENT; i++) {
		u->runs[i].memfd = memfd_create("aod-upload", MFD_CLOEXEC);
		if (u->runs[i].memfd < 0)
			return -errno;
	}
	rc = journal_read(u);
	if (rc)
		return rc;
	rc = scan(u, true);
	if (rc) {
		log_warn("upload: unable to compact %s/%s: %s; it is appended to as it is", out_dir, UPLOAD_JOURNAL,
			 strerror(-rc));
		/* end the cut line, or the next record would be glued to it */
		if (u->partial && io_write_all(u->jfd, "\n", 1) < 0)
			return -EIO;
	}
	*up = u;
	return 0;
}

void upload_set_config(struct upload *u, const struct cfg_upload *cfg)
{
	u->cfg = *cfg;
}

void upload_bundle_written(struct upload *u, const char *name)
{
	if (!done_find(u, name))
		enqueue(u, name);
}

void upload_fill(struct upload *u, fd_set *rd, int *maxfd, uint64_t *deadline_ns, uint64_t now_ns)
{
	uint64_t when;
	int i;

	for (i = 0; i < CFG_UPLOAD_MAX_CONCURRENT; i++)
		if (u->runs[i].used)
			actions_exec_fill(&u->runs[i].ch, rd, maxfd, deadline_ns, now_ns);
	if (running(u) >= (int)u->cfg.max_concurrent)
		return;
	next_due(u, now_ns, &when);
	if (when < *deadline_ns)
		*deadline_ns = when;
}

void upload_poll(struct upload *u, const fd_set *rd, uint64_t now_ns)
{
	int i;

	for (i = 0; i < CFG_UPLOAD_MAX_CONCURRENT; i++) {
		struct run *r = &u->runs[i];

		if (r->used && actions_exec_poll(&r->ch, rd, now_ns, u->buf, sizeof(u->buf)))
			attempt_done(u, r, now_ns);
	}
	start_due(u, now_ns);
}

void upload_tick(struct upload *u)
{
	bool compact = u->jlines > 2 * u->jlines_compacted + COMPACT_SLACK;
	int rc;

	if (!compact && !u->overflow)
		return;
	rc = scan(u, compact);
	if (rc)
		log_warn("upload: unable to %s %s: %s", compact ? "compact the journal in" : "list", u->batches,
			 strerror(-rc));
}

bool upload_keeps(void *ctx, const char *name)
{
	struct done_ent *d = done_find(ctx, name);

	return !d || d->state != DONE_OK;
}

void upload_lost(void *ctx, const char *name, uint64_t size)
{
	struct upload *u = ctx;
	struct q_ent *q = queue_find(u, name);

	u->st.lost++;
	if (size)
		log_warn("retention: deleted %s (%llu bytes) before it was uploaded: the size limit "
			 "(cleanup.max_total_log_size_mb) left nothing else to delete", name, (unsigned long long)size);
	else
		log_warn("upload: %s is gone from %s before it was uploaded; counted as lost", name, u->batches);
	if (q && q->state == Q_WAIT)
		free_entry(q);
}

void upload_stop(struct upload *u)
{
	int i;

	for (i = 0; i < CFG_UPLOAD_MAX_CONCURRENT; i++) {
		struct run *r = &u->runs[i];

		if (!r->used)
			continue;
		actions_exec_kill(&r->ch, KILL_WAIT_NS, "aod stopping", u->buf, sizeof(u->buf));
		log_info("upload: %s interrupted by shutdown; it is sent again at the next start", u->q[r->q].name);
		r->used = false;
	}
}

void upload_get_stats(const struct upload *u, struct upload_stats *st)
{
	int i;

	*st = u->st;
	st->backlog = 0;
	for (i = 0; i < UPLOAD_QUEUE; i++)
		st->backlog += u->q[i].state != Q_FREE;
	st->backlog_more = u->overflow;
	st->running = (uint32_t)running(u);
}

/* ---- aod upload-copy ---- */

static int copy_fd(int in, int out)
{
	static char buf[65536];
	ssize_t n;
	int err;

	for (;;) {
		n = io_read(in, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		err = io_write_all(out, buf, (size_t)n);
		if (err)
			return err;
	}
}

int upload_copy_main(int argc, char **argv)
{
	const char *file, *base, *what;
	char part[NAME_MAX + 1];
	int in = -1, dfd = -1, out = -1, err = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: aod upload-copy FILE DIR\n");
		return 2;
	}
	file = argv[1];
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	what = file;
	in = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		goto fail;
	what = argv[2];
	dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto fail;
	if (snprintf(part, sizeof(part), "%s.part", base) >= (int)sizeof(part)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	unlinkat(dfd, part, 0);	/* left by an attempt that was killed */
	out = openat(dfd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		goto fail;
	err = copy_fd(in, out);
	if (!err)
		err = io_seal_part(out, dfd, part, base);
	else
		close(out);
	if (!err)
		err = io_fsync(dfd);
	if (err) {
		unlinkat(dfd, part, 0);
		errno = -err;
		goto fail;
	}
	close(in);
	close(dfd);
	return 0;
fail:
	fprintf(stderr, "aod upload-copy: unable to copy %s into %s (%s): %s\n", file, argv[2], what, strerror(errno));
	if (in >= 0)
		close(in);
	if (dfd >= 0)
		close(dfd);
	return 1;
}
