/* SPDX-License-Identifier: GPL-2.0-only */
/* A probe family that lives in kernel modules (smb: cifs, nfs: sunrpc + nfs): wait, attach by fallback, follow reloads. */
#ifndef AOD_MODSRC_H
#define AOD_MODSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "../bpf/events.h"
#include "config.h"

#define MODSRC_HIST_BUCKETS 32	/* log2(us): bucket i holds [2^i, 2^(i+1)) us, bucket 0 also 0 us */
#define MODSRC_HIST_SLOTS (2 + MODSRC_HIST_BUCKETS)	/* a row: [0] completions, [1] errors, [2..] buckets */
#define MODSRC_MAX_METHODS 4
#define MODSRC_MAX_ROWS 128	/* histogram rows a protocol may have (nfs: 92) */

struct modsrc;

enum modsrc_map { MODSRC_MAP_EVENTS, MODSRC_MAP_HIST, MODSRC_MAP_PENDING };

/*
 * One protocol's row: which modules it follows, its attach methods in
 * fallback order, and the few calls that touch its own skeleton.  The
 * protocol's state embeds struct modsrc and gets back to itself with
 * container_of in these callbacks.
 */
struct modsrc_proto {
	const char *name;			/* "smb": log lines, attach key words */
	const char *const *modules;		/* all must be live before attaching; NULL-terminated */
	const char *const *optional;		/* their arrival or departure re-attaches (nfsv4); NULL-terminated */
	int nmethods;
	const char *const *label;		/* "tracepoint (tp_btf)" per method */
	const char *const *short_name;		/* "tp_btf" per method: aod probes, verify */
	const char *const *kind;		/* "tracepoint", "fentry", "kprobe" per method: the attach key */
	uint32_t hist_rows;			/* rows of the histogram map (commands, procedures) */
	/* Read what the modules' BTF offers, once before a walk over the methods. */
	void (*facts)(struct modsrc *s);
	/* Can method m be tried at all?  If not, say why in why. */
	bool (*possible)(struct modsrc *s, int m, char *why, size_t len);
	/* Open the skeleton into s->skel, set its read-only settings, choose method m's programs. */
	int (*open)(struct modsrc *s, int m);
	int (*load)(struct modsrc *s);
	int (*attach)(struct modsrc *s);
	void (*destroy)(struct modsrc *s);
	/* Copy the filter into the attached programs' globals (also after a HUP). */
	void (*apply)(struct modsrc *s);
	struct bpf_map *(*map)(const struct modsrc *s, enum modsrc_map which);
	/* The in-kernel counters of the attachment in s->skel. */
	void (*counters)(const struct modsrc *s, struct aod_loss *loss, uint64_t *unmatched);
	/* One pending entry (key, value as the map holds them): false when the request waits on the
	 * server by design and never stalls; with out, fill the record's protocol fields and header
	 * pid/tid/comm (modsrc sets kind, size, time, age and count).  NULL: no stall detection. */
	bool (*stall)(const struct modsrc *s, const void *key, const void *value, struct aod_ev_stall *out);
	/* What method m hooks, for aod probes. */
	void (*targets)(const struct modsrc *s, int m, char *buf, size_t len);
};

enum modsrc_state {
	MODSRC_WAITING, MODSRC_ATTACHED, MODSRC_FAILED,
	MODSRC_RELEASED,	/* detached on request so the modules can be unloaded (modsrc_release) */
};

struct modsrc {
	const struct modsrc_proto *p;
	void *skel;
	struct ring_buffer *rb;
	ring_buffer_sample_fn cb;
	void *ctx;
	enum modsrc_state state;
	int method;
	char attach[16];		/* auto, tracepoint, fentry, kprobe */
	uint32_t check_every;
	char module_id[160];		/* the modules' .text addresses: change on reload */
	bool was_attached;
	bool waiting_logged;
	bool reattach;			/* the attach key changed (HUP) */
	struct aod_loss kept;		/* counters of earlier attachments */
	uint64_t kept_unmatched;
	uint64_t swept;			/* pending entries expired by the userspace sweep */
	uint64_t max_age_ns;		/* pending entries older than this are swept */
	uint64_t stall_ns;		/* a request pending this long is a stall; 0: no scan */
	uint64_t stall_reported;	/* start time of the newest stalled request reported */
	uint64_t stalls;		/* stall records sent */
};

/* What every protocol's stall callback fills: who waits (pid, thread, comm) for which command of proto. */
static inline void modsrc_stall_who(struct aod_ev_stall *out, uint32_t pid, uint32_t thread, const char *comm,
				    uint16_t proto, uint16_t cmd)
{
	out->h.pid = pid;
	out->h.tid = thread;
	__builtin_memcpy(out->h.comm, comm, AOD_COMM_LEN);
	out->proto = proto;
	out->cmd = cmd;
}

/* Set up s for proto p; nothing is attached until modsrc_check. */
void modsrc_init(struct modsrc *s, const struct modsrc_proto *p, ring_buffer_sample_fn cb, void *ctx,
		 uint32_t check_every, const char *attach);
/*
 * Follow the modules: attach when all are live (by s->attach: auto walks every
 * method), detach when one vanished or was reloaded, sweep stale pending
 * entries.  1 when the state changed (take modsrc_fd again), 0 if not, -errno
 * when the modules are there but no method attached (retried after a reload
 * or an attach change).
 */
int modsrc_check(struct modsrc *s);
/*
 * Each watch interval: scan the pending map (a bounded batch) and, when a request
 * newly crossed s->stall_ns, send one AOD_EV_STALL record naming the oldest stalled
 * request through the source's callback.  1 when one was sent, else 0.
 */
int modsrc_scan_stalls(struct modsrc *s, uint64_t now_ns);
/* The smallest stall_ms among the config's stall anomalies of protocol space, in ns; 0 when none. */
uint64_t modsrc_stall_ns(const struct cfg_config *cfg, int space);
/* A new attach key (HUP, or forced): applied by the next check. */
void modsrc_set_attach(struct modsrc *s, const char *attach);
/* True when the attachment holds the modules: tp_btf, raw_tp and fentry links do (rmmod then fails
 * with EAGAIN), a kprobe does not. */
bool modsrc_pins(const struct modsrc *s);
/* Detach so the modules can be unloaded; re-attach when they are loaded again (a new instance) or
 * after modsrc_resume. Returns 1 when it released a hold, 0 when it held none. */
int modsrc_release(struct modsrc *s);
/* A HUP: a released source attaches again on the next modsrc_check. */
void modsrc_resume(struct modsrc *s);
int modsrc_fd(const struct modsrc *s);
int modsrc_consume(struct modsrc *s);
/* "tracepoint (tp_btf)", "waiting for cifs" ...; loss = in-kernel counters plus userspace expiries. */
void modsrc_info(const struct modsrc *s, char *method, size_t len, struct aod_loss *loss);
uint64_t modsrc_unmatched(const struct modsrc *s);
bool modsrc_attached(const struct modsrc *s);
/* Row `row` of the in-kernel log2(us) histogram since attach, its completions and (errors, may be NULL) the
 * failed ones: -ENODEV while waiting. */
int modsrc_histogram(const struct modsrc *s, unsigned row, uint64_t counts[MODSRC_HIST_BUCKETS], uint64_t *total,
		     uint64_t *errors);
/* Rows 0..n-1 the same way, in one batch read (what a scrape or status.json needs each interval, one syscall
 * instead of one a row); counts and errors may be NULL. Rows read, or -errno (-ENODEV while waiting). */
int modsrc_histograms(const struct modsrc *s, unsigned n, uint64_t (*counts)[MODSRC_HIST_BUCKETS], uint64_t *total,
		      uint64_t *errors);
/* Row `row` as the kernel keeps it: completions, errors, buckets. -ENODEV while waiting. */
int modsrc_hist_slots(const struct modsrc *s, unsigned row, uint64_t slots[MODSRC_HIST_SLOTS]);
/* The first n rows in one go (a batch lookup where the kernel has it): rows read, or -errno. */
int modsrc_hist_rows(const struct modsrc *s, uint64_t (*rows)[MODSRC_HIST_SLOTS], unsigned n);
/* Detach; s itself belongs to the caller. */
void modsrc_close(struct modsrc *s);
/* Every module of p live (a built-in one has no initstate and counts as live). */
bool modsrc_present(const struct modsrc_proto *p);
/* The first required module that is not live, or NULL. */
const char *modsrc_missing(const struct modsrc_proto *p);
/* aod probes: attach as the daemon would with `attach`, detach at once; method = short name, why = targets
 * or every refusal. 0 or -errno. */
int modsrc_probe(struct modsrc *s, char *method, size_t mlen, char *why, size_t wlen);
/* Load one method's programs (verifier only, no attach), named by its short name. */
int modsrc_verify(struct modsrc *s, const char *method, char *why, size_t wlen);
/* The attach key to a method range; -EINVAL for a word the protocol has no method of. */
int modsrc_range(const struct modsrc_proto *p, const char *attach, int *lo, int *hi);

#endif /* AOD_MODSRC_H */
