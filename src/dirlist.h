/* SPDX-License-Identifier: GPL-2.0-only */
/* Directory listing with getdents64 into a caller's buffer: opendir mallocs, and the loop must not. */
#ifndef AOD_DIRLIST_H
#define AOD_DIRLIST_H

#include <stddef.h>

/* Called for every entry but "." and ".."; type is the DT_* value (DT_UNKNOWN on some filesystems).
 * A non-zero return stops the listing and is returned by dirlist_each. */
typedef int (*dirlist_fn)(void *ctx, int dfd, const char *name, unsigned char type);

/* List dfd from its current offset; buf must be 8-byte aligned. 0 at the end, fn's value, or -errno. */
int dirlist_each(int dfd, void *buf, size_t cap, dirlist_fn fn, void *ctx);

#endif /* AOD_DIRLIST_H */
