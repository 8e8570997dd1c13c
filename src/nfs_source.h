/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's NFS event source: waits for sunrpc and nfs, attaches bpf/nfs.bpf.c, follows module reloads. */
#ifndef AOD_NFS_SOURCE_H
#define AOD_NFS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "../bpf/events.h"
#include "config.h"

#define NFS_SOURCE_HIST_BUCKETS 32	/* log2(us), as SMB's */
#define NFS_SOURCE_HIST_SLOTS (2 + NFS_SOURCE_HIST_BUCKETS)
/* Histogram and threshold rows: NFSv4 procedure indices 0..68, NFSv3 procedures at 69..90, then "other". */
#define NFS_SOURCE_V4_PROCS 69
#define NFS_SOURCE_V3_PROCS 22
#define NFS_SOURCE_ROWS (NFS_SOURCE_V4_PROCS + NFS_SOURCE_V3_PROCS + 1)

struct nfs_source;

/*
 * Never fails because the modules are absent: the source then waits for
 * sunrpc and nfs (nfsv4 is optional: its arrival re-attaches to add the v4
 * error hook).  cb receives each struct aod_ev_nfs and aod_ev_stall, with the
 * owner's comm filled in when the RPC ran on a worker thread, and each
 * struct aod_ev_reconnect of an NFS transport.  attach: auto,
 * tracepoint, fentry or kprobe.
 */
int nfs_source_open(struct nfs_source **s, const struct cfg_config *cfg, const char *attach,
		    ring_buffer_sample_fn cb, void *ctx);
/* As smb_source_check: 1 state changed (take the fd again), 0 not, -errno no method attached. */
int nfs_source_check(struct nfs_source *s);
/* Each watch interval: one AOD_EV_STALL record through cb when an NFS RPC newly passed the nfs.stall
 * anomalies' smallest stall_ms (see modsrc_scan_stalls). 1 when one was sent. */
int nfs_source_scan_stalls(struct nfs_source *s, uint64_t now_ns);
/* SIGUSR2: let go of the kernel module (see modsrc_release); 1 when a hold was released. */
int nfs_source_release(struct nfs_source *s);
int nfs_source_fd(const struct nfs_source *s);
int nfs_source_consume(struct nfs_source *s);
/* After a HUP: the thresholds and error filter again. */
int nfs_source_update_config(struct nfs_source *s, const struct cfg_config *cfg);
/* "tracepoint (tp_btf)", "waiting for sunrpc" ...; loss = in-kernel counters. */
void nfs_source_info(const struct nfs_source *s, char *method, size_t len, struct aod_loss *loss);
bool nfs_source_attached(const struct nfs_source *s);
/* In-kernel log2(us) latency histogram of row (see above) since attach, completions, and failed ones
 * (errors, may be NULL); -ENODEV while waiting. */
/* Rows 0..n-1 at once, in one batch read (modsrc_histograms); counts and errors may be NULL. */
int nfs_source_histograms(const struct nfs_source *s, unsigned n, uint64_t (*counts)[NFS_SOURCE_HIST_BUCKETS],
			  uint64_t *total, uint64_t *errors);
int nfs_source_histogram(const struct nfs_source *s, unsigned row, uint64_t counts[NFS_SOURCE_HIST_BUCKETS],
			 uint64_t *total, uint64_t *errors);
/* Every row (see above) as the kernel keeps it: [0] completions, [1] failed, [2..] the buckets.
 * Rows read, or -errno (-ENODEV while waiting). */
int nfs_source_hist_rows(const struct nfs_source *s, uint64_t (*rows)[NFS_SOURCE_HIST_SLOTS]);
void nfs_source_close(struct nfs_source *s);
/* The histogram row of (vers, proc): the unit is the client's procedure index. */
unsigned nfs_source_row(unsigned vers, unsigned proc);
/* Its inverse: the version (0 for "other") and procedure index of a row. */
void nfs_source_row_id(unsigned row, unsigned *vers, unsigned *proc);

/* sunrpc and nfs both live. */
bool nfs_source_present(void);
/* The first of sunrpc, nfs that is not loaded, or NULL. */
const char *nfs_source_missing(void);
/* aod probes: attach like the daemon would, detach at once; method and targets or reasons. 0 or -errno. */
int nfs_source_probe(const char *attach, char *method, size_t mlen, char *why, size_t wlen);
/* Load (verifier only, no attach) one method's programs, named by its short name (tp_btf, raw_tp, fentry, kprobe). */
int nfs_source_verify(const char *method, char *why, size_t wlen);

#endif /* AOD_NFS_SOURCE_H */
