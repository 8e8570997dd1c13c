// SPDX-License-Identifier: GPL-2.0-only
/* Base layer: the reactor every aod loop runs on; fds, deadlines, children and per-pass pollers around one select(). */
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "log.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* the same number on every architecture */
#endif

/* Without a pidfd a child is checked this often: an exit is noticed within 20 ms. */
#define CHILD_POLL_NS 20000000ull
/* Children leave this many entries free: a drain at exit (loop_drain_until) adds its poller and
 * deadline to the loop its children are on, and must not be refused for want of room. */
#define DRAIN_ENTRIES 2

/* FD_SET on an fd >= FD_SETSIZE writes past the set on the stack: refuse it, say so once. */
static bool fd_fits(int fd)
{
	static bool said;

	if (fd < 0)
		return false;
	if (fd < FD_SETSIZE)
		return true;
	if (!said)
		log_error("unable to watch fd %d: select() takes fds below %d; "
			  "lower the fds aod inherits or its open-file count", fd, FD_SETSIZE);
	said = true;
	return false;
}

bool loop_set_add(struct loop_set *s, int fd)
{
	if (!fd_fits(fd))
		return false;
	FD_SET(fd, &s->rd);
	if (fd > s->maxfd)
		s->maxfd = fd;
	return true;
}

void loop_set_by(struct loop_set *s, uint64_t deadline_ns)
{
	if (deadline_ns < s->deadline_ns)
		s->deadline_ns = deadline_ns;
}

bool loop_set_ready(const struct loop_set *s, int fd)
{
	return fd >= 0 && fd < FD_SETSIZE && FD_ISSET(fd, &s->rd);
}

void loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
}

/* Freed entries leave the table between passes, so the order of the rest stays that of registration. */
static void table_compact(struct loop *l)
{
	int i, k = 0;

	for (i = 0; i < l->n; i++)
		if (l->e[i].kind != LOOP_FREE)
			l->e[k++] = l->e[i];
	l->n = k;
}

static struct loop_entry *entry_add(struct loop *l, enum loop_kind kind, void *ctx)
{
	struct loop_entry *e;

	if (l->n == LOOP_MAX && !l->in_pass)
		table_compact(l);
	if (l->n == LOOP_MAX || l->next_id == INT32_MAX)
		return NULL;
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->id = l->next_id++;
	e->fd = -1;
	e->deadline_ns = LOOP_NEVER;
	e->ctx = ctx;
	return e;
}

static struct loop_entry *entry_find(struct loop *l, int id)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].kind != LOOP_FREE && l->e[i].id == id)
			return &l->e[i];
	return NULL;
}

int loop_add_fd(struct loop *l, int fd, loop_fn fn, void *ctx)
{
	struct loop_entry *e;

	if (fd < 0)
		return -EBADF;
	if (!fd_fits(fd))
		return -EMFILE;
	if (!(e = entry_add(l, LOOP_FD, ctx)))
		return -ENOSPC;
	e->fd = fd;
	e->fn = fn;
	return e->id;
}

int loop_add_source(struct loop *l, loop_fd_fn fdfn, loop_fn fn, void *ctx)
{
	struct loop_entry *e = entry_add(l, LOOP_SOURCE, ctx);

	if (!e)
		return -ENOSPC;
	e->fdfn = fdfn;
	e->fn = fn;
	return e->id;
}

int loop_add_timer(struct loop *l, uint64_t deadline_ns, uint64_t period_ns, loop_fn fn, void *ctx)
{
	struct loop_entry *e = entry_add(l, LOOP_TIMER, ctx);

	if (!e)
		return -ENOSPC;
	e->deadline_ns = deadline_ns;
	e->period_ns = period_ns;
	e->fn = fn;
	return e->id;
}

int loop_timer_set(struct loop *l, int id, uint64_t deadline_ns)
{
	struct loop_entry *e = entry_find(l, id);

	if (!e || e->kind != LOOP_TIMER)
		return -ENOENT;
	e->deadline_ns = deadline_ns;
	return 0;
}

int loop_add_poller(struct loop *l, loop_fill_fn fill, loop_poll_fn poll, void *ctx)
{
	struct loop_entry *e = entry_add(l, LOOP_POLLER, ctx);

	if (!e)
		return -ENOSPC;
	e->fill = fill;
	e->poll = poll;
	return e->id;
}

static int entries_used(const struct loop *l)
{
	int n = 0;

	for (int i = 0; i < l->n; i++)
		n += l->e[i].kind != LOOP_FREE;
	return n;
}

int loop_add_child(struct loop *l, pid_t pid, loop_child_fn fn, void *ctx)
{
	struct loop_entry *e;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	if (entries_used(l) >= LOOP_MAX - DRAIN_ENTRIES)
		return -ENOSPC;
	/* pidfd_open gives CLOEXEC fds; ENOSYS (before 5.3) or a seccomp refusal falls back to polling */
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno == ESRCH)
		return -ESRCH;
	if (fd >= FD_SETSIZE) {	/* select() cannot watch it: poll this child instead */
		close(fd);
		fd = -1;
	}
	if (!(e = entry_add(l, LOOP_CHILD, ctx))) {
		if (fd >= 0)
			close(fd);
		return -ENOSPC;
	}
	e->fd = fd < 0 ? -1 : fd;	/* -1 whatever the failure: polled */
	e->pid = pid;
	e->child = fn;
	return e->id;
}

void loop_del(struct loop *l, int id)
{
	struct loop_entry *e = entry_find(l, id);

	if (!e)
		return;
	if (e->kind == LOOP_CHILD && e->fd >= 0)
		close(e->fd);
	e->kind = LOOP_FREE;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

/* A drain (loop_drain_until) serves its own entries and the children, whose exits must still be reaped. */
static bool served(const struct loop *l, const struct loop_entry *e)
{
	return !l->alone || e->kind == LOOP_CHILD || e->id >= l->alone_from;
}

static void pass_fill(struct loop *l, struct loop_set *s)
{
	FD_ZERO(&s->rd);
	s->maxfd = -1;
	s->deadline_ns = LOOP_NEVER;
	s->now_ns = mono_ns();
	for (int i = 0; i < l->n; i++) {
		struct loop_entry *e = &l->e[i];

		if (!served(l, e))
			continue;
		switch (e->kind) {
		case LOOP_SOURCE:
			e->fd = e->fdfn(e->ctx);
			/* fallthrough */
		case LOOP_FD:
			loop_set_add(s, e->fd);
			break;
		case LOOP_TIMER:
			loop_set_by(s, e->deadline_ns);
			break;
		case LOOP_POLLER:
			if (e->fill)
				e->fill(e->ctx, s);
			break;
		case LOOP_CHILD:
			if (e->fd < 0 || !loop_set_add(s, e->fd))
				loop_set_by(s, s->now_ns + CHILD_POLL_NS);
			break;
		case LOOP_FREE:
			break;
		}
	}
}

/* The child exited (its pidfd is readable, or WNOHANG says so): reap it, free the entry, then tell. */
static void child_reap(struct loop_entry *e, uint64_t now)
{
	loop_child_fn fn = e->child;
	void *ctx = e->ctx;
	pid_t pid = e->pid, r;
	int st = 0;

	do
		r = waitpid(pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;
	if (r < 0)	/* reaped elsewhere (ECHILD): it is gone all the same */
		st = 0;
	if (e->fd >= 0)
		close(e->fd);
	e->kind = LOOP_FREE;
	fn(ctx, pid, st, now);
}

/* Due timers, earliest first; each fires at most once a pass, so a callback re-arming into the past cannot spin. */
static void timers_fire(struct loop *l, int last_id, uint64_t now)
{
	for (;;) {
		struct loop_entry *t = NULL;

		for (int i = 0; i < l->n; i++) {
			struct loop_entry *e = &l->e[i];

			if (e->kind != LOOP_TIMER || e->id > last_id || !served(l, e) || e->deadline_ns > now ||
			    e->fired_pass == l->pass)
				continue;
			if (!t || e->deadline_ns < t->deadline_ns)
				t = e;
		}
		if (!t)
			return;
		t->fired_pass = l->pass;
		if (!t->period_ns)
			t->deadline_ns = LOOP_NEVER;
		else
			t->deadline_ns += t->period_ns * ((now - t->deadline_ns) / t->period_ns + 1);
		t->fn(t->ctx, now);
	}
}

static void pass_dispatch(struct loop *l, const struct loop_set *s, int last_id, uint64_t now)
{
	int i;

	/* l->n may grow as callbacks register; entries past last_id were not in this pass's wait */
	for (i = 0; i < l->n; i++) {
		struct loop_entry *e = &l->e[i];

		if (e->id > last_id || !served(l, e))
			continue;
		if ((e->kind == LOOP_FD || e->kind == LOOP_SOURCE) && loop_set_ready(s, e->fd))
			e->fn(e->ctx, now);
		else if (e->kind == LOOP_CHILD && (e->fd < 0 || loop_set_ready(s, e->fd)))
			child_reap(e, now);
	}
	timers_fire(l, last_id, now);
	for (i = 0; i < l->n; i++) {
		struct loop_entry *e = &l->e[i];

		if (e->kind == LOOP_POLLER && e->id <= last_id && served(l, e))
			e->poll(e->ctx, s, now);
	}
}

int loop_once(struct loop *l)
{
	struct loop_set s;
	int n, last_id;

	table_compact(l);
	last_id = l->next_id - 1;
	/* no compaction while fills and callbacks run: the table's indices must hold still */
	l->in_pass = true;
	pass_fill(l, &s);
	if (s.maxfd < 0 && s.deadline_ns == LOOP_NEVER) {
		l->in_pass = false;
		return -EDEADLK;	/* nothing could ever wake this wait */
	}
	n = io_select_until(s.maxfd, &s.rd, s.deadline_ns);
	if (n >= 0) {
		l->pass++;
		pass_dispatch(l, &s, last_id, mono_ns());
	}
	l->in_pass = false;
	return n < 0 ? n : 0;
}

int loop_run(struct loop *l)
{
	int err = 0;

	while (!l->stop && !err)
		err = loop_once(l);
	l->stop = false;
	return err == -EDEADLK ? 0 : err;
}

static void until_over(void *l, uint64_t now_ns)
{
	loop_stop(l);
}

int loop_run_until(struct loop *l, uint64_t deadline_ns)
{
	int id = loop_add_timer(l, deadline_ns, 0, until_over, l), err;

	if (id < 0)
		return id;
	err = loop_run(l);
	loop_del(l, id);
	return err;
}

struct serve {
	struct loop own;		/* without a loop of the caller's */
	struct loop *l;
	loop_fill_fn fill;
	loop_poll_fn poll;
	bool (*done)(void *ctx);
	void *ctx;
};

static void serve_poll(void *ctx, const struct loop_set *s, uint64_t now_ns)
{
	struct serve *sv = ctx;

	sv->poll(sv->ctx, s, now_ns);
	if (sv->done(sv->ctx))
		loop_stop(sv->l);
}

static void serve_fill(void *ctx, struct loop_set *s)
{
	struct serve *sv = ctx;

	sv->fill(sv->ctx, s);
}

int loop_drain_until(struct loop *l, loop_fill_fn fill, loop_poll_fn poll, bool (*done)(void *ctx), void *ctx,
		     uint64_t deadline_ns)
{
	struct serve sv = { .fill = fill, .poll = poll, .done = done, .ctx = ctx };
	int id, err;

	if (done(ctx) || mono_ns() >= deadline_ns)
		return 0;
	if (!l) {
		loop_init(&sv.own);
		l = &sv.own;
	}
	sv.l = l;
	/* what is registered from here on is the drain's: its poller, its deadline, children started meanwhile */
	l->alone = true;
	l->alone_from = l->next_id;
	id = loop_add_poller(l, serve_fill, serve_poll, &sv);
	err = id < 0 ? id : loop_run_until(l, deadline_ns);
	if (id >= 0)
		loop_del(l, id);
	l->alone = false;
	return err;
}

int loop_serve_until(loop_fill_fn fill, loop_poll_fn poll, bool (*done)(void *ctx), void *ctx, uint64_t deadline_ns)
{
	return loop_drain_until(NULL, fill, poll, done, ctx, deadline_ns);
}
