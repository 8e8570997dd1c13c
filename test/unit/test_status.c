// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for aod status: the JSON reader on good, odd and broken input, and the live/stale judgement. */
#include "../../src/status.c"
#include "check.h"

#define S(lit) lit, lit + sizeof(lit) - 1

static void test_skip(void)
{
	static const char ok1[] = "{\"a\": [1, {\"b\": \"x}\\\"]\"}, []], \"c\": {}}";
	static const char bad[][24] = { "{\"a\": 1", "{\"a\" 1}", "{\"a\": [1, }", "{1: 2}", "\"open", "{\"a\": 1,}", "[1 2]", "{\"a\": }" };
	char deep[64] = { 0 };
	size_t i;

	CHECK(skip_value(S(ok1), 0) == ok1 + sizeof(ok1) - 1);
	CHECK(skip_value(S("  true "), 0) != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(skip_value(bad[i], bad[i] + strlen(bad[i]), 0) == NULL);
	/* nesting past the limit is refused, not recursed into */
	memset(deep, '[', 40);
	memset(deep + 40, ']', 20);
	CHECK(skip_value(deep, deep + 60, 0) == NULL);
}

static void test_lookup(void)
{
	static const char j[] = "{\"pid\": 42, \"config\": {\"path\": \"/etc/a\\\"b\\\\c\\n\", \"loaded\": 7},"
				" \"x\": {\"pid\": 9}, \"upload\": {\"enabled\": true, \"backlog\": 3}, \"none\": null}";
	const char *e = j + sizeof(j) - 1;
	char s[32];
	int64_t v;

	CHECK(get_i64(j, e, "pid", &v) && v == 42);	/* the top-level one, not x.pid */
	CHECK(get_i64(j, e, "x.pid", &v) && v == 9);
	CHECK(get_i64(j, e, "config.loaded", &v) && v == 7);
	CHECK(get_str(j, e, "config.path", s, sizeof(s)) && !strcmp(s, "/etc/a\"b\\c\n"));
	CHECK(get_true(j, e, "upload.enabled") && !get_true(j, e, "upload.backlog"));
	CHECK(!get_i64(j, e, "none", &v) && !get_i64(j, e, "config.path", &v));
	CHECK(!get_i64(j, e, "missing", &v) && !get_i64(j, e, "config.missing.deeper", &v));
	CHECK(!get_str(j, e, "pid", s, sizeof(s)));
	/* a short buffer cuts the string, terminated */
	CHECK(get_str(j, e, "config.path", s, 5) && !strcmp(s, "/etc"));
}

static void test_judge(void)
{
	char j[256];
	int64_t age = -1;
	int n;

	n = snprintf(j, sizeof(j), "{\"pid\": %d, \"written\": %lld, \"stale_after_ms\": 3500}", (int)getpid(),
		     (long long)time(NULL));
	CHECK(judge("f", j, j + n, &age) == EXIT_LIVE && age >= 0 && age <= 1);
	n = snprintf(j, sizeof(j), "{\"pid\": %d, \"written\": %lld, \"stale_after_ms\": 3500}", (int)getpid(),
		     (long long)time(NULL) - 10);
	CHECK(judge("f", j, j + n, &age) == EXIT_STALE && age >= 10);
	/* pid_max is at most 2^22: this pid cannot exist */
	n = snprintf(j, sizeof(j), "{\"pid\": 99999999, \"written\": %lld}", (long long)time(NULL));
	CHECK(judge("f", j, j + n, &age) == EXIT_STALE);
	CHECK(judge("f", S("{\"written\": 5}"), &age) == EXIT_STALE);
	CHECK(judge("f", S("{\"pid\": 0, \"written\": 5}"), &age) == EXIT_STALE);
}

int main(void)
{
	test_skip();
	test_lookup();
	test_judge();
	return CHECK_DONE();
}
