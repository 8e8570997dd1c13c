// SPDX-License-Identifier: GPL-2.0-only
/* The I/O-free half of `aod trace`: capability names, the syscall table and its JSON lines. */
#include "trace_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "array.h"
#include "hist.h"
#include "json.h"
#include "text.h"
#include "tcp_state.h"

/*
 * Syscall names by number for the architecture aod is built for. Each has its own numbers below
 * 424; from 424 on every architecture shares one numbering (Linux 5.1 unified it), so that part is
 * written once.
 */
static const char *const syscall_names[] = {
#if defined(__x86_64__)
	/* x86_64, from arch/x86/entry/syscalls/syscall_64.tbl (through Linux 6.18). */
	[0] = "read", [1] = "write", [2] = "open", [3] = "close", [4] = "stat", [5] = "fstat", [6] = "lstat",
	[7] = "poll", [8] = "lseek", [9] = "mmap", [10] = "mprotect", [11] = "munmap", [12] = "brk",
	[13] = "rt_sigaction", [14] = "rt_sigprocmask", [15] = "rt_sigreturn", [16] = "ioctl", [17] = "pread64",
	[18] = "pwrite64", [19] = "readv", [20] = "writev", [21] = "access", [22] = "pipe", [23] = "select",
	[24] = "sched_yield", [25] = "mremap", [26] = "msync", [27] = "mincore", [28] = "madvise", [29] = "shmget",
	[30] = "shmat", [31] = "shmctl", [32] = "dup", [33] = "dup2", [34] = "pause", [35] = "nanosleep",
	[36] = "getitimer", [37] = "alarm", [38] = "setitimer", [39] = "getpid", [40] = "sendfile", [41] = "socket",
	[42] = "connect", [43] = "accept", [44] = "sendto", [45] = "recvfrom", [46] = "sendmsg", [47] = "recvmsg",
	[48] = "shutdown", [49] = "bind", [50] = "listen", [51] = "getsockname", [52] = "getpeername",
	[53] = "socketpair", [54] = "setsockopt", [55] = "getsockopt", [56] = "clone", [57] = "fork", [58] = "vfork",
	[59] = "execve", [60] = "exit", [61] = "wait4", [62] = "kill", [63] = "uname", [64] = "semget",
	[65] = "semop", [66] = "semctl", [67] = "shmdt", [68] = "msgget", [69] = "msgsnd", [70] = "msgrcv",
	[71] = "msgctl", [72] = "fcntl", [73] = "flock", [74] = "fsync", [75] = "fdatasync", [76] = "truncate",
	[77] = "ftruncate", [78] = "getdents", [79] = "getcwd", [80] = "chdir", [81] = "fchdir", [82] = "rename",
	[83] = "mkdir", [84] = "rmdir", [85] = "creat", [86] = "link", [87] = "unlink", [88] = "symlink",
	[89] = "readlink", [90] = "chmod", [91] = "fchmod", [92] = "chown", [93] = "fchown", [94] = "lchown",
	[95] = "umask", [96] = "gettimeofday", [97] = "getrlimit", [98] = "getrusage", [99] = "sysinfo",
	[100] = "times", [101] = "ptrace", [102] = "getuid", [103] = "syslog", [104] = "getgid", [105] = "setuid",
	[106] = "setgid", [107] = "geteuid", [108] = "getegid", [109] = "setpgid", [110] = "getppid",
	[111] = "getpgrp", [112] = "setsid", [113] = "setreuid", [114] = "setregid", [115] = "getgroups",
	[116] = "setgroups", [117] = "setresuid", [118] = "getresuid", [119] = "setresgid", [120] = "getresgid",
	[121] = "getpgid", [122] = "setfsuid", [123] = "setfsgid", [124] = "getsid", [125] = "capget",
	[126] = "capset", [127] = "rt_sigpending", [128] = "rt_sigtimedwait", [129] = "rt_sigqueueinfo",
	[130] = "rt_sigsuspend", [131] = "sigaltstack", [132] = "utime", [133] = "mknod", [134] = "uselib",
	[135] = "personality", [136] = "ustat", [137] = "statfs", [138] = "fstatfs", [139] = "sysfs",
	[140] = "getpriority", [141] = "setpriority", [142] = "sched_setparam", [143] = "sched_getparam",
	[144] = "sched_setscheduler", [145] = "sched_getscheduler", [146] = "sched_get_priority_max",
	[147] = "sched_get_priority_min", [148] = "sched_rr_get_interval", [149] = "mlock", [150] = "munlock",
	[151] = "mlockall", [152] = "munlockall", [153] = "vhangup", [154] = "modify_ldt", [155] = "pivot_root",
	[156] = "_sysctl", [157] = "prctl", [158] = "arch_prctl", [159] = "adjtimex", [160] = "setrlimit",
	[161] = "chroot", [162] = "sync", [163] = "acct", [164] = "settimeofday", [165] = "mount", [166] = "umount2",
	[167] = "swapon", [168] = "swapoff", [169] = "reboot", [170] = "sethostname", [171] = "setdomainname",
	[172] = "iopl", [173] = "ioperm", [174] = "create_module", [175] = "init_module", [176] = "delete_module",
	[177] = "get_kernel_syms", [178] = "query_module", [179] = "quotactl", [180] = "nfsservctl",
	[181] = "getpmsg", [182] = "putpmsg", [183] = "afs_syscall", [184] = "tuxcall", [185] = "security",
	[186] = "gettid", [187] = "readahead", [188] = "setxattr", [189] = "lsetxattr", [190] = "fsetxattr",
	[191] = "getxattr", [192] = "lgetxattr", [193] = "fgetxattr", [194] = "listxattr", [195] = "llistxattr",
	[196] = "flistxattr", [197] = "removexattr", [198] = "lremovexattr", [199] = "fremovexattr", [200] = "tkill",
	[201] = "time", [202] = "futex", [203] = "sched_setaffinity", [204] = "sched_getaffinity",
	[205] = "set_thread_area", [206] = "io_setup", [207] = "io_destroy", [208] = "io_getevents",
	[209] = "io_submit", [210] = "io_cancel", [211] = "get_thread_area", [212] = "lookup_dcookie",
	[213] = "epoll_create", [214] = "epoll_ctl_old", [215] = "epoll_wait_old", [216] = "remap_file_pages",
	[217] = "getdents64", [218] = "set_tid_address", [219] = "restart_syscall", [220] = "semtimedop",
	[221] = "fadvise64", [222] = "timer_create", [223] = "timer_settime", [224] = "timer_gettime",
	[225] = "timer_getoverrun", [226] = "timer_delete", [227] = "clock_settime", [228] = "clock_gettime",
	[229] = "clock_getres", [230] = "clock_nanosleep", [231] = "exit_group", [232] = "epoll_wait",
	[233] = "epoll_ctl", [234] = "tgkill", [235] = "utimes", [236] = "vserver", [237] = "mbind",
	[238] = "set_mempolicy", [239] = "get_mempolicy", [240] = "mq_open", [241] = "mq_unlink",
	[242] = "mq_timedsend", [243] = "mq_timedreceive", [244] = "mq_notify", [245] = "mq_getsetattr",
	[246] = "kexec_load", [247] = "waitid", [248] = "add_key", [249] = "request_key", [250] = "keyctl",
	[251] = "ioprio_set", [252] = "ioprio_get", [253] = "inotify_init", [254] = "inotify_add_watch",
	[255] = "inotify_rm_watch", [256] = "migrate_pages", [257] = "openat", [258] = "mkdirat", [259] = "mknodat",
	[260] = "fchownat", [261] = "futimesat", [262] = "newfstatat", [263] = "unlinkat", [264] = "renameat",
	[265] = "linkat", [266] = "symlinkat", [267] = "readlinkat", [268] = "fchmodat", [269] = "faccessat",
	[270] = "pselect6", [271] = "ppoll", [272] = "unshare", [273] = "set_robust_list", [274] = "get_robust_list",
	[275] = "splice", [276] = "tee", [277] = "sync_file_range", [278] = "vmsplice", [279] = "move_pages",
	[280] = "utimensat", [281] = "epoll_pwait", [282] = "signalfd", [283] = "timerfd_create", [284] = "eventfd",
	[285] = "fallocate", [286] = "timerfd_settime", [287] = "timerfd_gettime", [288] = "accept4",
	[289] = "signalfd4", [290] = "eventfd2", [291] = "epoll_create1", [292] = "dup3", [293] = "pipe2",
	[294] = "inotify_init1", [295] = "preadv", [296] = "pwritev", [297] = "rt_tgsigqueueinfo",
	[298] = "perf_event_open", [299] = "recvmmsg", [300] = "fanotify_init", [301] = "fanotify_mark",
	[302] = "prlimit64", [303] = "name_to_handle_at", [304] = "open_by_handle_at", [305] = "clock_adjtime",
	[306] = "syncfs", [307] = "sendmmsg", [308] = "setns", [309] = "getcpu", [310] = "process_vm_readv",
	[311] = "process_vm_writev", [312] = "kcmp", [313] = "finit_module", [314] = "sched_setattr",
	[315] = "sched_getattr", [316] = "renameat2", [317] = "seccomp", [318] = "getrandom", [319] = "memfd_create",
	[320] = "kexec_file_load", [321] = "bpf", [322] = "execveat", [323] = "userfaultfd", [324] = "membarrier",
	[325] = "mlock2", [326] = "copy_file_range", [327] = "preadv2", [328] = "pwritev2", [329] = "pkey_mprotect",
	[330] = "pkey_alloc", [331] = "pkey_free", [332] = "statx", [333] = "io_pgetevents", [334] = "rseq",
#elif defined(__aarch64__)
	/*
	 * arm64 uses asm-generic's numbering (include/uapi/asm-generic/unistd.h, as musl's
	 * arch/aarch64/bits/syscall.h.in lists it): no open, stat, fork or other pre-*at calls; 244..259
	 * are reserved for architecture calls, which arm64 has none of; 403..423 are 32-bit time64 only.
	 */
	[0] = "io_setup", [1] = "io_destroy", [2] = "io_submit", [3] = "io_cancel", [4] = "io_getevents",
	[5] = "setxattr", [6] = "lsetxattr", [7] = "fsetxattr", [8] = "getxattr", [9] = "lgetxattr",
	[10] = "fgetxattr", [11] = "listxattr", [12] = "llistxattr", [13] = "flistxattr", [14] = "removexattr",
	[15] = "lremovexattr", [16] = "fremovexattr", [17] = "getcwd", [18] = "lookup_dcookie",
	[19] = "eventfd2", [20] = "epoll_create1", [21] = "epoll_ctl", [22] = "epoll_pwait", [23] = "dup",
	[24] = "dup3", [25] = "fcntl", [26] = "inotify_init1", [27] = "inotify_add_watch",
	[28] = "inotify_rm_watch", [29] = "ioctl", [30] = "ioprio_set", [31] = "ioprio_get", [32] = "flock",
	[33] = "mknodat", [34] = "mkdirat", [35] = "unlinkat", [36] = "symlinkat", [37] = "linkat",
	[38] = "renameat", [39] = "umount2", [40] = "mount", [41] = "pivot_root", [42] = "nfsservctl",
	[43] = "statfs", [44] = "fstatfs", [45] = "truncate", [46] = "ftruncate", [47] = "fallocate",
	[48] = "faccessat", [49] = "chdir", [50] = "fchdir", [51] = "chroot", [52] = "fchmod",
	[53] = "fchmodat", [54] = "fchownat", [55] = "fchown", [56] = "openat", [57] = "close",
	[58] = "vhangup", [59] = "pipe2", [60] = "quotactl", [61] = "getdents64", [62] = "lseek",
	[63] = "read", [64] = "write", [65] = "readv", [66] = "writev", [67] = "pread64", [68] = "pwrite64",
	[69] = "preadv", [70] = "pwritev", [71] = "sendfile", [72] = "pselect6", [73] = "ppoll",
	[74] = "signalfd4", [75] = "vmsplice", [76] = "splice", [77] = "tee", [78] = "readlinkat",
	[79] = "newfstatat", [80] = "fstat", [81] = "sync", [82] = "fsync", [83] = "fdatasync",
	[84] = "sync_file_range", [85] = "timerfd_create", [86] = "timerfd_settime", [87] = "timerfd_gettime",
	[88] = "utimensat", [89] = "acct", [90] = "capget", [91] = "capset", [92] = "personality",
	[93] = "exit", [94] = "exit_group", [95] = "waitid", [96] = "set_tid_address", [97] = "unshare",
	[98] = "futex", [99] = "set_robust_list", [100] = "get_robust_list", [101] = "nanosleep",
	[102] = "getitimer", [103] = "setitimer", [104] = "kexec_load", [105] = "init_module",
	[106] = "delete_module", [107] = "timer_create", [108] = "timer_gettime", [109] = "timer_getoverrun",
	[110] = "timer_settime", [111] = "timer_delete", [112] = "clock_settime", [113] = "clock_gettime",
	[114] = "clock_getres", [115] = "clock_nanosleep", [116] = "syslog", [117] = "ptrace",
	[118] = "sched_setparam", [119] = "sched_setscheduler", [120] = "sched_getscheduler",
	[121] = "sched_getparam", [122] = "sched_setaffinity", [123] = "sched_getaffinity",
	[124] = "sched_yield", [125] = "sched_get_priority_max", [126] = "sched_get_priority_min",
	[127] = "sched_rr_get_interval", [128] = "restart_syscall", [129] = "kill", [130] = "tkill",
	[131] = "tgkill", [132] = "sigaltstack", [133] = "rt_sigsuspend", [134] = "rt_sigaction",
	[135] = "rt_sigprocmask", [136] = "rt_sigpending", [137] = "rt_sigtimedwait",
	[138] = "rt_sigqueueinfo", [139] = "rt_sigreturn", [140] = "setpriority", [141] = "getpriority",
	[142] = "reboot", [143] = "setregid", [144] = "setgid", [145] = "setreuid", [146] = "setuid",
	[147] = "setresuid", [148] = "getresuid", [149] = "setresgid", [150] = "getresgid", [151] = "setfsuid",
	[152] = "setfsgid", [153] = "times", [154] = "setpgid", [155] = "getpgid", [156] = "getsid",
	[157] = "setsid", [158] = "getgroups", [159] = "setgroups", [160] = "uname", [161] = "sethostname",
	[162] = "setdomainname", [163] = "getrlimit", [164] = "setrlimit", [165] = "getrusage",
	[166] = "umask", [167] = "prctl", [168] = "getcpu", [169] = "gettimeofday", [170] = "settimeofday",
	[171] = "adjtimex", [172] = "getpid", [173] = "getppid", [174] = "getuid", [175] = "geteuid",
	[176] = "getgid", [177] = "getegid", [178] = "gettid", [179] = "sysinfo", [180] = "mq_open",
	[181] = "mq_unlink", [182] = "mq_timedsend", [183] = "mq_timedreceive", [184] = "mq_notify",
	[185] = "mq_getsetattr", [186] = "msgget", [187] = "msgctl", [188] = "msgrcv", [189] = "msgsnd",
	[190] = "semget", [191] = "semctl", [192] = "semtimedop", [193] = "semop", [194] = "shmget",
	[195] = "shmctl", [196] = "shmat", [197] = "shmdt", [198] = "socket", [199] = "socketpair",
	[200] = "bind", [201] = "listen", [202] = "accept", [203] = "connect", [204] = "getsockname",
	[205] = "getpeername", [206] = "sendto", [207] = "recvfrom", [208] = "setsockopt",
	[209] = "getsockopt", [210] = "shutdown", [211] = "sendmsg", [212] = "recvmsg", [213] = "readahead",
	[214] = "brk", [215] = "munmap", [216] = "mremap", [217] = "add_key", [218] = "request_key",
	[219] = "keyctl", [220] = "clone", [221] = "execve", [222] = "mmap", [223] = "fadvise64",
	[224] = "swapon", [225] = "swapoff", [226] = "mprotect", [227] = "msync", [228] = "mlock",
	[229] = "munlock", [230] = "mlockall", [231] = "munlockall", [232] = "mincore", [233] = "madvise",
	[234] = "remap_file_pages", [235] = "mbind", [236] = "get_mempolicy", [237] = "set_mempolicy",
	[238] = "migrate_pages", [239] = "move_pages", [240] = "rt_tgsigqueueinfo", [241] = "perf_event_open",
	[242] = "accept4", [243] = "recvmmsg", [260] = "wait4", [261] = "prlimit64", [262] = "fanotify_init",
	[263] = "fanotify_mark", [264] = "name_to_handle_at", [265] = "open_by_handle_at",
	[266] = "clock_adjtime", [267] = "syncfs", [268] = "setns", [269] = "sendmmsg",
	[270] = "process_vm_readv", [271] = "process_vm_writev", [272] = "kcmp", [273] = "finit_module",
	[274] = "sched_setattr", [275] = "sched_getattr", [276] = "renameat2", [277] = "seccomp",
	[278] = "getrandom", [279] = "memfd_create", [280] = "bpf", [281] = "execveat", [282] = "userfaultfd",
	[283] = "membarrier", [284] = "mlock2", [285] = "copy_file_range", [286] = "preadv2",
	[287] = "pwritev2", [288] = "pkey_mprotect", [289] = "pkey_alloc", [290] = "pkey_free",
	[291] = "statx", [292] = "io_pgetevents", [293] = "rseq", [294] = "kexec_file_load",
#else
#error "no syscall table for this architecture"
#endif
	/* Every architecture, from Linux 5.1 on. */
	[424] = "pidfd_send_signal", [425] = "io_uring_setup", [426] = "io_uring_enter", [427] = "io_uring_register",
	[428] = "open_tree", [429] = "move_mount", [430] = "fsopen", [431] = "fsconfig", [432] = "fsmount",
	[433] = "fspick", [434] = "pidfd_open", [435] = "clone3", [436] = "close_range", [437] = "openat2",
	[438] = "pidfd_getfd", [439] = "faccessat2", [440] = "process_madvise", [441] = "epoll_pwait2",
	[442] = "mount_setattr", [443] = "quotactl_fd", [444] = "landlock_create_ruleset",
	[445] = "landlock_add_rule", [446] = "landlock_restrict_self", [447] = "memfd_secret",
	[448] = "process_mrelease", [449] = "futex_waitv", [450] = "set_mempolicy_home_node", [451] = "cachestat",
	[452] = "fchmodat2", [453] = "map_shadow_stack", [454] = "futex_wake", [455] = "futex_wait",
	[456] = "futex_requeue", [457] = "statmount", [458] = "listmount", [459] = "lsm_get_self_attr",
	[460] = "lsm_set_self_attr", [461] = "lsm_list_modules", [462] = "mseal", [463] = "setxattrat",
	[464] = "getxattrat", [465] = "listxattrat", [466] = "removexattrat", [467] = "open_tree_attr",
	[468] = "file_getattr", [469] = "file_setattr",
};

#define NSYSCALLS ARRAY_SIZE(syscall_names)

const char *trace_syscall_name(unsigned nr)
{
	return nr < NSYSCALLS ? syscall_names[nr] : NULL;
}

/* ---- capability names ---- */

static const struct { const char *name, *alias; } caps[TR_NCAPS] = {
	[TR_CAP_SYSCALL] = { "syscall_trace", "syscall" },
	[TR_CAP_NETWORK] = { "network_trace", "network" },
	[TR_CAP_PROCESS] = { "process_trace", "process" },
	[TR_CAP_FILE] = { "file_trace", "file" },
	[TR_CAP_PERF] = { "performance", "perf" },
	[TR_CAP_SECURITY] = { "security_event", "security" },
};

const char *trace_cap_name(int cap)
{
	return cap >= 0 && cap < TR_NCAPS ? caps[cap].name : "?";
}

/* Always a name, however far: the list of capabilities is short enough to read whole. */
static const char *nearest_cap(const char *s, size_t n)
{
	const char *cands[2 * TR_NCAPS], *best;
	unsigned int d;
	char word[64];

	snprintf(word, sizeof(word), "%.*s", (int)(n < sizeof(word) ? n : sizeof(word) - 1), s);
	for (int i = 0; i < TR_NCAPS; i++)
		cands[2 * i] = caps[i].alias, cands[2 * i + 1] = caps[i].name;
	best = text_nearest(word, cands, ARRAY_SIZE(cands), &d);
	return best ? best : caps[0].alias;
}

static int cap_lookup(const char *s, size_t n)
{
	int i;

	for (i = 0; i < TR_NCAPS; i++)
		if ((strlen(caps[i].name) == n && !strncmp(s, caps[i].name, n)) ||
		    (strlen(caps[i].alias) == n && !strncmp(s, caps[i].alias, n)))
			return i;
	return -1;
}

int trace_parse_caps(const char *list, unsigned *mask, char *err, size_t errlen)
{
	const char *p = list, *end;
	size_t n;
	int cap;

	*mask = 0;
	if (!list || !*list) {
		snprintf(err, errlen, "no capability given");
		return -EINVAL;
	}
	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0) {
			snprintf(err, errlen, "empty capability name in '%s'", list);
			return -EINVAL;
		}
		if (n == 3 && !strncmp(p, "all", 3)) {
			*mask |= (1u << TR_NCAPS) - 1;
		} else if ((cap = cap_lookup(p, n)) >= 0) {
			*mask |= 1u << cap;
		} else {
			snprintf(err, errlen, "unknown capability '%.*s' (nearest: %s)", (int)(n > 64 ? 64 : n), p,
				 nearest_cap(p, n));
			return -EINVAL;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* A NUL-terminated string inside a fixed kernel array, which may lack the NUL. */
static void jl_kstr(struct json *j, const char *key, const char *s, size_t size)
{
	json_strn(j, key, s, strnlen(s, size));
}

/* ---- event types and field decoders ---- */

static const char *const type_names[TT_COUNT] = {
	[TT_SYSCALL] = "syscall",
	[TT_NET_CONNECT] = "network_connect", [TT_NET_ACCEPT] = "network_accept",
	[TT_NET_SEND] = "network_send", [TT_NET_RECV] = "network_recv",
	[TT_TCP_STATE] = "tcp_state_change", [TT_TCP_RETRANSMIT] = "tcp_retransmit",
	[TT_PROC_EXEC] = "process_exec", [TT_PROC_FORK] = "process_fork", [TT_PROC_EXIT] = "process_exit",
	[TT_FILE_OPEN] = "file_open", [TT_FILE_CREAT] = "file_creat", [TT_FILE_UNLINK] = "file_unlink",
	[TT_FILE_RENAME] = "file_rename", [TT_FILE_MKDIR] = "file_mkdir",
	[TT_PERF] = "performance",
	[TT_SEC_CRED] = "security_credential_change", [TT_SEC_CAPSET] = "security_capset",
	[TT_SEC_PTRACE] = "security_ptrace", [TT_SEC_MODULE_LOAD] = "security_module_load",
	[TT_SEC_MODULE_UNLOAD] = "security_module_unload", [TT_SEC_BPF] = "security_bpf",
	[TT_SEC_SUID_EXEC] = "security_setuid_exec",
};

const char *trace_type_name(enum trace_type t)
{
	return t < TT_COUNT ? type_names[t] : "?";
}

static const char *family_name(unsigned f)
{
	switch (f) {
	case 1: return "unix";
	case 2: return "ipv4";
	case 10: return "ipv6";
	case 16: return "netlink";
	default: return "other";
	}
}

static void jl_sockaddr(struct json *j, const char *akey, const char *pkey, const struct tr_sockaddr *sa)
{
	char tmp[INET6_ADDRSTRLEN];

	if (sa->family != 2 && sa->family != 10)
		return;
	if (!inet_ntop(sa->family == 2 ? AF_INET : AF_INET6, sa->addr, tmp, sizeof(tmp)))
		tmp[0] = '\0';
	json_str(j, akey, tmp);
	json_u64(j, pkey, sa->port);
}

/* "ret" always; "error" with the errno text when the call failed. */
static void jl_ret(struct json *j, int64_t ret)
{
	json_i64(j, "ret", ret);
	if (ret < 0 && ret > -4096)
		json_str(j, "error", strerror((int)-ret));
}

static void jl_syscall(struct json *j, unsigned nr)
{
	const char *name = trace_syscall_name(nr);
	char tmp[24];

	if (!name) {
		snprintf(tmp, sizeof(tmp), "syscall_%u", nr);
		name = tmp;
	}
	json_str(j, "syscall", name);
}

/* Open flags as O_* names; the numeric value is written too. */
static void jl_open_flags(struct json *j, uint64_t flags)
{
	static const struct { uint64_t bit; const char *name; } bits[] = {
		{ 0100, "O_CREAT" }, { 0200, "O_EXCL" }, { 01000, "O_TRUNC" }, { 02000, "O_APPEND" },
		{ 04000, "O_NONBLOCK" }, { 0200000, "O_DIRECTORY" }, { 0400000, "O_NOFOLLOW" },
		{ 02000000, "O_CLOEXEC" }, { 040000, "O_DIRECT" }, { 010000000, "O_PATH" },
		{ 020200000, "O_TMPFILE" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	char tmp[256];
	size_t i, n;

	n = (size_t)snprintf(tmp, sizeof(tmp), "%s", acc[flags & 3]);
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if ((flags & bits[i].bit) == bits[i].bit && n < sizeof(tmp))
			n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "|%s", bits[i].name);
	json_u64(j, "flags", flags);
	json_str(j, "flags_str", tmp);
}

/* ---- one record each ---- */

static const size_t rec_size[TR_EV_LAST - TR_EV_SYSCALL] = {
	[TR_EV_SYSCALL - TR_EV_SYSCALL] = sizeof(struct tr_ev_syscall),
	[TR_EV_CONNECT - TR_EV_SYSCALL] = sizeof(struct tr_ev_conn),
	[TR_EV_ACCEPT - TR_EV_SYSCALL] = sizeof(struct tr_ev_conn),
	[TR_EV_SENDRECV - TR_EV_SYSCALL] = sizeof(struct tr_ev_sendrecv),
	[TR_EV_TCP_STATE - TR_EV_SYSCALL] = sizeof(struct tr_ev_sock),
	[TR_EV_RETRANSMIT - TR_EV_SYSCALL] = sizeof(struct tr_ev_sock),
	[TR_EV_EXEC - TR_EV_SYSCALL] = sizeof(struct tr_ev_exec),
	[TR_EV_FORK - TR_EV_SYSCALL] = sizeof(struct tr_ev_fork),
	[TR_EV_EXIT - TR_EV_SYSCALL] = sizeof(struct tr_ev_exit),
	[TR_EV_FILE - TR_EV_SYSCALL] = sizeof(struct tr_ev_file),
	[TR_EV_SECURITY - TR_EV_SYSCALL] = sizeof(struct tr_ev_security),
	[TR_EV_SUID_EXEC - TR_EV_SYSCALL] = sizeof(struct tr_ev_suid_exec),
};

static enum trace_type file_type(unsigned nr)
{
	switch (nr) {
#ifdef SYS_creat	/* x86_64's pre-*at calls; asm-generic architectures (arm64) have only the *at forms */
	case SYS_creat: return TT_FILE_CREAT;
	case SYS_unlink: return TT_FILE_UNLINK;
	case SYS_rename: return TT_FILE_RENAME;
	case SYS_mkdir: return TT_FILE_MKDIR;
#endif
	case SYS_unlinkat: return TT_FILE_UNLINK;
	case SYS_renameat: case SYS_renameat2: return TT_FILE_RENAME;
	case SYS_mkdirat: return TT_FILE_MKDIR;
	default: return TT_FILE_OPEN;
	}
}

static enum trace_type security_type(unsigned nr)
{
	switch (nr) {
	case SYS_capset: return TT_SEC_CAPSET;
	case SYS_ptrace: return TT_SEC_PTRACE;
	case SYS_init_module: case SYS_finit_module: return TT_SEC_MODULE_LOAD;
	case SYS_delete_module: return TT_SEC_MODULE_UNLOAD;
	case SYS_bpf: return TT_SEC_BPF;
	default: return TT_SEC_CRED;
	}
}

static enum trace_type record_type(const struct tr_hdr *t)
{
	switch (t->h.kind) {
	case TR_EV_SYSCALL: return TT_SYSCALL;
	case TR_EV_CONNECT: return TT_NET_CONNECT;
	case TR_EV_ACCEPT: return TT_NET_ACCEPT;
	case TR_EV_SENDRECV: {
		unsigned nr = ((const struct tr_ev_sendrecv *)t)->nr;

		return nr == SYS_sendto || nr == SYS_sendmsg || nr == SYS_sendmmsg ? TT_NET_SEND : TT_NET_RECV;
	}
	case TR_EV_TCP_STATE: return TT_TCP_STATE;
	case TR_EV_RETRANSMIT: return TT_TCP_RETRANSMIT;
	case TR_EV_EXEC: return TT_PROC_EXEC;
	case TR_EV_FORK: return TT_PROC_FORK;
	case TR_EV_EXIT: return TT_PROC_EXIT;
	case TR_EV_FILE: return file_type(((const struct tr_ev_file *)t)->nr);
	case TR_EV_SECURITY: return security_type(((const struct tr_ev_security *)t)->nr);
	default: return TT_SEC_SUID_EXEC;
	}
}

static void fmt_syscall(struct json *j, const struct tr_ev_syscall *e)
{
	jl_syscall(j, e->nr);
	json_u64(j, "nr", e->nr);
	json_u64(j, "tid", e->t.h.tid);
	if (e->noreturn) {
		json_bool(j, "noreturn", true);
		return;
	}
	jl_ret(j, e->ret);
	json_u64(j, "duration_ns", e->dur_ns);
}

static void fmt_conn(struct json *j, const struct tr_ev_conn *e)
{
	json_i64(j, "fd", e->fd);
	if (e->has_peer) {
		json_str(j, "family", family_name(e->peer.family));
		jl_sockaddr(j, "daddr", "dport", &e->peer);
	}
	jl_ret(j, e->ret);
	json_u64(j, "duration_ns", e->dur_ns);
}

static void fmt_sendrecv(struct json *j, const struct tr_ev_sendrecv *e)
{
	jl_syscall(j, e->nr);
	json_i64(j, "fd", e->fd);
	if (e->ret >= 0)
		json_i64(j, "bytes", e->ret);
	jl_ret(j, e->ret);
	if (!e->has_sock)
		return;
	json_str(j, "family", family_name(e->local.family));
	json_str(j, "socket_type", e->protocol == 1 ? "stream" : e->protocol == 2 ? "dgram" : "other");
	jl_sockaddr(j, "saddr", "sport", &e->local);
	jl_sockaddr(j, "daddr", "dport", &e->remote);
}

static void fmt_sock(struct json *j, const struct tr_ev_sock *e)
{
	if (e->t.h.kind == TR_EV_TCP_STATE) {
		json_str(j, "old_state", tcp_state_name((unsigned)e->oldstate));
		json_str(j, "new_state", tcp_state_name((unsigned)e->newstate));
	} else {
		json_str(j, "state", tcp_state_name((unsigned)e->newstate));
	}
	json_str(j, "family", family_name(e->local.family));
	jl_sockaddr(j, "saddr", "sport", &e->local);
	jl_sockaddr(j, "daddr", "dport", &e->remote);
}

static void fmt_exec(struct json *j, const struct tr_ev_exec *e)
{
	size_t off = 0, n, len = e->args_len < TR_ARGV_LEN ? e->args_len : TR_ARGV_LEN;
	uint32_t i;

	jl_kstr(j, "filename", e->filename, sizeof(e->filename));
	json_arr_begin(j, "argv");
	for (i = 0; i < e->argc && off < len; i++) {
		n = strnlen(e->args + off, len - off);
		json_strn(j, NULL, e->args + off, n);
		off += n + 1;
	}
	json_arr_end(j);
	json_u64(j, "argc", e->argc);
	if (e->truncated)
		json_bool(j, "argv_truncated", true);
	jl_ret(j, e->ret);
}

static void fmt_exit(struct json *j, const struct tr_ev_exit *e)
{
	json_u64(j, "exit_code_raw", e->exit_code);
	if ((e->exit_code & 0x7f) == 0) {
		json_u64(j, "exit_code", (e->exit_code >> 8) & 0xff);
	} else {
		json_u64(j, "signal", e->exit_code & 0x7f);
		json_bool(j, "core_dumped", e->exit_code & 0x80);
	}
}

static void jl_mode(struct json *j, uint64_t mode)
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "%04o", (unsigned)(mode & 07777));
	json_str(j, "mode", tmp);
}

static void fmt_file(struct json *j, const struct tr_ev_file *e)
{
	enum trace_type t = file_type(e->nr);

	jl_syscall(j, e->nr);
	jl_kstr(j, "path", e->path, sizeof(e->path));
	if (t == TT_FILE_RENAME)
		jl_kstr(j, "new_path", e->path2, sizeof(e->path2));
	if (e->dfd != AT_FDCWD)
		json_i64(j, "dfd", e->dfd);
	if (t == TT_FILE_OPEN && e->nr != SYS_openat2) {
		jl_open_flags(j, e->flags);
		if (e->flags & 0100)	/* O_CREAT: the mode matters */
			jl_mode(j, e->mode);
	} else if (t == TT_FILE_CREAT || t == TT_FILE_MKDIR) {
		jl_mode(j, e->flags);
	} else if (e->flags && (t == TT_FILE_UNLINK || t == TT_FILE_RENAME)) {
		json_u64(j, "flags", e->flags);
	}
	jl_ret(j, e->ret);
	json_u64(j, "duration_ns", e->dur_ns);
}

static void jl_ids(struct json *j, const char *key, const uint32_t ids[4])
{
	json_obj_begin(j, key);
	json_u64(j, "uid", ids[0]);
	json_u64(j, "euid", ids[1]);
	json_u64(j, "gid", ids[2]);
	json_u64(j, "egid", ids[3]);
	json_obj_end(j);
}

static const char *ptrace_request_name(uint64_t r)
{
	switch (r) {
	case 0: return "PTRACE_TRACEME";
	case 1: return "PTRACE_PEEKTEXT";
	case 2: return "PTRACE_PEEKDATA";
	case 3: return "PTRACE_PEEKUSER";
	case 4: return "PTRACE_POKETEXT";
	case 5: return "PTRACE_POKEDATA";
	case 6: return "PTRACE_POKEUSER";
	case 7: return "PTRACE_CONT";
	case 8: return "PTRACE_KILL";
	case 9: return "PTRACE_SINGLESTEP";
	case 12: return "PTRACE_GETREGS";
	case 13: return "PTRACE_SETREGS";
	case 16: return "PTRACE_ATTACH";
	case 17: return "PTRACE_DETACH";
	case 24: return "PTRACE_SYSCALL";
	case 0x4200: return "PTRACE_SETOPTIONS";
	case 0x4206: return "PTRACE_SEIZE";
	case 0x4207: return "PTRACE_INTERRUPT";
	default: return "other";
	}
}

static const char *bpf_cmd_name(uint64_t c)
{
	static const char *const names[] = {
		"MAP_CREATE", "MAP_LOOKUP_ELEM", "MAP_UPDATE_ELEM", "MAP_DELETE_ELEM", "MAP_GET_NEXT_KEY",
		"PROG_LOAD", "OBJ_PIN", "OBJ_GET", "PROG_ATTACH", "PROG_DETACH", "PROG_TEST_RUN",
		"PROG_GET_NEXT_ID", "MAP_GET_NEXT_ID", "PROG_GET_FD_BY_ID", "MAP_GET_FD_BY_ID",
		"OBJ_GET_INFO_BY_FD", "PROG_QUERY", "RAW_TRACEPOINT_OPEN", "BTF_LOAD", "BTF_GET_FD_BY_ID",
		"TASK_FD_QUERY", "MAP_LOOKUP_AND_DELETE_ELEM", "MAP_FREEZE", "BTF_GET_NEXT_ID",
		"MAP_LOOKUP_BATCH", "MAP_LOOKUP_AND_DELETE_BATCH", "MAP_UPDATE_BATCH", "MAP_DELETE_BATCH",
		"LINK_CREATE", "LINK_UPDATE", "LINK_GET_FD_BY_ID", "LINK_GET_NEXT_ID", "ENABLE_STATS",
		"ITER_CREATE", "LINK_DETACH", "PROG_BIND_MAP", "TOKEN_CREATE",
	};

	return c < sizeof(names) / sizeof(names[0]) ? names[c] : "other";
}

static void fmt_security(struct json *j, const struct tr_ev_security *e)
{
	enum trace_type t = security_type(e->nr);

	jl_syscall(j, e->nr);
	switch (t) {
	case TT_SEC_PTRACE:
		json_u64(j, "request", e->args[0]);
		json_str(j, "request_name", ptrace_request_name(e->args[0]));
		json_i64(j, "target_pid", (int32_t)e->args[1]);
		break;
	case TT_SEC_MODULE_LOAD:
		if (e->nr == SYS_finit_module)
			json_i64(j, "fd", (int32_t)e->args[0]);
		else
			json_u64(j, "image_bytes", e->args[1]);
		jl_kstr(j, "params", e->str, sizeof(e->str));
		break;
	case TT_SEC_MODULE_UNLOAD:
		jl_kstr(j, "module", e->str, sizeof(e->str));
		break;
	case TT_SEC_BPF:
		json_u64(j, "cmd", e->args[0]);
		json_str(j, "cmd_name", bpf_cmd_name(e->args[0]));
		break;
	default:
		json_arr_begin(j, "args");
		/* set*id take ids (int); -1 means "unchanged". */
		json_i64(j, NULL, (int32_t)e->args[0]);
		if (e->nr != SYS_setuid && e->nr != SYS_setgid && e->nr != SYS_setfsuid && e->nr != SYS_setfsgid)
			json_i64(j, NULL, (int32_t)e->args[1]);
		if (e->nr == SYS_setresuid || e->nr == SYS_setresgid)
			json_i64(j, NULL, (int32_t)e->args[2]);
		json_arr_end(j);
		break;
	}
	if (e->has_creds) {
		jl_ids(j, "old", e->old_ids);
		jl_ids(j, "new", e->new_ids);
	}
	jl_ret(j, e->ret);
}

static void fmt_suid_exec(struct json *j, const struct tr_ev_suid_exec *e)
{
	jl_kstr(j, "filename", e->filename, sizeof(e->filename));
	jl_mode(j, e->mode);
	json_bool(j, "setuid_bit", e->mode & 04000);
	json_bool(j, "setgid_bit", e->mode & 02000);
	json_u64(j, "file_uid", e->file_uid);
	json_u64(j, "file_gid", e->file_gid);
	jl_ids(j, "creds", e->ids);
}

static void fmt_data(struct json *j, const struct tr_hdr *t)
{
	switch (t->h.kind) {
	case TR_EV_SYSCALL: fmt_syscall(j, (const void *)t); break;
	case TR_EV_CONNECT: case TR_EV_ACCEPT: fmt_conn(j, (const void *)t); break;
	case TR_EV_SENDRECV: fmt_sendrecv(j, (const void *)t); break;
	case TR_EV_TCP_STATE: case TR_EV_RETRANSMIT: fmt_sock(j, (const void *)t); break;
	case TR_EV_EXEC: fmt_exec(j, (const void *)t); break;
	case TR_EV_FORK: {
		const struct tr_ev_fork *e = (const void *)t;

		json_u64(j, "child_pid", e->child_pid);
		jl_kstr(j, "child_comm", e->child_comm, sizeof(e->child_comm));
		break;
	}
	case TR_EV_EXIT: fmt_exit(j, (const void *)t); break;
	case TR_EV_FILE: fmt_file(j, (const void *)t); break;
	case TR_EV_SECURITY: fmt_security(j, (const void *)t); break;
	case TR_EV_SUID_EXEC: fmt_suid_exec(j, (const void *)t); break;
	}
}

static void jl_head(struct json *j, char *buf, size_t cap, uint64_t ts, const char *type)
{
	json_init_line(j, buf, cap);
	json_obj_begin(j, NULL);
	json_u64(j, "timestamp", ts);
	json_str(j, "event_type", type);
}

int trace_format(const void *rec, size_t len, int64_t mono_to_real_ns, char *buf, size_t cap,
		 enum trace_type *type)
{
	const struct tr_hdr *t = rec;
	struct json j;

	if (cap == 0 || len < sizeof(*t) || t->h.kind < TR_EV_SYSCALL || t->h.kind >= TR_EV_LAST ||
	    t->h.size != rec_size[t->h.kind - TR_EV_SYSCALL] || len < t->h.size)
		return -EINVAL;
	*type = record_type(t);
	jl_head(&j, buf, cap, t->h.ts_ns + (uint64_t)mono_to_real_ns, type_names[*type]);
	json_u64(&j, "process_id", t->h.pid);
	jl_kstr(&j, "process_name", t->h.comm, sizeof(t->h.comm));
	json_u64(&j, "user_id", t->uid);
	json_obj_begin(&j, "data");
	fmt_data(&j, t);
	json_obj_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}

int trace_format_perf(const struct trace_perf *p, char *buf, size_t cap)
{
	struct json j;
	uint32_t i;

	if (cap == 0)
		return -ENOSPC;
	jl_head(&j, buf, cap, p->ts_ns, type_names[TT_PERF]);
	json_u64(&j, "process_id", 0);
	json_str(&j, "process_name", "");
	json_u64(&j, "user_id", 0);
	json_obj_begin(&j, "data");
	json_u64(&j, "interval_ms", p->interval_ns / 1000000);
	json_obj_begin(&j, "cpu");
	json_u64(&j, "total_oncpu_ns", p->cpu_total_ns);
	json_u64(&j, "processes", p->nprocs);
	json_arr_begin(&j, "top");
	for (i = 0; i < p->ntop && i < TRACE_TOP_PROCS; i++) {
		json_obj_begin(&j, NULL);
		json_u64(&j, "pid", p->top[i].pid);
		jl_kstr(&j, "comm", p->top[i].comm, sizeof(p->top[i].comm));
		json_u64(&j, "oncpu_ns", p->top[i].ns);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_obj_begin(&j, "runq_latency");
	json_u64(&j, "count", p->runq_count);
	json_u64(&j, "avg_us", p->runq_count ? p->runq_sum_ns / p->runq_count / 1000 : 0);
	json_u64(&j, "p50_us", hist_percentile(p->hist, TR_HIST_SLOTS, 50));
	json_u64(&j, "p99_us", hist_percentile(p->hist, TR_HIST_SLOTS, 99));
	json_obj_end(&j);
	json_obj_begin(&j, "block_io");
	json_u64(&j, "count", p->bio_count);
	json_u64(&j, "bytes", p->bio_bytes);
	json_u64(&j, "reads", p->bio_read);
	json_u64(&j, "writes", p->bio_write);
	json_u64(&j, "errors", p->bio_errors);
	json_obj_end(&j);
	json_obj_begin(&j, "page_faults");
	if (p->faults_traced)
		json_u64(&j, "user_faults", p->faults);
	json_u64(&j, "pgfault", p->pgfault);
	json_u64(&j, "pgmajfault", p->pgmajfault);
	json_obj_end(&j);
	json_obj_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}
