// SPDX-License-Identifier: GPL-2.0-only
/* `aod status`: read the daemon's status.json, say whether it is live, print a table or the JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"

#define STATUS_DEFAULT "/run/aod/status.json"
#define STATUS_MAX_BYTES (256 * 1024)	/* the daemon writes about 2 KiB; anything this big is not ours */
#define STATUS_MAX_DEPTH 16

enum { EXIT_LIVE = 0, EXIT_STALE = 1, EXIT_USAGE = 2, EXIT_NONE = 3 };

static const char usage_status[] = "usage: aod status [--json] [-f FILE]\n";

/* ---- a reader for the JSON aod writes: find members, skip what is not asked for ---- */

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value at p, or NULL when it is not well formed. */
static const char *skip_value(const char *p, const char *e, int depth)
{
	char close;

	p = ws(p, e);
	if (p >= e || depth > STATUS_MAX_DEPTH)
		return NULL;
	if (*p == '"')
		return skip_string(p, e);
	if (*p != '{' && *p != '[') {
		const char *start = p;

		while (p < e && !strchr(",}] \n\t\r", *p))
			p++;
		return p > start ? p : NULL;	/* a number, true, false or null: never empty */
	}
	close = *p == '{' ? '}' : ']';
	p = ws(p + 1, e);
	if (p < e && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p >= e || *p != '"' || !(p = skip_string(p, e)) || (p = ws(p, e)) >= e || *p != ':')
				return NULL;
			p++;
		}
		if (!(p = skip_value(p, e, depth + 1)) || (p = ws(p, e)) >= e)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = ws(p + 1, e);
	}
}

/* Next member of the object whose '{' or last ',' is before *p: key (raw, unescaped) and value span. */
static bool next_member(const char **p, const char *e, const char **k, size_t *klen, const char **v, const char **ve)
{
	const char *q = ws(*p, e), *kend;

	if (q < e && (*q == '{' || *q == ','))
		q = ws(q + 1, e);
	if (q >= e || *q != '"' || !(kend = skip_string(q, e)))
		return false;
	*k = q + 1;
	*klen = (size_t)(kend - q - 2);
	q = ws(kend, e);
	if (q >= e || *q != ':')
		return false;
	*v = ws(q + 1, e);
	if (!(*ve = skip_value(*v, e, 0)))
		return false;
	*p = ws(*ve, e);
	return true;
}

/* The value of the member at a dotted path ("upload.backlog") under the object at obj. */
static bool lookup(const char *obj, const char *e, const char *path, const char **v, const char **ve)
{
	const char *dot = strchr(path, '.'), *k, *p = ws(obj, e);
	size_t want = dot ? (size_t)(dot - path) : strlen(path), klen;

	if (p >= e || *p != '{')
		return false;
	while (next_member(&p, e, &k, &klen, v, ve)) {
		if (klen == want && !memcmp(k, path, want))
			return dot ? lookup(*v, *ve, dot + 1, v, ve) : true;
	}
	return false;
}

static bool get_i64(const char *root, const char *e, const char *path, int64_t *out)
{
	const char *v, *ve;
	char tmp[32], *end;

	if (!lookup(root, e, path, &v, &ve) || ve - v <= 0 || (size_t)(ve - v) >= sizeof(tmp))
		return false;
	memcpy(tmp, v, (size_t)(ve - v));
	tmp[ve - v] = 0;
	*out = strtoll(tmp, &end, 10);
	return end != tmp && !*end;
}

/* A string value, JSON escapes undone (\uXXXX outside ASCII becomes '?'). */
static bool get_str(const char *root, const char *e, const char *path, char *out, size_t cap)
{
	const char *v, *ve;
	size_t w = 0;

	if (!lookup(root, e, path, &v, &ve) || *v != '"')
		return false;
	for (v++, ve--; v < ve && w + 1 < cap; v++) {
		if (*v != '\\') {
			out[w++] = *v;
			continue;
		}
		if (++v >= ve)
			break;
		switch (*v) {
		case 'n': out[w++] = '\n'; break;
		case 't': out[w++] = '\t'; break;
		case 'u':
			out[w++] = '?';
			v += ve - v > 4 ? 4 : ve - v - 1;
			break;
		default: out[w++] = *v; break;
		}
	}
	out[w] = 0;
	return true;
}

static bool get_true(const char *root, const char *e, const char *path)
{
	const char *v, *ve;

	return lookup(root, e, path, &v, &ve) && ve - v == 4 && !memcmp(v, "true", 4);
}

/* ---- the command ---- */

static int read_status(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + *len, cap - *len)) > 0 && *len + (size_t)n < cap)
		*len += (size_t)n;
	close(fd);
	if (n > 0)
		return -EFBIG;
	return n < 0 ? -errno : 0;
}

static void fmt_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, cap, "%" PRId64, t);
}

static void fmt_uptime(int64_t s, char *out, size_t cap)
{
	if (s >= 86400)
		snprintf(out, cap, "%" PRId64 "d %" PRId64 "h %" PRId64 "m", s / 86400, s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(out, cap, "%" PRId64 "h %" PRId64 "m %" PRId64 "s", s / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(out, cap, "%" PRId64 "m %" PRId64 "s", s / 60, s % 60);
}

static int64_t num(const char *b, const char *e, const char *path)
{
	int64_t v = 0;

	get_i64(b, e, path, &v);
	return v;
}

static void print_families(const char *b, const char *e)
{
	const char *p, *k, *v, *ve;
	char name[32], method[160], ev[24];
	size_t klen;
	int64_t n;

	if (!lookup(b, e, "families", &p, &ve))
		return;
	e = ve;
	printf("\n%-8s %-40s %12s %10s\n", "family", "method", "events", "lost");
	while (next_member(&p, e, &k, &klen, &v, &ve)) {
		snprintf(name, sizeof(name), "%.*s", (int)(klen < 31 ? klen : 31), k);
		if (!get_str(v, ve, "method", method, sizeof(method)))
			snprintf(method, sizeof(method), "?");
		if (strlen(method) > 40)
			strcpy(method + 37, "...");
		if (get_i64(v, ve, "events", &n))
			snprintf(ev, sizeof(ev), "%" PRId64, n);
		else
			snprintf(ev, sizeof(ev), "-");	/* null: this family does not count events */
		printf("%-8s %-40s %12s %10" PRId64 "\n", name, method, ev, num(v, ve, "lost"));
	}
}

static void print_table(const char *b, const char *e, int64_t age)
{
	char s[PATH_MAX], t[64], up[48];
	int64_t lim = num(b, e, "bundle_dir.limit"), bytes = num(b, e, "bundle_dir.bytes");

	fmt_uptime(num(b, e, "uptime_sec"), up, sizeof(up));
	printf("aod pid %" PRId64 ", up %s, status written %" PRId64 " s ago\n", num(b, e, "pid"), up, age);
	get_str(b, e, "config.path", s, sizeof(s));
	fmt_time(num(b, e, "config.loaded"), t, sizeof(t));
	printf("config       %s (loaded %s)\n", s, t);
	printf("events       %" PRId64 ", anomalies %" PRId64 "\n", num(b, e, "events"), num(b, e, "anomalies"));
	printf("bundles      %" PRId64 " written, %" PRId64 " failed, %" PRId64 " coalesced, %" PRId64 " refused (busy)\n",
	       num(b, e, "bundles.written"), num(b, e, "bundles.failed"), num(b, e, "bundles.coalesced"),
	       num(b, e, "bundles.refused_busy"));
	if (get_str(b, e, "bundles.last", s, sizeof(s))) {
		fmt_time(num(b, e, "bundles.last_time"), t, sizeof(t));
		printf("last bundle  %s (%s)\n", s, t);
	} else {
		printf("last bundle  none\n");
	}
	printf("upload       ");
	if (!get_true(b, e, "upload.enabled"))
		printf("off\n");
	else
		printf("backlog %" PRId64 " (%" PRId64 " running), %" PRId64 " sent, %" PRId64 " failed, %" PRId64
		       " lost, %" PRId64 " retries\n", num(b, e, "upload.backlog"), num(b, e, "upload.running"),
		       num(b, e, "upload.uploaded"), num(b, e, "upload.failed"), num(b, e, "upload.lost"),
		       num(b, e, "upload.retries"));
	get_str(b, e, "bundle_dir.path", s, sizeof(s));
	printf("bundle dir   %s/batches: %.1f MiB of %.1f MiB (%" PRId64 " %%)\n", s, bytes / 1048576.0,
	       lim / 1048576.0, lim ? bytes * 100 / lim : 0);
	print_families(b, e);
}

static int parse_args(int argc, char **argv, const char **file, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': *json = true; break;
		case 'f': *file = optarg; break;
		case 'h': fputs(usage_status, stdout); return 1;
		default: fputs(usage_status, stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "aod status: unexpected argument '%s'\n%s", argv[optind], usage_status);
		return -EINVAL;
	}
	return 0;
}

/* Live: the pid exists and the file is younger than the stale_after_ms the daemon wrote into it. */
static int judge(const char *path, const char *b, const char *e, int64_t *age)
{
	int64_t pid, written, stale_ms = 5000;
	struct timespec now;

	if (!get_i64(b, e, "pid", &pid) || !get_i64(b, e, "written", &written) || pid <= 0) {
		fprintf(stderr, "aod status: %s is not an aod status file (no pid or written time)\n", path);
		return EXIT_STALE;
	}
	get_i64(b, e, "stale_after_ms", &stale_ms);
	clock_gettime(CLOCK_REALTIME, &now);
	*age = (int64_t)now.tv_sec - written;
	if (kill((pid_t)pid, 0) && errno == ESRCH) {
		fprintf(stderr, "aod status: stale: pid %" PRId64 " from %s is not running (it stopped without "
			"removing the file: killed or crashed)\n", pid, path);
		return EXIT_STALE;
	}
	if (*age * 1000 > stale_ms) {
		fprintf(stderr, "aod status: stale: %s was written %" PRId64 " s ago (more than %.1f s): pid %" PRId64
			" is not updating it (hung, or not aod)\n", path, *age, stale_ms / 1000.0, pid);
		return EXIT_STALE;
	}
	return EXIT_LIVE;
}

int status_main(int argc, char **argv)
{
	static char buf[STATUS_MAX_BYTES];
	const char *file = getenv("AOD_STATUS_FILE");
	bool json = false;
	int64_t age = 0;
	size_t len;
	int rc;

	if (!file || !*file)
		file = STATUS_DEFAULT;
	rc = parse_args(argc, argv, &file, &json);
	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE;
	rc = read_status(file, buf, sizeof(buf), &len);
	if (rc == -ENOENT) {
		fprintf(stderr, "aod status: no daemon: %s does not exist (aod run writes it; status_file in the "
			"config names another path, -f reads that)\n", file);
		return EXIT_NONE;
	}
	if (rc) {
		fprintf(stderr, "aod status: unable to read %s: %s\n", file, strerror(-rc));
		return EXIT_NONE;
	}
	if (!skip_value(buf, buf + len, 0)) {
		fprintf(stderr, "aod status: %s is not valid JSON\n", file);
		return EXIT_STALE;
	}
	rc = judge(file, buf, buf + len, &age);
	if (json)
		fwrite(buf, 1, len, stdout);
	else if (rc == EXIT_LIVE)
		print_table(buf, buf + len, age);
	return rc;
}
