// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the /dev/kmsg record parser and the pattern matcher (no /dev/kmsg needed). */
#include <string.h>

#include "../../src/kmsg_record.c"
#include "../../src/kmsg.c"
#include "check.h"

static struct kmsg_record rec;

static int parse(const char *s)
{
	return kmsg_parse(s, strlen(s), &rec);
}

static void test_parse(void)
{
	CHECK(parse("6,1234,5678901,-;hello world\n") == 0);
	CHECK(rec.level == 6 && rec.facility == 0);
	CHECK(rec.seq == 1234 && rec.usec == 5678901);
	CHECK(!rec.cont);
	CHECK(!strcmp(rec.text, "hello world") && rec.len == 11);

	/* facility 3 (daemon) << 3 | level 4; extra header fields after the flags; dictionary lines */
	CHECK(parse("28,7,100,c,caller=T12;part one\n SUBSYSTEM=block\n DEVICE=b8:0\n") == 0);
	CHECK(rec.level == 4 && rec.facility == 3 && rec.cont);
	CHECK(!strcmp(rec.text, "part one"));

	/* \xNN escapes: the kernel writes '\' as \x5c and control bytes as \x0N */
	CHECK(parse("3,9,1,-;CIFS: VFS: \\x5c\\x5csrv has not responded in 180 seconds.\n") == 0);
	CHECK(!strcmp(rec.text, "CIFS: VFS: \\\\srv has not responded in 180 seconds."));
	CHECK(parse("3,9,1,-;tab\\x09here \\xZZ kept\n") == 0);
	CHECK(!strcmp(rec.text, "tab\there \\xZZ kept"));
	CHECK(parse("3,9,1,-;no newline at end") == 0 && !strcmp(rec.text, "no newline at end"));
	CHECK(parse("3,9,1,-;\n") == 0 && rec.len == 0 && rec.text[0] == 0);

	CHECK(parse("") == -EINVAL);
	CHECK(parse("garbage without separator") == -EINVAL);
	CHECK(parse("6,12;too few fields\n") == -EINVAL);
	CHECK(parse("x,1,2,-;bad prio\n") == -EINVAL);
	CHECK(parse("6,1,2;missing flags\n") == -EINVAL);
}

static void test_long_text_truncates(void)
{
	static char big[8192];
	size_t n;

	memcpy(big, "4,1,1,-;", 8);
	memset(big + 8, 'a', sizeof(big) - 10);
	big[sizeof(big) - 2] = '\n';
	CHECK(kmsg_parse(big, sizeof(big) - 1, &rec) == 0);
	n = strlen(rec.text);
	CHECK(n == KMSG_TEXT_MAX - 1 && rec.len == n);
}

static void test_builtins(void)
{
	struct kmsg_matcher m = { .nuser = 0 };

	CHECK(kmsg_match(&m, "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [burn:99]") == KMSG_SOFT_LOCKUP);
	CHECK(kmsg_match(&m, "INFO: task dd:4242 blocked for more than 120 seconds.") == KMSG_HUNG_TASK);
	CHECK(kmsg_match(&m, "hung_task: blocked tasks") == KMSG_HUNG_TASK);
	CHECK(kmsg_match(&m, "Out of memory: Killed process 77 (hog) total-vm:1kB") == KMSG_OOM);
	CHECK(kmsg_match(&m, "Memory cgroup out of memory: Killed process 77 (hog)") == KMSG_OOM);
	CHECK(kmsg_match(&m, "blk_update_request: I/O error, dev sda, sector 8 op 0x0") == KMSG_IO_ERROR);
	CHECK(kmsg_match(&m, "CIFS: VFS: \\\\nas has not responded in 180 seconds. Reconnecting...") ==
	      KMSG_CIFS_TIMEOUT);
	CHECK(kmsg_match(&m, "CIFS VFS: Server nas has not responded in 120 seconds. Reconnecting...") ==
	      KMSG_CIFS_TIMEOUT);
	/* both halves are needed: a CIFS line that is not a timeout, and a timeout of something else */
	CHECK(kmsg_match(&m, "CIFS: VFS: \\\\nas Send error in SessSetup = -13") == -1);
	CHECK(kmsg_match(&m, "usb 1-1: device has not responded") == -1);
	CHECK(kmsg_match(&m, "eth0: link up, 1000Mbps") == -1);
	CHECK(kmsg_match(&m, "") == -1);
	CHECK(kmsg_match(NULL, "soft lockup") == KMSG_SOFT_LOCKUP);
	CHECK(!strcmp(kmsg_pattern_name(&m, KMSG_OOM), "out of memory"));
	CHECK(!strcmp(kmsg_pattern_name(&m, 99), "?"));
}

static void test_user_patterns(void)
{
	struct kmsg_matcher m = { .nuser = 0 };
	char longp[KMSG_PATTERN_MAX + 1];

	CHECK(kmsg_matcher_add(&m, "nfs: server") == 0);
	CHECK(kmsg_matcher_add(&m, "EXT4-fs error") == 0);
	CHECK(kmsg_matcher_add(&m, "") == -EINVAL);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	CHECK(kmsg_matcher_add(&m, longp) == -ENAMETOOLONG);
	CHECK(kmsg_match(&m, "nfs: server nas not responding, still trying") == KMSG_NBUILTIN);
	CHECK(kmsg_match(&m, "EXT4-fs error (device vda1): bad block") == KMSG_NBUILTIN + 1);
	/* plain substring, case-sensitive */
	CHECK(kmsg_match(&m, "ext4-fs ERROR") == -1);
	/* built-ins win over user patterns for the same line */
	CHECK(kmsg_match(&m, "nfs: server I/O error") == KMSG_IO_ERROR);
	CHECK(!strcmp(kmsg_pattern_name(&m, KMSG_NBUILTIN + 1), "EXT4-fs error"));
	for (int i = m.nuser; i < KMSG_MAX_USER; i++)
		CHECK(kmsg_matcher_add(&m, "p") == 0);
	CHECK(kmsg_matcher_add(&m, "one too many") == -ENOSPC);
}

static void test_event(void)
{
	struct aod_ev_kmsg ev;

	CHECK(parse("2,55,3000000,-;INFO: task x:1 blocked for more than 5 seconds.\n") == 0);
	kmsg_to_event(&rec, KMSG_HUNG_TASK, &ev);
	CHECK(ev.h.kind == AOD_EV_KMSG && ev.h.size == sizeof(ev) && ev.h.pid == 0);
	CHECK(ev.h.ts_ns == 3000000000ull && ev.seq == 55 && ev.level == 2);
	CHECK(ev.pattern == KMSG_HUNG_TASK);
	CHECK(!strcmp(ev.text, "INFO: task x:1 blocked for more than 5 seconds."));
	CHECK(sizeof(ev) <= 256);
	/* text longer than the record's field is cut and still terminated */
	memset(rec.text, 'q', sizeof(rec.text) - 1);
	rec.text[sizeof(rec.text) - 1] = 0;
	rec.len = sizeof(rec.text) - 1;
	kmsg_to_event(&rec, 0, &ev);
	CHECK(strlen(ev.text) == AOD_KMSG_TEXT - 1);
}

static void test_reader_sequence_gaps(void)
{
	struct kmsg_reader r;

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	CHECK(kmsg_read(&r, NULL, NULL) == -EBADF);
	r.rec.seq = 10;
	note_seq(&r);
	r.rec.seq = 11;
	note_seq(&r);
	CHECK(r.lost == 0 && r.records == 2);
	r.rec.seq = 15;	/* 12, 13, 14 were overwritten before we read them */
	note_seq(&r);
	CHECK(r.lost == 3 && r.next_seq == 16);
}

int main(void)
{
	test_parse();
	test_long_text_truncates();
	test_builtins();
	test_user_patterns();
	test_event();
	test_reader_sequence_gaps();
	return CHECK_DONE();
}
