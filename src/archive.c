// SPDX-License-Identifier: GPL-2.0-only
/* Bundle archives: tar members streamed through a static zstd context into a .part file, then renamed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sync_file_range */
#endif
#include "archive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_initStaticCStream: the context lives in the arena */
#include <zstd.h>
#include <zstd_errors.h>

#include "io.h"
#include "tar.h"

#define ARCHIVE_IO_BUF (32 * 1024)
/* Caps on zstd's tables. Bundles are mostly text logs; on a 400 KiB sample of logs these cost about
 * 2 % of ratio against level 3's defaults (window 2 MiB, hash 2^17) and save 2.2 MiB per bundle. */
#define ARCHIVE_WINDOW_LOG 17
#define ARCHIVE_HASH_LOG 16
#define ARCHIVE_CHAIN_LOG 16
#define ARCHIVE_MEMBER_MODE 0600
#define PART_SUFFIX ".part"
/* Compressed bytes after which a step hands what it wrote to writeback (see kick_writeback). */
#define ARCHIVE_KICK_BYTES (256 * 1024)

/* The member being streamed: header, content, padding, as one run of tar bytes at offset pos. */
struct member {
	bool active;
	bool zeros;		/* the file shrank or a read failed: the rest of its content is zeros */
	int rerr;		/* that read error, returned when the member is complete */
	int fd;			/* content from this file when mem is NULL */
	const unsigned char *mem;
	uint64_t size;		/* content bytes, fixed when the member began */
	uint64_t pos;		/* tar bytes of this member already fed to zstd */
	unsigned char hdr[TAR_BLOCK];
};

struct archive {
	int dirfd, fd;
	int err;		/* sticky: the first write or compression failure */
	bool open;
	ZSTD_CStream *zcs;
	unsigned char *in;	/* staging for pread and the end marker */
	unsigned char *out;	/* compressed bytes on their way to the file */
	uint64_t bytes_in, bytes_out;
	uint64_t kicked;	/* compressed bytes already handed to writeback */
	struct member m;
	char final_name[NAME_MAX + 1];
	char part_name[NAME_MAX + 1];
};

static const unsigned char zero_block[TAR_BLOCK];

static int level_ok(int *level)
{
	if (*level == 0)
		*level = ARCHIVE_LEVEL_DEFAULT;
	return *level >= 1 && *level <= ARCHIVE_LEVEL_MAX;
}

static unsigned cap(unsigned v, unsigned max)
{
	return v < max ? v : max;
}

/* The level's parameters for an unknown size, with the caps; archive_open applies the same. */
static ZSTD_compressionParameters archive_cparams(int level)
{
	ZSTD_compressionParameters cp = ZSTD_getCParams(level, 0, 0);

	cp.windowLog = cap(cp.windowLog, ARCHIVE_WINDOW_LOG);
	cp.hashLog = cap(cp.hashLog, ARCHIVE_HASH_LOG);
	cp.chainLog = cap(cp.chainLog, ARCHIVE_CHAIN_LOG);
	return cp;
}

static size_t zstd_need(int level)
{
	return ZSTD_estimateCStreamSize_usingCParams(archive_cparams(level));
}

size_t archive_arena_need(int level)
{
	if (!level_ok(&level))
		return 0;
	/* 64 bytes of alignment slack per allocation: the struct, the workspace and two buffers. */
	return sizeof(struct archive) + zstd_need(level) + 2 * ARCHIVE_IO_BUF + 4 * 64;
}

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (len + sizeof(PART_SUFFIX) > NAME_MAX + 1)
		return -ENAMETOOLONG;
	return 0;
}

static int set_params(ZSTD_CStream *zcs, int level)
{
	ZSTD_compressionParameters cp = archive_cparams(level);
	size_t r = 0;

	r |= ZSTD_isError(ZSTD_CCtx_setParameter(zcs, ZSTD_c_compressionLevel, level));
	r |= ZSTD_isError(ZSTD_CCtx_setParameter(zcs, ZSTD_c_windowLog, (int)cp.windowLog));
	r |= ZSTD_isError(ZSTD_CCtx_setParameter(zcs, ZSTD_c_hashLog, (int)cp.hashLog));
	r |= ZSTD_isError(ZSTD_CCtx_setParameter(zcs, ZSTD_c_chainLog, (int)cp.chainLog));
	/* A content checksum lets `zstd -t` prove a bundle intact after it has been shipped. */
	r |= ZSTD_isError(ZSTD_CCtx_setParameter(zcs, ZSTD_c_checksumFlag, 1));
	return r ? -EINVAL : 0;
}

static int setup_zstd(struct archive *ar, struct arena *a, int level)
{
	size_t need = zstd_need(level);
	void *ws = arena_alloc(a, 1, need, 64);

	ar->in = arena_alloc(a, 1, ARCHIVE_IO_BUF, 64);
	ar->out = arena_alloc(a, 1, ARCHIVE_IO_BUF, 64);
	if (!ws || !ar->in || !ar->out)
		return -ENOMEM;
	ar->zcs = ZSTD_initStaticCStream(ws, need);
	if (!ar->zcs)
		return -ENOMEM;
	return set_params(ar->zcs, level);
}

/* A planted link at the .part name fails as "File exists" (O_EXCL) or ELOOP (O_NOFOLLOW); both
 * come back as -ELOOP so the caller can say a link was found and refused, not hint at a crash. */
static int part_refused(int dirfd, const char *part, int err)
{
	struct stat st;

	if (fstatat(dirfd, part, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return err;
}

int archive_open(struct archive **arp, struct arena *a, int dirfd, const char *final_name, int level)
{
	struct archive *ar;
	int rc;

	*arp = NULL;
	if (!level_ok(&level))
		return -EINVAL;
	rc = check_name(final_name);
	if (rc)
		return rc;
	ar = arena_new(a, struct archive, 1);
	if (!ar)
		return -ENOMEM;
	rc = setup_zstd(ar, a, level);
	if (rc)
		return rc;
	ar->dirfd = dirfd;
	strcpy(ar->final_name, final_name);
	strcpy(ar->part_name, final_name);
	strcat(ar->part_name, PART_SUFFIX);
	/* O_EXCL: a leftover .part is either another bundle in flight or a crash to clean first. */
	ar->fd = openat(dirfd, ar->part_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (ar->fd < 0)
		return part_refused(dirfd, ar->part_name, -errno);
	ar->open = true;
	*arp = ar;
	return 0;
}

static int zstd_errno(size_t r)
{
	return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? -ENOMEM : -EIO;
}

/* Push bytes through the compressor; with ZSTD_e_end, until the frame is complete. */
static int feed(struct archive *ar, const void *src, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { src, len, 0 };
	int rc;

	if (ar->err)
		return ar->err;
	for (;;) {
		ZSTD_outBuffer out = { ar->out, ARCHIVE_IO_BUF, 0 };
		size_t r = ZSTD_compressStream2(ar->zcs, &out, &in, mode);

		if (ZSTD_isError(r))
			return ar->err = zstd_errno(r);
		if (out.pos) {
			rc = io_write_all(ar->fd, ar->out, out.pos);
			if (rc)
				return ar->err = rc;
			ar->bytes_out += out.pos;
		}
		if (mode == ZSTD_e_end ? r == 0 : in.pos == in.size)
			return 0;
	}
}

static int put(struct archive *ar, const void *src, size_t len)
{
	ar->bytes_in += len;
	return feed(ar, src, len, ZSTD_e_continue);
}

/* A refused header (name, size) or a member still streaming writes nothing: the archive stays usable. */
static int begin_member(struct archive *ar, const char *name, uint64_t size, int64_t mtime)
{
	struct member *m = &ar->m;
	int rc;

	if (!ar->open)
		return -EBADF;
	if (ar->err)
		return ar->err;
	if (m->active)
		return -EBUSY;
	rc = tar_header(m->hdr, name, size, ARCHIVE_MEMBER_MODE, mtime);
	if (rc)
		return rc;
	m->active = true;
	m->zeros = false;
	m->rerr = 0;
	m->fd = -1;
	m->mem = NULL;
	m->size = size;
	m->pos = 0;
	return 0;
}

int archive_begin(struct archive *ar, const char *name, const void *buf, size_t len, int64_t mtime)
{
	int rc = begin_member(ar, name, len, mtime);

	if (!rc)
		ar->m.mem = buf;
	return rc;
}

int archive_begin_fd(struct archive *ar, const char *name, int fd, int64_t mtime)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	rc = begin_member(ar, name, (uint64_t)st.st_size, mtime);
	if (!rc)
		ar->m.fd = fd;
	return rc;
}

/*
 * Up to `want` content bytes from the file at content offset off. Exactly the member's size must
 * follow its header: a read error or a file that shrank is filled with zeros so the tar stays readable.
 */
static int put_file(struct archive *ar, struct member *m, uint64_t off, size_t want)
{
	ssize_t n = 0;

	if (want > ARCHIVE_IO_BUF)
		want = ARCHIVE_IO_BUF;
	if (!m->zeros) {
		n = io_pread(m->fd, ar->in, want, (off_t)off);
		if (n < 0)
			m->rerr = (int)n;
		m->zeros = n <= 0;
	}
	if (m->zeros) {
		memset(ar->in, 0, want);
		n = (ssize_t)want;
	}
	return put(ar, ar->in, (size_t)n) ? -1 : (int)n;
}

/* Feed the next piece of the member, at most max bytes; returns the bytes fed or -1 (ar->err says why). */
static long member_piece(struct archive *ar, struct member *m, size_t max)
{
	uint64_t body_end = TAR_BLOCK + m->size, left;
	size_t n;

	if (m->pos < TAR_BLOCK) {
		n = TAR_BLOCK - (size_t)m->pos < max ? TAR_BLOCK - (size_t)m->pos : max;
		return put(ar, m->hdr + m->pos, n) ? -1 : (long)n;
	}
	left = m->pos < body_end ? body_end - m->pos : body_end + tar_padding(m->size) - m->pos;
	n = left < max ? (size_t)left : max;
	if (m->pos >= body_end)
		return put(ar, zero_block, n) ? -1 : (long)n;
	if (!m->mem)
		return put_file(ar, m, m->pos - TAR_BLOCK, n);
	return put(ar, m->mem + (m->pos - TAR_BLOCK), n) ? -1 : (long)n;
}

/*
 * archive_finish's fsync waits for every dirty page of the archive; started a step at a time,
 * writeback leaves it only the tail, so the last step of a big bundle is not the long one.
 * SYNC_FILE_RANGE_WRITE only queues the I/O; it is advice, and a failure changes nothing.
 */
static void kick_writeback(struct archive *ar)
{
	if (ar->bytes_out - ar->kicked < ARCHIVE_KICK_BYTES)
		return;
	sync_file_range(ar->fd, (off_t)ar->kicked, (off_t)(ar->bytes_out - ar->kicked), SYNC_FILE_RANGE_WRITE);
	ar->kicked = ar->bytes_out;
}

int archive_step(struct archive *ar, size_t *budget)
{
	struct member *m = &ar->m;
	uint64_t total = TAR_BLOCK + m->size + tar_padding(m->size);
	long n;

	if (!ar->open)
		return -EBADF;
	if (!m->active)
		return -EINVAL;
	while (m->pos < total && *budget > 0 && !ar->err) {
		n = member_piece(ar, m, *budget);
		if (n < 0)
			break;
		m->pos += (uint64_t)n;
		*budget -= (size_t)n;
	}
	if (ar->err)
		return ar->err;
	kick_writeback(ar);
	if (m->pos < total)
		return 0;
	m->active = false;
	return m->rerr ? m->rerr : 1;
}

static int add_whole(struct archive *ar)
{
	size_t unlimited = SIZE_MAX;
	int rc = archive_step(ar, &unlimited);

	return rc == 1 ? 0 : rc;
}

int archive_add(struct archive *ar, const char *name, const void *buf, size_t len, int64_t mtime)
{
	int rc = archive_begin(ar, name, buf, len, mtime);

	return rc ? rc : add_whole(ar);
}

int archive_add_fd(struct archive *ar, const char *name, int fd, int64_t mtime)
{
	int rc = archive_begin_fd(ar, name, fd, mtime);

	return rc ? rc : add_whole(ar);
}

/* Data on disk before the name appears: a reader never sees half an archive, even after a crash. */
static int seal(struct archive *ar)
{
	int rc;

	tar_end(ar->in);
	ar->bytes_in += TAR_END_SIZE;
	rc = feed(ar, ar->in, TAR_END_SIZE, ZSTD_e_end);
	if (rc)
		return rc;	/* archive_abort closes and unlinks the part */
	rc = io_seal_part(ar->fd, ar->dirfd, ar->part_name, ar->final_name);
	ar->fd = -1;
	return rc;
}

int archive_finish(struct archive *ar)
{
	int rc;

	if (!ar->open)
		return -EBADF;
	/* A member cut short would leave a tar whose next header is content: never name it. */
	rc = ar->err ? ar->err : ar->m.active ? -EBUSY : seal(ar);
	if (rc) {
		archive_abort(ar);
		return rc;
	}
	ar->open = false;
	rc = io_fsync(ar->dirfd);
	/* The bundle is complete and named; only filesystems that cannot sync a directory say EINVAL. */
	return rc == -EINVAL ? 0 : rc;
}

void archive_abort(struct archive *ar)
{
	if (!ar || !ar->open)
		return;
	if (ar->fd >= 0)
		close(ar->fd);
	ar->fd = -1;
	unlinkat(ar->dirfd, ar->part_name, 0);
	ar->open = false;
}

uint64_t archive_bytes_in(const struct archive *ar)
{
	return ar->bytes_in;
}

uint64_t archive_bytes_out(const struct archive *ar)
{
	return ar->bytes_out;
}
