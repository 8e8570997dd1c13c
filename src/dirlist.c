// SPDX-License-Identifier: GPL-2.0-only
/* One getdents64 loop for every directory aod lists (retention, traces, /proc, globs). */
#include "dirlist.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's record; declared here because libcs disagree on its name (dirent64 vs dirent). */
struct dirlist_kdirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int dirlist_each(int dfd, void *buf, size_t cap, dirlist_fn fn, void *ctx)
{
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, cap);
		long off;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (off = 0; off < n;) {
			const struct dirlist_kdirent *d = (const void *)((char *)buf + off);
			int rc = 0;

			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				rc = fn(ctx, dfd, d->d_name, d->d_type);
			if (rc)
				return rc;
			off += d->d_reclen;
		}
	}
}
