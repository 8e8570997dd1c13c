// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for log2 histogram printing, slotting, percentiles and latency formatting. */
#include <stdlib.h>
#include <string.h>

#include "../../src/hist.c"
#include "../../bpf/health.h"
#include "check.h"

static char *printed(const __u64 *slots, int n)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	hist_print(f, slots, n, "usecs");
	fclose(f);
	return buf;
}

static int max_line(const char *s)
{
	int w = 0, m = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			m = w > m ? w : m;
			w = 0;
		} else {
			w++;
		}
	}
	return w > m ? w : m;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_slot(void)
{
	CHECK(hist_slot(0, 32) == 0);
	CHECK(hist_slot(1, 32) == 0);
	CHECK(hist_slot(2, 32) == 1);
	CHECK(hist_slot(3, 32) == 1);
	CHECK(hist_slot(4, 32) == 2);
	CHECK(hist_slot(1023, 32) == 9);
	CHECK(hist_slot(1024, 32) == 10);
	CHECK(hist_slot(UINT64_MAX, 32) == 31);	/* clamped into the last slot */
}

/* The kernel-side slot (no division, no branch) against floor(log2(ns / 1000)) clamped to 32 slots. */
static void test_kernel_slot(void)
{
	int bad = 0;

	for (__u64 k = 0; k < 53; k++) {
		__u64 edge = 1000ULL << k;

		for (__u64 ns = edge > 3 ? edge - 3 : 0; ns <= edge + 3; ns++)
			bad += (int)aod_hist_slot(ns) != hist_slot(ns / 1000, 32);
		bad += (int)aod_hist_slot((1ULL << (k + 10)) - 1) != hist_slot(((1ULL << (k + 10)) - 1) / 1000, 32);
		bad += (int)aod_hist_slot(1ULL << (k + 10)) != hist_slot((1ULL << (k + 10)) / 1000, 32);
	}
	for (__u64 ns = 0; ns < 3000000; ns += 7)
		bad += (int)aod_hist_slot(ns) != hist_slot(ns / 1000, 32);
	/* the log2 alone, against a plain loop, around every power of two */
	for (int b = 0; b < 63; b++)
		for (__u64 v = (1ULL << b) > 2 ? (1ULL << b) - 2 : 0; v <= (1ULL << b) + 2; v++) {
			__u32 want = 0;

			for (__u64 x = v; x > 1; x >>= 1)
				want++;
			bad += aod_log2l(v) != want;
		}
	bad += (int)aod_hist_slot(INT64_MAX) != hist_slot(INT64_MAX / 1000, 32);
	CHECK(bad == 0);
	CHECK(aod_hist_slot(999) == 0 && aod_hist_slot(1000) == 0 && aod_hist_slot(1999) == 0);
	CHECK(aod_hist_slot(2000) == 1 && aod_hist_slot(1023999) == 9 && aod_hist_slot(1024000) == 10);
}

static void test_print(void)
{
	__u64 s[32] = { 0 };
	char *out;

	out = printed(s, 32);
	CHECK(strstr(out, "(no events)") != NULL);
	CHECK(lines(out) == 2);

	s[3] = 10;	/* 8 -> 15 */
	s[5] = 40;	/* 32 -> 63 */
	s[6] = 1;	/* 64 -> 127: one event still gets a star */
	out = printed(s, 32);
	CHECK(lines(out) == 1 + 4);	/* header + slots 3..6, the empty slot 4 included */
	CHECK(strstr(out, "         8 -> 15         : 10         |**********") != NULL);
	CHECK(strstr(out, "        32 -> 63         : 40         |**************************************|") !=
	      NULL);
	CHECK(strstr(out, "        16 -> 31         : 0          |                                      |") !=
	      NULL);
	CHECK(strstr(out, "        64 -> 127        : 1          |*                                     |") !=
	      NULL);
	CHECK(strstr(out, "0 -> 1 ") == NULL);
	CHECK(max_line(out) <= 80);

	/* widest numbers still fit 80 columns */
	memset(s, 0, sizeof(s));
	s[31] = 12345678901ull;
	s[0] = 1;
	out = printed(s, 32);
	CHECK(strstr(out, "         0 -> 1          : 1") != NULL);
	CHECK(strstr(out, "2147483648 -> 4294967295 : 12345678901") != NULL);
	CHECK(max_line(out) <= 80);
}

static void test_percentile(void)
{
	__u64 s[32] = { 0 };

	CHECK(hist_percentile(s, 32, 50) == 0);
	s[2] = 90;	/* 4..7 */
	s[10] = 10;	/* 1024..2047 */
	CHECK(hist_percentile(s, 32, 50) == 7);
	CHECK(hist_percentile(s, 32, 90) == 7);
	CHECK(hist_percentile(s, 32, 99) == 2047);
	CHECK(hist_percentile(s, 32, 100) == 2047);
	CHECK(hist_percentile(s, 32, 0) == 7);
}

static void test_fmt(void)
{
	char b[32];

	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 0), "0 ns"));
	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 999), "999 ns"));
	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 7000), "7 us"));
	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 850000), "850 us"));
	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 12345678), "12.3 ms"));
	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 999900000ull), "999.9 ms"));
	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 2050000000ull), "2.05 s"));
	CHECK(!strcmp(hist_fmt_ns(b, sizeof(b), 20500000000ull), "20.50 s"));
}

int main(void)
{
	test_slot();
	test_kernel_slot();
	test_print();
	test_percentile();
	test_fmt();
	return CHECK_DONE();
}
