/* SPDX-License-Identifier: GPL-2.0-only */
/* Anomaly detection: pure logic over decoded records, the config's tables and a caller-given clock. */
#ifndef AOD_DETECT_H
#define AOD_DETECT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "config.h"
#include "shares.h"

#define DETECT_MAX_WORST CFG_MAX_WORST	/* worst-N events kept per anomaly for the manifest */
#define DETECT_EMERGENCY_NS 1000000000ull	/* any single command or RPC this slow fires at once */
#define DETECT_DOWN_CONNS 16			/* connections whose outage is remembered at once */
#define DETECT_SETTLE_NS (10ull * 1000000000ull)	/* a connection back this long ended its outage */

/* One record as detection and the manifest see it; a union so any family fits. */
union detect_event {
	struct aod_ev_hdr h;
	struct aod_ev_smb smb;
	struct aod_ev_nfs nfs;
	struct aod_ev_stall stall;
	struct aod_ev_sched sched;
	struct aod_ev_bio bio;
	struct aod_ev_vfs vfs;
	struct aod_ev_oom oom;
	struct aod_ev_tcp tcp;
	struct aod_ev_drop drop;
	struct aod_ev_fault fault;
	struct aod_ev_kmsg kmsg;
	struct aod_ev_sockconn conn;
	struct aod_ev_ioerr ioerr;
	struct aod_ev_reconnect reconn;
	unsigned char raw[256];
};
_Static_assert(sizeof(union detect_event) == 256, "a new record outgrew union detect_event");

struct detect_anomaly {
	int anomaly;			/* index into cfg->anomalies */
	int rule;			/* error rule index, -1 for latency/health */
	bool emergency;			/* fired by one event >= 1 s, before the interval ended */
	uint32_t count;			/* events that counted in the interval */
	/* A window's anomaly after an at-once one of the same window: how many of count that one
	 * already bundled. They are left out of worst, worst_events and shares, which hold the rest. */
	uint32_t bundled;
	uint64_t worst;			/* worst latency in ns (or worst count for health) */
	uint64_t ts_ns;			/* monotonic time of detection */
	int nworst;
	union detect_event worst_events[DETECT_MAX_WORST];	/* worst first */
	struct shares_tally shares;	/* SMB/NFS: the counted events per share, most first */
	struct shares_name share_names[SHARES_MAX];	/* filled by the daemon (shares_resolve), not by detection */
};

struct detect_slot {			/* per anomaly (and per rule) window state */
	uint32_t count;
	uint64_t worst;
	bool fired_emergency;
	uint32_t bundled;		/* count at the at-once hand-out: those events are in its bundle */
	uint64_t fired_ts;		/* event time of the at-once firing, for a pending hand-out */
	int nworst;
	/* worst_events is kept unsorted with the sort keys beside it, so a replacement is one
	 * copy plus a rescan of DETECT_MAX_WORST keys; it is sorted worst first when it fires. */
	int min_idx;			/* the entry a better event replaces */
	/* every counted event, not only the worst kept, per share; beside the fields a window's reset
	 * writes, so that reset touches one page of the slot, not two (detect_init faults in 18 fewer) */
	struct shares_tally shares;
	uint64_t keys[DETECT_MAX_WORST];
	union detect_event worst_events[DETECT_MAX_WORST];
};

struct detect {
	const struct cfg_config *cfg;
	uint64_t window_start_ns;
	uint64_t interval_ns;
	uint64_t events_seen;
	struct detect_slot lat[CFG_MAX_ANOMALIES];
	struct detect_slot err[CFG_MAX_ANOMALIES][CFG_MAX_RULES];
	/* Tables built by detect_init so the common under-threshold event costs one compare.
	 * Indexed by protocol (enum names_proto) and op id in its space (SMB2 command, NFS procedure). */
	uint64_t floor_ns[NAMES_NPROTO][CFG_MAX_OPS];	/* lowest bar any latency anomaly sets; UINT64_MAX: none */
	uint32_t lat_mask[NAMES_NPROTO][CFG_MAX_OPS];	/* bit a: latency anomaly a tracks this op */
	uint32_t err_mask[NAMES_NPROTO];	/* bit a: anomaly a is an error anomaly of this protocol */
	uint32_t health_mask[CFG_H_COUNT];	/* bit a: health anomaly a watches this kind */
	uint32_t stall_mask[NAMES_NPROTO];	/* bit a: stall anomaly a of this protocol */
	uint32_t conn_mask[NAMES_NPROTO];	/* bit a: anomaly a is the protocol's sockconn anomaly */
	uint32_t reconn_mask[NAMES_NPROTO];	/* bit a: anomaly a is a reconnect anomaly of this protocol */
	/* Connections in an outage (a loss seen, no lasting connect since): their further losses are not counted. */
	struct detect_conn_down {
		uint64_t conn_id;
		uint64_t up_ns;			/* when it connected again; 0 while down */
		uint16_t proto;
		bool used;
	} down[DETECT_DOWN_CONNS];
	unsigned int down_next;			/* the slot a new outage takes when every one is used */
	uint32_t pending;			/* bit a: fired by the last event, not handed out yet */
	int keep;				/* worst-N kept per slot: manifest_events capped */
	uint64_t anomalies_lost;		/* fired but no room in detect_close_window's out */
};

void detect_init(struct detect *d, const struct cfg_config *cfg, uint64_t now_ns);
/*
 * Health anomalies (CFG_HEALTH): sched/bio/vfs records count when latency_ns >= threshold us
 * and fire at the close when count >= acceptable_count; tcp/drop/fault count records (a
 * vmstat fault record counts its delta) and fire at the close when count reaches
 * acceptable_count, or threshold when acceptable_count is 0; oom and kmsg fire at once,
 * once per window. Stall records (AOD_EV_STALL) fire their protocol's stall anomalies at once,
 * once per window, when age_ns >= stall_ms; worst is the age. ev must hold at least the struct of its kind (record_next checks).
 */
/* Feed one record. Returns 1 and fills *out when it fires an anomaly at once (the 1 s
 * emergency, OOM, kmsg), else 0. */
int detect_feed(struct detect *d, const union detect_event *ev, struct detect_anomaly *out);
/* One event can fire several anomalies at once (two latency anomalies tracking the same
 * command). detect_feed hands out the first; call this until it returns 0 for the rest.
 * detect_feed and detect_close_window also hand out what is left, so nothing is lost. */
int detect_take_pending(struct detect *d, struct detect_anomaly *out);
/* True when the window that started at window_start_ns has ended by now_ns. */
static inline bool detect_window_due(const struct detect *d, uint64_t now_ns)
{
	return now_ns - d->window_start_ns >= d->interval_ns;
}
/* End the watch interval: writes up to max anomalies, returns how many, opens a new window
 * starting at now_ns. Anomalies beyond max are counted in anomalies_lost. */
int detect_close_window(struct detect *d, uint64_t now_ns, struct detect_anomaly *out, int max);
/* True when err matches a rule (command mask, code list, never STATUS_MORE_PROCESSING_REQUIRED). */
bool detect_error_matches(const struct cfg_error_rule *r, const struct aod_ev_smb *ev);
/*
 * The same for an NFS error record: its procedure (by version and p_statidx) among the rule's,
 * nfs_status against NFS4ERR_* (v4) or NFS3ERR_* (v3) codes, rpc_status against errno codes,
 * and, when the rule names NFSv4 operations, the record's op among them.
 */
bool detect_nfs_error_matches(const struct cfg_error_rule *r, const struct aod_ev_nfs *ev);
/* The same for a failed io operation: its op among the rule's, its errno against the rule's codes. */
bool detect_io_error_matches(const struct cfg_error_rule *r, const struct aod_ev_ioerr *ev);
/*
 * Whether a sockconn record changes the set of established connections (into or out of
 * ESTABLISHED) or is a connect that failed (SYN_SENT to CLOSE): what CFG_SOCKCONN counts.
 * Such records count in the protocol's sockconn anomalies, kept in arrival order, and the
 * anomaly fires at the window's close when acceptable_count (default 1) were seen: at most
 * once per interval per protocol, however many connections came and went.
 */
bool detect_sockconn_counts(const struct aod_ev_sockconn *e);
/*
 * Whether a reconnect record counts: a loss (AOD_RECONN_LOSS_MASK) on a connection that is not
 * already in an outage. A loss starts an outage of its connection (proto, conn_id); a connect
 * (AOD_RECONN_UP_MASK) ends it once the connection has stayed up DETECT_SETTLE_NS (a server
 * going down accepts and drops a connection or two on its way); an expired SMB session counts
 * every time. Counting records fire
 * the protocol's reconnect anomalies at once when acceptable_count of them came in the window,
 * once per window; the other records (failed connects, resends) are context only.
 * Updates the outage table, so call it once per record (detect_feed does).
 */
bool detect_reconnect_counts(struct detect *d, const struct aod_ev_reconnect *e);
/* Whether an NFS record is an error (status record, or an RPC that failed) rather than a latency. */
static inline bool detect_nfs_is_error(const struct aod_ev_nfs *e)
{
	return (e->flags & AOD_NFS_ERR) || e->rpc_status < 0;
}

#endif /* AOD_DETECT_H */
