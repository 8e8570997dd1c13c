// SPDX-License-Identifier: GPL-2.0-only
/* The config: YAML (both AODv2 layouts plus aod's sections) into struct cfg_config, every error at file:line:col. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <yaml.h>

#include "collect.h"
#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PATH_LEN 160			/* dotted key paths in messages */
#define CONFIG_MAX_BYTES (1u << 20)	/* a config bigger than this is a mistake, not a config */
#define DEFAULT_MAX_BYTES (4ull << 20)
#define DEFAULT_EXEC_TIMEOUT_MS 10000
#define ETC_CONFIG "/etc/aod/aod.yaml"

struct ctx {
	struct cfg_config *cfg;
	yaml_document_t *doc;
	const char *file;
	FILE *diag;
	int nerr, nwarn;
};

/* ---- diagnostics ---- */

static void vreport(struct ctx *c, const yaml_mark_t *m, const char *kind, const char *fmt, va_list ap)
{
	if (!c->diag)
		return;
	fprintf(c->diag, "%s:%zu:%zu: %s", c->file, m->line + 1, m->column + 1, kind);
	vfprintf(c->diag, fmt, ap);
	fputc('\n', c->diag);
}

__attribute__((format(printf, 3, 4)))
static void cerr(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, &n->start_mark, "", fmt, ap);
	va_end(ap);
	c->nerr++;
}

__attribute__((format(printf, 3, 4)))
static void cwarn(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, &n->start_mark, "warning: ", fmt, ap);
	va_end(ap);
	c->nwarn++;
}

/* ---- nodes ---- */

#define FOR_PAIRS(map, p) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++)
#define FOR_ITEMS(seq, it) \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start; it < (seq)->data.sequence.items.top; it++)

static yaml_node_t *node(struct ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

static const char *sval(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* `key:` with nothing after it; YAML calls that null, AODv2's action mappings use it for quick actions. */
static bool is_empty(const yaml_node_t *n)
{
	const char *s = sval(n);

	if (!s)
		return false;
	if (!*s)
		return true;
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

static const char *describe(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return is_empty(n) ? "empty" : "a scalar";
}

static void join(char *out, const char *parent, const char *key)
{
	snprintf(out, PATH_LEN, "%s%s%s", parent, *parent ? "." : "", key);
}

/* "in anomalies.smb.latency" or "at the top level", for messages about keys. */
static const char *in_path(char *buf, const char *path)
{
	if (!*path)
		return "at the top level";
	snprintf(buf, PATH_LEN + 4, "in %s", path);
	return buf;
}

/* 1 for a mapping, 0 for an empty value (nothing to do), -1 after reporting a wrong type. */
static int want_map(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type == YAML_MAPPING_NODE)
		return 1;
	if (is_empty(n))
		return 0;
	cerr(c, n, "%s must be a mapping, not %s", *path ? path : "the config", describe(n));
	return -1;
}

static int want_seq(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return 1;
	if (is_empty(n))
		return 0;
	cerr(c, n, "%s must be a list, not %s", path, describe(n));
	return -1;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* Every key known, none twice. Unknown keys are errors with the nearest known one as a hint. */
static void check_keys(struct ctx *c, const yaml_node_t *map, const char *const *keys, size_t n, const char *path)
{
	char buf[PATH_LEN + 4];

	FOR_PAIRS(map, p) {
		const yaml_node_t *k = node(c, p->key);
		const char *name = sval(k), *hint;

		if (!name) {
			cerr(c, k, "keys %s must be scalars, not %s", in_path(buf, path), describe(k));
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *qk = node(c, q->key);

			if (sval(qk) && !strcmp(sval(qk), name)) {
				cerr(c, k, "duplicate key '%s' %s (first at line %zu)", name, in_path(buf, path),
				     qk->start_mark.line + 1);
				break;
			}
		}
		if (in_list(name, keys, n))
			continue;
		hint = names_nearest(name, keys, n);
		if (hint)
			cerr(c, k, "unknown key '%s' %s (did you mean '%s'?)", name, in_path(buf, path), hint);
		else
			cerr(c, k, "unknown key '%s' %s", name, in_path(buf, path));
	}
}

/* The value of key in map (its first occurrence), and optionally the key node itself. */
static yaml_node_t *get(struct ctx *c, const yaml_node_t *map, const char *key, yaml_node_t **keynode)
{
	FOR_PAIRS(map, p) {
		yaml_node_t *k = node(c, p->key);

		if (sval(k) && !strcmp(sval(k), key)) {
			if (keynode)
				*keynode = k;
			return node(c, p->value);
		}
	}
	return NULL;
}

/* ---- scalars ---- */

static const char *want_scalar(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type != YAML_SCALAR_NODE) {
		cerr(c, n, "%s must be a scalar, not %s", path, describe(n));
		return NULL;
	}
	if (is_empty(n)) {
		cerr(c, n, "%s needs a value", path);
		return NULL;
	}
	return sval(n);
}

static bool get_uint(struct ctx *c, const yaml_node_t *n, const char *path, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	const char *s = want_scalar(c, n, path);
	char *end;
	unsigned long long v;

	if (!s)
		return false;
	if (s[0] == '-' && s[1] >= '0' && s[1] <= '9') {
		cerr(c, n, "%s must not be negative, got '%s'", path, s);
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end) {
		cerr(c, n, "%s must be a whole number, got '%s'", path, s);
		return false;
	}
	if (errno == ERANGE || v < min || v > max) {
		cerr(c, n, "%s must be between %llu and %llu, got '%s'", path, (unsigned long long)min,
		     (unsigned long long)max, s);
		return false;
	}
	*out = v;
	return true;
}

static bool get_u32(struct ctx *c, const yaml_node_t *n, const char *path, uint32_t min, uint32_t max,
		    uint32_t *out)
{
	uint64_t v;

	if (!get_uint(c, n, path, min, max, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* A number that may have a fraction (AODv2 writes max_total_log_size_mb: 0.5). */
static bool get_num(struct ctx *c, const yaml_node_t *n, const char *path, double min, double max, double *out)
{
	const char *s = want_scalar(c, n, path);
	char *end;
	double v;

	if (!s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || !isfinite(v) || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.' ||
						   s[0] == '+')) {
		cerr(c, n, "%s must be a number, got '%s'", path, s);
		return false;
	}
	if (v < 0 && min >= 0) {
		cerr(c, n, "%s must not be negative, got '%s'", path, s);
		return false;
	}
	if (v < min || v > max) {
		cerr(c, n, "%s must be between %g and %g, got '%s'", path, min, max, s);
		return false;
	}
	*out = v;
	return true;
}

static bool get_bool(struct ctx *c, const yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
	const char *s = want_scalar(c, n, path);

	if (!s)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return true;
		}
	}
	cerr(c, n, "%s must be true or false, got '%s'", path, s);
	return false;
}

static bool get_str(struct ctx *c, const yaml_node_t *n, const char *path, char *buf, size_t size)
{
	const char *s = want_scalar(c, n, path);

	if (!s)
		return false;
	if (strlen(s) >= size) {
		cerr(c, n, "%s is too long (at most %zu characters)", path, size - 1);
		return false;
	}
	strcpy(buf, s);
	return true;
}

/* One word out of a fixed set, any case; the index or -1 after an error with a hint. */
static int get_word(struct ctx *c, const yaml_node_t *n, const char *path, const char *what,
		    const char *const *words, size_t nwords)
{
	const char *s = want_scalar(c, n, path), *hint;

	if (!s)
		return -1;
	for (size_t i = 0; i < nwords; i++)
		if (!strcasecmp(s, words[i]))
			return (int)i;
	hint = names_nearest(s, words, nwords);
	if (hint)
		cerr(c, n, "unknown %s '%s' in %s (did you mean '%s'?)", what, s, path, hint);
	else
		cerr(c, n, "unknown %s '%s' in %s", what, s, path);
	return -1;
}

/* Names that end up in file names (bundle and action logs): keep them plain. */
static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}
