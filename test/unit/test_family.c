// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the family table: every row filled, names unique, record kinds map back to their row. */
#include <stdbool.h>
#include <string.h>

#include "../../src/family.c"
#include "check.h"

int main(void)
{
	for (int f = 0; f < CFG_H_COUNT; f++) {
		CHECK(family_table[f].name && family_table[f].key && family_table[f].ev_kind);
		CHECK(family_of_event(family_table[f].ev_kind) == f);
		for (int g = f + 1; g < CFG_H_COUNT; g++)
			CHECK(strcmp(family_table[f].name, family_table[g].name) && strcmp(family_table[f].key, family_table[g].key));
	}
	/* the names aod probes and aod monitor --families have always used (block, not bio; drops, not drop) */
	CHECK(!strcmp(family_table[CFG_H_BIO].name, "block") && !strcmp(family_table[CFG_H_DROP].name, "drops"));
	CHECK(!strcmp(family_table[CFG_H_BIO].key, "bio_latency") && !strcmp(family_table[CFG_H_DROP].key, "packet_drop"));
	/* the cost rule's opt-in keys: only the families with a syscall-level fallback have one */
	for (int f = 0; f < CFG_H_COUNT; f++)
		CHECK(!family_table[f].syscall_optin == (f != CFG_H_VFS && f != CFG_H_IOERR));
	CHECK(!strcmp(family_table[CFG_H_IOERR].syscall_optin, "anomalies.io.error.attach: syscall"));
	CHECK(!strcmp(family_table[CFG_H_IOERR].name, "io") && family_of_event(AOD_EV_IOERR) == CFG_H_IOERR);
	CHECK(family_of_event(AOD_EV_SMB) == -1 && family_of_event(AOD_EV_NFS) == -1 && family_of_event(0) == -1);
	/* one vocabulary of attach methods (aod trace's tiers are its first three): every method of a row
	 * starts with one of its names, unless it is syscall-level or a userspace read */
	CHECK(!strcmp(attach_method_name(ATTACH_TP_BTF), "tp_btf") && !strcmp(attach_method_name(ATTACH_RAW_TP), "raw_tp"));
	CHECK(!strcmp(attach_method_name(ATTACH_TRACEPOINT), "tracepoint") &&
	      !strcmp(attach_method_name(ATTACH_KPROBE), "kprobe") && !strcmp(attach_method_name(ATTACH_METHOD_COUNT), "?"));
	for (int f = 0; f < CFG_H_COUNT; f++)
		for (int i = 0; i < family_table[f].nmethods; i++) {
			const char *n = family_table[f].methods[i].name;
			bool known = !strncmp(n, "syscall-level", 13) || n[0] == '/';

			for (int m = 0; m < ATTACH_METHOD_COUNT && !known; m++) {
				size_t l = strlen(attach_method_name(m));

				known = !strncmp(n, attach_method_name(m), l) && (n[l] == '\0' || n[l] == ' ');
			}
			CHECK(known);
		}
	/* the kernel-counted families name their own counter in struct aod_count; latency and kmsg name none */
	for (int f = 0; f < CFG_H_COUNT; f++)
		CHECK(!family_table[f].count_at == (family_table[f].detect == FAMILY_LATENCY || f == CFG_H_KMSG));
	{
		struct aod_count c = { .oom = 1, .tcp_retrans = 2, .drops = 3, .faults = 4, .ioerr = 5 };
		const uint64_t *u = (const uint64_t *)&c;

		CHECK(u[family_table[CFG_H_OOM].count_at - 1] == 1 && u[family_table[CFG_H_TCP].count_at - 1] == 2);
		CHECK(u[family_table[CFG_H_DROP].count_at - 1] == 3 && u[family_table[CFG_H_FAULT].count_at - 1] == 4);
		CHECK(u[family_table[CFG_H_IOERR].count_at - 1] == 5);
	}
	return CHECK_DONE();
}
