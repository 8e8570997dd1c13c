/* SPDX-License-Identifier: GPL-2.0-only */
/* Names what is slow: an SMB session/tree id as //server/share and user, an NFS rpc client as server:/export. */
#ifndef AOD_SHARES_H
#define AOD_SHARES_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"

#define SHARES_MAX 8			/* shares an anomaly counts by name; the rest are "other" */
#define SHARES_SHARE_LEN 96
#define SHARES_SERVER_LEN 48		/* an IPv6 address fits (INET6_ADDRSTRLEN 46) */
#define SHARES_USER_LEN 32
#define SHARES_MOUNT_LEN 64
#define SHARES_TABLE 64			/* trees, rpc clients; sessions and mounts hold half */
#define SHARES_REREAD_NS 1000000000ull	/* an unknown id re-reads the tables at most this often */

/* What identifies a share in a record: SMB (sesid, tid), NFS the rpc client (cl_clid), version and superblock. */
struct shares_key {
	uint64_t sesid;			/* SMB session id; 0 for NFS */
	uint32_t tree;			/* SMB tree id; NFS rpc client id */
	uint8_t proto;			/* enum names_proto: NAMES_SMB or NAMES_NFS */
	uint8_t vers;			/* NFS version; 0 for SMB */
	uint16_t pad;
	uint32_t dev;			/* NFS: the mount's s_dev (major << 20 | minor), 0 not known; 0 for SMB */
};

/* "" where not known. */
struct shares_name {
	char share[SHARES_SHARE_LEN];	/* "//127.0.0.1/share"; NFS "127.0.0.1:/export" when one mount fits */
	char server[SHARES_SERVER_LEN];	/* the address the client talks to */
	char user[SHARES_USER_LEN];	/* SMB: the mount's username=, else "uid N" of the session */
	char mount[SHARES_MOUNT_LEN];	/* where it is mounted, when one mount fits */
	/* NFS: the exports it may be, space-separated, where the record does not say which mount (dev 0:
	 * see struct aod_ev_nfs) and several mounts of one server and version fit, or where one superblock
	 * serves several exports (two exports of one file system on the server share it). */
	char candidates[SHARES_SHARE_LEN];
};

/* Per anomaly: how many counted events and the worst value, per share; beyond SHARES_MAX, "other". */
struct shares_tally {
	uint32_t n;
	uint32_t other_count;
	uint64_t other_worst;
	struct shares_tally_entry {
		struct shares_key key;
		uint32_t count;
		uint64_t worst;
	} e[SHARES_MAX];
};

/* The share key of an SMB, NFS or stall record; false for every other kind (and a short record). */
bool shares_key_of(const struct aod_ev_hdr *h, struct shares_key *k);
/* Count h (worst: its latency or age) under its share; records without a share key are not counted. */
void shares_tally_add(struct shares_tally *t, const struct aod_ev_hdr *h, uint64_t worst);
/* The entry of h's share, or -1. */
int shares_tally_find(const struct shares_tally *t, const struct aod_ev_hdr *h);
/* Empty it: only the counts are reset, entries past n are never read (a window's reset faults in no page of e). */
void shares_tally_reset(struct shares_tally *t);
/* Most events first, then the worst. */
void shares_tally_sort(struct shares_tally *t);
/* A short name for logs and metric labels: the share, else the server, else "unknown". */
const char *shares_label(const struct shares_name *n);

/* Where the resolver reads; NULL fields take the kernel's paths below $AOD_SHARES_ROOT (tests), or /. */
struct shares_paths {
	const char *debugdata;		/* /proc/fs/cifs/DebugData */
	const char *mounts;		/* /proc/self/mounts: a cifs mount's username= */
	const char *mountstats;		/* /proc/self/mountstats */
	const char *mountinfo;		/* /proc/self/mountinfo: an NFS mount's major:minor (its superblock's s_dev) */
	const char *sunrpc;		/* /sys/kernel/sunrpc: rpc client -> transport -> server address */
	const char *nfs_sysfs;		/* /sys/fs/nfs: MAJ:MIN/nfs_client -> its rpc client, where the kernel links them */
};

/* The resolver: fixed tables, no allocation, filled from the files above when an id is unknown. */
struct shares {
	char debugdata[128], mounts[128], mountstats[128], mountinfo[128], sunrpc[128], nfs_sysfs[128];
	uint64_t smb_at, nfs_at;	/* CLOCK_MONOTONIC of the last read */
	uint32_t smb_reads, nfs_reads;	/* times the tables were read (tests check the rate limit) */
	int ntrees, nses, ncifs, nnfs, nclnt, ndev, nsbclnt;
	struct { uint64_t sesid; uint32_t tid; char share[SHARES_SHARE_LEN]; } tree[SHARES_TABLE];
	struct { uint64_t sesid; int64_t uid; char server[SHARES_SERVER_LEN]; } ses[SHARES_TABLE / 2];
	struct { char dev[SHARES_SHARE_LEN]; char mnt[SHARES_MOUNT_LEN]; char user[SHARES_USER_LEN]; } cifs[SHARES_TABLE / 2];
	struct { char dev[SHARES_SHARE_LEN]; char mnt[SHARES_MOUNT_LEN]; uint8_t vers; } nfs[SHARES_TABLE / 2];
	struct { uint32_t clid; char server[SHARES_SERVER_LEN]; } clnt[SHARES_TABLE];
	struct { uint32_t dev; char dev_name[SHARES_SHARE_LEN]; char mnt[SHARES_MOUNT_LEN]; } sb[SHARES_TABLE / 2];
	struct { uint32_t clid, dev; } sbclnt[SHARES_TABLE / 2];	/* from /sys/fs/nfs, where the kernel has it */
	/* DebugData parse state */
	char cur_host[SHARES_SERVER_LEN], cur_addr[SHARES_SERVER_LEN], cur_tree[SHARES_SHARE_LEN];
	uint64_t cur_ses;
};

void shares_init(struct shares *s, const struct shares_paths *p);
/*
 * Fill out with what is known of k. An id not in the tables re-reads them, at most once per
 * SHARES_REREAD_NS (now_ns, CLOCK_MONOTONIC), so a flood of unknown ids costs one read a second.
 * True when anything (share, server or candidates) was found.
 */
bool shares_resolve(struct shares *s, const struct shares_key *k, uint64_t now_ns, struct shares_name *out);

#endif /* AOD_SHARES_H */
