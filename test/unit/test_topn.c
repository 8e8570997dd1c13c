// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for topn_slot: order, the smallest falling off, ties, and an empty or zero-size list. */
#include "../../src/topn.c"
#include "check.h"

struct ent {
	uint64_t k;
	int id;
};

static uint64_t key(const void *e)
{
	return ((const struct ent *)e)->k;
}

static void put(struct ent *a, int *n, int max, uint64_t k, int id)
{
	int i = topn_slot(a, sizeof(*a), n, max, k, key);

	if (i >= 0)
		a[i] = (struct ent){ k, id };
}

int main(void)
{
	struct ent a[3];
	int n = 0;

	put(a, &n, 3, 5, 1);
	put(a, &n, 3, 9, 2);
	put(a, &n, 3, 1, 3);
	CHECK(n == 3 && a[0].id == 2 && a[1].id == 1 && a[2].id == 3);
	put(a, &n, 3, 7, 4);		/* full: 1 falls off */
	CHECK(n == 3 && a[0].k == 9 && a[1].k == 7 && a[2].k == 5);
	CHECK(topn_slot(a, sizeof(a[0]), &n, 3, 5, key) == -1);	/* a tie with the smallest keeps the first */
	CHECK(topn_slot(a, sizeof(a[0]), &n, 3, 2, key) == -1);
	put(a, &n, 3, 9, 5);		/* a tie with the largest goes after it */
	CHECK(a[0].id == 2 && a[1].id == 5 && a[2].k == 7);
	n = 0;
	CHECK(topn_slot(a, sizeof(a[0]), &n, 0, 1, key) == -1 && n == 0);
	CHECK(topn_slot(a, sizeof(a[0]), &n, 3, 0, key) == 0 && n == 1);	/* a zero key still fills a free slot */
	return CHECK_DONE();
}
