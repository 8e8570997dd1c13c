/* SPDX-License-Identifier: GPL-2.0-only */
/* Base layer: whole writes, directory creation and the atomic .part -> fsync -> rename step. */
#ifndef AOD_IO_H
#define AOD_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/types.h>

/* Write all n bytes, retrying EINTR; 0 or -errno (-EIO when write() makes no progress). */
int io_write_all(int fd, const void *p, size_t n);
/* read(2) and pread(2), again after EINTR: the bytes read, 0 at the end, or -errno. */
ssize_t io_read(int fd, void *buf, size_t n);
ssize_t io_pread(int fd, void *buf, size_t n, off_t off);
/* Read until n bytes are in or the end comes (a pipe, FIFO or /proc file may give short reads):
 * the bytes read, or -errno. */
ssize_t io_read_full(int fd, void *buf, size_t n);
/* fsync, retrying EINTR; 0 or -errno. */
int io_fsync(int fd);
/* mkdir -p: missing parents get parent_mode, the last component leaf_mode; existing
 * directories are left as they are. 0 or -errno. */
int io_mkdir_p(const char *path, mode_t parent_mode, mode_t leaf_mode);
/* Make a finished part file visible under its final name: fsync and close fd (always closed),
 * then rename part to final relative to dirfd (AT_FDCWD for paths). The data is on disk before
 * the name appears, so a reader never sees half a file, even after a crash. 0 or -errno. */
int io_seal_part(int fd, int dirfd, const char *part, const char *final);
/* The same without the fsync, for a file rewritten every interval whose content means nothing after a
 * crash (status.json, the metrics textfile): a reader still never sees half a file while the host runs;
 * after a crash the file may be empty, which its reader takes as stale, as it would the old content. */
int io_swap_part(int fd, int dirfd, const char *part, const char *final);

/* Wait for rd's fds (maxfd the highest, -1 none) until the absolute CLOCK_MONOTONIC deadline_ns (UINT64_MAX:
 * no timeout); rd is
 * emptied on a timeout, EINTR or error so the caller's poll treats nothing as ready. Returns select()'s count,
 * 0 or -errno (never -EINTR). The wait of loop.c's reactor. */
int io_select_until(int maxfd, fd_set *rd, uint64_t deadline_ns);

/* Read a small file (relative to dfd, or AT_FDCWD) into buf, at most bufsz - 1 bytes, NUL-terminated.
 * The byte count, or -errno. */
ssize_t io_read_small(int dfd, const char *path, char *buf, size_t bufsz);
/* Call fn on each line of path (without its newline, cut at 511 bytes), reading at most max_bytes:
 * a /proc file that never ends cannot hold the caller. fn returns 0 to go on, non-zero to stop
 * (a negative value is returned). 0 or -errno; no allocation, for the running loop. */
int io_read_lines(const char *path, size_t max_bytes, int (*fn)(char *line, void *ctx), void *ctx);

#endif /* AOD_IO_H */
