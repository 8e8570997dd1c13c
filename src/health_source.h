/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel health probes as one event source: open with fallbacks, consume, read the in-kernel counts. */
#ifndef AOD_HEALTH_SOURCE_H
#define AOD_HEALTH_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "../bpf/health.h"
#include "arena.h"
#include "config.h"

/* The BPF families are config.h's health kinds before kmsg, which comes from /dev/kmsg (kmsg.c):
 * one enum for the config, detection, the loader, aod monitor and the manifest. */
#define HEALTH_NFAM CFG_H_KMSG

#define HEALTH_ALL ((1u << HEALTH_NFAM) - 1)
#define HEALTH_METHOD_MAX 256

/* Called for every record (each starts with struct aod_ev_hdr); return non-zero to stop consuming. */
typedef int (*health_event_fn)(void *ctx, const struct aod_ev_hdr *h, size_t size);

/*
 * The cost rule (DESIGN.md), worded once for aod run, aod monitor and aod probes: a family whose only
 * working method hooks every syscall (vfs and io without fentry or kprobes) is left off unless the
 * config asks, with the key of family_table[f].syscall_optin.
 */
#define HEALTH_SYSCALL_LEVEL "syscall-level"	/* the prefix of such a method's name */
#define HEALTH_SYSCALL_OFF_WHY "only syscall-level hooks on this kernel, every syscall pays"

/*
 * The ring each family's records cross, for aod run and aod monitor. Only records at or over a floor
 * cross it, and the loop drains it as soon as one is submitted: 64 KiB holds about 800 sched or block
 * records (80 bytes with the ring's header), a burst of 800 over-threshold events before aod runs
 * again. A ring's data pages are resident twice (the kernel maps them twice), so the objects' own
 * 256 KiB cost 516 KiB each. What does not fit is counted as ringbuf_full (aod probes, metrics, manifests).
 */
#define HEALTH_RING_KB 64

struct health_opts {
	/* latency families (cfg_health_is_latency): only latencies at or over the floor cross the ring buffer */
	uint32_t floor_us[HEALTH_NFAM];
	uint32_t pid;			/* 0 = every process (tgid otherwise; OOM is never filtered) */
	uint32_t families;		/* bit (1 << HEALTH_x); 0 = all */
	uint32_t ringbuf_kb;		/* per family, a power of two >= the page size; 0 = the objects' 256 */
	/*
	 * Families (1u << f) that may fall back to syscall-level hooks (vfs, io: no fentry, no
	 * kprobes): every syscall of every task then runs their BPF programs. Only on request;
	 * otherwise the family is left off and its method says why and which key turns it on.
	 */
	uint32_t syscall_ok;
	struct aod_ioerr_filter io;	/* io: the operations and errnos that leave the kernel */
	health_event_fn cb;
	void *cb_ctx;
};

struct health_source;

/*
 * Opens, loads and attaches every requested family, each with the first attach method the
 * running kernel really accepts. A family that cannot attach at all is left out with its
 * reason in health_source_method(); only when none attached is the result an error
 * (-ENODEV, with *out still set so the caller can print each family's reason, then close it).
 * All records go through one ring_buffer manager (one BPF ring buffer per family, one epoll fd).
 * Methods made only of tp_btf, fentry/fexit and raw_tp programs load through the kernel-run
 * loader (bpf_light.c), the rest through libbpf's load. libbpf allocates here; the source's own
 * state comes from the arena. AOD_HEALTH_AVOID and AOD_NO_LIGHT_LOAD steer the choice.
 */
int health_source_open(struct health_source **out, struct arena *a, const struct health_opts *o);
/*
 * aod probes: the method fam would attach with, found as aod run and aod monitor find it (the same
 * method tables and order, AOD_HEALTH_AVOID honoured), by opening that family alone and closing it.
 * method: "tp_btf", "raw_tp", "tracepoint", "fentry", "fexit", "kprobe", "syscalls" (would work, off
 * by default: the cost rule), "vmstat" or "none"; why: the method and what failed before it, or why
 * none works. Returns 0 when one attaches, else -errno (-ENODEV: every method was refused).
 */
int health_source_probe(enum cfg_health_kind fam, char *method, size_t mlen, char *why, size_t wlen);
/* Detach every probe but keep the maps: what is queued can still be consumed and counted exactly. */
void health_source_stop(struct health_source *hs);
void health_source_close(struct health_source *hs);

/* The epoll fd to wait on (select/poll for readability), -1 if no BPF family attached. */
int health_source_fd(const struct health_source *hs);
/* Drain what is ready without blocking; returns records delivered or -errno. */
int health_source_consume(struct health_source *hs);
/* Once a second: the /proc/vmstat major-fault fallback reads its delta and emits one record. */
int health_source_tick(struct health_source *hs, uint64_t now_ns);

/* AOD_HEALTH_AVOID="METHOD[,METHOD...]" names method (e.g. "tp_btf"): skip it as if refused. */
bool health_source_avoided(const char *method);
bool health_source_attached(const struct health_source *hs, enum cfg_health_kind f);
/* e.g. "tp_btf" or "syscall-level read/write latency via raw_syscalls tp_btf (fentry refused: ...)". */
const char *health_source_method(const struct health_source *hs, enum cfg_health_kind f);
const char *health_source_family_name(enum cfg_health_kind f);
/*
 * When vfs latency or io errors are measured at syscall level (no fentry, no kprobes), every syscall
 * of every task runs their BPF programs and takes the kernel's tracing slow path: the families whose
 * cost a busy host notices. The sentence that says so, for the monitor and the daemon; NULL otherwise.
 */
const char *health_source_cost_note(const struct health_source *hs);
int health_source_loss(const struct health_source *hs, enum cfg_health_kind f, struct aod_loss *out);

/* A HUP: io's new filter, into the attached programs at once. */
void health_source_set_io_filter(struct health_source *hs, const struct aod_ioerr_filter *io);

/* In-kernel histogram of a latency family (cfg_health_is_latency), summed over CPUs. */
int health_source_hist(const struct health_source *hs, enum cfg_health_kind f, struct aod_hist *out);
/* Events counted in the kernel (latency families: every measurement; others: every occurrence). */
uint64_t health_source_count(const struct health_source *hs, enum cfg_health_kind f);

struct health_drop_reason {
	uint32_t reason;
	uint64_t count;
};
/* Per-reason drop counts from the kernel map, largest first; returns how many were written. */
int health_source_drops(const struct health_source *hs, struct health_drop_reason *out, int max);
/* "NO_SOCKET" for SKB_DROP_REASON_NO_SOCKET, from the running kernel's BTF; never NULL. */
const char *health_source_drop_name(const struct health_source *hs, uint32_t reason);

#endif /* AOD_HEALTH_SOURCE_H */
