// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for text.c: whole-string u32 parsing (every accepted and refused form) and notes. */
#include <errno.h>
#include <string.h>

#include "../../src/text.c"
#include "check.h"

static int u32(const char *s, uint32_t *v)
{
	*v = 12345;
	return text_parse_u32(s, v);
}

static void test_parse_u32(void)
{
	uint32_t v;

	CHECK(u32("0", &v) == 0 && v == 0);
	CHECK(u32("42", &v) == 0 && v == 42);
	CHECK(u32("4294967295", &v) == 0 && v == UINT32_MAX);
	/* strtoul's syntax: leading blanks and '+' are accepted, as monitor and trace always did */
	CHECK(u32(" 7", &v) == 0 && v == 7);
	CHECK(u32("+7", &v) == 0 && v == 7);
	CHECK(u32("007", &v) == 0 && v == 7);
	/* refused, and the output is left alone */
	CHECK(u32("4294967296", &v) == -ERANGE && v == 12345);
	CHECK(u32("99999999999999999999999", &v) == -ERANGE && v == 12345);
	CHECK(u32("-1", &v) == -EINVAL && v == 12345);	/* strtoul would wrap it to ULONG_MAX */
	CHECK(u32("-0", &v) == -EINVAL);
	CHECK(u32("", &v) == -EINVAL);
	CHECK(u32(" ", &v) == -EINVAL);
	CHECK(u32("5x", &v) == -EINVAL && v == 12345);
	CHECK(u32("5 ", &v) == -EINVAL);
	CHECK(u32("x5", &v) == -EINVAL);
	CHECK(u32("0x10", &v) == -EINVAL);	/* decimal only */
	CHECK(u32("1.5", &v) == -EINVAL);
}

static void test_note(void)
{
	char b[16] = "";

	text_note(b, sizeof(b), "one");
	CHECK(!strcmp(b, "one"));
	text_note(b, sizeof(b), "%s", "two");
	CHECK(!strcmp(b, "one; two"));
	text_note(b, sizeof(b), "three");	/* cut at the buffer, never past it */
	CHECK(!strcmp(b, "one; two; three") && strlen(b) == 15);
	text_note(b, sizeof(b), "four");	/* full: nothing more */
	CHECK(!strcmp(b, "one; two; three"));
}

/* The nearest word: the first of equals wins, NULL entries are skipped, nothing from nothing. */
static void test_nearest(void)
{
	const char *const words[] = { "network", NULL, "process", "perf", "prof" };
	unsigned int d = 0;

	CHECK(text_distance("kitten", "sitting") == 3 && text_distance("NET", "net") == 0);
	CHECK(strcmp(text_nearest("netwrk", words, 5, &d), "network") == 0 && d == 1);
	CHECK(strcmp(text_nearest("pref", words, 5, &d), "prof") == 0 && d == 1);
	CHECK(strcmp(text_nearest("prf", words, 5, &d), "perf") == 0 && d == 1);	/* perf and prof: the first */
	CHECK(strcmp(text_nearest("zzzzzzzzzz", words, 5, &d), "network") == 0 && d >= 7);
	CHECK(text_nearest("x", words + 1, 1, &d) == NULL && d == ~0u);
}

int main(void)
{
	test_parse_u32();
	test_note();
	test_nearest();
	return CHECK_DONE();
}
