/* SPDX-License-Identifier: GPL-2.0-only */
/* Base layer: whole writes, directory creation and the atomic .part -> fsync -> rename step. */
#ifndef AOD_IO_H
#define AOD_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes, retrying EINTR; 0 or -errno (-EIO when write() makes no progress). */
int io_write_all(int fd, const void *p, size_t n);
/* fsync, retrying EINTR; 0 or -errno. */
int io_fsync(int fd);
/* mkdir -p: missing parents get parent_mode, the last component leaf_mode; existing
 * directories are left as they are. 0 or -errno. */
int io_mkdir_p(const char *path, mode_t parent_mode, mode_t leaf_mode);
/* Make a finished part file visible under its final name: fsync and close fd (always closed),
 * then rename part to final relative to dirfd (AT_FDCWD for paths). The data is on disk before
 * the name appears, so a reader never sees half a file, even after a crash. 0 or -errno. */
int io_seal_part(int fd, int dirfd, const char *part, const char *final);

#endif /* AOD_IO_H */
