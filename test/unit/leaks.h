/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests that check what is left behind: this process's open fds, a loop's child entries. */
#ifndef AOD_TEST_LEAKS_H
#define AOD_TEST_LEAKS_H

#include <dirent.h>

#include "loop.h"

/* Open fds of this process: a pipe or pidfd left behind shows here. */
static inline int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Children registered on l (loop_add_child) and not yet reaped. */
static inline int loop_children(const struct loop *l)
{
	int n = 0;

	for (int i = 0; i < l->n; i++)
		n += l->e[i].kind == LOOP_CHILD;
	return n;
}

#endif /* AOD_TEST_LEAKS_H */
