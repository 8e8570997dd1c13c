// SPDX-License-Identifier: GPL-2.0-only
/* Names what is slow: SMB ids from /proc/fs/cifs/DebugData, NFS rpc clients from /sys/kernel/sunrpc, mountstats and mountinfo. */
#include "shares.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "dirlist.h"
#include "io.h"
#include "names.h"

#define SHARES_MAX_READ (4u << 20)	/* DebugData lists every request in flight: read no more than this */

bool shares_key_of(const struct aod_ev_hdr *h, struct shares_key *k)
{
	memset(k, 0, sizeof(*k));
	if (h->kind == AOD_EV_SMB && h->size >= sizeof(struct aod_ev_smb)) {
		const struct aod_ev_smb *e = (const void *)h;

		k->proto = NAMES_SMB;
		k->sesid = e->sesid;
		k->tree = e->tid;
	} else if (h->kind == AOD_EV_NFS && h->size >= sizeof(struct aod_ev_nfs)) {
		const struct aod_ev_nfs *e = (const void *)h;

		k->proto = NAMES_NFS;
		k->tree = e->client_id;
		k->vers = (uint8_t)e->vers;
		k->dev = e->dev;
	} else if (h->kind == AOD_EV_STALL && h->size >= sizeof(struct aod_ev_stall)) {
		const struct aod_ev_stall *e = (const void *)h;

		k->proto = e->proto == AOD_STALL_NFS ? NAMES_NFS : NAMES_SMB;
		k->sesid = e->proto == AOD_STALL_NFS ? 0 : e->sesid;
		k->tree = e->tree;
		k->vers = (uint8_t)e->vers;
	} else {
		return false;
	}
	return true;
}

static bool key_eq(const struct shares_key *a, const struct shares_key *b)
{
	return a->sesid == b->sesid && a->tree == b->tree && a->proto == b->proto && a->vers == b->vers &&
	       a->dev == b->dev;
}

int shares_tally_find(const struct shares_tally *t, const struct aod_ev_hdr *h)
{
	struct shares_key k;

	if (!shares_key_of(h, &k))
		return -1;
	for (uint32_t i = 0; i < t->n && i < SHARES_MAX; i++)
		if (key_eq(&t->e[i].key, &k))
			return (int)i;
	return -1;
}

void shares_tally_add(struct shares_tally *t, const struct aod_ev_hdr *h, uint64_t worst)
{
	struct shares_key k;
	uint32_t i;

	if (!shares_key_of(h, &k))
		return;
	for (i = 0; i < t->n && i < SHARES_MAX && !key_eq(&t->e[i].key, &k); i++)
		;
	if (i == SHARES_MAX) {
		t->other_count++;
		if (worst > t->other_worst)
			t->other_worst = worst;
		return;
	}
	if (i == t->n) {
		t->n++;
		t->e[i] = (struct shares_tally_entry){ .key = k };
	}
	t->e[i].count++;
	if (worst > t->e[i].worst)
		t->e[i].worst = worst;
}

void shares_tally_reset(struct shares_tally *t)
{
	t->n = 0;
	t->other_count = 0;
	t->other_worst = 0;
}

void shares_tally_sort(struct shares_tally *t)
{
	for (uint32_t i = 1; i < t->n && i < SHARES_MAX; i++) {
		struct shares_tally_entry x = t->e[i];
		uint32_t j = i;

		for (; j > 0 && (t->e[j - 1].count < x.count ||
				 (t->e[j - 1].count == x.count && t->e[j - 1].worst < x.worst)); j--)
			t->e[j] = t->e[j - 1];
		t->e[j] = x;
	}
}

const char *shares_label(const struct shares_name *n)
{
	return n->share[0] ? n->share : n->server[0] ? n->server : "unknown";
}

/* ---- the tables ---- */

static void set_path(char *dst, size_t cap, const char *given, const char *root, const char *path)
{
	if (given)
		snprintf(dst, cap, "%s", given);
	else
		snprintf(dst, cap, "%s%s", root, path);
}

void shares_init(struct shares *s, const struct shares_paths *p)
{
	static const struct shares_paths none;
	const char *root = getenv("AOD_SHARES_ROOT");

	/* 30 KiB of tables filled only when SMB or NFS records come: not faulted in at start */
	arena_zero(s, sizeof(*s));
	if (!p)
		p = &none;
	if (!root)
		root = "";
	set_path(s->debugdata, sizeof(s->debugdata), p->debugdata, root, "/proc/fs/cifs/DebugData");
	set_path(s->mounts, sizeof(s->mounts), p->mounts, root, "/proc/self/mounts");
	set_path(s->mountstats, sizeof(s->mountstats), p->mountstats, root, "/proc/self/mountstats");
	set_path(s->mountinfo, sizeof(s->mountinfo), p->mountinfo, root, "/proc/self/mountinfo");
	set_path(s->sunrpc, sizeof(s->sunrpc), p->sunrpc, root, "/sys/kernel/sunrpc");
	set_path(s->nfs_sysfs, sizeof(s->nfs_sysfs), p->nfs_sysfs, root, "/sys/fs/nfs");
}

/* Copy the token at p (up to a blank, or to `stop` when given) into dst, cut to fit. */
static void token(char *dst, size_t cap, const char *p, const char *stop)
{
	const char *end = stop ? strstr(p, stop) : NULL;
	size_t n = !stop ? strcspn(p, " \t") : end ? (size_t)(end - p) : strlen(p);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

/* "\\server\share" as DebugData prints a tree, as a user writes it: "//server/share". */
static void unc_slashes(char *s)
{
	for (; *s; s++)
		if (*s == '\\')
			*s = '/';
}

/* "1) ", "12) ": a numbered entry of DebugData's lists; the text after it. */
static const char *numbered(const char *t)
{
	const char *p = t;

	while (isdigit((unsigned char)*p))
		p++;
	return p > t && p[0] == ')' && p[1] == ' ' ? p + 2 : NULL;
}

/*
 * One line of DebugData, as cifs_debug_data_proc_show writes it (6.1: fixture test/fixtures/names):
 * "1) ConnectionId: 0x2 Hostname: 127.0.0.1", per session "\t1) Address: 127.0.0.1 Uses: ..." (or
 * "Name: ADDR" once the server told its OS), "\tSecurity type: RawNTLMSSP  SessionId: 0xca30aa97",
 * "\tUser: 0 Cred User: 0", per tree "\t1) \\127.0.0.1\share Mounts: 1 ..." (the IPC tree "0) IPC: ...")
 * and "\ttid: 0x5596b59f\t...". Anything else is skipped, so other kernels' extra lines do no harm.
 */
static int debugdata_line(char *line, void *ctx)
{
	struct shares *s = ctx;
	const char *t = line + strspn(line, " \t"), *n = numbered(t), *p;

	if (n && !strncmp(n, "ConnectionId:", 13)) {
		s->cur_host[0] = s->cur_addr[0] = s->cur_tree[0] = 0;
		s->cur_ses = 0;
		if ((p = strstr(n, "Hostname: ")))
			token(s->cur_host, sizeof(s->cur_host), p + 10, NULL);
	} else if (n && (!strncmp(n, "Address: ", 9) || !strncmp(n, "Name: ", 6))) {
		token(s->cur_addr, sizeof(s->cur_addr), strchr(n, ' ') + 1, NULL);
		s->cur_ses = 0;
		s->cur_tree[0] = 0;
	} else if ((p = strstr(t, "SessionId: 0x"))) {
		s->cur_ses = strtoull(p + 13, NULL, 16);
		if (s->cur_ses && s->nses < SHARES_TABLE / 2) {
			s->ses[s->nses].sesid = s->cur_ses;
			s->ses[s->nses].uid = -1;
			snprintf(s->ses[s->nses].server, sizeof(s->ses[0].server), "%s",
				 s->cur_addr[0] ? s->cur_addr : s->cur_host);
			s->nses++;
		}
	} else if (!strncmp(t, "User: ", 6) && s->nses && s->ses[s->nses - 1].sesid == s->cur_ses) {
		s->ses[s->nses - 1].uid = strtol(t + 6, NULL, 10);
	} else if (n && (p = strstr(n, "\\\\"))) {
		token(s->cur_tree, sizeof(s->cur_tree), p, " Mounts: ");
		unc_slashes(s->cur_tree);
	} else if (!strncmp(t, "tid: 0x", 7) && s->cur_ses && s->cur_tree[0] && s->ntrees < SHARES_TABLE) {
		s->tree[s->ntrees].sesid = s->cur_ses;
		s->tree[s->ntrees].tid = (uint32_t)strtoul(t + 7, NULL, 16);
		snprintf(s->tree[s->ntrees].share, sizeof(s->tree[0].share), "%s", s->cur_tree);
		s->ntrees++;
		s->cur_tree[0] = 0;
	}
	return 0;
}

/* "//127.0.0.1/share /mnt/share cifs rw,...,username=aod,..." from /proc/self/mounts. */
static int mounts_line(char *line, void *ctx)
{
	struct shares *s = ctx;
	char dev[SHARES_SHARE_LEN], mnt[SHARES_MOUNT_LEN], type[16];
	const char *opts, *u;
	int n = 0;

	if (s->ncifs >= SHARES_TABLE / 2 || sscanf(line, "%95s %63s %15s %n", dev, mnt, type, &n) < 3 || !n)
		return 0;
	if (strcmp(type, "cifs") && strcmp(type, "smb3"))
		return 0;
	opts = line + n;
	snprintf(s->cifs[s->ncifs].dev, sizeof(s->cifs[0].dev), "%s", dev);
	snprintf(s->cifs[s->ncifs].mnt, sizeof(s->cifs[0].mnt), "%s", mnt);
	s->cifs[s->ncifs].user[0] = 0;
	u = strstr(opts, ",username=");
	if (u)
		token(s->cifs[s->ncifs].user, sizeof(s->cifs[0].user), u + 10, ",");
	s->ncifs++;
	return 0;
}

static void read_smb(struct shares *s, uint64_t now_ns)
{
	s->ntrees = s->nses = s->ncifs = 0;
	s->cur_host[0] = s->cur_addr[0] = s->cur_tree[0] = 0;
	s->cur_ses = 0;
	io_read_lines(s->debugdata, SHARES_MAX_READ, debugdata_line, s);
	io_read_lines(s->mounts, SHARES_MAX_READ, mounts_line, s);
	s->smb_at = now_ns;
	s->smb_reads++;
}

/* "device 127.0.0.1:/srv/nfs mounted on /mnt/nfs3 with fstype nfs statvers=1.1", then "\topts:\t...vers=3,...". */
static int mountstats_line(char *line, void *ctx)
{
	struct shares *s = ctx;
	char dev[SHARES_SHARE_LEN], mnt[SHARES_MOUNT_LEN], type[16];
	const char *v;

	if (!strncmp(line, "device ", 7)) {
		if (s->nnfs >= SHARES_TABLE / 2 ||
		    sscanf(line, "device %95s mounted on %63s with fstype %15s", dev, mnt, type) != 3 ||
		    (strcmp(type, "nfs") && strcmp(type, "nfs4")))
			return 0;
		snprintf(s->nfs[s->nnfs].dev, sizeof(s->nfs[0].dev), "%s", dev);
		snprintf(s->nfs[s->nnfs].mnt, sizeof(s->nfs[0].mnt), "%s", mnt);
		s->nfs[s->nnfs].vers = type[3] == '4' ? 4 : 0;	/* "nfs" is v2 or v3: opts says */
		s->nnfs++;
	} else if (s->nnfs && !strncmp(line + strspn(line, " \t"), "opts:", 5) && (v = strstr(line, "vers="))) {
		if (v[5] >= '2' && v[5] <= '4')
			s->nfs[s->nnfs - 1].vers = (uint8_t)(v[5] - '0');
	}
	return 0;
}

/* major:minor as the kernel's dev_t (MINORBITS 20): what struct aod_ev_nfs carries as dev */
static uint32_t kdev(unsigned int major, unsigned int minor)
{
	return major << 20 | (minor & 0xfffff);
}

/* "36 25 0:52 / /mnt/nfs3 rw,relatime shared:1 - nfs 127.0.0.1:/srv/nfs rw,vers=3,...": an NFS mount's s_dev. */
static int mountinfo_line(char *line, void *ctx)
{
	struct shares *s = ctx;
	char mnt[SHARES_MOUNT_LEN], type[16], dev[SHARES_SHARE_LEN];
	unsigned int ma, mi;
	const char *sep = strstr(line, " - ");

	if (s->ndev >= SHARES_TABLE / 2 || !sep || sscanf(line, "%*u %*u %u:%u %*s %63s", &ma, &mi, mnt) != 3 ||
	    sscanf(sep + 3, "%15s %95s", type, dev) != 2 || (strcmp(type, "nfs") && strcmp(type, "nfs4")))
		return 0;
	s->sb[s->ndev].dev = kdev(ma, mi);
	snprintf(s->sb[s->ndev].dev_name, sizeof(s->sb[0].dev_name), "%s", dev);
	snprintf(s->sb[s->ndev].mnt, sizeof(s->sb[0].mnt), "%s", mnt);
	s->ndev++;
	return 0;
}

struct clnt_walk {
	struct shares *s;
	char buf[4096] __attribute__((aligned(8)));
};

/* The first transport of the switch an rpc client uses: its dstaddr. */
static int xprt_entry(void *ctx, int dfd, const char *name, unsigned char type)
{
	char *server = ctx, path[96];
	ssize_t n;

	if (strncmp(name, "xprt-", 5))
		return 0;
	snprintf(path, sizeof(path), "%s/dstaddr", name);
	n = io_read_small(dfd, path, server, SHARES_SERVER_LEN);
	if (n <= 0)
		return 0;
	server[strcspn(server, "\n")] = 0;
	return 1;
}

/* rpc-clients/clnt-N/switch links to xprt-switches/switch-M, whose xprt-K-tcp/dstaddr is the server. */
static int clnt_entry(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct clnt_walk *w = ctx;
	struct shares *s = w->s;
	char path[64], buf[2048] __attribute__((aligned(8)));
	int sfd;

	if (strncmp(name, "clnt-", 5) || s->nclnt >= SHARES_TABLE)
		return 0;
	snprintf(path, sizeof(path), "%s/switch", name);
	sfd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return 0;
	s->clnt[s->nclnt].server[0] = 0;
	dirlist_each(sfd, buf, sizeof(buf), xprt_entry, s->clnt[s->nclnt].server);
	close(sfd);
	s->clnt[s->nclnt].clid = (uint32_t)strtoul(name + 5, NULL, 10);
	if (s->clnt[s->nclnt].server[0])
		s->nclnt++;
	return 0;
}

/*
 * /sys/fs/nfs/0:52/nfs_client -> ../../../kernel/sunrpc/rpc-clients/clnt-5: the superblock of an rpc
 * client, where the kernel links them (fs/nfs/sysfs.c nfs_sysfs_link_rpc_client, with the per-superblock
 * entries of 2023 kernels; 6.1 has neither). "nfs_state_client" is the nfs_client's lease client, which serves
 * every mount of the server, and is not read. It names the mount of a record without a dev: a kernel without
 * CONFIG_KALLSYMS_ALL, a stall.
 */
static int nfs_sysfs_entry(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct shares *s = ctx;
	char path[96], link[160];
	unsigned int ma, mi;
	const char *c;
	ssize_t n;

	(void)type;
	if (s->nsbclnt >= SHARES_TABLE / 2 || sscanf(name, "%u:%u", &ma, &mi) != 2)
		return 0;
	snprintf(path, sizeof(path), "%s/nfs_client", name);
	n = readlinkat(dfd, path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	c = strrchr(link, '/');
	c = c ? c + 1 : link;
	if (strncmp(c, "clnt-", 5) || !isdigit((unsigned char)c[5]))
		return 0;
	s->sbclnt[s->nsbclnt].clid = (uint32_t)strtoul(c + 5, NULL, 10);
	s->sbclnt[s->nsbclnt].dev = kdev(ma, mi);
	s->nsbclnt++;
	return 0;
}

static void read_nfs(struct shares *s, uint64_t now_ns)
{
	static struct clnt_walk w;	/* 4 KiB of listing buffer: off the stack */
	char path[160];
	int dfd;

	s->nnfs = s->nclnt = s->ndev = s->nsbclnt = 0;
	io_read_lines(s->mountstats, SHARES_MAX_READ, mountstats_line, s);
	io_read_lines(s->mountinfo, SHARES_MAX_READ, mountinfo_line, s);
	snprintf(path, sizeof(path), "%s/rpc-clients", s->sunrpc);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		w.s = s;
		dirlist_each(dfd, w.buf, sizeof(w.buf), clnt_entry, &w);
		close(dfd);
	}
	dfd = open(s->nfs_sysfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		dirlist_each(dfd, w.buf, sizeof(w.buf), nfs_sysfs_entry, s);
		close(dfd);
	}
	s->nfs_at = now_ns;
	s->nfs_reads++;
}

/* A miss may re-read, at most once per SHARES_REREAD_NS; the first lookup always reads. */
static bool may_read(uint32_t reads, uint64_t at, uint64_t now_ns)
{
	return !reads || now_ns - at >= SHARES_REREAD_NS;
}

static int find_tree(const struct shares *s, uint64_t sesid, uint32_t tid)
{
	for (int i = 0; i < s->ntrees; i++)
		if (s->tree[i].sesid == sesid && s->tree[i].tid == tid)
			return i;
	return -1;
}

static int find_ses(const struct shares *s, uint64_t sesid)
{
	for (int i = 0; i < s->nses; i++)
		if (s->ses[i].sesid == sesid)
			return i;
	return -1;
}

static bool resolve_smb(struct shares *s, const struct shares_key *k, uint64_t now_ns, struct shares_name *out)
{
	int t, se;

	if (!k->sesid)
		return false;	/* NEGOTIATE and the first SESSION_SETUP: no session yet */
	t = k->tree ? find_tree(s, k->sesid, k->tree) : 0;
	se = find_ses(s, k->sesid);
	if ((t < 0 || se < 0) && may_read(s->smb_reads, s->smb_at, now_ns)) {
		read_smb(s, now_ns);
		t = k->tree ? find_tree(s, k->sesid, k->tree) : 0;
		se = find_ses(s, k->sesid);
	}
	if (se < 0)
		return false;
	snprintf(out->server, sizeof(out->server), "%s", s->ses[se].server);
	if (s->ses[se].uid >= 0)
		snprintf(out->user, sizeof(out->user), "uid %lld", (long long)s->ses[se].uid);
	if (!k->tree || t < 0)
		return true;
	snprintf(out->share, sizeof(out->share), "%s", s->tree[t].share);
	for (int i = 0; i < s->ncifs; i++) {
		if (strcasecmp(s->cifs[i].dev, out->share))
			continue;
		snprintf(out->mount, sizeof(out->mount), "%s", s->cifs[i].mnt);
		if (s->cifs[i].user[0])
			snprintf(out->user, sizeof(out->user), "%s", s->cifs[i].user);
		break;
	}
	return true;
}

/* Append name to a space-separated list; a name that does not fit whole is left out. */
static void list_add(char *list, size_t cap, const char *name)
{
	size_t n = strlen(list);

	if (n + strlen(name) + 2 < cap)
		snprintf(list + n, cap - n, "%s%s", n ? " " : "", name);
}

/* The host of "host:/path" or "[v6]:/path" equals server. */
static bool dev_on(const char *dev, const char *server)
{
	size_t n = strlen(server);

	if (dev[0] == '[')
		return !strncmp(dev + 1, server, n) && dev[n + 1] == ']';
	return !strncmp(dev, server, n) && dev[n] == ':';
}

/* "10.0.0.1:/x", "[fd00::1]:/x": the mount names its server by address, not by a name aod cannot resolve. */
static bool dev_by_address(const char *dev)
{
	size_t n = strcspn(dev, ":");

	return dev[0] == '[' || (n && strspn(dev, "0123456789.") == n);
}

/*
 * The mounts of version vers that can be the client's: with its server known, those on that address, else
 * those naming their server by a host name (which may be it); without it, all of that version. 1 fills
 * share and mount.
 */
static int nfs_candidates(const struct shares *s, unsigned vers, const char *server, struct shares_name *out)
{
	int n = 0, one = -1;

	for (int pass = server[0] ? 0 : 1; pass < 2 && !n; pass++) {
		for (int i = 0; i < s->nnfs; i++) {
			if (s->nfs[i].vers != vers)
				continue;
			if (pass == 0 ? !dev_on(s->nfs[i].dev, server) : server[0] && dev_by_address(s->nfs[i].dev))
				continue;
			one = i;
			n++;
			list_add(out->candidates, sizeof(out->candidates), s->nfs[i].dev);
		}
	}
	if (n == 1) {
		snprintf(out->share, sizeof(out->share), "%s", s->nfs[one].dev);
		snprintf(out->mount, sizeof(out->mount), "%s", s->nfs[one].mnt);
		out->candidates[0] = 0;
	}
	return n;
}

/* From the tables as they are: true when the client's server and at least one mount of it are known. */
static bool nfs_lookup(const struct shares *s, const struct shares_key *k, struct shares_name *out)
{
	int c = -1, n;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < s->nclnt && c < 0; i++)
		if (s->clnt[i].clid == k->tree)
			c = i;
	if (c >= 0)
		snprintf(out->server, sizeof(out->server), "%s", s->clnt[c].server);
	n = nfs_candidates(s, k->vers, out->server, out);
	/* without /sys/kernel/sunrpc (before 5.13), the one mount of that version names the server too */
	if (n == 1 && !out->server[0]) {
		size_t len = out->share[0] == '[' ? strcspn(out->share + 1, "]") : strcspn(out->share, ":");

		snprintf(out->server, sizeof(out->server), "%.*s", (int)len, out->share + (out->share[0] == '['));
	}
	return c >= 0 && n > 0;
}

/*
 * The mounts of the record's superblock: one export names the share and its first mount; a superblock that
 * serves several exports (of one file system on the server) lists them as candidates. False when none is listed.
 */
static bool nfs_by_dev(const struct shares *s, uint32_t dev, struct shares_name *out)
{
	int one = -1, n = 0;
	char names[SHARES_SHARE_LEN] = "";

	for (int i = 0; i < s->ndev; i++) {
		if (s->sb[i].dev != dev)
			continue;
		if (one < 0)
			one = i;
		if (!strcmp(s->sb[i].dev_name, s->sb[one].dev_name) && i != one)
			continue;	/* the same export mounted twice */
		n++;
		list_add(names, sizeof(names), s->sb[i].dev_name);
	}
	if (one < 0)
		return false;
	out->share[0] = out->mount[0] = 0;
	snprintf(out->candidates, sizeof(out->candidates), "%s", n > 1 ? names : "");
	if (n == 1) {
		snprintf(out->share, sizeof(out->share), "%s", s->sb[one].dev_name);
		snprintf(out->mount, sizeof(out->mount), "%s", s->sb[one].mnt);
	}
	return true;
}

/* A client is created before its mount is listed (the mount's own first RPCs): a known client with no
 * mount, or a superblock not in the table, is looked up again too, under the same once-a-second limit. */
/* The record's superblock, else the one /sys/fs/nfs links its client to, else 0. */
static uint32_t key_dev(const struct shares *s, const struct shares_key *k)
{
	for (int i = 0; i < s->nsbclnt && !k->dev; i++)
		if (s->sbclnt[i].clid == k->tree)
			return s->sbclnt[i].dev;
	return k->dev;
}

static bool resolve_nfs(struct shares *s, const struct shares_key *k, uint64_t now_ns, struct shares_name *out)
{
	bool known = nfs_lookup(s, k, out);
	uint32_t dev = key_dev(s, k);

	if (dev && known)
		known = nfs_by_dev(s, dev, out);
	if (!known && may_read(s->nfs_reads, s->nfs_at, now_ns)) {
		read_nfs(s, now_ns);
		nfs_lookup(s, k, out);
		dev = key_dev(s, k);
	}
	if (dev)
		nfs_by_dev(s, dev, out);
	return out->share[0] || out->server[0] || out->candidates[0];
}

bool shares_resolve(struct shares *s, const struct shares_key *k, uint64_t now_ns, struct shares_name *out)
{
	memset(out, 0, sizeof(*out));
	if (k->proto == NAMES_NFS)
		return resolve_nfs(s, k, now_ns, out);
	return resolve_smb(s, k, now_ns, out);
}
