// SPDX-License-Identifier: GPL-2.0-only
/* Write and read the recorded event stream: buffered writer, mmap reader that validates every record. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "family.h"
#include "io.h"
#include "record.h"

_Static_assert(sizeof(struct aod_ev_stall) == 128, "docs/record-format.md gives the stall record 128 bytes");
_Static_assert(sizeof(struct aod_ev_reconnect) == 120, "docs/record-format.md gives the reconnect record 120 bytes");
_Static_assert(sizeof(struct record_file_hdr) == 16, "the file header is 16 bytes");
_Static_assert(sizeof(RECORD_MAGIC) == RECORD_MAGIC_LEN, "magic is 8 bytes with its NUL");
_Static_assert(RECORD_BUF_SIZE >= 65535 + RECORD_ALIGN, "a record always fits after a flush");

/* The record files are little-endian and records are copied as they are: only such hosts. */
#define RECORD_HOST_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

static size_t pad_to_align(size_t n)
{
	return (n + RECORD_ALIGN - 1) & ~(size_t)(RECORD_ALIGN - 1);
}

int record_writer_flush(struct record_writer *w)
{
	int err = io_write_all(w->fd, w->buf, w->used);

	if (!err)
		w->bytes += w->used;
	w->used = 0;	/* on error the buffered records are lost either way; say so once */
	return err;
}

int record_writer_open(struct record_writer *w, const char *path)
{
	struct record_file_hdr h;

	w->fd = -1;
	if (!RECORD_HOST_LE)
		return -ENOTSUP;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return -errno;
	memcpy(h.magic, RECORD_MAGIC, RECORD_MAGIC_LEN);
	h.version = htole32(RECORD_VERSION);
	h.hdr_size = htole32(sizeof(h));
	memcpy(w->buf, &h, sizeof(h));
	w->used = sizeof(h);
	w->records = 0;
	w->bytes = 0;
	return 0;
}

int record_write(struct record_writer *w, const struct aod_ev_hdr *ev)
{
	size_t n = ev->size, padded = pad_to_align(n);
	int err;

	if (n < sizeof(*ev))
		return -EINVAL;
	if (w->used + padded > sizeof(w->buf)) {
		err = record_writer_flush(w);
		if (err)
			return err;
	}
	memcpy(w->buf + w->used, ev, n);
	memset(w->buf + w->used + n, 0, padded - n);
	w->used += padded;
	w->records++;
	return 0;
}

int record_writer_close(struct record_writer *w)
{
	int err = 0;

	if (w->fd < 0)
		return 0;
	if (w->used)
		err = record_writer_flush(w);
	if (close(w->fd) < 0 && !err)
		err = -errno;
	w->fd = -1;
	return err;
}

static int bad(struct record_reader *r, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct record_reader *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->err_offset = off;
	n = snprintf(r->err, sizeof(r->err), "%s: byte offset %llu: ", r->path, (unsigned long long)off);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		return -EBADMSG;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int check_file_hdr(struct record_reader *r)
{
	struct record_file_hdr h;
	uint32_t version, hsize;

	if (r->size < sizeof(h))
		return bad(r, 0, "file of %zu bytes is too short for the %zu-byte header; not an aod record file",
			   r->size, sizeof(h));
	memcpy(&h, r->base, sizeof(h));
	if (memcmp(h.magic, RECORD_MAGIC, RECORD_MAGIC_LEN) != 0)
		return bad(r, 0, "bad magic; not an aod record file (aod run --record writes them)");
	version = le32toh(h.version);
	hsize = le32toh(h.hdr_size);
	if (version != RECORD_VERSION)
		return bad(r, 8, "record format version %u is not supported (this aod reads version %d)",
			   version, RECORD_VERSION);
	if (hsize < sizeof(h) || hsize % RECORD_ALIGN || hsize > r->size)
		return bad(r, 12, "bad header size %u (file is %zu bytes)", hsize, r->size);
	r->off = hsize;
	r->hsize = hsize;
	return 0;
}

static void reader_clear(struct record_reader *r)
{
	r->base = NULL;
	r->size = 0;
	r->off = 0;
	r->records = 0;
	r->err_offset = 0;
	r->ts_max = 0;
	r->map_size = 0;
	r->err[0] = '\0';
}

/* The mapped reader, for the SIGBUS handler; one reader at a time. */
static struct {
	const unsigned char *base;
	size_t size;
	uintptr_t page;
	volatile sig_atomic_t shrunk;
	struct sigaction old;
} guard;

/* A page past the end of a file truncated under the mapping raises SIGBUS. Put zero pages
 * over the rest of the mapping so the faulting read completes, and let record_next report it. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	const unsigned char *a = si->si_addr;
	uintptr_t from = (uintptr_t)a & ~(guard.page - 1), to = (uintptr_t)guard.base + guard.size;

	(void)uc;
	/* mmap is a plain system call on Linux, safe here although POSIX does not list it */
	if (!guard.base || a < guard.base || a >= guard.base + guard.size ||
	    mmap((void *)from, to - from, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
		sigaction(sig, &guard.old, NULL);	/* not ours: the fault repeats and kills as before */
		return;
	}
	guard.shrunk = 1;
}

static int guard_install(const struct record_reader *r)
{
	bool was_guarded = guard.base != NULL;	/* keep the handler from before the first reader */
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	guard.page = (uintptr_t)sysconf(_SC_PAGESIZE);
	guard.base = r->base;
	guard.size = r->map_size;
	guard.shrunk = 0;
	return sigaction(SIGBUS, &sa, was_guarded ? NULL : &guard.old) < 0 ? -errno : 0;
}

static void guard_remove(const struct record_reader *r)
{
	if (!guard.base || guard.base != r->base)
		return;
	sigaction(SIGBUS, &guard.old, NULL);
	guard.base = NULL;
}

static int open_regular(struct record_reader *r, const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0 || fstat(fd, st) < 0) {
		err = -errno;
		snprintf(r->err, sizeof(r->err), "%s: %s", path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(r->err, sizeof(r->err), "%s: not a regular file; replay maps its input, so save the stream "
			 "to a file first", path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int record_reader_open(struct record_reader *r, const char *path)
{
	struct stat st;
	void *p;
	int fd, err;

	reader_clear(r);
	snprintf(r->path, sizeof(r->path), "%s", path);
	if (!RECORD_HOST_LE)
		return bad(r, 0, "record files are little-endian; this host is not"), -ENOTSUP;
	fd = open_regular(r, path, &st);
	if (fd < 0)
		return fd;
	r->size = (size_t)st.st_size;
	/* an empty file cannot be mapped; the header check reports it */
	p = r->size ? mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err) {
		snprintf(r->err, sizeof(r->err), "%s: unable to map: %s", path, strerror(-err));
		r->size = 0;
		return err;
	}
	r->base = p;
	r->map_size = r->size;
	if (r->size)
		madvise(p, r->size, MADV_SEQUENTIAL);
	err = r->size ? guard_install(r) : 0;
	if (err)
		snprintf(r->err, sizeof(r->err), "%s: unable to guard the mapping: %s", path, strerror(-err));
	else
		err = check_file_hdr(r);
	if (err)
		record_reader_close(r);
	return err;
}

/* The smallest size each kind can have, so consumers may read their fields unchecked. */
size_t record_kind_min_size(uint16_t kind)
{
	int f = family_of_event(kind);

	if (f >= 0)	/* the health families: their row says */
		return family_table[f].ev_size;
	switch (kind) {
	case AOD_EV_SMB: return sizeof(struct aod_ev_smb);
	case AOD_EV_NFS: return sizeof(struct aod_ev_nfs);
	case AOD_EV_STALL: return AOD_EV_STALL_MIN_SIZE;	/* host came later */
	case AOD_EV_RECONNECT: return sizeof(struct aod_ev_reconnect);
	case AOD_EV_SOCKCONN: return sizeof(struct aod_ev_sockconn);
	default: return sizeof(struct aod_ev_hdr);
	}
}

/* Read every page of the record here, so a truncation under it faults now and is reported
 * (the handler maps zeros) rather than while detection reads it. */
static bool record_shrunk(const struct record_reader *r, size_t off, size_t n)
{
	const size_t page = 4096;
	volatile const unsigned char *p = r->base;
	size_t i;

	for (i = off; i < off + n; i += page - (i % page))
		(void)p[i];
	(void)p[off + n - 1];
	return guard.shrunk;
}

static int check_ts(struct record_reader *r, uint64_t ts)
{
	if (ts > INT64_MAX)
		return bad(r, r->off, "corrupt record: timestamp %llu ns is beyond any CLOCK_MONOTONIC time",
			   (unsigned long long)ts);
	if (r->records && ts > r->ts_max && ts - r->ts_max > RECORD_MAX_TS_LEAD_NS)
		return bad(r, r->off, "corrupt record: timestamp jumps %.0f s ahead of the one before (at most a day)",
			   (double)(ts - r->ts_max) / 1e9);
	if (r->records && ts < r->ts_max && r->ts_max - ts > RECORD_MAX_TS_LAG_NS)
		return bad(r, r->off, "corrupt record: timestamp goes %.0f s back from the one before (at most 60 s)",
			   (double)(r->ts_max - ts) / 1e9);
	if (!r->records || ts > r->ts_max)
		r->ts_max = ts;
	return 0;
}

static int shrank(struct record_reader *r)
{
	return bad(r, r->off, "the file shrank while it was replayed (was %zu bytes); replayed what came before",
		   r->map_size);
}

/* A whole record's size and timestamp: 0, or -EBADMSG with the reader's error set. */
static int check_record(struct record_reader *r, const struct aod_ev_hdr *h, size_t left)
{
	if (h->size < record_kind_min_size(h->kind))
		return bad(r, r->off, "corrupt record: size %u is below the %zu bytes of kind %u",
			   h->size, record_kind_min_size(h->kind), h->kind);
	if (h->size > left)
		return bad(r, r->off, "truncated record: size %u, only %zu bytes left", h->size, left);
	return check_ts(r, h->ts_ns);
}

int record_next(struct record_reader *r, const struct aod_ev_hdr **ev)
{
	size_t left = r->size - r->off;
	const struct aod_ev_hdr *h;

	if (left == 0)
		return 0;
	if (left < sizeof(*h))
		return bad(r, r->off, "truncated record: %zu bytes left, a record header is %zu",
			   left, sizeof(*h));
	h = (const struct aod_ev_hdr *)(r->base + r->off);
	/*
	 * A truncation may land between the page check and the reads after it, which then see the
	 * handler's zeros: whatever those zeros look like (a size too small, a timestamp far back),
	 * a shrink seen by then is what happened.
	 */
	if (record_shrunk(r, r->off, sizeof(*h)) ||
	    (h->size >= sizeof(*h) && h->size <= left && record_shrunk(r, r->off, h->size)))
		return shrank(r);
	if (check_record(r, h, left))
		return guard.shrunk ? shrank(r) : -EBADMSG;
	r->off += pad_to_align(h->size);
	if (r->off > r->size)
		r->off = r->size;	/* the last record's padding was cut: the record itself is whole */
	r->records++;
	*ev = h;
	return 1;
}

void record_reader_rewind(struct record_reader *r)
{
	r->off = r->hsize;
	r->records = 0;
	r->ts_max = 0;
}

const char *record_reader_error(const struct record_reader *r)
{
	return r->err;
}

void record_reader_close(struct record_reader *r)
{
	guard_remove(r);
	if (r->base)
		munmap((void *)r->base, r->map_size);
	r->base = NULL;
	r->size = 0;
	r->map_size = 0;
	r->off = 0;
}
