/* SPDX-License-Identifier: GPL-2.0-only */
/* Base layer: the reactor every aod loop runs on; fds, deadlines, children and per-pass pollers around one select(). */
#ifndef AOD_LOOP_H
#define AOD_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/types.h>

/* Registrations per loop: the daemon makes about a dozen, and one more per running child; a child
 * refused (-ENOSPC) is still reaped by its module's poller (actions_exec_poll). */
#define LOOP_MAX 64
#define LOOP_NEVER UINT64_MAX		/* a disarmed timer; a pass with no deadline waits on fds only */

/* One pass's wait, built by the fill callbacks: the fds to watch and the earliest deadline.
 * After select() rd holds the ready fds (emptied on a timeout). */
struct loop_set {
	fd_set rd;
	int maxfd;
	uint64_t deadline_ns;		/* absolute CLOCK_MONOTONIC */
	uint64_t now_ns;		/* when the fill began */
};

typedef void (*loop_fn)(void *ctx, uint64_t now_ns);			/* fd readable, timer due */
typedef int (*loop_fd_fn)(void *ctx);					/* a source's fd now, -1 while it has none */
typedef void (*loop_fill_fn)(void *ctx, struct loop_set *s);		/* add fds, lower the deadline */
typedef void (*loop_poll_fn)(void *ctx, const struct loop_set *s, uint64_t now_ns);
typedef void (*loop_child_fn)(void *ctx, pid_t pid, int wstatus, uint64_t now_ns);

enum loop_kind { LOOP_FREE, LOOP_FD, LOOP_SOURCE, LOOP_TIMER, LOOP_POLLER, LOOP_CHILD };

struct loop_entry {
	enum loop_kind kind;
	int id;
	int fd;				/* LOOP_FD; LOOP_SOURCE's fd this pass; LOOP_CHILD's pidfd or -1 */
	pid_t pid;			/* LOOP_CHILD */
	uint64_t deadline_ns, period_ns;	/* LOOP_TIMER; period 0 = once */
	uint64_t fired_pass;		/* a timer fires at most once a pass */
	loop_fn fn;
	loop_fd_fn fdfn;
	loop_fill_fn fill;
	loop_poll_fn poll;
	loop_child_fn child;
	void *ctx;
};

/* A fixed table, in registration order: no allocation, so a loop lives on the stack or in a struct. */
struct loop {
	struct loop_entry e[LOOP_MAX];
	int n;				/* entries in use or freed during the pass, in registration order */
	int next_id;
	uint64_t pass;
	bool in_pass, stop;
	bool alone;			/* loop_drain_until: only children and entries from alone_from on */
	int alone_from;
};

/*
 * Each pass: the fills run, one select() waits until an fd is ready or the earliest deadline, then
 *   1. fd and source callbacks whose fd is ready, and children that exited, in registration order;
 *   2. the timers that are due, earliest deadline first (ties in registration order);
 *   3. every poller's poll, in registration order, with the ready set.
 * A callback may add or remove any entry, itself included; an entry added during a pass waits for
 * the next. Registration returns an id >= 0, or -EBADF (no fd), -EMFILE (an fd at or past
 * FD_SETSIZE, which select() cannot watch; said once) or -ENOSPC (the table is full).
 */
void loop_init(struct loop *l);
/* A fixed fd (signalfd, /dev/kmsg, a pidfd): fn runs when it is readable. */
int loop_add_fd(struct loop *l, int fd, loop_fn fn, void *ctx);
/* An fd that comes and goes (a ring buffer attached later): fdfn is asked on every pass. */
int loop_add_source(struct loop *l, loop_fd_fn fdfn, loop_fn fn, void *ctx);
/* An absolute CLOCK_MONOTONIC deadline; with a period it re-arms on the same grid, so a late pass
 * fires once, not once per missed period (as a timerfd read). */
int loop_add_timer(struct loop *l, uint64_t deadline_ns, uint64_t period_ns, loop_fn fn, void *ctx);
/* Re-arm (or LOOP_NEVER: disarm) a timer; -ENOENT when id is not a timer. */
int loop_timer_set(struct loop *l, int id, uint64_t deadline_ns);
/* A module whose fds and deadlines change every pass (action children, the metrics connections):
 * fill (may be NULL) before the wait, poll after it, on every pass. */
int loop_add_poller(struct loop *l, loop_fill_fn fill, loop_poll_fn poll, void *ctx);
/* A child of ours: fn gets its wait status once it has exited and was reaped; the entry then goes.
 * Watched through a pidfd; on kernels without pidfd_open (before 5.3) checked with WNOHANG every 20 ms.
 * -ENOSPC already with two entries left: they are kept for a drain (loop_drain_until). */
int loop_add_child(struct loop *l, pid_t pid, loop_child_fn fn, void *ctx);
/* Remove an entry (closing a child's pidfd); unknown ids are ignored. */
void loop_del(struct loop *l, int id);

/* For fill callbacks: watch fd (false when it is < 0 or past FD_SETSIZE, said once); wake by deadline_ns. */
bool loop_set_add(struct loop_set *s, int fd);
void loop_set_by(struct loop_set *s, uint64_t deadline_ns);
/* For poll callbacks: fd is ready in this pass. */
bool loop_set_ready(const struct loop_set *s, int fd);

/* One pass: fill, wait, dispatch. 0, or -errno when select() fails (never -EINTR). */
int loop_once(struct loop *l);
/* Passes until a callback calls loop_stop (the current pass finishes first) or nothing is left to
 * wait for (no fd and no deadline). 0 or -errno from select(). */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* loop_run, and stop by deadline_ns at the latest (the drains at exit); -ENOSPC when the table is full. */
int loop_run_until(struct loop *l, uint64_t deadline_ns);
/* The drains at exit: serve one module alone until done(ctx) says it is finished or deadline_ns
 * passes; at once when it already is. On l (not from inside one of its passes), its children are
 * served too, since the module's children may be registered there, while its other fds, timers
 * and pollers wait; l NULL: a loop of its own. 0 or -errno. */
int loop_drain_until(struct loop *l, loop_fill_fn fill, loop_poll_fn poll, bool (*done)(void *ctx), void *ctx,
		     uint64_t deadline_ns);
/* loop_drain_until on a loop of its own (aod replay --serve). */
int loop_serve_until(loop_fill_fn fill, loop_poll_fn poll, bool (*done)(void *ctx), void *ctx, uint64_t deadline_ns);

#endif /* AOD_LOOP_H */
