/* SPDX-License-Identifier: GPL-2.0-only */
/* Keeping the largest N of a stream in a short array, largest first (ps, drop reasons, on-CPU time). */
#ifndef AOD_TOPN_H
#define AOD_TOPN_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t (*topn_key_fn)(const void *entry);

/* arr holds *n entries of size sz (at most max), largest key first. Makes room for key: the smaller
 * entries move down one, the smallest falls off when full, and the index to fill is returned; -1 when
 * the array is full and key is no larger than its smallest (ties keep what came first). */
int topn_slot(void *arr, size_t sz, int *n, int max, uint64_t key, topn_key_fn keyof);

#endif /* AOD_TOPN_H */
