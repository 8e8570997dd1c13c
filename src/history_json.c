// SPDX-License-Identifier: GPL-2.0-only
/* history.json: a history snapshot's seconds, oldest first, and the worst commands of the window. */
#include "history.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
#include "names.h"
#include "topn.h"

/*
 * history.json bytes budgeted per second: a second with ten commands, each with four histogram
 * buckets, takes about 4 KiB pretty-printed. A busier history leaves out its oldest seconds (and says
 * how many) rather than the worst commands, which come at the end and take up to 8 KiB.
 */
#define HISTORY_JSON_PER_SEC 4096
#define HISTORY_JSON_BASE (16 * 1024)

size_t history_json_cap(uint32_t seconds)
{
	return HISTORY_JSON_BASE + (size_t)(seconds + 1) * HISTORY_JSON_PER_SEC;
}

static void bucket_key(char *key, size_t len, int b)
{
	/* slot b holds [2^b, 2^(b+1)) us; slot 0 also 0 us */
	snprintf(key, len, "%llu", b ? 1ull << b : 0ull);
}

static void write_row(struct json *j, const struct history_row *w)
{
	const char *name = w->proto == NAMES_NFS ? names_nfs_proc_name(w->vers, w->op) :
			   w->proto == NAMES_SMB ? names_smb2_cmd_name(w->op) : NULL;
	bool nfs = w->proto == NAMES_NFS;
	char key[24];

	json_obj_begin(j, NULL);
	json_str(j, "proto", nfs ? "nfs" : w->proto == NAMES_SMB ? "smb" : "other");
	if (w->proto != HISTORY_PROTO_OTHER) {
		json_str(j, nfs ? "proc" : "command", name ? name : "unknown");
		json_u64(j, nfs ? "proc_id" : "command_id", w->op);
		if (nfs)
			json_u64(j, "vers", w->vers);
	}
	json_u64(j, "ok", w->ok);
	json_u64(j, "failed", w->failed);
	json_obj_begin(j, "latency_us_log2");
	for (int b = 0; b < HISTORY_BUCKETS; b++) {
		if (!w->hist[b])
			continue;
		bucket_key(key, sizeof(key), b);
		json_u64(j, key, w->hist[b]);
	}
	json_obj_end(j);
	json_obj_end(j);
}

static void write_second(struct json *j, const struct history_ring *r, const struct history_sec *x)
{
	uint64_t ok = 0, failed = 0;

	for (int i = 0; i < x->nrows; i++)
		ok += x->rows[i].ok, failed += x->rows[i].failed;
	json_obj_begin(j, NULL);
	json_i64(j, "mono_s", history_sec(x));
	json_i64(j, "rel_s", history_sec(x) - r->newest);
	json_u64(j, "ok", ok);
	json_u64(j, "failed", failed);
	json_arr_begin(j, "commands");
	for (int i = 0; i < x->nrows; i++)
		write_row(j, &x->rows[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* The worst commands of the whole window, worst first (also of the seconds left out). */
static void write_worst(struct json *j, const struct history_ring *r)
{
	int64_t first = r->newest - (int64_t)r->cap + 1;
	union history_ev top[HISTORY_WORST];
	union detect_event ev;
	int n = 0, k;

	for (uint32_t i = 0; i < r->cap; i++) {
		const struct history_sec *x = &r->sec[i];

		if (history_sec(x) < first || history_sec(x) > r->newest)
			continue;
		for (int w = 0; w < x->nworst; w++)
			if ((k = topn_slot(top, sizeof(top[0]), &n, HISTORY_WORST, history_ev_latency(&x->worst[w]),
					   history_ev_latency)) >= 0)
				top[k] = x->worst[w];
	}
	json_arr_begin(j, "worst");
	for (k = 0; k < n; k++) {
		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, &top[k], top[k].h.size <= sizeof(top[k]) ? top[k].h.size : sizeof(top[k]));
		manifest_write_event(j, &ev, NULL);
	}
	json_arr_end(j);
}

static int render(const struct history_ring *r, char *buf, size_t cap, uint32_t skip)
{
	int64_t first = r->newest - (int64_t)r->cap + 1 + (int64_t)skip;
	struct json j;

	json_init(&j, buf, cap);
	json_obj_begin(&j, NULL);
	json_u64(&j, "history_version", 1);
	json_u64(&j, "seconds", r->seconds);
	json_str(&j, "counted", r->kernel_counts ?
		 "every completion, from the kernel's per-command histograms read each watch interval" :
		 "the replayed records only: a recording holds the commands that crossed the ring buffer");
	json_i64(&j, "anomaly_mono_s", r->newest);
	json_u64(&j, "seconds_left_out", skip);
	json_u64(&j, "late", r->late);
	json_arr_begin(&j, "timeline");
	for (int64_t s = first; r->newest >= 0 && s <= r->newest; s++) {
		const struct history_sec *x = &r->sec[(uint64_t)s % r->cap];

		if (history_sec(x) == s)
			write_second(&j, r, x);
	}
	json_arr_end(&j);
	write_worst(&j, r);
	json_obj_end(&j);
	return json_finish(&j);
}

int history_json(const struct history_ring *r, char *buf, size_t cap)
{
	uint32_t bad = 0, good = 1;
	int len = render(r, buf, cap, 0);

	if (len != -ENOSPC)
		return len;
	/* Leave out the fewest oldest seconds that make the rest fit: double, then halve the gap. */
	while (good < r->cap && render(r, buf, cap, good) == -ENOSPC)
		bad = good, good = good * 2 < r->cap ? good * 2 : r->cap;
	while (good - bad > 1) {
		uint32_t mid = bad + (good - bad) / 2;

		if (render(r, buf, cap, mid) == -ENOSPC)
			bad = mid;
		else
			good = mid;
	}
	return render(r, buf, cap, good);
}
