// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the I/O-free half of `aod trace`: capability names, syscall table, JSON lines, cleanup. */
#include "../../src/dirlist.c"
#include "../../src/json.c"
#include "../../src/hist.c"
#include "../../src/text.c"
#include "../../src/names.c"
#include "../../src/tcp_state.c"
#include "../../src/trace_json.c"

#include <asm/unistd.h>	/* this architecture's __NR_* numbers, the table's reference */
#include <stdlib.h>
#include <sys/time.h>

#include "check.h"

static void test_caps(void)
{
	char err[160];
	unsigned m;

	CHECK(trace_parse_caps("file", &m, err, sizeof(err)) == 0 && m == 1u << TR_CAP_FILE);
	CHECK(trace_parse_caps("file_trace", &m, err, sizeof(err)) == 0 && m == 1u << TR_CAP_FILE);
	CHECK(trace_parse_caps("syscall,network,process,file,perf,security", &m, err, sizeof(err)) == 0 &&
	      m == (1u << TR_NCAPS) - 1);
	CHECK(trace_parse_caps("syscall_trace,network_trace,process_trace,file_trace,performance,security_event",
			       &m, err, sizeof(err)) == 0 && m == (1u << TR_NCAPS) - 1);
	CHECK(trace_parse_caps("all", &m, err, sizeof(err)) == 0 && m == (1u << TR_NCAPS) - 1);
	CHECK(trace_parse_caps("perf,perf", &m, err, sizeof(err)) == 0 && m == 1u << TR_CAP_PERF);

	CHECK(trace_parse_caps("netwrk", &m, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "'netwrk'") && strstr(err, "nearest: network"));
	CHECK(trace_parse_caps("file,securty_event", &m, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "'securty_event'") && strstr(err, "nearest: security_event"));
	CHECK(trace_parse_caps("proc", &m, err, sizeof(err)) == -EINVAL && strstr(err, "nearest: process"));
	CHECK(trace_parse_caps("performence", &m, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "nearest: performance"));
	CHECK(trace_parse_caps("", &m, err, sizeof(err)) == -EINVAL);
	CHECK(trace_parse_caps("file,,net", &m, err, sizeof(err)) == -EINVAL && strstr(err, "empty"));
	CHECK(trace_parse_caps("file,", &m, err, sizeof(err)) == -EINVAL);
	/* "File" is not "file": names are exact, as in the agent's API. */
	CHECK(trace_parse_caps("File", &m, err, sizeof(err)) == -EINVAL && strstr(err, "nearest: file"));
	CHECK(!strcmp(trace_cap_name(TR_CAP_PERF), "performance"));
}

static void test_syscalls(void)
{
	unsigned i, j, n = 0;

	CHECK(!strcmp(trace_syscall_name(__NR_read), "read"));
	CHECK(!strcmp(trace_syscall_name(__NR_openat), "openat"));
	CHECK(!strcmp(trace_syscall_name(__NR_execve), "execve"));
	CHECK(!strcmp(trace_syscall_name(__NR_exit_group), "exit_group"));
	CHECK(!strcmp(trace_syscall_name(__NR_getppid), "getppid"));
	CHECK(!strcmp(trace_syscall_name(__NR_connect), "connect"));
	CHECK(!strcmp(trace_syscall_name(__NR_setuid), "setuid"));
	CHECK(!strcmp(trace_syscall_name(__NR_bpf), "bpf"));
	CHECK(!strcmp(trace_syscall_name(__NR_finit_module), "finit_module"));
	CHECK(!strcmp(trace_syscall_name(__NR_renameat2), "renameat2"));
	CHECK(!strcmp(trace_syscall_name(__NR_openat2), "openat2"));
	CHECK(!strcmp(trace_syscall_name(__NR_io_uring_setup), "io_uring_setup"));
	CHECK(!strcmp(trace_syscall_name(__NR_set_mempolicy_home_node), "set_mempolicy_home_node"));
	CHECK(!strcmp(trace_syscall_name(462), "mseal"));
	CHECK(trace_syscall_name(100000) == NULL);
#if defined(__x86_64__)
	CHECK(!strcmp(trace_syscall_name(__NR_open), "open"));
	/* x86_64 has no syscalls 335..423: the table must not invent any. */
	CHECK(trace_syscall_name(335) == NULL && trace_syscall_name(423) == NULL);
	/* 0..334 is dense, and no name appears twice. */
	for (i = 0; i <= 334; i++)
		n += trace_syscall_name(i) != NULL;
	CHECK(n == 335);
#elif defined(__aarch64__)
	/* asm-generic numbers: read is 63, and there is no open at all. */
	CHECK(__NR_read == 63 && !strcmp(trace_syscall_name(63), "read"));
	CHECK(!strcmp(trace_syscall_name(__NR_newfstatat), "newfstatat"));
	/* 244..259 are reserved for architecture calls (arm64 has none); none in 295..423. */
	CHECK(trace_syscall_name(244) == NULL && trace_syscall_name(259) == NULL);
	CHECK(trace_syscall_name(295) == NULL && trace_syscall_name(423) == NULL);
	for (i = 0; i <= 294; i++)
		n += trace_syscall_name(i) != NULL;
	CHECK(n == 295 - 16);
#endif
	for (i = 0; i < NSYSCALLS; i++)
		for (j = i + 1; j < NSYSCALLS; j++)
			if (syscall_names[i] && syscall_names[j] && !strcmp(syscall_names[i], syscall_names[j]))
				CHECK(!"duplicate syscall name");
}

/* A JSON string body is valid when it has no raw control bytes, no lone '"' and valid escapes. */
static bool json_line_sane(const char *s)
{
	int depth = 0;
	bool in_str = false;

	for (; *s && *s != '\n'; s++) {
		unsigned char c = (unsigned char)*s;

		if (in_str) {
			if (c < 0x20)
				return false;
			if (c == '\\') {
				s++;
				if (!strchr("\"\\/bfnrtu", *s))
					return false;
			} else if (c == '"') {
				in_str = false;
			}
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
	}
	return !in_str && depth == 0 && *s == '\n' && s[1] == '\0';
}

static void hdr(struct tr_hdr *t, __u16 kind, __u16 size, const char *comm)
{
	t->h.kind = kind;
	t->h.size = size;
	t->h.ts_ns = 1000;
	t->h.pid = 42;
	t->h.tid = 43;
	memcpy(t->h.comm, comm, strnlen(comm, sizeof(t->h.comm)));
	t->uid = 1000;
}

static void test_json_file(void)
{
	static char buf[TRACE_LINE_MAX];
	struct tr_ev_file e;
	enum trace_type t;
	int n;

	memset(&e, 0, sizeof(e));
	/* A comm with a quote, a tab and a byte that is not UTF-8; a full 16-byte comm without NUL. */
	hdr(&e.t, TR_EV_FILE, sizeof(e), "a\"b\tc\xff");
	e.nr = __NR_openat;
	e.dfd = -100;
	e.flags = 0101;		/* O_WRONLY|O_CREAT */
	e.mode = 0644;
	e.ret = -13;
	snprintf(e.path, sizeof(e.path), "/tmp/we\\ird\nname\x01");
	n = trace_format(&e, sizeof(e), 5, buf, sizeof(buf), &t);
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(t == TT_FILE_OPEN);
	CHECK(json_line_sane(buf));
	CHECK(strstr(buf, "{\"timestamp\": 1005, \"event_type\": \"file_open\", \"process_id\": 42, "
			  "\"process_name\": \"a\\\"b\\tc\\ufffd\", \"user_id\": 1000, \"data\": {") == buf);
	CHECK(strstr(buf, "\"path\": \"/tmp/we\\\\ird\\nname\\u0001\""));
	CHECK(strstr(buf, "\"flags_str\": \"O_WRONLY|O_CREAT\""));
	CHECK(strstr(buf, "\"mode\": \"0644\""));
	CHECK(strstr(buf, "\"ret\": -13, \"error\": \"Permission denied\""));
	CHECK(!strstr(buf, "\"dfd\""));

	/* A comm that fills all 16 bytes is cut at 16, not read past. */
	memset(e.t.h.comm, 'x', sizeof(e.t.h.comm));
	e.nr = __NR_renameat2;
	snprintf(e.path2, sizeof(e.path2), "/new");
	e.ret = 0;
	n = trace_format(&e, sizeof(e), 0, buf, sizeof(buf), &t);
	CHECK(n > 0 && t == TT_FILE_RENAME && json_line_sane(buf));
	CHECK(strstr(buf, "\"process_name\": \"xxxxxxxxxxxxxxxx\", "));
	CHECK(strstr(buf, "\"new_path\": \"/new\""));

	/* Too small a buffer is -ENOSPC, never a cut line. */
	CHECK(trace_format(&e, sizeof(e), 0, buf, 40, &t) == -ENOSPC);
	/* A record whose size does not match its kind is refused. */
	e.t.h.size = 12;
	CHECK(trace_format(&e, sizeof(e), 0, buf, sizeof(buf), &t) == -EINVAL);
	e.t.h.size = sizeof(e);
	CHECK(trace_format(&e, sizeof(e) - 1, 0, buf, sizeof(buf), &t) == -EINVAL);
	e.t.h.kind = 7;
	CHECK(trace_format(&e, sizeof(e), 0, buf, sizeof(buf), &t) == -EINVAL);
}

static void test_json_exec_net(void)
{
	static char buf[TRACE_LINE_MAX];
	struct tr_ev_exec x;
	struct tr_ev_conn c;
	struct tr_ev_exit ex;
	enum trace_type t;
	static const char args[] = "ls\0-l\0a \"b\"";

	memset(&x, 0, sizeof(x));
	hdr(&x.t, TR_EV_EXEC, sizeof(x), "ls");
	snprintf(x.filename, sizeof(x.filename), "/bin/ls");
	memcpy(x.args, args, sizeof(args));
	x.args_len = sizeof(args);
	x.argc = 3;
	CHECK(trace_format(&x, sizeof(x), 0, buf, sizeof(buf), &t) > 0 && t == TT_PROC_EXEC);
	CHECK(json_line_sane(buf));
	CHECK(strstr(buf, "\"argv\": [\"ls\", \"-l\", \"a \\\"b\\\"\"], \"argc\": 3"));
	/* argc larger than what args holds stops at args_len. */
	x.argc = 10;
	CHECK(trace_format(&x, sizeof(x), 0, buf, sizeof(buf), &t) > 0 && json_line_sane(buf));
	/* A full argv buffer of escapes-to-be still fits one line. */
	memset(x.args, 1, sizeof(x.args));
	memset(x.filename, '"', sizeof(x.filename));
	x.args_len = TR_ARGV_LEN;
	x.argc = 1;
	CHECK(trace_format(&x, sizeof(x), 0, buf, sizeof(buf), &t) > 0 && json_line_sane(buf));

	memset(&c, 0, sizeof(c));
	hdr(&c.t, TR_EV_CONNECT, sizeof(c), "curl");
	c.fd = 3;
	c.has_peer = 1;
	c.peer.family = 2;
	c.peer.port = 8080;
	c.peer.addr[0] = 127, c.peer.addr[3] = 1;
	c.ret = -111;
	CHECK(trace_format(&c, sizeof(c), 0, buf, sizeof(buf), &t) > 0 && t == TT_NET_CONNECT);
	CHECK(json_line_sane(buf));
	CHECK(strstr(buf, "\"daddr\": \"127.0.0.1\", \"dport\": 8080, \"ret\": -111"));

	memset(&ex, 0, sizeof(ex));
	hdr(&ex.t, TR_EV_EXIT, sizeof(ex), "sh");
	ex.exit_code = 3 << 8;
	CHECK(trace_format(&ex, sizeof(ex), 0, buf, sizeof(buf), &t) > 0 && strstr(buf, "\"exit_code\": 3}"));
	ex.exit_code = 9;
	CHECK(trace_format(&ex, sizeof(ex), 0, buf, sizeof(buf), &t) > 0 && strstr(buf, "\"signal\": 9"));
}

static void test_perf(void)
{
	static char buf[TRACE_LINE_MAX];
	struct trace_perf p;
	__u64 h[TR_HIST_SLOTS] = { 0 };
	char want[96];

	/* trace's p50/p99 are hist.c's, the ones aod monitor prints: slot bounds are inclusive
	 * (2^(i+1) - 1) and the rank rounds to nearest. trace had its own, which said 16 and 2048. */
	CHECK(hist_percentile(h, TR_HIST_SLOTS, 50) == 0);
	h[3] = 50;	/* [8, 16) us */
	h[10] = 49;	/* [1024, 2048) */
	h[20] = 1;
	CHECK(hist_percentile(h, TR_HIST_SLOTS, 50) == 15);
	CHECK(hist_percentile(h, TR_HIST_SLOTS, 99) == 2047);
	CHECK(hist_percentile(h, TR_HIST_SLOTS, 100) == (1u << 21) - 1);
	snprintf(want, sizeof(want), "\"p50_us\": %llu, \"p99_us\": %llu",
		 (unsigned long long)hist_percentile(h, TR_HIST_SLOTS, 50),
		 (unsigned long long)hist_percentile(h, TR_HIST_SLOTS, 99));

	memset(&p, 0, sizeof(p));
	p.ts_ns = 7;
	p.interval_ns = 1000000000;
	memcpy(p.hist, h, sizeof(h));
	p.runq_count = 100;
	p.runq_sum_ns = 100000000;
	p.ntop = 1;
	p.top[0].pid = 9;
	memcpy(p.top[0].comm, "a\\b", 3);
	p.top[0].ns = 5;
	CHECK(trace_format_perf(&p, buf, sizeof(buf)) > 0 && json_line_sane(buf));
	CHECK(strstr(buf, "\"event_type\": \"performance\""));
	CHECK(strstr(buf, "\"top\": [{\"pid\": 9, \"comm\": \"a\\\\b\", \"oncpu_ns\": 5}]"));
	CHECK(strstr(buf, "\"avg_us\": 1000, \"p50_us\": 15, \"p99_us\": 2047"));
	CHECK(strstr(buf, want));
	CHECK(!strstr(buf, "user_faults"));
}

int main(void)
{
	test_caps();
	test_syscalls();
	test_json_file();
	test_json_exec_net();
	test_perf();
	return CHECK_DONE();
}
