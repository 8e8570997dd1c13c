// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the JSON writer: escaping, nesting, numbers, overflow. */
#include "../../src/json.c"
#include "check.h"

#include <stdlib.h>
#include <unistd.h>

static int esc_eq(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t need = json_escape(out, sizeof(out), in, n);

	if (need != strlen(want) || strcmp(out, want)) {
		fprintf(stderr, "escape: got '%s' (%zu), want '%s'\n", out, need, want);
		return 0;
	}
	return 1;
}

static void test_escape(void)
{
	CHECK(esc_eq("plain", 5, "plain"));
	CHECK(esc_eq("a\"b", 3, "a\\\"b"));
	CHECK(esc_eq("a\\b", 3, "a\\\\b"));
	CHECK(esc_eq("l1\nl2\r\t", 7, "l1\\nl2\\r\\t"));
	CHECK(esc_eq("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f"));
	CHECK(esc_eq("nul\0x", 5, "nul\\u0000x"));
	/* Valid UTF-8 passes unchanged: é, €, U+1F600. */
	CHECK(esc_eq("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	/* Invalid bytes each become U+FFFD: a lone continuation, a truncated sequence, an
	 * overlong '/', a surrogate, 0xff. */
	CHECK(esc_eq("\x80", 1, "\\ufffd"));
	CHECK(esc_eq("a\xc3", 2, "a\\ufffd"));
	CHECK(esc_eq("\xc0\xaf", 2, "\\ufffd\\ufffd"));
	CHECK(esc_eq("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd"));
	CHECK(esc_eq("x\xffy", 3, "x\\ufffdy"));
	CHECK(esc_eq("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd"));
}

static void test_escape_small_buffer(void)
{
	char out[4];
	size_t need = json_escape(out, sizeof(out), "a\"bc", 4);

	CHECK(need == 5);
	/* "a\"" is 3 bytes and fits with the NUL; no half escape is written. */
	CHECK(strcmp(out, "a\\\"") == 0);
	need = json_escape(out, sizeof(out), "ab\n", 3);
	CHECK(need == 4 && strcmp(out, "ab") == 0);
}

static void test_document(void)
{
	char buf[512];
	struct json j;
	int n;

	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_str(&j, "name", "we\"ird\n");
	json_u64(&j, "big", UINT64_MAX);
	json_i64(&j, "neg", -5);
	json_bool(&j, "t", true);
	json_null(&j, "n");
	json_str(&j, "nullstr", NULL);
	json_fixed(&j, "ms", 1500123456ull, 6);
	json_fixed(&j, "ms2", 42ull, 6);
	json_arr_begin(&j, "list");
	json_u64(&j, NULL, 1);
	json_obj_begin(&j, NULL);
	json_obj_end(&j);
	json_arr_end(&j);
	json_arr_begin(&j, "empty");
	json_arr_end(&j);
	json_obj_end(&j);
	n = json_finish(&j);
	CHECK(n > 0);
	CHECK(strstr(buf, "\"name\": \"we\\\"ird\\n\"") != NULL);
	CHECK(strstr(buf, "\"big\": 18446744073709551615") != NULL);
	CHECK(strstr(buf, "\"neg\": -5,") != NULL);
	CHECK(strstr(buf, "\"t\": true") != NULL);
	CHECK(strstr(buf, "\"n\": null") != NULL);
	CHECK(strstr(buf, "\"nullstr\": null") != NULL);
	CHECK(strstr(buf, "\"ms\": 1500.123456") != NULL);
	CHECK(strstr(buf, "\"ms2\": 0.000042") != NULL);
	CHECK(strstr(buf, "\"empty\": []") != NULL);
	CHECK(strstr(buf, "{}") != NULL);
	CHECK(buf[0] == '{' && buf[n - 2] == '}' && buf[n - 1] == '\n');
}

/* The document must parse with a real JSON parser when one is on the machine. */
static void test_parses(void)
{
	char buf[512], path[] = "/tmp/aod_json_XXXXXX", cmd[512];
	struct json j;
	int fd, n, rc;

	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_strn(&j, "ctl", "\x01\x02\"\\\xff\xc3\xa9", 7);
	json_arr_begin(&j, "a");
	json_fixed(&j, NULL, 7, 3);
	json_str(&j, NULL, "x");
	json_arr_end(&j);
	json_obj_end(&j);
	n = json_finish(&j);
	CHECK(n > 0);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, buf, (size_t)n) == n);
	close(fd);
	if (system("python3 -c 'import json' >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
			 "assert d[\"ctl\"]==\"\\x01\\x02\\\"\\\\\\ufffd\\u00e9\", d; assert d[\"a\"]==[0.007,\"x\"]' %s",
			 path);
		rc = system(cmd);
		CHECK(rc == 0);
	}
	unlink(path);
}

static void test_overflow(void)
{
	char buf[16];
	struct json j;

	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_str(&j, "key", "a value that is far too long");
	json_obj_end(&j);
	CHECK(json_finish(&j) == -ENOSPC);
	CHECK(strlen(buf) < sizeof(buf));

	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	CHECK(json_finish(&j) == -ENOSPC);	/* unbalanced */
}

int main(void)
{
	test_escape();
	test_escape_small_buffer();
	test_document();
	test_parses();
	test_overflow();
	return CHECK_DONE();
}
