/* SPDX-License-Identifier: GPL-2.0-only */
/* The config reader's YAML layer (config_yaml.c): typed reads of libyaml nodes, syntax and depth checks, every
 * message at file:line:col. It knows no aod key. The schema (config.c) is its one user; nothing else includes it. */
#ifndef AOD_CONFIG_YAML_H
#define AOD_CONFIG_YAML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yaml.h>

struct cfg_config;	/* the schema's; this layer only carries the pointer */

#define PATH_LEN 160	/* dotted key paths in messages */

/* the pairs of a mapping node, the items of a sequence node */
#define FOR_PAIRS(map, p) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++)
#define FOR_ITEMS(seq, it) \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start; it < (seq)->data.sequence.items.top; it++)

/* One load of one file: where messages go, and how many errors and warnings it produced. */
struct ctx {
	struct cfg_config *cfg;
	yaml_document_t *doc;
	const char *file;
	FILE *diag;
	int nerr, nwarn;
};

/* snprintf for messages and paths, where cutting a long name short is the intended behaviour */
void bprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* an error or a warning at the node's file:line:col */
void cerr(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cwarn(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
yaml_node_t *node(struct ctx *c, int i);
const char *sval(const yaml_node_t *n);
bool is_empty(const yaml_node_t *n);
const char *describe(const yaml_node_t *n);
void join(char *out, const char *parent, const char *key);
const char *in_path(char *buf, const char *path);
int want_map(struct ctx *c, const yaml_node_t *n, const char *path);
int want_seq(struct ctx *c, const yaml_node_t *n, const char *path);
bool in_list(const char *s, const char *const *list, size_t n);
void check_keys(struct ctx *c, const yaml_node_t *map, const char *const *keys, size_t n, const char *path);
yaml_node_t *get(struct ctx *c, const yaml_node_t *map, const char *key, yaml_node_t **keynode);
const char *want_scalar(struct ctx *c, const yaml_node_t *n, const char *path);
bool get_uint(struct ctx *c, const yaml_node_t *n, const char *path, uint64_t min, uint64_t max, uint64_t *out);
bool get_u32(struct ctx *c, const yaml_node_t *n, const char *path, uint32_t min, uint32_t max, uint32_t *out);
bool get_num(struct ctx *c, const yaml_node_t *n, const char *path, double min, double max, double *out);
bool get_bool(struct ctx *c, const yaml_node_t *n, const char *path, bool *out);
bool get_str(struct ctx *c, const yaml_node_t *n, const char *path, char *buf, size_t size);
int get_word(struct ctx *c, const yaml_node_t *n, const char *path, const char *what, const char *const *words,
	     size_t nwords);
void report_syntax(struct ctx *c, const yaml_parser_t *p);
int check_depth(struct ctx *c, const char *buf, size_t len);

#endif
