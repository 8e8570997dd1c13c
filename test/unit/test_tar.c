// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the ustar header writer: every field byte by byte, checksum recomputed here. */
#include "../../src/tar.c"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Parse an octal field the way a reader does: digits up to NUL or space. */
static uint64_t octal(const unsigned char *f, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	return v;
}

static unsigned checksum(const unsigned char *h)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static void test_basic_fields(void)
{
	unsigned char h[512];

	memset(h, 0xAA, sizeof(h));
	CHECK(tar_header(h, "manifest.json", 1234, 0600, 1700000000) == 0);
	CHECK(memcmp(h, "manifest.json", 14) == 0);	/* includes the NUL */
	CHECK(all_zero(h + 14, 100 - 14));
	CHECK(memcmp(h + 100, "0000600\0", 8) == 0);
	CHECK(memcmp(h + 108, "0000000\0", 8) == 0);
	CHECK(memcmp(h + 116, "0000000\0", 8) == 0);
	CHECK(memcmp(h + 124, "00000002322\0", 12) == 0);	/* 1234 = 02322 */
	CHECK(octal(h + 124, 12) == 1234);
	CHECK(memcmp(h + 136, "14524770400\0", 12) == 0);	/* 1700000000 = 014524770400 */
	CHECK(octal(h + 136, 12) == 1700000000);
	CHECK(h[156] == '0');
	CHECK(all_zero(h + 157, 100));			/* linkname */
	CHECK(memcmp(h + 257, "ustar\0", 6) == 0);
	CHECK(memcmp(h + 263, "00", 2) == 0);
	CHECK(memcmp(h + 265, "root", 5) == 0 && all_zero(h + 269, 32 - 4));
	CHECK(memcmp(h + 297, "root", 5) == 0 && all_zero(h + 301, 32 - 4));
	CHECK(memcmp(h + 329, "0000000\0", 8) == 0);
	CHECK(memcmp(h + 337, "0000000\0", 8) == 0);
	CHECK(all_zero(h + 345, 155));			/* prefix unused */
	CHECK(all_zero(h + 500, 12));
	/* checksum: six octal digits, NUL, space */
	CHECK(h[148 + 6] == '\0' && h[148 + 7] == ' ');
	CHECK(octal(h + 148, 8) == checksum(h));
	{
		char want[8];

		snprintf(want, sizeof(want), "%06o", checksum(h));
		CHECK(memcmp(h + 148, want, 6) == 0);
	}
}

static void test_mode_and_sizes(void)
{
	unsigned char h[512];

	CHECK(tar_header(h, "a", 0, 0100644, 0) == 0);	/* file-type bits are masked off */
	CHECK(memcmp(h + 100, "0000644\0", 8) == 0);
	CHECK(memcmp(h + 124, "00000000000\0", 12) == 0);
	CHECK(octal(h + 148, 8) == checksum(h));

	CHECK(tar_header(h, "big", TAR_SIZE_LIMIT - 1, 0600, 0) == 0);
	CHECK(memcmp(h + 124, "77777777777\0", 12) == 0);
	CHECK(octal(h + 148, 8) == checksum(h));
	CHECK(tar_header(h, "big", TAR_SIZE_LIMIT, 0600, 0) == -EFBIG);
	CHECK(tar_header(h, "big", UINT64_MAX, 0600, 0) == -EFBIG);
	CHECK(tar_header(h, "", 1, 0600, 0) == -EINVAL);

	/* a clock before 1970 or past 2242 is clamped, never a wrapped field */
	CHECK(tar_header(h, "t", 1, 0600, -5) == 0);
	CHECK(memcmp(h + 136, "00000000000\0", 12) == 0);
	CHECK(tar_header(h, "t", 1, 0600, INT64_MAX) == 0);
	CHECK(memcmp(h + 136, "77777777777\0", 12) == 0);
}

static void fill(char *s, char c, size_t n)
{
	memset(s, c, n);
	s[n] = '\0';
}

static void test_names(void)
{
	unsigned char h[512];
	char name[400];

	/* exactly 100 bytes: the whole field, no NUL, no prefix */
	fill(name, 'n', 100);
	CHECK(tar_header(h, name, 1, 0600, 0) == 0);
	CHECK(memcmp(h, name, 100) == 0);
	CHECK(h[100] == '0');			/* the mode field starts right after */
	CHECK(all_zero(h + 345, 155));

	/* 101 bytes with no slash cannot be split */
	fill(name, 'n', 101);
	CHECK(tar_header(h, name, 1, 0600, 0) == -ENAMETOOLONG);

	/* "dir/" + 100 bytes: prefix "dir", name the 100 bytes */
	memcpy(name, "dir/", 4);
	fill(name + 4, 'x', 100);
	CHECK(tar_header(h, name, 1, 0600, 0) == 0);
	CHECK(memcmp(h + 345, "dir\0", 4) == 0);
	CHECK(memcmp(h, name + 4, 100) == 0);
	CHECK(octal(h + 148, 8) == checksum(h));

	/* the remainder after the only slash is 101 bytes: no split fits */
	memcpy(name, "dir/", 4);
	fill(name + 4, 'x', 101);
	CHECK(tar_header(h, name, 1, 0600, 0) == -ENAMETOOLONG);

	/* 155-byte prefix + '/' + 100-byte name: the longest ustar path */
	fill(name, 'p', 155);
	name[155] = '/';
	fill(name + 156, 'q', 100);
	CHECK(strlen(name) == 256);
	CHECK(tar_header(h, name, 1, 0600, 0) == 0);
	CHECK(memcmp(h + 345, name, 155) == 0);
	CHECK(memcmp(h, name + 156, 100) == 0);

	/* a 156-byte prefix does not fit */
	fill(name, 'p', 156);
	name[156] = '/';
	fill(name + 157, 'q', 10);
	CHECK(tar_header(h, name, 1, 0600, 0) == -ENAMETOOLONG);

	/* a trailing slash leaves an empty name: refused rather than written as a directory */
	fill(name, 'p', 101);
	name[101] = '/';
	name[102] = '\0';
	CHECK(tar_header(h, name, 1, 0600, 0) == -ENAMETOOLONG);
}

static void test_padding_and_end(void)
{
	unsigned char end[TAR_END_SIZE];

	CHECK(tar_padding(0) == 0);
	CHECK(tar_padding(1) == 511);
	CHECK(tar_padding(511) == 1);
	CHECK(tar_padding(512) == 0);
	CHECK(tar_padding(513) == 511);
	CHECK(tar_padding(TAR_SIZE_LIMIT - 1) == 1);
	memset(end, 0xff, sizeof(end));
	tar_end(end);
	CHECK(TAR_END_SIZE == 1024);
	CHECK(all_zero(end, sizeof(end)));
}

int main(void)
{
	test_basic_fields();
	test_mode_and_sizes();
	test_names();
	test_padding_and_end();
	return CHECK_DONE();
}
