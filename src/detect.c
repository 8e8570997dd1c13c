// SPDX-License-Identifier: GPL-2.0-only
/* Anomaly detection: per-window counting of SMB and NFS latency/errors and health events, worst-N kept. */
#include <string.h>

#include "detect.h"
#include "arena.h"
#include "family.h"

_Static_assert(CFG_MAX_ANOMALIES <= 32, "anomaly bitmasks are uint32_t");
_Static_assert(CFG_NFS_NOPS <= CFG_MAX_OPS && CFG_SMB2_NCMD <= CFG_MAX_OPS, "op tables hold every space");
_Static_assert(CFG_SMB2_NCMD == AOD_SMB2_NCMD, "config and events disagree on SMB2 commands");

#define DETECT_NONE UINT64_MAX

static bool is_immediate(enum cfg_health_kind k)
{
	return family_table[k].detect == FAMILY_IMMEDIATE || family_table[k].detect == FAMILY_PATTERNS;
}


/* The latency a sched/bio/vfs record measured. */
static bool health_latency(const union detect_event *ev, uint64_t *ns)
{
	switch (ev->h.kind) {
	case AOD_EV_SCHED: *ns = ev->sched.latency_ns; return true;
	case AOD_EV_BIO: *ns = ev->bio.latency_ns; return true;
	case AOD_EV_VFS: *ns = ev->vfs.latency_ns; return true;
	default: return false;
	}
}

/* How many occurrences a count-kind record stands for. */
static uint32_t health_count(const union detect_event *ev)
{
	if (ev->h.kind == AOD_EV_FAULT && ev->fault.method == AOD_FAULT_M_VMSTAT && ev->fault.count)
		return ev->fault.count > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->fault.count;
	return 1;
}

static void build_tables(struct detect *d)
{
	const struct cfg_config *cfg = d->cfg;

	for (int p = 0; p < NAMES_NPROTO; p++)
		for (int c = 0; c < CFG_MAX_OPS; c++)
			d->floor_ns[p][c] = DETECT_NONE;
	memset(d->lat_mask, 0, sizeof(d->lat_mask));
	memset(d->err_mask, 0, sizeof(d->err_mask));
	memset(d->health_mask, 0, sizeof(d->health_mask));
	memset(d->stall_mask, 0, sizeof(d->stall_mask));
	memset(d->conn_mask, 0, sizeof(d->conn_mask));
	memset(d->reconn_mask, 0, sizeof(d->reconn_mask));
	for (int a = 0; a < cfg->nanomalies && a < CFG_MAX_ANOMALIES; a++) {
		const struct cfg_anomaly *an = &cfg->anomalies[a];
		unsigned int sp = an->space < NAMES_NPROTO ? an->space : NAMES_SMB;

		if (an->type == CFG_ERROR) {
			d->err_mask[sp] |= 1u << a;
		} else if (an->type == CFG_STALL) {
			d->stall_mask[sp] |= 1u << a;
		} else if (an->type == CFG_SOCKCONN) {
			d->conn_mask[sp] |= 1u << a;
		} else if (an->type == CFG_RECONNECT) {
			d->reconn_mask[sp] |= 1u << a;
		} else if (an->type == CFG_HEALTH) {
			if (an->health < CFG_H_COUNT)
				d->health_mask[an->health] |= 1u << a;
		} else if (an->type == CFG_LATENCY) {
			for (unsigned int c = 0; c < names_op_count(sp) && c < CFG_MAX_OPS; c++) {
				uint64_t bar = an->threshold_ns[c];

				if (!cfg_ops_has(&an->ops, c))
					continue;
				d->lat_mask[sp][c] |= 1u << a;
				if (bar > DETECT_EMERGENCY_NS)
					bar = DETECT_EMERGENCY_NS;	/* the 1 s rule ignores thresholds */
				if (bar < d->floor_ns[sp][c])
					d->floor_ns[sp][c] = bar;
			}
		}
	}
}

/* The events a bundle would list: the worst ones and the per-share tallies. */
static void slot_clear_events(struct detect_slot *s)
{
	s->worst = 0;
	s->nworst = 0;
	s->min_idx = 0;
	shares_tally_reset(&s->shares);
}

static void slot_reset(struct detect_slot *s)
{
	s->count = 0;
	s->fired_emergency = false;
	s->bundled = 0;
	s->fired_ts = 0;
	slot_clear_events(s);
}

void detect_init(struct detect *d, const struct cfg_config *cfg, uint64_t now_ns)
{
	uint32_t keep = cfg->manifest_events;
	int n;

	d->cfg = cfg;
	d->window_start_ns = now_ns;
	d->interval_ns = (uint64_t)(cfg->watch_interval_ms ? cfg->watch_interval_ms : 1000) * 1000000ull;
	d->events_seen = 0;
	d->pending = 0;
	d->anomalies_lost = 0;
	/* 0 means "not set" in a hand-built config; the config's default is 16 as well */
	d->keep = (keep == 0 || keep > DETECT_MAX_WORST) ? DETECT_MAX_WORST : (int)keep;
	memset(d->down, 0, sizeof(d->down));
	d->down_next = 0;
	/*
	 * Only the configured slots, and with arena_zero: each slot is pages of worst events, and a
	 * reset is all zeros, so their pages are handed back rather than written (a fresh daemon's are
	 * zero and stay untouched until an event comes). The others are never read (every loop stops at
	 * nanomalies and nrules).
	 */
	n = cfg->nanomalies < CFG_MAX_ANOMALIES ? cfg->nanomalies : CFG_MAX_ANOMALIES;
	arena_zero(d->lat, (size_t)n * sizeof(d->lat[0]));
	for (int a = 0; a < n; a++) {
		int nr = cfg->anomalies[a].nrules < CFG_MAX_RULES ? cfg->anomalies[a].nrules : CFG_MAX_RULES;

		if (nr > 0)
			arena_zero(d->err[a], (size_t)nr * sizeof(d->err[a][0]));
	}
	build_tables(d);
}

static void copy_event(union detect_event *dst, const union detect_event *ev)
{
	size_t n = ev->h.size;

	if (n > sizeof(*dst))
		n = sizeof(*dst);
	if (n < sizeof(ev->h))
		n = sizeof(ev->h);
	memcpy(dst, ev, n);
	memset(dst->raw + n, 0, sizeof(*dst) - n);
}

static void rescan_min(struct detect_slot *s)
{
	int m = 0;

	for (int i = 1; i < s->nworst; i++)
		if (s->keys[i] < s->keys[m])
			m = i;
	s->min_idx = m;
}

/* Keep ev if it is among the `keep` largest keys seen; a full slot costs one compare. */
static void slot_keep(struct detect_slot *s, const union detect_event *ev, uint64_t key, int keep)
{
	int i;

	if (s->nworst < keep) {
		i = s->nworst++;
	} else {
		if (keep == 0 || key <= s->keys[s->min_idx])
			return;
		i = s->min_idx;
	}
	copy_event(&s->worst_events[i], ev);
	s->keys[i] = key;
	if (s->nworst == keep)
		rescan_min(s);
}

/* Arrival order for errors: keys count down, so the largest key is the first event. */
static void slot_keep_first(struct detect_slot *s, const union detect_event *ev, int keep)
{
	if (s->nworst < keep)
		slot_keep(s, ev, UINT64_MAX - (uint64_t)s->nworst, keep);
}

static void slot_emit(const struct detect_slot *s, int anomaly, int rule, bool emergency,
		      uint64_t ts, struct detect_anomaly *out)
{
	int order[DETECT_MAX_WORST];

	for (int i = 0; i < s->nworst; i++) {
		int j = i;

		while (j > 0 && s->keys[order[j - 1]] < s->keys[i]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	out->anomaly = anomaly;
	out->rule = rule;
	out->emergency = emergency;
	out->count = s->count;
	out->bundled = s->bundled;
	out->worst = s->worst;
	out->ts_ns = ts;
	out->nworst = s->nworst;
	for (int i = 0; i < s->nworst; i++)
		out->worst_events[i] = s->worst_events[order[i]];
	out->shares = s->shares;
	shares_tally_sort(&out->shares);
	memset(out->share_names, 0, sizeof(out->share_names));
}

int detect_take_pending(struct detect *d, struct detect_anomaly *out)
{
	struct detect_slot *s;
	int a;

	if (!d->pending)
		return 0;
	a = __builtin_ctz(d->pending);
	d->pending &= d->pending - 1;
	s = &d->lat[a];
	slot_emit(s, a, -1, true, s->fired_ts, out);
	/* Its bundle holds every event counted so far: the window's close counts them toward
	 * acceptable_count still, but fires only for events that came after, and lists only those. */
	s->bundled = s->count;
	slot_clear_events(s);
	return 1;
}

/* Count ev into slot a; mark it to fire at once when `now` and not yet fired this window. */
static void count_latency(struct detect *d, int a, const union detect_event *ev, uint64_t ns, bool now)
{
	struct detect_slot *s = &d->lat[a];

	s->count++;
	if (ns > s->worst)
		s->worst = ns;
	slot_keep(s, ev, ns, d->keep);
	shares_tally_add(&s->shares, &ev->h, ns);
	if (now && !s->fired_emergency) {
		s->fired_emergency = true;
		s->fired_ts = ev->h.ts_ns;
		d->pending |= 1u << a;
	}
}

/* A successful command or RPC of op `op` in protocol sp that took ns: every latency anomaly tracking it. */
static void feed_latency(struct detect *d, const union detect_event *ev, unsigned int sp, unsigned int op,
			 uint64_t ns)
{
	uint32_t mask = d->lat_mask[sp][op];

	while (mask) {
		int a = __builtin_ctz(mask);
		bool emergency = ns >= DETECT_EMERGENCY_NS;

		mask &= mask - 1;
		if (emergency || ns >= d->cfg->anomalies[a].threshold_ns[op])
			count_latency(d, a, ev, ns, emergency);
	}
}

/* The codes an error carries, one per space it has a value in: what a rule's codes are compared with. */
struct err_codes {
	uint32_t v[NAMES_CODE_NSPACES];
	unsigned int has;		/* bit s: v[s] is set */
};

static bool code_in(const struct cfg_code *c, const struct err_codes *e)
{
	return c->space < NAMES_CODE_NSPACES && (e->has >> c->space & 1) && e->v[c->space] == c->value;
}

/* The rule's op set, its NFSv4 operations (when it names any), then excluded and tracked codes. */
static bool rule_matches(const struct cfg_error_rule *r, unsigned int op, unsigned int nfs_op,
			 const struct err_codes *e)
{
	bool hit;

	if (!cfg_ops_has(&r->ops, op))
		return false;
	if (r->nnfs_ops) {
		hit = false;
		for (int i = 0; i < r->nnfs_ops && !hit; i++)
			hit = r->nfs_ops[i] == nfs_op;
		if (!hit)
			return false;
	}
	for (int i = 0; i < r->nexclude; i++)
		if (code_in(&r->exclude[i], e))
			return false;
	hit = r->ncodes == 0;
	for (int i = 0; i < r->ncodes && !hit; i++)
		hit = code_in(&r->codes[i], e);
	return hit;
}

static void errno_code(struct err_codes *e, int32_t rc)
{
	if (rc < 0) {
		e->v[NAMES_CODE_ERRNO] = (uint32_t)-(int64_t)rc;
		e->has |= 1u << NAMES_CODE_ERRNO;
	}
}

bool detect_error_matches(const struct cfg_error_rule *r, const struct aod_ev_smb *ev)
{
	struct err_codes e = { .v[NAMES_CODE_NTSTATUS] = ev->status, .has = 1u << NAMES_CODE_NTSTATUS };

	if (ev->status == AOD_NT_STATUS_MORE_PROCESSING_REQUIRED || ev->cmd >= CFG_SMB2_NCMD)
		return false;
	errno_code(&e, ev->rc);
	return rule_matches(r, ev->cmd, AOD_NFS_NO_OP, &e);
}

bool detect_nfs_error_matches(const struct cfg_error_rule *r, const struct aod_ev_nfs *ev)
{
	struct err_codes e = { .has = 0 };
	int op = names_nfs_op_index(ev->vers, ev->proc);

	if (op < 0)
		return false;
	if (ev->nfs_status) {
		int sp = ev->vers == 3 ? NAMES_CODE_NFS3 : NAMES_CODE_NFS4;

		e.v[sp] = ev->nfs_status;
		e.has |= 1u << sp;
	}
	errno_code(&e, ev->rpc_status);
	return rule_matches(r, (unsigned)op, ev->op, &e);
}

bool detect_io_error_matches(const struct cfg_error_rule *r, const struct aod_ev_ioerr *ev)
{
	struct err_codes e = { .has = 0 };

	if (ev->op >= NAMES_IO_NOPS || ev->err <= 0)
		return false;
	errno_code(&e, -ev->err);
	return rule_matches(r, ev->op, AOD_NFS_NO_OP, &e);
}

static bool error_matches(unsigned int sp, const struct cfg_error_rule *r, const union detect_event *ev)
{
	switch (sp) {
	case NAMES_NFS: return detect_nfs_error_matches(r, &ev->nfs);
	case NAMES_IO: return detect_io_error_matches(r, &ev->ioerr);
	default: return detect_error_matches(r, &ev->smb);
	}
}

/* Count ev into every matching rule of the protocol's error anomalies; worst is its latency (io: the count). */
static void feed_error(struct detect *d, const union detect_event *ev, unsigned int sp, uint64_t ns)
{
	uint32_t mask = d->err_mask[sp];

	while (mask) {
		int a = __builtin_ctz(mask);
		const struct cfg_anomaly *an = &d->cfg->anomalies[a];

		mask &= mask - 1;
		for (int r = 0; r < an->nrules && r < CFG_MAX_RULES; r++) {
			struct detect_slot *s = &d->err[a][r];

			if (!error_matches(sp, &an->rules[r], ev))
				continue;
			s->count++;
			if (sp == NAMES_IO)
				s->worst = s->count;	/* a failed op has no latency: how many, as config_worst_is_count says */
			else if (ns > s->worst)
				s->worst = ns;
			slot_keep_first(s, ev, d->keep);
			shares_tally_add(&s->shares, &ev->h, ns);
		}
	}
}

static void feed_nfs(struct detect *d, const union detect_event *ev)
{
	const struct aod_ev_nfs *e = &ev->nfs;
	int op = names_nfs_op_index(e->vers, e->proc);

	if (op < 0)
		return;
	if (detect_nfs_is_error(e))
		feed_error(d, ev, NAMES_NFS, e->latency_ns);
	else if (e->latency_ns >= d->floor_ns[NAMES_NFS][op])
		feed_latency(d, ev, NAMES_NFS, (unsigned)op, e->latency_ns);
}

/* include/net/tcp_states.h */
#define DETECT_TCP_ESTABLISHED 1
#define DETECT_TCP_SYN_SENT 2
#define DETECT_TCP_CLOSE 7

bool detect_sockconn_counts(const struct aod_ev_sockconn *e)
{
	if (e->oldstate == e->newstate)
		return false;
	return e->oldstate == DETECT_TCP_ESTABLISHED || e->newstate == DETECT_TCP_ESTABLISHED ||
	       (e->oldstate == DETECT_TCP_SYN_SENT && e->newstate == DETECT_TCP_CLOSE);
}

static void feed_sockconn(struct detect *d, const union detect_event *ev)
{
	const struct aod_ev_sockconn *e = &ev->conn;
	uint32_t mask;

	if (e->proto >= NAMES_NPROTO || !(mask = d->conn_mask[e->proto]) || !detect_sockconn_counts(e))
		return;
	while (mask) {
		struct detect_slot *s = &d->lat[__builtin_ctz(mask)];

		mask &= mask - 1;
		s->count++;
		s->worst = s->count;	/* like the counted health kinds: how many changes */
		slot_keep_first(s, ev, d->keep);
	}
}

static void feed_health(struct detect *d, const union detect_event *ev)
{
	int k = family_of_event(ev->h.kind);
	uint32_t mask;
	uint64_t ns = 0;

	if (k < 0 || !(mask = d->health_mask[k]))
		return;
	if (cfg_health_is_latency(k) && !health_latency(ev, &ns))
		return;
	while (mask) {
		int a = __builtin_ctz(mask);
		const struct cfg_anomaly *an = &d->cfg->anomalies[a];
		struct detect_slot *s = &d->lat[a];

		mask &= mask - 1;
		if (cfg_health_is_latency(k)) {
			if (ns >= an->threshold * 1000)
				count_latency(d, a, ev, ns, false);
		} else {
			uint32_t sum;

			count_latency(d, a, ev, 0, is_immediate(k));
			/* a vmstat fault record stands for its delta; count_latency added one */
			if (__builtin_add_overflow(s->count, health_count(ev) - 1, &sum))
				sum = UINT32_MAX;
			s->count = sum;
			s->worst = sum;		/* count kinds report how many */
		}
	}
}

/* A request pending past stall_ms: every stall anomaly of its protocol whose stall_ms it reached, at once. */
static void feed_stall(struct detect *d, const union detect_event *ev)
{
	const struct aod_ev_stall *e = &ev->stall;
	uint32_t mask = e->proto < NAMES_NPROTO ? d->stall_mask[e->proto] : 0;

	while (mask) {
		int a = __builtin_ctz(mask);

		mask &= mask - 1;
		if (e->age_ns >= (uint64_t)d->cfg->anomalies[a].stall_ms * 1000000ull)
			count_latency(d, a, ev, e->age_ns, true);
	}
}

/* The outage table slot of (proto, conn), or -1. */
static int down_find(const struct detect *d, uint16_t proto, uint64_t conn)
{
	for (int i = 0; i < DETECT_DOWN_CONNS; i++)
		if (d->down[i].used && d->down[i].proto == proto && d->down[i].conn_id == conn)
			return i;
	return -1;
}

/* Up for DETECT_SETTLE_NS by now: its outage is over (records carry their own times, so replay agrees). */
static bool settled(const struct detect_conn_down *c, uint64_t now)
{
	return c->up_ns && now >= c->up_ns && now - c->up_ns >= DETECT_SETTLE_NS;
}

bool detect_reconnect_counts(struct detect *d, const struct aod_ev_reconnect *e)
{
	uint64_t now = e->h.ts_ns;
	int i = down_find(d, e->proto, e->conn_id);

	if (e->what >= AOD_RECONN_NWHAT)
		return false;
	if (AOD_RECONN_UP_MASK >> e->what & 1) {
		if (i >= 0 && !d->down[i].up_ns)
			d->down[i].up_ns = now ? now : 1;
		return false;
	}
	if (!(AOD_RECONN_LOSS_MASK >> e->what & 1))
		return false;
	/* sunrpc closes idle transports and every umount closes its own: a loss leaves requests waiting */
	if (e->what == AOD_RECONN_NFS_DISCONNECT && !e->waiting)
		return false;
	if (e->what == AOD_RECONN_SMB_SES_EXPIRED)
		return true;
	if (i >= 0) {
		bool fresh = settled(&d->down[i], now);

		d->down[i].up_ns = 0;
		return fresh;	/* else the same outage, said again, or a connect that did not last */
	}
	for (i = 0; i < DETECT_DOWN_CONNS && d->down[i].used && !settled(&d->down[i], now); i++)
		;
	if (i == DETECT_DOWN_CONNS)
		i = (int)(d->down_next++ % DETECT_DOWN_CONNS);	/* forget the oldest-taken slot */
	d->down[i] = (struct detect_conn_down){ .conn_id = e->conn_id, .proto = e->proto, .used = true };
	return true;
}

/* A reconnect the client reported: every reconnect anomaly of its protocol, at once at acceptable_count. */
static void feed_reconnect(struct detect *d, const union detect_event *ev)
{
	const struct aod_ev_reconnect *e = &ev->reconn;
	uint32_t mask = e->proto < NAMES_NPROTO ? d->reconn_mask[e->proto] : 0;

	if (!detect_reconnect_counts(d, e))
		return;
	while (mask) {
		int a = __builtin_ctz(mask);
		struct detect_slot *s = &d->lat[a];
		uint32_t bar = d->cfg->anomalies[a].acceptable_count;

		mask &= mask - 1;
		count_latency(d, a, ev, 0, s->count + 1 >= bar);
		s->worst = s->count;	/* how many reconnects */
	}
}

static __attribute__((noinline)) int feed_slow(struct detect *d, const union detect_event *ev,
						struct detect_anomaly *out)
{
	const struct aod_ev_smb *e = &ev->smb;
	/* what the previous event fired goes out first, before this one changes the slots */
	int fired = detect_take_pending(d, out);

	if (ev->h.kind == AOD_EV_NFS) {
		feed_nfs(d, ev);
	} else if (ev->h.kind == AOD_EV_STALL) {
		feed_stall(d, ev);
	} else if (ev->h.kind == AOD_EV_SOCKCONN) {
		feed_sockconn(d, ev);
	} else if (ev->h.kind == AOD_EV_IOERR) {
		feed_error(d, ev, NAMES_IO, 0);
	} else if (ev->h.kind == AOD_EV_RECONNECT) {
		feed_reconnect(d, ev);
	} else if (ev->h.kind != AOD_EV_SMB) {
		feed_health(d, ev);
	} else if (e->cmd >= CFG_SMB2_NCMD) {
		return fired;
	} else if (!((e->flags & AOD_SMB_ERR) | e->status | (uint32_t)e->rc) ||
		   (e->rc == 0 && e->status == AOD_NT_STATUS_MORE_PROCESSING_REQUIRED)) {
		/* a success, or a session setup step that worked: its latency counts */
		if (e->latency_ns >= d->floor_ns[NAMES_SMB][e->cmd])
			feed_latency(d, ev, NAMES_SMB, e->cmd, e->latency_ns);
	} else {
		feed_error(d, ev, NAMES_SMB, e->latency_ns);
	}
	if (!fired)
		fired = detect_take_pending(d, out);
	return fired;
}

int detect_feed(struct detect *d, const union detect_event *ev, struct detect_anomaly *out)
{
	const struct aod_ev_smb *e = &ev->smb;

	d->events_seen++;
	/* The hot path, most of a stream: a successful SMB command under every bar set for it.
	 * It touches no slot; everything else leaves through feed_slow. */
	if (__builtin_expect(!d->pending && ev->h.kind == AOD_EV_SMB && e->cmd < CFG_SMB2_NCMD &&
			     !((e->flags & AOD_SMB_ERR) | e->status | (uint32_t)e->rc) &&
			     e->latency_ns < d->floor_ns[NAMES_SMB][e->cmd], 1))
		return 0;
	return feed_slow(d, ev, out);
}

/* Emit slot if it fired, counting what does not fit; returns the new n. */
static int close_slot(struct detect *d, struct detect_slot *s, uint32_t acceptable, int a, int r,
		      uint64_t now_ns, struct detect_anomaly *out, int n, int max)
{
	/* acceptable_count 0 still needs one event: an empty window is never an anomaly; and events an
	 * at-once bundle of this window already holds do not fire a second bundle on their own */
	if (s->count > s->bundled && s->count >= acceptable) {
		if (n < max)
			slot_emit(s, a, r, false, now_ns, &out[n++]);
		else
			d->anomalies_lost++;
	}
	slot_reset(s);
	return n;
}

int detect_close_window(struct detect *d, uint64_t now_ns, struct detect_anomaly *out, int max)
{
	const struct cfg_config *cfg = d->cfg;
	int n = 0;

	while (d->pending) {
		if (n < max)
			n += detect_take_pending(d, &out[n]);
		else
			d->pending &= d->pending - 1, d->anomalies_lost++;
	}
	for (int a = 0; a < cfg->nanomalies && a < CFG_MAX_ANOMALIES; a++) {
		const struct cfg_anomaly *an = &cfg->anomalies[a];

		if (an->type == CFG_ERROR) {
			for (int r = 0; r < an->nrules && r < CFG_MAX_RULES; r++)
				n = close_slot(d, &d->err[a][r], an->rules[r].acceptable_count, a, r,
					       now_ns, out, n, max);
		} else if ((an->type == CFG_HEALTH && is_immediate(an->health)) || an->type == CFG_STALL ||
			   an->type == CFG_RECONNECT) {
			slot_reset(&d->lat[a]);	/* fired at once already */
		} else {
			uint32_t bar = an->acceptable_count;

			if (an->type == CFG_HEALTH && !cfg_health_is_latency(an->health) && !bar)
				bar = an->threshold > UINT32_MAX ? UINT32_MAX : (uint32_t)an->threshold;
			n = close_slot(d, &d->lat[a], bar, a, -1, now_ns, out, n, max);
		}
	}
	d->window_start_ns = now_ns;
	return n;
}
