/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's SMB event source: waits for the cifs module, attaches bpf/smb.bpf.c, follows module reloads. */
#ifndef AOD_SMB_SOURCE_H
#define AOD_SMB_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "../bpf/events.h"
#include "config.h"

#define SMB_SOURCE_HIST_BUCKETS 32	/* log2(us): bucket i holds [2^i, 2^(i+1)) us, bucket 0 also 0 us */
#define SMB_SOURCE_HIST_SLOTS (2 + SMB_SOURCE_HIST_BUCKETS)

struct smb_source;

/*
 * Never fails because cifs is absent: the source then waits.  Nothing is
 * attached yet; call smb_source_check right after, and on every cleanup
 * tick.  cb receives each struct aod_ev_smb record (ring_buffer__new's
 * callback).  The struct is calloc'ed here, at startup; nothing is
 * allocated per event.
 */
int smb_source_open(struct smb_source **s, const struct cfg_config *cfg, ring_buffer_sample_fn cb, void *ctx);
/*
 * Follow the module: attach when cifs appeared (method per cfg smb_attach:
 * auto = tracepoint, then fentry, then kprobe), detach when it vanished or
 * was reloaded, expire stale pending entries.  Returns 1 when the state
 * changed (the caller must take smb_source_fd again), 0 if not, -errno
 * when the module is there but no method attached (retried only after the
 * module is reloaded or the config changes).
 */
int smb_source_check(struct smb_source *s);
/* Each watch interval: one AOD_EV_STALL record through cb when a request newly passed the smb.stall
 * anomalies' smallest stall_ms (see modsrc_scan_stalls). 1 when one was sent. */
int smb_source_scan_stalls(struct smb_source *s, uint64_t now_ns);
/* SIGUSR2: let go of the kernel module (see modsrc_release); 1 when a hold was released. */
int smb_source_release(struct smb_source *s);
/* ring_buffer__epoll_fd, or -1 while waiting. */
int smb_source_fd(const struct smb_source *s);
/* Deliver what is ready without blocking: records delivered, or -errno. */
int smb_source_consume(struct smb_source *s);
/* After a HUP: thresholds = minimum over the latency anomalies per command, masks = union. */
int smb_source_update_config(struct smb_source *s, const struct cfg_config *cfg);
/* "tracepoint (tp_btf)", "waiting for cifs" ...; loss = in-kernel counters plus userspace expiries. */
void smb_source_info(const struct smb_source *s, char *method, size_t len, struct aod_loss *loss);
/* Completions seen with no matching start (attached mid-request, or the pending map evicted it). */
uint64_t smb_source_unmatched(const struct smb_source *s);
/* In-kernel log2(us) latency histogram of command cmd (0..19) since attach, completions, and failed ones
 * (errors, may be NULL). -ENODEV while waiting. */
/* Commands 0..n-1 at once, in one batch read (modsrc_histograms); counts and errors may be NULL. */
int smb_source_histograms(const struct smb_source *s, unsigned n, uint64_t (*counts)[SMB_SOURCE_HIST_BUCKETS],
			  uint64_t *total, uint64_t *errors);
int smb_source_histogram(const struct smb_source *s, unsigned cmd, uint64_t counts[SMB_SOURCE_HIST_BUCKETS],
			 uint64_t *total, uint64_t *errors);
/* Every command's row (0..19) as the kernel keeps it: [0] completions, [1] failed, [2..] the buckets.
 * Rows read, or -errno (-ENODEV while waiting). */
int smb_source_hist_rows(const struct smb_source *s, uint64_t (*rows)[SMB_SOURCE_HIST_SLOTS]);
bool smb_source_attached(const struct smb_source *s);
void smb_source_close(struct smb_source *s);

/* /sys/module/cifs present and live (not still loading). */
bool smb_source_cifs_present(void);
/*
 * For `aod probes`: attach like the daemon would (attach = auto|tracepoint|
 * fentry|kprobe), detach at once, and say what worked in method, and the
 * targets or the reasons in why.  0 or -errno.
 */
int smb_source_probe(const char *attach, char *method, size_t mlen, char *why, size_t wlen);
/* Load (verifier only, no attach) the programs of one method: "raw_tp" works without cifs. */
int smb_source_verify(const char *method, char *why, size_t wlen);

#endif /* AOD_SMB_SOURCE_H */
