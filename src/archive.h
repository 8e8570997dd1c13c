/* SPDX-License-Identifier: GPL-2.0-only */
/* A bundle file: ustar streamed through zstd into "<name>.part", fsynced and renamed when finished. */
#ifndef AOD_ARCHIVE_H
#define AOD_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define ARCHIVE_LEVEL_DEFAULT 3
#define ARCHIVE_LEVEL_MAX 19	/* 20+ are zstd's "ultra" levels: far more memory than a bundle deserves */

struct archive;			/* opaque; lives in the caller's arena */

/*
 * Bytes archive_open() takes from the arena at this level (0 = default): the struct, a static
 * zstd stream context and two 32 KiB I/O buffers. The compressor's window is capped at 128 KiB,
 * so level 3 needs about 1.4 MiB rather than zstd's default 3.6 MiB. 0 for an invalid level.
 */
size_t archive_arena_need(int level);

/*
 * Create "<final_name>.part" in dirfd (O_EXCL|O_NOFOLLOW, mode 0600) and a compressor inside arena a.
 * dirfd must be opened O_RDONLY|O_DIRECTORY (not O_PATH): archive_finish fsyncs it.
 * final_name is a plain file name. level 0 means ARCHIVE_LEVEL_DEFAULT; otherwise 1..ARCHIVE_LEVEL_MAX.
 * Returns 0, -EINVAL, -ENAMETOOLONG, -ENOMEM (arena too small), -EEXIST (a .part is there), -ELOOP (the
 * .part name is a symbolic link: refused) or -errno.
 * zstd never calls malloc: its context is static in the arena. The arena is reset by the caller after
 * archive_finish() or archive_abort().
 */
int archive_open(struct archive **ar, struct arena *a, int dirfd, const char *final_name, int level);
/* Append a member from memory, mode 0600. */
int archive_add(struct archive *ar, const char *name, const void *buf, size_t len, int64_t mtime);
/*
 * Append a regular file's content from offset 0, as long as fstat says it is at the call (a memfd or
 * a temp file holding an action's output). Not for /proc or /sys files: they report size 0 or 4096;
 * read those capped into a buffer and use archive_add. A non-regular fd is -EINVAL, nothing written.
 * If the file shrinks meanwhile, or a read fails, the rest is zeros so the tar stays valid; a read
 * error is then returned (-errno) but the archive stays usable.
 */
int archive_add_fd(struct archive *ar, const char *name, int fd, int64_t mtime);
/*
 * The same members in pieces, for a caller that must not block (aod's loop): archive_begin or
 * archive_begin_fd checks and stages a member (its header and, for a file, its size from fstat now)
 * and writes nothing; archive_step then feeds at most *budget tar bytes (header, content, padding)
 * through the compressor and lowers *budget by what it fed. Returns 1 when the member is complete,
 * 0 when the budget ran out first (call again), -errno on failure; a read error is returned once the
 * member is complete (zeros stand in for the rest) and the archive stays usable, as with archive_add_fd.
 * Beginning a member while another is incomplete is -EBUSY; buf must stay valid until it is complete.
 * archive_add and archive_add_fd are begin plus one unbounded step.
 */
int archive_begin(struct archive *ar, const char *name, const void *buf, size_t len, int64_t mtime);
int archive_begin_fd(struct archive *ar, const char *name, int fd, int64_t mtime);
int archive_step(struct archive *ar, size_t *budget);
/* Write the tar end marker (TAR_END_SIZE more input bytes), end the zstd frame, fsync, rename to
 * final_name and fsync the directory. A member still incomplete is -EBUSY. On failure the .part is
 * removed. Either way the archive is closed; archive_abort() is then a no-op. */
int archive_finish(struct archive *ar);
/* Close and unlink the .part. Safe to call after a failed call or after archive_finish(). */
void archive_abort(struct archive *ar);
/* Uncompressed tar bytes fed to the compressor so far (the end marker included once finished). */
uint64_t archive_bytes_in(const struct archive *ar);
/* Compressed bytes written to the file so far. */
uint64_t archive_bytes_out(const struct archive *ar);

#endif /* AOD_ARCHIVE_H */
