// SPDX-License-Identifier: GPL-2.0-only
/* The ustar header writer (POSIX.1-1988 layout), kept free of I/O for the unit tests. */
#include "tar.h"

#include <errno.h>
#include <string.h>

/* Offsets and widths of the ustar header fields. */
#define OFF_NAME 0
#define OFF_MODE 100
#define OFF_UID 108
#define OFF_GID 116
#define OFF_SIZE 124
#define OFF_MTIME 136
#define OFF_CHKSUM 148
#define OFF_TYPE 156
#define OFF_MAGIC 257
#define OFF_VERSION 263
#define OFF_UNAME 265
#define OFF_GNAME 297
#define OFF_DEVMAJOR 329
#define OFF_DEVMINOR 337
#define OFF_PREFIX 345

#define MTIME_MAX INT64_C(077777777777)

/* width-1 zero-padded octal digits then a NUL, the form every tar reader accepts. */
static void put_octal(unsigned char *field, size_t width, uint64_t v)
{
	size_t i = width - 1;

	field[i] = '\0';
	while (i-- > 0) {
		field[i] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
}

/* Split point: index of the '/' that ends the prefix, 0 when the name fits whole, -1 if none fits. */
static long split_name(const char *name, size_t len)
{
	size_t i;

	if (len <= TAR_NAME_MAX)
		return 0;
	/* The shortest prefix whose remainder fits keeps the most room in name for the reader. */
	for (i = len - TAR_NAME_MAX - 1; i < len && i <= TAR_PREFIX_MAX; i++) {
		if (name[i] == '/' && i > 0 && i + 1 < len)
			return (long)i;
	}
	return -1;
}

int tar_header(unsigned char hdr[TAR_BLOCK], const char *name, uint64_t size, uint32_t mode, int64_t mtime)
{
	size_t len = strlen(name), i;
	unsigned sum = 0;
	long split;

	if (len == 0)
		return -EINVAL;
	if (size >= TAR_SIZE_LIMIT)
		return -EFBIG;
	split = split_name(name, len);
	if (split < 0)
		return -ENAMETOOLONG;
	if (mtime < 0)
		mtime = 0;
	if (mtime > MTIME_MAX)
		mtime = MTIME_MAX;

	memset(hdr, 0, TAR_BLOCK);
	if (split == 0) {
		memcpy(hdr + OFF_NAME, name, len);	/* exactly 100 bytes has no NUL: allowed */
	} else {
		memcpy(hdr + OFF_PREFIX, name, (size_t)split);
		memcpy(hdr + OFF_NAME, name + split + 1, len - (size_t)split - 1);
	}
	put_octal(hdr + OFF_MODE, 8, mode & 07777);
	put_octal(hdr + OFF_UID, 8, 0);
	put_octal(hdr + OFF_GID, 8, 0);
	put_octal(hdr + OFF_SIZE, 12, size);
	put_octal(hdr + OFF_MTIME, 12, (uint64_t)mtime);
	hdr[OFF_TYPE] = '0';
	memcpy(hdr + OFF_MAGIC, "ustar", 6);	/* "ustar\0" */
	memcpy(hdr + OFF_VERSION, "00", 2);
	memcpy(hdr + OFF_UNAME, "root", 4);
	memcpy(hdr + OFF_GNAME, "root", 4);
	put_octal(hdr + OFF_DEVMAJOR, 8, 0);
	put_octal(hdr + OFF_DEVMINOR, 8, 0);

	/* The checksum is computed with its own field read as eight spaces. */
	memset(hdr + OFF_CHKSUM, ' ', 8);
	for (i = 0; i < TAR_BLOCK; i++)
		sum += hdr[i];
	put_octal(hdr + OFF_CHKSUM, 7, sum);	/* six digits, NUL ... */
	hdr[OFF_CHKSUM + 7] = ' ';		/* ... then the space that stays from the fill */
	return 0;
}

size_t tar_padding(uint64_t size)
{
	return (size_t)((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

void tar_end(unsigned char end[TAR_END_SIZE])
{
	memset(end, 0, TAR_END_SIZE);
}
