/* SPDX-License-Identifier: GPL-2.0-only */
/* The `aod run --record` event stream: a small file header, then ring-buffer records (docs/record-format.md). */
#ifndef AOD_RECORD_H
#define AOD_RECORD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"

#define RECORD_MAGIC "AODREC\n"	/* 8 bytes with its NUL */
#define RECORD_MAGIC_LEN 8
#define RECORD_VERSION 1
#define RECORD_ALIGN 8		/* every record starts 8-aligned; the writer pads with zeros */
#define RECORD_BUF_SIZE (128 * 1024)	/* > the largest record (u16 size) plus padding */
/* Event times are CLOCK_MONOTONIC: one record may lead the latest before it by at most a day and
 * trail it by at most a minute (kmsg lines are read up to a watch interval late, CPUs submit out of
 * order). Anything else is corrupt, and a time near 2^64 would wrap the replay window arithmetic. */
#define RECORD_MAX_TS_LEAD_NS (86400ull * 1000000000ull)
#define RECORD_MAX_TS_LAG_NS (60ull * 1000000000ull)

struct record_file_hdr {
	char magic[RECORD_MAGIC_LEN];
	__u32 version;			/* little-endian */
	__u32 hdr_size;			/* little-endian; records start here */
};

struct record_writer {
	int fd;
	size_t used;
	uint64_t records;
	uint64_t bytes;			/* written to the file so far, header included */
	unsigned char buf[RECORD_BUF_SIZE] __attribute__((aligned(8)));
};

struct record_reader {
	const unsigned char *base;	/* the whole file, mapped read-only */
	size_t size;
	size_t off;			/* next record */
	size_t hsize;			/* where the first record starts */
	uint64_t records;
	uint64_t err_offset;		/* byte offset of the bad record after -EBADMSG */
	uint64_t ts_max;		/* latest ts_ns read so far (when records > 0) */
	size_t map_size;		/* bytes mapped: size as it was at open */
	char path[PATH_MAX];
	char err[PATH_MAX + 192];	/* "FILE: byte offset N: what is wrong" */
};

/* Create or truncate path (0600), write the file header into the buffer. 0 or -errno. */
int record_writer_open(struct record_writer *w, const char *path);
/* Append one record of ev->size bytes. -EINVAL for a size below the header, else 0 or -errno. */
int record_write(struct record_writer *w, const struct aod_ev_hdr *ev);
int record_writer_flush(struct record_writer *w);
/* Flush and close; 0 or the first -errno. */
int record_writer_close(struct record_writer *w);

/* The smallest valid size of a record of this kind (its struct; the header for unknown kinds).
 * A record that passes this may be read as union detect_event without a copy. */
size_t record_kind_min_size(uint16_t kind);

/* Map the file (a regular one) and check its header; -EBADMSG (see record_reader_error) for a bad one.
 * One reader at a time: it guards SIGBUS, so a file truncated under it is reported, not fatal. */
int record_reader_open(struct record_reader *r, const char *path);
/* 1 with *ev set, 0 at the end, -EBADMSG for a truncated or corrupt record, a timestamp out of
 * bounds (RECORD_MAX_TS_*) or a file that shrank while it was read. The pointer is into the
 * mapping and 8-aligned; it stays valid until record_reader_close. */
int record_next(struct record_reader *r, const struct aod_ev_hdr **ev);
/* The message for the last -EBADMSG (or open failure): names the file and byte offset. */
const char *record_reader_error(const struct record_reader *r);
/* Start again at the first record (aod replay --repeat). */
void record_reader_rewind(struct record_reader *r);
void record_reader_close(struct record_reader *r);

#endif /* AOD_RECORD_H */
