// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of a hook's cost, for the benchmarks: a BPF program that does nothing (r0 = 0; exit),
 * attached as a raw tracepoint to each tracepoint named. Whatever a storm loses with it attached is
 * what any program on that hook costs before it does any work: the tracepoint's static branch taken,
 * the BPF dispatch (rcu, migrate_disable, the program call). aod's families attach the same way
 * (raw_tp, or tp_btf, which the kernel runs through the same dispatch).
 *
 * usage: hookfloor TRACEPOINT...   (root, or CAP_BPF + CAP_PERFMON)
 * Prints "attached: N" once every hook is attached, then waits for SIGTERM or SIGINT.
 * No libbpf: two bpf() commands, so nothing but the hook itself is measured.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_empty(void)
{
	/* mov64 r0, 0; exit */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static const char license[] = "GPL";
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	a.license = (uint64_t)(uintptr_t)license;
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static int attach(int prog, const char *tp)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t)tp;
	a.raw_tracepoint.prog_fd = (uint32_t)prog;
	return sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
}

int main(int argc, char **argv)
{
	sigset_t set;
	int prog, sig;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout, "usage: hookfloor TRACEPOINT...\n"
			"attaches an empty BPF program to each raw tracepoint, prints \"attached: N\", "
			"waits for SIGTERM/SIGINT\n");
		return argc < 2 ? 2 : 0;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	prog = load_empty();
	if (prog < 0) {
		fprintf(stderr, "hookfloor: load an empty raw_tp program: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 1; i < argc; i++)
		if (attach(prog, argv[i]) < 0) {
			fprintf(stderr, "hookfloor: attach to raw tracepoint %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	printf("attached: %d\n", argc - 1);
	fflush(stdout);
	sigwait(&set, &sig);
	return 0;
}
