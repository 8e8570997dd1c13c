/* SPDX-License-Identifier: GPL-2.0-only */
/* The ustar header writer: pure byte layout, no I/O, so tests check it field by field. */
#ifndef AOD_TAR_H
#define AOD_TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512
#define TAR_END_SIZE (2 * TAR_BLOCK)	/* the end marker: two zero blocks */
#define TAR_NAME_MAX 100
#define TAR_PREFIX_MAX 155
/* 11 octal digits in the size field: ustar cannot say 8 GiB or more. */
#define TAR_SIZE_LIMIT (UINT64_C(1) << 33)

/*
 * Fill hdr with a ustar header for a regular file (typeflag '0', uid/gid 0, owner root:root).
 * Names over 100 bytes are split at a '/' into prefix and name.
 * Returns 0, -EINVAL (empty name), -ENAMETOOLONG (no split fits) or -EFBIG (size >= 8 GiB).
 * mtime is clamped to what 11 octal digits hold; a clock before 1970 becomes 0.
 */
int tar_header(unsigned char hdr[TAR_BLOCK], const char *name, uint64_t size, uint32_t mode, int64_t mtime);
/* Zero bytes that must follow `size` bytes of data to reach the next 512-byte boundary. */
size_t tar_padding(uint64_t size);
/* Write the end-of-archive marker (1024 zero bytes). */
void tar_end(unsigned char end[TAR_END_SIZE]);

#endif /* AOD_TAR_H */
