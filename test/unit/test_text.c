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

int main(void)
{
	test_parse_u32();
	test_note();
	return CHECK_DONE();
}
