/* SPDX-License-Identifier: GPL-2.0-only */
/* One fixed memory arena reserved at startup; once the loop runs, aod's own code allocates only from it. */
#ifndef AOD_ARENA_H
#define AOD_ARENA_H

/*
 * The rule: after malloc_guard_arm() (startup is over, the loop or replay runs) nothing in aod calls
 * malloc; the --host build counts every call past that point (malloc_guard.h) and the tests read it.
 * Before it, these allocations are allowed, each freed where it is made or at teardown:
 * - Libraries: libbpf while it opens, loads and attaches (also when the cleanup tick attaches SMB to a
 *   cifs module that loaded late), libyaml while it parses (also on HUP, under malloc_guard_pause()).
 * - smb_source.c and nfs_source.c: calloc of struct smb_source / nfs_source in their _open, _probe and
 *   _verify. aod probes and --smb-attach/--nfs-attach checks open them with no arena at all, and the
 *   daemon's ones live as long as the process.
 * - bpf_light.c: the loader's descriptor table (its size comes from the object's map and program counts)
 *   and, with AOD_BPF_LOG, the verifier log; both freed before light_load returns.
 * - kbtf.c: only when /sys/kernel/btf/vmlinux cannot be mmapped, a copy of it (megabytes, more than the
 *   arena is sized for), and the type index; freed by kbtf_close right after health_source reads its names.
 * - probe.c: aod probes is a one-shot command without an arena; its findings are calloc'ed, not stacked.
 * Anything else that needs memory takes it from the arena, and running out is reported and counted.
 */

#include <stddef.h>
#include <stdint.h>

struct arena {
	unsigned char *base;
	size_t size;
	size_t used;
	size_t high;		/* high-water mark, for metrics and the manifest */
	size_t zero_from;	/* bytes from here on were never handed out and are still zero */
	uint64_t failures;	/* allocations refused: reported, never a crash */
};

/* Reserve `size` bytes with mmap. Returns 0 or -errno. */
int arena_init(struct arena *a, size_t size);
/* Use caller-provided memory (tests, sub-arenas). */
void arena_init_buffer(struct arena *a, void *buf, size_t size);
void arena_fini(struct arena *a);

/* Zero-filled, aligned; NULL (and failures++) on overflow or exhaustion. */
void *arena_alloc(struct arena *a, size_t size, size_t count, size_t align);
/* Not zeroed: for scratch buffers that are always written before they are read, so their pages
 * stay non-resident until first used (an idle daemon's bundle buffers). */
void *arena_reserve(struct arena *a, size_t size, size_t count, size_t align);
/* Carve a child arena out of the parent, for per-bundle or per-batch scratch. The region is not
 * touched (its pages stay non-resident until the child hands them out, zeroed). */
int arena_sub(struct arena *parent, struct arena *child, size_t size);

static inline size_t arena_mark(const struct arena *a) { return a->used; }
static inline void arena_reset(struct arena *a, size_t mark) { if (mark <= a->used) a->used = mark; }

/*
 * memset(p, 0, len) for private anonymous memory (static, stack, heap, an arena): the whole pages
 * inside are handed back to the kernel (MADV_DONTNEED) and read as zero again without being touched,
 * so clearing a large struct that is mostly unused (struct cfg_config) faults in only the pages later
 * written, and a used one gives its pages back. Not for file-backed or shared mappings: those would
 * read back their file. The --host build (ASan, valgrind) memsets.
 */
void arena_zero(void *p, size_t len);

/* Typed allocation: count objects of type T, overflow checked by division. */
#define arena_new(a, T, n) ((T *)arena_alloc((a), sizeof(T), (n), _Alignof(T)))

#endif /* AOD_ARENA_H */
