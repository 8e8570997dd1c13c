/* SPDX-License-Identifier: GPL-2.0-only */
/* Where a syscall's number and arguments sit in the user pt_regs that raw_syscalls hands over, per architecture. */
#ifndef AOD_SYSREGS_H
#define AOD_SYSREGS_H

/*
 * Fields of struct pt_regs, for BPF_CORE_READ(regs, F) or regs->F (tp_btf). bpf_tracing.h's
 * PT_REGS_PARMn_SYSCALL macros stop at the fifth argument in the pinned libbpf, and give no
 * syscall number, so both builds name their registers here.
 *
 * x86_64: arguments in di, si, dx, r10, r8, r9; the number stays in orig_ax (ax gets the result).
 * arm64:  arguments in x0..x5, but x0 is overwritten by the result, so the first is read from
 *         orig_x0, which the entry code saves; the number is in syscallno.
 */
#if defined(__TARGET_ARCH_x86)
#define AOD_SC_NR orig_ax
#define AOD_SC_ARG0 di
#define AOD_SC_ARG1 si
#define AOD_SC_ARG2 dx
#define AOD_SC_ARG3 r10
#define AOD_SC_ARG4 r8
#define AOD_SC_ARG5 r9
#elif defined(__TARGET_ARCH_arm64)
#define AOD_SC_NR syscallno
#define AOD_SC_ARG0 orig_x0
#define AOD_SC_ARG1 regs[1]
#define AOD_SC_ARG2 regs[2]
#define AOD_SC_ARG3 regs[3]
#define AOD_SC_ARG4 regs[4]
#define AOD_SC_ARG5 regs[5]
#else
#error "aod's BPF objects are built for __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 (Makefile BPF_ARCH)"
#endif

/*
 * One register of regs: tp_btf's regs is a typed pointer read directly, raw_tp's needs probe reads
 * (btf is a constant at every call site, so each program keeps one of the two).
 */
#define AOD_SC_RD(btf, regs, f) ((btf) ? (regs)->f : BPF_CORE_READ(regs, f))

#endif
