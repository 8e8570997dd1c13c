// SPDX-License-Identifier: GPL-2.0-only
/* An insertion into a short sorted array: the lists here are ten or twenty long. */
#include "topn.h"

#include <string.h>

int topn_slot(void *arr, size_t sz, int *n, int max, uint64_t key, topn_key_fn keyof)
{
	char *a = arr;
	int i;

	if (max <= 0 || (*n >= max && keyof(a + (size_t)(max - 1) * sz) >= key))
		return -1;
	i = *n < max ? (*n)++ : max - 1;
	for (; i > 0 && keyof(a + (size_t)(i - 1) * sz) < key; i--)
		memcpy(a + (size_t)i * sz, a + (size_t)(i - 1) * sz, sz);
	return i;
}
