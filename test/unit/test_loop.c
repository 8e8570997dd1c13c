// SPDX-License-Identifier: GPL-2.0-only
/* loop.c: the reactor's order of timers, fd callbacks, removal from inside a callback, deadlines, FD_SETSIZE, children. */
#include "../../src/loop.c"
#include "../../src/io.c"
#include "../../src/log.c"

#include <signal.h>
#include <stdlib.h>

#include "check.h"

#define MS 1000000ull

struct rec {
	struct loop *l;
	char order[32];
	int n;
	int del_id[4];			/* removed by the callback when it runs */
	uint64_t at[8];			/* when each callback ran */
	int fd;
	pid_t pid;
	int wstatus;
};

static void mark(struct rec *r, char c, uint64_t now)
{
	if (r->n < (int)sizeof(r->order) - 1) {
		if (r->n < 8)
			r->at[r->n] = now;
		r->order[r->n++] = c;
	}
}

static void on_a(void *ctx, uint64_t now) { mark(ctx, 'a', now); }
static void on_b(void *ctx, uint64_t now) { mark(ctx, 'b', now); }
static void on_c(void *ctx, uint64_t now) { mark(ctx, 'c', now); }

static void on_stop(void *ctx, uint64_t now)
{
	struct rec *r = ctx;

	mark(r, 's', now);
	loop_stop(r->l);
}

/* Registered c, a, b with deadlines in the order a < b < c: they fire by deadline, each once. */
static void test_timer_order(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	uint64_t t0 = mono_ns();

	loop_init(&l);
	CHECK(loop_add_timer(&l, t0 + 30 * MS, 0, on_c, &r) >= 0);
	CHECK(loop_add_timer(&l, t0 + 10 * MS, 0, on_a, &r) >= 0);
	CHECK(loop_add_timer(&l, t0 + 20 * MS, 0, on_b, &r) >= 0);
	CHECK(loop_add_timer(&l, t0 + 40 * MS, 0, on_stop, &r) >= 0);
	CHECK(loop_run(&l) == 0);
	CHECK(!strcmp(r.order, "abcs"));
	/* every one ran at or after its deadline */
	CHECK(r.at[0] >= t0 + 10 * MS && r.at[1] >= t0 + 20 * MS && r.at[2] >= t0 + 30 * MS);
	/* one-shot timers are spent: nothing is left to wait for, so the loop returns at once */
	CHECK(loop_run(&l) == 0);
	CHECK(!strcmp(r.order, "abcs"));
}

static void no_poll(void *ctx, const struct loop_set *s, uint64_t now)
{
}

static void see_deadline(void *ctx, struct loop_set *s)
{
	struct rec *r = ctx;

	r->at[0] = s->deadline_ns;
}

/* The wait ends at the earliest deadline, to the nanosecond, never before it, and not rounded up to a tick;
 * how late the process runs after that is the scheduler's (bounded loosely: the test machine is shared). */
static void test_deadline(void)
{
	struct loop l;
	struct rec r = { .l = &l }, seen = { 0 };
	struct loop_set s;
	uint64_t t0 = mono_ns();
	int id;

	loop_init(&l);
	CHECK(loop_add_timer(&l, t0 + 50 * MS, 0, on_b, &r) >= 0);
	CHECK(loop_add_timer(&l, t0 + 30 * MS + 7, 0, on_a, &r) >= 0);
	CHECK(loop_add_timer(&l, t0 + 70 * MS, 0, on_stop, &r) >= 0);
	id = loop_add_poller(&l, see_deadline, no_poll, &seen);
	CHECK(id >= 0);
	pass_fill(&l, &s);	/* what one pass asks select() for */
	CHECK(seen.at[0] == t0 + 30 * MS + 7 && s.deadline_ns == t0 + 30 * MS + 7 && s.maxfd == -1);
	loop_del(&l, id);
	CHECK(loop_run(&l) == 0);
	CHECK(!strcmp(r.order, "abs"));
	CHECK(r.at[0] >= t0 + 30 * MS + 7 && r.at[1] >= t0 + 50 * MS && r.at[2] >= t0 + 70 * MS);
	for (int i = 0; i < 3; i++)
		CHECK(r.at[i] - t0 < 1000 * MS);
}

/* A periodic timer that missed several periods fires once, then on its old grid. */
static void test_missed_periods(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	uint64_t t0 = mono_ns();
	int id;

	loop_init(&l);
	id = loop_add_timer(&l, t0 - 35 * MS, 10 * MS, on_a, &r);
	CHECK(id >= 0);
	CHECK(loop_once(&l) == 0);
	CHECK(!strcmp(r.order, "a"));
	/* the next deadline is the first grid point after the pass: D + k * 10 ms */
	CHECK((l.e[0].deadline_ns - (t0 - 35 * MS)) % (10 * MS) == 0);
	CHECK(l.e[0].deadline_ns > r.at[0] && l.e[0].deadline_ns <= r.at[0] + 10 * MS);
	CHECK(loop_timer_set(&l, id, LOOP_NEVER) == 0);
	CHECK(loop_timer_set(&l, id + 100, 0) == -ENOENT);
}

static void on_fd(void *ctx, uint64_t now)
{
	struct rec *r = ctx;
	char buf[16];

	mark(r, 'f', now);
	if (read(r->fd, buf, sizeof(buf)) <= 0)
		loop_stop(r->l);
}

/* An fd callback runs when its fd is readable, and only then. */
static void test_fd(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	int p[2];

	CHECK(pipe(p) == 0);
	r.fd = p[0];
	loop_init(&l);
	CHECK(loop_add_fd(&l, p[0], on_fd, &r) >= 0);
	CHECK(loop_add_timer(&l, mono_ns() + 5 * MS, 0, on_b, &r) >= 0);
	CHECK(loop_once(&l) == 0);		/* the timer wakes it; the pipe is empty */
	CHECK(!strcmp(r.order, "b"));
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(loop_once(&l) == 0);
	CHECK(!strcmp(r.order, "bf"));
	close(p[1]);
	CHECK(loop_run(&l) == 0);		/* EOF: the callback stops the loop */
	CHECK(!strcmp(r.order, "bff"));
	close(p[0]);
	CHECK(loop_add_fd(&l, -1, on_fd, &r) == -EBADF);
}

static void on_del(void *ctx, uint64_t now)
{
	struct rec *r = ctx;

	mark(r, 'd', now);
	for (int i = 0; i < 4; i++)
		if (r->del_id[i] >= 0)
			loop_del(r->l, r->del_id[i]);
}

/* A callback removes itself and another timer due in the same pass: neither runs again. */
static void test_unregister(void)
{
	struct loop l;
	struct rec r = { .l = &l, .del_id = { -1, -1, -1, -1 } };
	uint64_t t0 = mono_ns();

	loop_init(&l);
	r.del_id[0] = loop_add_timer(&l, t0 - 2 * MS, 1 * MS, on_del, &r);
	r.del_id[1] = loop_add_timer(&l, t0 - 1 * MS, 1 * MS, on_b, &r);
	CHECK(loop_add_timer(&l, t0 + 20 * MS, 0, on_stop, &r) >= 0);
	CHECK(r.del_id[0] >= 0 && r.del_id[1] >= 0);
	CHECK(loop_run(&l) == 0);
	CHECK(!strcmp(r.order, "ds"));
	/* the freed slots are reused: the table does not fill up with removals */
	for (int i = 0; i < 3 * LOOP_MAX; i++) {
		int id = loop_add_timer(&l, LOOP_NEVER, 0, on_a, &r);

		CHECK(id >= 0);
		loop_del(&l, id);
	}
}

static void on_fd_del(void *ctx, uint64_t now)
{
	struct rec *r = ctx;

	mark(r, 'g', now);
	loop_del(r->l, r->del_id[0]);	/* itself */
	loop_del(r->l, r->del_id[1]);	/* a ready fd later in the table */
	loop_stop(r->l);
}

/* Two ready fds: the first removes both; the second's callback must not run on a stale readiness. */
static void test_fd_unregister(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	int p[2], q[2];

	CHECK(pipe(p) == 0 && pipe(q) == 0);
	CHECK(write(p[1], "x", 1) == 1 && write(q[1], "y", 1) == 1);
	loop_init(&l);
	r.del_id[0] = loop_add_fd(&l, p[0], on_fd_del, &r);
	r.del_id[1] = loop_add_fd(&l, q[0], on_c, &r);
	CHECK(loop_run(&l) == 0);
	CHECK(!strcmp(r.order, "g"));
	CHECK(l.n == 2 && l.e[0].kind == LOOP_FREE && l.e[1].kind == LOOP_FREE);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static void on_fill(void *ctx, struct loop_set *s)
{
	struct rec *r = ctx;

	loop_set_by(s, s->now_ns + 3 * MS);
	mark(r, 'F', s->now_ns);
}

static void on_poll(void *ctx, const struct loop_set *s, uint64_t now)
{
	struct rec *r = ctx;

	mark(r, 'P', now);
	if (r->n >= 6)
		loop_stop(r->l);
}

/* Phases: ready fds, then due timers, then pollers, every pass, whatever the registration order. */
static void test_poller_order(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	loop_init(&l);
	CHECK(loop_add_poller(&l, on_fill, on_poll, &r) >= 0);
	CHECK(loop_add_timer(&l, mono_ns(), 0, on_b, &r) >= 0);
	CHECK(loop_add_fd(&l, p[0], on_c, &r) >= 0);
	CHECK(loop_once(&l) == 0);
	CHECK(!strcmp(r.order, "FcbP"));
	close(p[1]);
	close(p[0]);
}

/* select() cannot take an fd at or past FD_SETSIZE: registration and fills refuse it, the set stays intact. */
static void test_fd_setsize(void)
{
	struct loop l;
	struct loop_set s;
	struct rec r = { .l = &l };

	loop_init(&l);
	CHECK(loop_add_fd(&l, FD_SETSIZE, on_a, &r) == -EMFILE);
	CHECK(loop_add_fd(&l, FD_SETSIZE + 100, on_a, &r) == -EMFILE);
	CHECK(l.n == 0);
	FD_ZERO(&s.rd);
	s.maxfd = -1;
	CHECK(!loop_set_add(&s, FD_SETSIZE));
	CHECK(!loop_set_add(&s, -1));
	CHECK(s.maxfd == -1);
	CHECK(loop_set_add(&s, 3) && s.maxfd == 3);
	CHECK(!loop_set_ready(&s, FD_SETSIZE));
}

static void on_child(void *ctx, pid_t pid, int wstatus, uint64_t now)
{
	struct rec *r = ctx;

	mark(r, 'x', now);
	r->pid = pid;
	r->wstatus = wstatus;
	loop_stop(r->l);
}

/* A child's exit reaches its callback with the status, reaped, and the entry goes. */
static void test_child(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	pid_t pid = fork();

	if (pid == 0) {
		usleep(20000);
		_exit(7);
	}
	CHECK(pid > 0);
	loop_init(&l);
	CHECK(loop_add_child(&l, pid, on_child, &r) >= 0);
	CHECK(loop_add_timer(&l, mono_ns() + 5000 * MS, 0, on_stop, &r) >= 0);	/* a hung test ends */
	CHECK(loop_run(&l) == 0);
	CHECK(!strcmp(r.order, "x"));
	CHECK(r.pid == pid && WIFEXITED(r.wstatus) && WEXITSTATUS(r.wstatus) == 7);
	CHECK(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK(l.e[0].kind == LOOP_FREE);
	CHECK(loop_add_child(&l, 0, on_child, &r) == -ESRCH);
}

/* loop_run_until ends by its deadline when nothing else stops the loop, and leaves no timer behind. */
static void test_run_until(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	uint64_t t0 = mono_ns(), t1;

	loop_init(&l);
	CHECK(loop_add_poller(&l, on_fill, on_poll, &r) >= 0);	/* wakes every 3 ms; stops after 6 marks */
	CHECK(loop_run_until(&l, t0 + 1 * MS) == 0);
	t1 = mono_ns();
	CHECK(t1 >= t0 + 1 * MS && t1 < t0 + 1000 * MS);
	CHECK(r.n < 6);
	loop_once(&l);	/* compacts */
	CHECK(l.n == 1 && l.e[0].kind == LOOP_POLLER);
}

static bool six_marks(void *ctx)
{
	return ((struct rec *)ctx)->n >= 6;
}

static void t_fill(void *ctx, struct loop_set *s)
{
	mark(ctx, 'F', s->now_ns);
	loop_set_by(s, s->now_ns + 1 * MS);
}

static void t_poll(void *ctx, const struct loop_set *s, uint64_t now)
{
	mark(ctx, 'P', now);
}

/* loop_serve_until: a module alone until it says done, or the deadline; not at all when done already. */
static void test_serve_until(void)
{
	struct rec r = { 0 };
	uint64_t t0 = mono_ns();

	CHECK(loop_serve_until(t_fill, t_poll, six_marks, &r, t0 + 5000 * MS) == 0);
	CHECK(!strcmp(r.order, "FPFPFP"));
	CHECK(mono_ns() < t0 + 1000 * MS);
	CHECK(loop_serve_until(t_fill, t_poll, six_marks, &r, t0 + 5000 * MS) == 0);
	CHECK(r.n == 6);
	r.n = 0;
	memset(r.order, 0, sizeof(r.order));
	CHECK(loop_serve_until(t_fill, t_poll, six_marks, &r, mono_ns() + 2 * MS) == 0);
	CHECK(r.n >= 2 && r.n < 6 && r.order[r.n - 1] == 'P');
}

static void on_exit_seen(void *ctx, pid_t pid, int wstatus, uint64_t now)
{
	struct rec *r = ctx;

	mark(r, 'x', now);
	r->pid = pid;
	r->wstatus = wstatus;
}

/* No deadline of its own: the drain wakes for the child's exit. */
static void mark_fill(void *ctx, struct loop_set *s)
{
	mark(ctx, 'F', s->now_ns);
}

static bool child_seen(void *ctx)
{
	return ((struct rec *)ctx)->pid != 0;
}

/* loop_drain_until on a loop: the drain's poller and the loop's children are served, and nothing else
 * (a readable fd, a due timer, another poller wait); afterwards the loop serves them as before. */
static void test_drain_until(void)
{
	struct loop l;
	struct rec o = { .l = &l }, d = { .l = &l };
	uint64_t t0 = mono_ns();
	int p[2];
	pid_t pid;

	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	loop_init(&l);
	CHECK(loop_add_fd(&l, p[0], on_c, &o) >= 0);
	CHECK(loop_add_timer(&l, t0, 0, on_b, &o) >= 0);
	CHECK(loop_add_poller(&l, on_fill, on_poll, &o) >= 0);
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(7);
	}
	CHECK(pid > 0);
	CHECK(loop_add_child(&l, pid, on_exit_seen, &d) >= 0);
	CHECK(loop_drain_until(&l, mark_fill, t_poll, child_seen, &d, t0 + 5000 * MS) == 0);
	CHECK(mono_ns() < t0 + 1000 * MS);
	CHECK(o.n == 0);
	CHECK(d.pid == pid && WIFEXITED(d.wstatus) && WEXITSTATUS(d.wstatus) == 7);
	/* the exit, then the drain's poll in that pass: with a pidfd the first pass; without one (valgrind
	 * knows no pidfd_open) a pass every 20 ms until it */
	CHECK(d.n >= 3 && !strcmp(d.order + d.n - 3, "FxP") && strchr(d.order, 'x') == d.order + d.n - 2);
	CHECK(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK(!l.alone);
	CHECK(loop_once(&l) == 0);
	CHECK(!strcmp(o.order, "FcbP"));
	CHECK(l.n == 3);	/* the fd, the timer and the poller: the drain's entries and the child are gone */
	/* done already: not a pass */
	d.n = 0;
	CHECK(loop_drain_until(&l, mark_fill, t_poll, child_seen, &d, t0 + 5000 * MS) == 0 && d.n == 0);
	close(p[0]), close(p[1]);

	/* children stop two entries short of a full table: a drain on the loop always has room */
	loop_init(&l);
	for (int i = 0; i < LOOP_MAX - 2; i++)
		CHECK(loop_add_timer(&l, LOOP_NEVER, 0, on_a, &o) >= 0);
	CHECK(loop_add_child(&l, getpid(), on_exit_seen, &d) == -ENOSPC);
	memset(&d, 0, sizeof(d));
	CHECK(loop_drain_until(&l, t_fill, t_poll, six_marks, &d, mono_ns() + 5000 * MS) == 0);
	CHECK(!strcmp(d.order, "FPFPFP"));
}

static void test_full(void)
{
	struct loop l;
	struct rec r = { .l = &l };
	int i;

	loop_init(&l);
	for (i = 0; i < LOOP_MAX; i++)
		CHECK(loop_add_timer(&l, LOOP_NEVER, 0, on_a, &r) >= 0);
	CHECK(loop_add_timer(&l, LOOP_NEVER, 0, on_a, &r) == -ENOSPC);
	/* nothing to wait for: no fd, no deadline */
	CHECK(loop_once(&l) == -EDEADLK);
	CHECK(loop_run(&l) == 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_timer_order();
	test_deadline();
	test_missed_periods();
	test_fd();
	test_unregister();
	test_fd_unregister();
	test_poller_order();
	test_fd_setsize();
	test_child();
	test_run_until();
	test_serve_until();
	test_drain_until();
	test_full();
	return CHECK_DONE();
}
