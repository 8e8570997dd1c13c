/* SPDX-License-Identifier: GPL-2.0-only */
/* Until startup is over, memory freed is kept for the next allocation instead of going back to the system. */
#ifndef AOD_STARTUP_HEAP_H
#define AOD_STARTUP_HEAP_H

#include <stddef.h>

/*
 * At startup libbpf (five objects opened, turned into loader programs and closed, one after
 * another) and libyaml allocate and free thousands of blocks. musl's allocator hands every group
 * it empties back to the kernel: about 160 munmaps before "running:", each a TLB flush, which on
 * a paravirtualised guest costs as much as the BPF loads themselves. The static build wraps
 * malloc, calloc, realloc and free (Makefile): a freed block is kept in a list by size and given
 * to the next request it fits, so the groups stay in use and are mapped once. startup_heap_end()
 * (startup is over: the daemon runs, or a replay or trace starts) gives every kept block back to
 * musl and stops keeping them; a one-shot command simply exits. At most STARTUP_HEAP_KEEP bytes
 * are kept: with 256 KiB, `aod run` on the default config has 653 page faults and 77 munmaps before
 * "running:" instead of 978 and 162, and its peak resident memory is 32 KiB lower; 512 KiB or more
 * saves another 40 faults but peaks 96 KiB higher than without the heap. The --host build keeps
 * its own wrappers (malloc_guard.c) and none of this.
 */
#define STARTUP_HEAP_KEEP (256u << 10)

#ifdef AOD_HOST_BUILD
static inline void startup_heap_end(void) {}
#else
void startup_heap_end(void);
/* Blocks and bytes kept now (tests). */
size_t startup_heap_kept(size_t *bytes);
#endif

#endif /* AOD_STARTUP_HEAP_H */
