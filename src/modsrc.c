// SPDX-License-Identifier: GPL-2.0-only
/* The machinery SMB and NFS share: module presence, the attach-method walk, reload following, sweep, histograms. */
#include "modsrc.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "stall.h"

#define MODSRC_SWEEP_BATCH 256
#define MODSRC_MAX_VALUE 256

/* ---- module presence ---- */

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static bool module_live(const char *name)
{
	char path[96], st[32];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (access(path, F_OK) != 0)
		return false;
	/* "coming" while its init runs (tracepoints and BTF not ready); a built-in module has no initstate */
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	read_line(path, st, sizeof(st));
	return st[0] == 0 || strcmp(st, "live") == 0;
}

const char *modsrc_missing(const struct modsrc_proto *p)
{
	for (int i = 0; p->modules[i]; i++)
		if (!module_live(p->modules[i]))
			return p->modules[i];
	return NULL;
}

bool modsrc_present(const struct modsrc_proto *p)
{
	return !modsrc_missing(p);
}

/* Where each module's text sits: a reload moves it, an optional module coming or going changes it. */
static void module_id(const struct modsrc_proto *p, char *buf, size_t len)
{
	const char *const *lists[2] = { p->modules, p->optional };
	char path[96], one[32];
	struct stat st;
	size_t off = 0;

	buf[0] = 0;
	for (int l = 0; l < 2; l++) {
		for (int i = 0; lists[l] && lists[l][i] && off < len; i++) {
			snprintf(path, sizeof(path), "/sys/module/%s/sections/.text", lists[l][i]);
			read_line(path, one, sizeof(one));
			if (!one[0] && module_live(lists[l][i]))
				snprintf(one, sizeof(one), "live");
			/* A reload can land at the same .text address; its /sys/module directory is a new
			 * sysfs node with a new inode number either way. */
			snprintf(path, sizeof(path), "/sys/module/%s", lists[l][i]);
			off += (size_t)snprintf(buf + off, len - off, "%s:%s@%llu ", lists[l][i], one[0] ? one : "-",
						stat(path, &st) ? 0ull : (unsigned long long)st.st_ino);
		}
	}
}

/* ---- attach ---- */

static void detach(struct modsrc *s)
{
	struct aod_loss l = { 0 };
	uint64_t unmatched = 0;

	if (s->skel) {
		s->p->counters(s, &l, &unmatched);
		s->kept.ringbuf_full += l.ringbuf_full;
		s->kept.map_full += l.map_full;
		s->kept.expired += l.expired;
		s->kept_unmatched += unmatched;
	}
	ring_buffer__free(s->rb);
	if (s->skel)
		s->p->destroy(s);
	s->rb = NULL;
	s->skel = NULL;
}

/* One method: open, set, choose, load, attach, ring buffer.  load_only stops after the verifier. */
static int try_method(struct modsrc *s, int m, bool load_only, char *why, size_t len)
{
	const char *step = "open";
	int err;

	if ((err = s->p->open(s, m)))
		goto fail;
	step = "load";
	if ((err = s->p->load(s)) || load_only)
		goto done;
	s->p->apply(s);
	step = "attach";
	if ((err = s->p->attach(s)))
		goto fail;
	step = "ring buffer";
	s->rb = ring_buffer__new(bpf_map__fd(s->p->map(s, MODSRC_MAP_EVENTS)), s->cb, s->ctx, NULL);
	if (!s->rb) {
		err = -errno;
		goto fail;
	}
	s->method = m;
	return 0;
done:
	if (!err)
		return 0;
fail:
	snprintf(why, len, "%s: %s failed: %s", s->p->label[m], step, strerror(-err));
	if (!strcmp(s->p->kind[m], "fentry") && err == -EPERM)
		snprintf(why, len, "%s: fentry refused by kernel (EPERM)", s->p->label[m]);
	detach(s);
	return err;
}

int modsrc_range(const struct modsrc_proto *p, const char *attach, int *lo, int *hi)
{
	*lo = -1;
	*hi = -1;
	for (int m = 0; m < p->nmethods; m++) {
		if (attach[0] && strcmp(attach, "auto") && strcmp(attach, p->kind[m]))
			continue;
		if (*lo < 0)
			*lo = m;
		*hi = m;
	}
	return *lo < 0 ? -EINVAL : 0;
}

/* Walk the methods; why collects every refusal, "; "-separated. */
static int attach_first(struct modsrc *s, char *why, size_t len)
{
	char one[200];
	int lo, hi, err = -ENOENT;
	size_t used = 0;

	why[0] = 0;
	if (modsrc_range(s->p, s->attach, &lo, &hi)) {
		snprintf(why, len, "%s.attach '%s' is not auto, tracepoint, fentry or kprobe", s->p->name, s->attach);
		return -EINVAL;
	}
	s->p->facts(s);
	for (int m = lo; m <= hi; m++) {
		if (!s->p->possible(s, m, one, sizeof(one)))
			err = -ENOENT;
		else if ((err = try_method(s, m, false, one, sizeof(one))) == 0)
			return 0;
		if (used < len)
			used += (size_t)snprintf(why + used, len - used, "%s%s", used ? "; " : "", one);
	}
	return err;
}

/* ---- pending map: sweep and stall scan ---- */

#define MODSRC_KEY_MAX 64

/*
 * Read up to MODSRC_SWEEP_BATCH pending entries: keys[i] and e[i] (start time, and
 * whether the protocol exempts it from stalls).  Every pending value starts with its
 * start time.  Returns how many were read.
 */
static int pending_read(struct modsrc *s, uint8_t keys[][MODSRC_KEY_MAX], struct stall_entry *e)
{
	struct bpf_map *map = s->p->map(s, MODSRC_MAP_PENDING);
	uint8_t cur[MODSRC_KEY_MAX];
	uint64_t v[MODSRC_MAX_VALUE / 8];
	uint32_t max, ks;
	int fd, n = 0;

	if (!map || bpf_map__value_size(map) > sizeof(v) || bpf_map__value_size(map) < 8 ||
	    bpf_map__key_size(map) > sizeof(cur))
		return 0;
	fd = bpf_map__fd(map);
	max = bpf_map__max_entries(map);
	ks = bpf_map__key_size(map);
	for (uint32_t i = 0; i <= max && n < MODSRC_SWEEP_BATCH; i++) {
		if (bpf_map_get_next_key(fd, i ? cur : NULL, keys[n]))
			break;
		memcpy(cur, keys[n], ks);
		if (bpf_map_lookup_elem(fd, keys[n], v))
			continue;	/* completed between the two calls */
		e[n].start_ns = v[0];
		e[n].exempt = s->p->stall && !s->p->stall(s, keys[n], v, NULL);
		n++;
	}
	return n;
}

/*
 * Requests that never complete (chained parts of a failed compound) stay in
 * the LRU until evicted; expire what is older than the maximum age and
 * count it, a batch per tick.
 */
static void sweep(struct modsrc *s)
{
	static uint8_t keys[MODSRC_SWEEP_BATCH][MODSRC_KEY_MAX];
	struct stall_entry e[MODSRC_SWEEP_BATCH];
	uint64_t now = mono_ns();
	int fd, n = pending_read(s, keys, e);

	if (!n)
		return;
	fd = bpf_map__fd(s->p->map(s, MODSRC_MAP_PENDING));
	for (int i = 0; i < n; i++)
		if (now > e[i].start_ns && now - e[i].start_ns > s->max_age_ns && bpf_map_delete_elem(fd, keys[i]) == 0)
			s->swept++;
}

int modsrc_scan_stalls(struct modsrc *s, uint64_t now_ns)
{
	static uint8_t keys[MODSRC_SWEEP_BATCH][MODSRC_KEY_MAX];
	struct stall_entry e[MODSRC_SWEEP_BATCH];
	uint64_t v[MODSRC_MAX_VALUE / 8];
	struct aod_ev_stall rec;
	uint32_t count;
	int n, i;

	if (!s->stall_ns || !s->p->stall || s->state != MODSRC_ATTACHED)
		return 0;
	n = pending_read(s, keys, e);
	i = stall_pick(e, n, now_ns, s->stall_ns, s->max_age_ns, &s->stall_reported, &count);
	if (i < 0 || bpf_map_lookup_elem(bpf_map__fd(s->p->map(s, MODSRC_MAP_PENDING)), keys[i], v))
		return 0;
	memset(&rec, 0, sizeof(rec));
	s->p->stall(s, keys[i], v, &rec);
	rec.h.kind = AOD_EV_STALL;
	rec.h.size = sizeof(rec);
	rec.h.ts_ns = now_ns;
	rec.age_ns = now_ns > v[0] ? now_ns - v[0] : 0;
	rec.count = count;
	s->stalls++;
	s->cb(s->ctx, &rec, sizeof(rec));
	return 1;
}

/* ---- the public face ---- */

void modsrc_init(struct modsrc *s, const struct modsrc_proto *p, ring_buffer_sample_fn cb, void *ctx,
		 uint32_t check_every, const char *attach)
{
	s->p = p;
	s->cb = cb;
	s->ctx = ctx;
	s->state = MODSRC_WAITING;
	s->check_every = check_every;
	s->max_age_ns = 60ull * 1000000000ull;
	snprintf(s->attach, sizeof(s->attach), "%s", attach && attach[0] ? attach : "auto");
}

static void modules_text(const struct modsrc_proto *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; p->modules[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "/" : "", p->modules[i]);
}

static int became_present(struct modsrc *s)
{
	char why[640], mods[64];
	int err;

	modules_text(s->p, mods, sizeof(mods));
	err = attach_first(s, why, sizeof(why));
	module_id(s->p, s->module_id, sizeof(s->module_id));
	if (err) {
		s->state = MODSRC_FAILED;
		log_error("unable to attach the %s probes to the %s modules: %s", s->p->name, mods, why);
		return err;
	}
	s->state = MODSRC_ATTACHED;
	if (s->was_attached)
		log_alert(LOG_WARNING, "%s: re-attached via %s after the %s modules changed", s->p->name,
			  s->p->label[s->method], mods);
	else
		log_info("%s: attached via %s", s->p->name, s->p->label[s->method]);
	if (modsrc_pins(s))
		log_info("%s: this attachment holds the %s module%s: rmmod fails (EAGAIN) while it lasts; "
			 "send aod SIGUSR2 (rc-service aod detach) to release it", s->p->name, mods,
			 s->p->modules[1] ? "s" : "");
	s->was_attached = true;
	s->waiting_logged = false;
	return 1;
}

static void start_waiting(struct modsrc *s)
{
	char mods[64];

	s->state = MODSRC_WAITING;
	modules_text(s->p, mods, sizeof(mods));
	if (!s->waiting_logged)
		log_info("%s: waiting for the %s module%s (checked every %u s)", s->p->name, mods,
			 s->p->modules[1] ? "s" : "", s->check_every);
	s->waiting_logged = true;
}

int modsrc_check(struct modsrc *s)
{
	bool present = modsrc_present(s->p);
	char id[sizeof(s->module_id)];

	if (present)
		module_id(s->p, id, sizeof(id));
	/* released on request: stays off while the same module instance is loaded */
	if (s->state == MODSRC_RELEASED && present && strcmp(id, s->module_id) == 0 && !s->reattach)
		return 0;
	if (s->state != MODSRC_WAITING && (!present || strcmp(id, s->module_id) != 0 || s->reattach)) {
		/* tp/raw_tp/fentry links pin the module; a kprobe attach does not, so it can vanish */
		if (s->state == MODSRC_ATTACHED && !s->reattach)
			log_warn("%s: a module was unloaded, reloaded or added: detached the %s probes", s->p->name,
				 s->p->name);
		detach(s);
		s->state = MODSRC_WAITING;
		s->reattach = false;
		if (!present) {
			start_waiting(s);
			return 1;
		}
	}
	if (s->state == MODSRC_ATTACHED) {
		sweep(s);
		return 0;
	}
	if (s->state == MODSRC_FAILED)
		return 0;
	if (!present) {
		start_waiting(s);
		return 0;
	}
	return became_present(s);
}

void modsrc_set_attach(struct modsrc *s, const char *attach)
{
	const char *a = attach && attach[0] ? attach : "auto";

	if (strcmp(a, s->attach) == 0)
		return;
	snprintf(s->attach, sizeof(s->attach), "%s", a);
	s->reattach = s->state != MODSRC_WAITING;
}

bool modsrc_pins(const struct modsrc *s)
{
	return s->state == MODSRC_ATTACHED && strcmp(s->p->kind[s->method], "kprobe") != 0;
}

int modsrc_release(struct modsrc *s)
{
	char mods[64];

	if (!modsrc_pins(s))
		return 0;
	modules_text(s->p, mods, sizeof(mods));
	detach(s);
	s->state = MODSRC_RELEASED;
	log_alert(LOG_WARNING, "%s: released the %s module%s on request (SIGUSR2): %s is not watched until the "
		  "module is loaded again (a new instance) or aod gets HUP", s->p->name, mods,
		  s->p->modules[1] ? "s" : "", s->p->name);
	return 1;
}

void modsrc_resume(struct modsrc *s)
{
	if (s->state == MODSRC_RELEASED)
		s->reattach = true;
}

int modsrc_fd(const struct modsrc *s)
{
	return s && s->rb ? ring_buffer__epoll_fd(s->rb) : -1;
}

int modsrc_consume(struct modsrc *s)
{
	return s && s->rb ? ring_buffer__consume(s->rb) : 0;
}

void modsrc_info(const struct modsrc *s, char *method, size_t len, struct aod_loss *loss)
{
	struct aod_loss l = { 0 };
	uint64_t unmatched;

	*loss = s->kept;
	loss->expired += s->swept;
	if (s->skel) {
		s->p->counters(s, &l, &unmatched);
		loss->ringbuf_full += l.ringbuf_full;
		loss->map_full += l.map_full;
		loss->expired += l.expired;
	}
	if (s->state == MODSRC_ATTACHED) {
		snprintf(method, len, "%s", s->p->label[s->method]);
	} else if (s->state == MODSRC_RELEASED) {
		snprintf(method, len, "released on request (SIGUSR2) until the module reloads or a HUP");
	} else if (s->state == MODSRC_FAILED) {
		char mods[64];

		modules_text(s->p, mods, sizeof(mods));
		snprintf(method, len, "failed (%s loaded, no method attached)", mods);
	} else {
		snprintf(method, len, "waiting for %s", modsrc_missing(s->p) ? modsrc_missing(s->p) : "a check");
	}
}

uint64_t modsrc_unmatched(const struct modsrc *s)
{
	struct aod_loss l;
	uint64_t unmatched = 0;

	if (s->skel)
		s->p->counters(s, &l, &unmatched);
	return s->kept_unmatched + unmatched;
}

bool modsrc_attached(const struct modsrc *s)
{
	return s && s->state == MODSRC_ATTACHED;
}

int modsrc_hist_slots(const struct modsrc *s, unsigned row, uint64_t slots[MODSRC_HIST_SLOTS])
{
	__u32 key = row;

	memset(slots, 0, sizeof(uint64_t) * MODSRC_HIST_SLOTS);
	if (row >= s->p->hist_rows)
		return -EINVAL;
	if (!s->skel)
		return -ENODEV;
	return bpf_map__lookup_elem(s->p->map(s, MODSRC_MAP_HIST), &key, sizeof(key), slots,
				    sizeof(uint64_t) * MODSRC_HIST_SLOTS, 0);
}

/*
 * One batch lookup for all the rows: on a busy 2-CPU host, 112 single lookups took 2.1-2.4 ms and one
 * batch of 112 took 50-90 us, so history's read each second costs under 0.01 % of a CPU.
 */
int modsrc_hist_rows(const struct modsrc *s, uint64_t (*rows)[MODSRC_HIST_SLOTS], unsigned n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 keys[MODSRC_MAX_ROWS], out = 0, count;
	int err;

	if (!s->skel)
		return -ENODEV;
	n = n < s->p->hist_rows ? n : s->p->hist_rows;
	n = n < MODSRC_MAX_ROWS ? n : MODSRC_MAX_ROWS;
	count = n;
	err = bpf_map_lookup_batch(bpf_map__fd(s->p->map(s, MODSRC_MAP_HIST)), NULL, &out, keys, rows, &count, &o);
	if ((!err || err == -ENOENT) && count == n)
		return (int)n;
	/* batch lookups came in 5.6: before, one row at a time */
	for (unsigned i = 0; i < n; i++)
		if ((err = modsrc_hist_slots(s, i, rows[i])) < 0)
			return err;
	return (int)n;
}

int modsrc_histograms(const struct modsrc *s, unsigned n, uint64_t (*counts)[MODSRC_HIST_BUCKETS], uint64_t *total,
		      uint64_t *errors)
{
	static uint64_t rows[MODSRC_MAX_ROWS][MODSRC_HIST_SLOTS];	/* one thread: a scratch, not 35 KiB of stack */
	int got = modsrc_hist_rows(s, rows, n);

	for (int i = 0; i < got; i++) {
		total[i] = rows[i][0];
		if (errors)
			errors[i] = rows[i][1];
		if (counts)
			memcpy(counts[i], rows[i] + 2, sizeof(uint64_t) * MODSRC_HIST_BUCKETS);
	}
	return got;
}

int modsrc_histogram(const struct modsrc *s, unsigned row, uint64_t counts[MODSRC_HIST_BUCKETS], uint64_t *total,
		     uint64_t *errors)
{
	uint64_t slots[MODSRC_HIST_SLOTS];
	int err = modsrc_hist_slots(s, row, slots);

	memcpy(counts, slots + 2, sizeof(uint64_t) * MODSRC_HIST_BUCKETS);
	*total = slots[0];
	if (errors)
		*errors = slots[1];
	return err;
}


void modsrc_close(struct modsrc *s)
{
	detach(s);
}

/* ---- for aod probes and the live tests ---- */

static int ignore_event(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

int modsrc_probe(struct modsrc *s, char *method, size_t mlen, char *why, size_t wlen)
{
	int err;

	s->cb = ignore_event;
	/* the protocol's zeroed filter tracks nothing: no event crosses while attached */
	err = attach_first(s, why, wlen);
	if (!err) {
		snprintf(method, mlen, "%s", s->p->short_name[s->method]);
		s->p->targets(s, s->method, why, wlen);
	}
	detach(s);
	return err;
}

int modsrc_verify(struct modsrc *s, const char *method, char *why, size_t wlen)
{
	int err = -EINVAL;

	why[0] = 0;
	for (int m = 0; m < s->p->nmethods; m++) {
		if (strcmp(method, s->p->short_name[m]) != 0)
			continue;
		s->p->facts(s);
		err = try_method(s, m, true, why, wlen);
		detach(s);
	}
	return err;
}

uint64_t modsrc_stall_ns(const struct cfg_config *cfg, int space)
{
	uint64_t ns = 0;

	for (int a = 0; a < cfg->nanomalies && a < CFG_MAX_ANOMALIES; a++) {
		const struct cfg_anomaly *an = &cfg->anomalies[a];
		uint64_t one = (uint64_t)an->stall_ms * 1000000ull;

		if (an->type == CFG_STALL && (int)an->space == space && one && (!ns || one < ns))
			ns = one;
	}
	return ns;
}
