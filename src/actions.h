/* SPDX-License-Identifier: GPL-2.0-only */
/* The actions of a bundle: internal capped reads (file, kmsg, tail, ps, cgroup) and exec children. */
#ifndef AOD_ACTIONS_H
#define AOD_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/types.h>

#include "config.h"

struct loop;

#define ACTIONS_DEFAULT_MAX_BYTES (1024 * 1024)
#define ACTIONS_DEFAULT_TIMEOUT_MS 10000
#define ACTIONS_DEFAULT_LINES 200
#define ACTIONS_KILL_GRACE_NS 2000000000ull	/* SIGTERM, then SIGKILL this much later */
#define ACTIONS_PS_TOP 20
#define ACTIONS_NOTE_MAX 200
/* The scratch buffer an action gets; KMSG records and getdents need a few KiB, reads go faster with more. */
#define ACTIONS_BUF_MIN 8192

enum act_status { ACT_OK, ACT_SKIPPED, ACT_FAILED, ACT_TIMEOUT, ACT_TRUNCATED };

struct act_result {
	enum act_status status;
	int exit_code;			/* EXEC: -1 when it did not exit normally or never ran */
	int signal;			/* EXEC: the signal that ended it, 0 if none */
	uint64_t bytes;			/* bytes kept in the log, at most max_bytes (notes excluded) */
	uint64_t start_ns, end_ns;	/* CLOCK_MONOTONIC */
	uint32_t killed;		/* EXEC: leftover processes (grandchildren) killed at its end */
	char note[ACTIONS_NOTE_MAX];	/* "skipped: journalctl not found", "timed out after 200 ms", ... */
};

/* What an action needs to know about its bundle. */
struct act_env {
	uint32_t interval_sec;		/* the watch interval: KMSG window when seconds is 0, "{interval}" */
	uint32_t pid;			/* the triggering event's pid (CGROUP), 0 if none */
	uint64_t now_ns;		/* CLOCK_MONOTONIC when the bundle started */
	char *buf;			/* scratch, at least ACTIONS_BUF_MIN bytes */
	size_t bufsz;
	struct loop *loop;		/* reaps EXEC children; NULL: actions_exec_poll does (WNOHANG) */
};

/* Where an action's output goes: a file descriptor with a byte cap. */
struct act_out {
	int fd;
	uint64_t cap, kept;
	bool truncated;
	int err;			/* first write error, -errno */
};

/* A running EXEC action. The loop watches fd and the deadlines; nothing here blocks. */
struct act_child {
	pid_t pid;			/* also the process group id */
	int fd;				/* read end of the stdout+stderr pipe, -1 at EOF */
	bool exited;			/* wstatus holds its exit (from the loop, or WNOHANG) */
	bool reaped;			/* ... and actions_exec_poll has swept what it left behind */
	bool termed, killed, timed_out;
	int wstatus;
	struct loop *loop;		/* the loop reaping it (entry: watch); NULL once it has, or if none */
	int watch;
	uint32_t timeout_ms;
	uint64_t term_at, kill_at;	/* CLOCK_MONOTONIC deadlines */
	uint64_t grace_ns;		/* between the stop signal and SIGKILL */
	char cg[16];			/* its cgroup under the aod actions cgroup, "" if none */
	struct act_out out;
	struct act_result *res;
	char exe[CFG_ARG_MAX + 16];
	char args[CFG_MAX_ARGS][CFG_ARG_MAX + 16];
	char *argv[CFG_MAX_ARGS + 1];
};

const char *actions_status_name(enum act_status st);
const char *actions_kind_name(enum cfg_action_kind kind);
/* True for the kinds that run inline (bounded reads of /proc, /sys and logs). */
bool actions_is_internal(const struct cfg_action *a);

/* Run an internal action, writing its capped output to outfd. Fills res; returns 0 or -errno
 * when outfd could not be written (a missing source is a status, not an error). */
int actions_run_internal(const struct cfg_action *a, const struct act_env *env, int outfd,
			 struct act_result *res);

/* An executable by path, or by name in /usr/sbin, /usr/bin, /sbin, /bin (exec actions' own lookup); its path into out. */
bool actions_find_exe(const char *name, char *out, size_t cap);
/* Fork and exec an EXEC action. Returns 1 when it is running (watch it with the calls below),
 * 0 when it is already finished (a missing binary: status "skipped"), -errno on failure (res says why).
 * With env->loop the child is registered there (loop_add_child), which reaps it and tells ch; ch must
 * then stay in place until actions_exec_poll returns true or actions_exec_kill returns. */
int actions_exec_start(struct act_child *ch, const struct cfg_action *a, const struct act_env *env,
		       int outfd, struct act_result *res, uint64_t now_ns);
/* Add the pipe to rd and lower *deadline_ns to the child's next deadline. */
void actions_exec_fill(const struct act_child *ch, fd_set *rd, int *maxfd, uint64_t *deadline_ns,
		       uint64_t now_ns);
/* Read the pipe (rd NULL: try it anyway), enforce the deadlines; take the exit from the loop, or reap
 * with WNOHANG a child no loop watches. Returns true once the child is reaped and its output complete
 * (the pipe at EOF, or drained once the exit is known); res is then final. */
bool actions_exec_poll(struct act_child *ch, const fd_set *rd, uint64_t now_ns, char *buf, size_t bufsz);
/* Ask a running child's group to stop with sig (SIGINT: a capture flushes its files on it) instead of
 * waiting for its timeout; SIGKILL follows grace_ns later if it is still there (actions_exec_poll). */
void actions_exec_stop(struct act_child *ch, int sig, uint64_t grace_ns, uint64_t now_ns);
/* Shutdown: SIGKILL the group and finish res as "timeout". Waits at most wait_ns for the exit, reaping
 * it here (the child leaves its loop first: no loop runs meanwhile); a child in uninterruptible sleep
 * may never die: it is then left behind, and said so. */
void actions_exec_kill(struct act_child *ch, uint64_t wait_ns, const char *why, char *buf, size_t bufsz);

#endif /* AOD_ACTIONS_H */
