// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for shares.c: DebugData, mounts, mountstats, mountinfo and sunrpc sysfs as the 6.1 guest writes them; bad input; the re-read limit. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/io.c"
#include "../../src/dirlist.c"
#include "../../src/text.c"
#include "../../src/names.c"
#include "../../src/arena.c"
#include "../../src/shares.c"
#include "check.h"

#define SEC 1000000000ull
#define T0 (100 * SEC)
#define DEBUGDATA "test/fixtures/names/cifs-DebugData-6.1.txt"
#define MOUNTSTATS "test/fixtures/names/nfs-mountstats-6.1.txt"
#define MOUNTINFO "test/fixtures/names/nfs-mountinfo-6.1.txt"	/* the same four NFS mounts, another boot */
#define MKDEV(ma, mi) ((uint32_t)(ma) << 20 | (mi))		/* the kernel's dev_t, as struct aod_ev_nfs carries it */
/* The ids in the DebugData fixture (the guest's errors scenario: one session, the IPC, ro and share trees). */
#define SES 0xca30aa97ull
#define TID_SHARE 0x5596b59fu
#define TID_RO 0x2eae1642u
#define TID_IPC 0xb0280a3fu

static char dir[64];
static struct shares s;	/* 24 KiB of tables: off the stack */

static void put_file(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f) {
		perror(p);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static const char *path(const char *name)
{
	static char p[32][256];	/* each caller's string stays while the test runs */
	static int k;

	k = (k + 1) % 32;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static struct shares_key smb_key(uint64_t sesid, uint32_t tid)
{
	return (struct shares_key){ .sesid = sesid, .tree = tid, .proto = NAMES_SMB };
}

static struct shares_key nfs_key(uint32_t clid, unsigned vers)
{
	return (struct shares_key){ .tree = clid, .vers = (uint8_t)vers, .proto = NAMES_NFS };
}

static struct shares_key nfs_dev_key(uint32_t clid, unsigned vers, uint32_t dev)
{
	return (struct shares_key){ .tree = clid, .vers = (uint8_t)vers, .proto = NAMES_NFS, .dev = dev };
}

/* The file's text up to (not including) the first line that starts with `cut` after `after`. */
static void truncated_copy(const char *src, const char *dst, const char *after, const char *cut)
{
	static char text[1 << 16];
	char *a, *c;
	int fd = open(src, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;

	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	a = strstr(text, after);
	c = a ? strstr(a, cut) : NULL;
	if (c)
		*c = 0;
	put_file(dst, text);
}

static void test_smb(void)
{
	struct shares_paths p = { .debugdata = DEBUGDATA, .mounts = path("mounts") };
	struct shares_key k;
	struct shares_name n;

	put_file("mounts", "proc /proc proc rw 0 0\n"
		 "//127.0.0.1/share /mnt/share cifs rw,relatime,vers=3.0,cache=strict,username=aod,uid=0,noforceuid,"
		 "gid=0,noforcegid,addr=127.0.0.1,file_mode=0755 0 0\n"
		 "//127.0.0.1/ro /mnt/ro cifs rw,relatime,vers=3.0,uid=0,addr=127.0.0.1 0 0\n");
	shares_init(&s, &p);
	k = smb_key(SES, TID_SHARE);
	CHECK(shares_resolve(&s, &k, T0, &n));
	CHECK(!strcmp(n.share, "//127.0.0.1/share"));
	CHECK(!strcmp(n.server, "127.0.0.1"));
	CHECK(!strcmp(n.user, "aod"));
	CHECK(!strcmp(n.mount, "/mnt/share"));
	CHECK(!n.candidates[0]);
	CHECK(s.smb_reads == 1);
	CHECK(s.nses == 1 && s.ntrees == 3);

	/* the ro mount names no username=: the session's uid says who */
	k = smb_key(SES, TID_RO);
	CHECK(shares_resolve(&s, &k, T0, &n));
	CHECK(!strcmp(n.share, "//127.0.0.1/ro") && !strcmp(n.user, "uid 0") && !strcmp(n.mount, "/mnt/ro"));
	k = smb_key(SES, TID_IPC);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "//127.0.0.1/IPC$") && !n.mount[0]);
	/* a tree id of 0 (SESSION_SETUP, LOGOFF): the session still names the server */
	k = smb_key(SES, 0);
	CHECK(shares_resolve(&s, &k, T0, &n) && !n.share[0] && !strcmp(n.server, "127.0.0.1"));
	CHECK(s.smb_reads == 1);	/* all of that from one read */
	/* NEGOTIATE: no session yet, nothing to name, nothing read */
	k = smb_key(0, 0);
	CHECK(!shares_resolve(&s, &k, T0 + 5 * SEC, &n) && !n.share[0] && !n.server[0]);
	CHECK(s.smb_reads == 1);
}

/* An unknown id re-reads once, then not again within SHARES_REREAD_NS, however many come. */
static void test_reread_limit(void)
{
	struct shares_paths p = { .debugdata = DEBUGDATA, .mounts = "/nonexistent" };
	struct shares_key k = smb_key(SES, 0x1234);
	struct shares_name n;

	shares_init(&s, &p);
	CHECK(shares_resolve(&s, &k, T0, &n) && !n.share[0] && !strcmp(n.server, "127.0.0.1"));
	CHECK(s.smb_reads == 1);
	for (int i = 0; i < 1000; i++) {
		k = smb_key(SES + 1 + (uint64_t)i, (uint32_t)i);
		CHECK(!shares_resolve(&s, &k, T0 + (uint64_t)i * 100000ull, &n));
	}
	CHECK(s.smb_reads == 1);
	k = smb_key(SES + 7, 7);
	CHECK(!shares_resolve(&s, &k, T0 + SEC, &n));
	CHECK(s.smb_reads == 2);
	/* a known id never reads */
	k = smb_key(SES, TID_SHARE);
	CHECK(shares_resolve(&s, &k, T0 + 10 * SEC, &n) && !strcmp(n.share, "//127.0.0.1/share"));
	CHECK(s.smb_reads == 2);
}

static void test_smb_bad_input(void)
{
	struct shares_paths p = { .debugdata = path("dd"), .mounts = "/nonexistent" };
	struct shares_key k = smb_key(SES, TID_SHARE);
	struct shares_name n;
	static char big[20000];

	/* cut after the ro tree's line, before the share tree's tid: the share is unknown, the rest stands */
	truncated_copy(DEBUGDATA, "dd", "\\\\127.0.0.1\\share", "\ttid:");
	shares_init(&s, &p);
	CHECK(shares_resolve(&s, &k, T0, &n) && !n.share[0] && !strcmp(n.server, "127.0.0.1"));
	k = smb_key(SES, TID_RO);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "//127.0.0.1/ro"));

	/* cut before the session id: nothing is known of it */
	truncated_copy(DEBUGDATA, "dd", "Sessions:", "\tSecurity type");
	shares_init(&s, &p);
	CHECK(!shares_resolve(&s, &k, T0, &n) && !n.share[0] && !n.server[0]);
	CHECK(s.nses == 0 && s.ntrees == 0);

	/* a tid line with no tree before it, an id that is not hex, a line longer than the line buffer */
	memset(big, 'x', sizeof(big) - 1);
	put_file("dd", "\ttid: 0x5596b59f\n1) ConnectionId: 0x2 Hostname: h\n\t1) Address: 10.0.0.1 Uses: 1\n"
		 "\tSecurity type: RawNTLMSSP  SessionId: 0xzz\n");
	CHECK(!shares_resolve(&s, &k, T0 + 2 * SEC, &n));
	CHECK(s.nses == 0 && s.ntrees == 0);
	put_file("dd", big);
	CHECK(!shares_resolve(&s, &k, T0 + 4 * SEC, &n) && s.nses == 0);
	/* no file at all (cifs not loaded) */
	p.debugdata = "/nonexistent/DebugData";
	shares_init(&s, &p);
	CHECK(!shares_resolve(&s, &k, T0, &n) && s.smb_reads == 1);
}

/* The guest's sunrpc sysfs as its listing fixtures give it (clnt-N/switch links to the switch whose
 * xprt-K-tcp/dstaddr is the server), plus client 99 on a transport to another server. */
static void make_sunrpc(void)
{
	char line[256], a[128], b[128], c[128], p[512];
	FILE *f;
	int n = 0;

	f = fopen("test/fixtures/names/sunrpc-xprts-6.1.txt", "r");
	while (f && fgets(line, sizeof(line), f) && sscanf(line, "/sys/kernel/sunrpc/%127s %127s", a, b) == 2) {
		snprintf(p, sizeof(p), "mkdir -p %s/sunrpc/%s", dir, a);
		CHECK(system(p) == 0);
		snprintf(p, sizeof(p), "sunrpc/%s/dstaddr", a);
		snprintf(line, sizeof(line), "%s\n", b);
		put_file(p, line);
		n++;
	}
	if (f)
		fclose(f);
	CHECK(n == 4);
	n = 0;
	f = fopen("test/fixtures/names/sunrpc-clients-6.1.txt", "r");
	while (f && fgets(line, sizeof(line), f) &&
	       sscanf(line, "/sys/kernel/sunrpc/%127s switch -> %127s", a, c) == 2) {
		snprintf(p, sizeof(p), "mkdir -p %s/sunrpc/%s", dir, a);
		CHECK(system(p) == 0);
		snprintf(p, sizeof(p), "sunrpc/%s/switch", a);
		CHECK(symlink(c, path(p)) == 0);
		n++;
	}
	if (f)
		fclose(f);
	CHECK(n == 11);
	snprintf(p, sizeof(p), "mkdir -p %s/sunrpc/rpc-clients/clnt-99 %s/sunrpc/xprt-switches/switch-9/xprt-9-tcp", dir,
		 dir);
	CHECK(system(p) == 0);
	put_file("sunrpc/xprt-switches/switch-9/xprt-9-tcp/dstaddr", "192.0.2.7\n");
	CHECK(symlink("../../xprt-switches/switch-9", path("sunrpc/rpc-clients/clnt-99/switch")) == 0);
}

static void test_nfs(void)
{
	/* no superblock tables: the host's own would change the answers */
	struct shares_paths p = { .mountstats = MOUNTSTATS, .sunrpc = path("sunrpc"), .mountinfo = "/nonexistent",
				  .nfs_sysfs = "/nonexistent" };
	struct shares_key k = nfs_key(3, 4);
	struct shares_name n;

	make_sunrpc();
	shares_init(&s, &p);
	/* the fixture has two v4 mounts of 127.0.0.1 (/ and its /ro submount) and two v3: which one a
	 * client serves is not written anywhere, so the server is named and the exports it may be */
	CHECK(shares_resolve(&s, &k, T0, &n));
	CHECK(!strcmp(n.server, "127.0.0.1"));
	CHECK(!n.share[0] && !n.mount[0]);
	CHECK(!strcmp(n.candidates, "127.0.0.1:/ 127.0.0.1:/ro"));
	CHECK(s.nnfs == 4 && s.nclnt == 12);
	k = nfs_key(3, 3);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.candidates, "127.0.0.1:/srv/nfs 127.0.0.1:/srv/nfs/ro"));
	CHECK(s.nfs_reads == 1);

	/* one v4 mount: named exactly */
	put_file("ms", "device rootfs mounted on / with fstype rootfs\n"
		 "device 127.0.0.1:/srv/nfs mounted on /mnt/nfs3 with fstype nfs statvers=1.1\n"
		 "\topts:\trw,vers=3,rsize=131072,proto=tcp\n"
		 "device 127.0.0.1:/ mounted on /mnt/nfs4 with fstype nfs4 statvers=1.1\n"
		 "\topts:\trw,vers=4.2,rsize=131072,clientaddr=127.0.0.1,local_lock=none\n");
	p.mountstats = path("ms");
	shares_init(&s, &p);
	k = nfs_key(3, 4);
	CHECK(shares_resolve(&s, &k, T0, &n));
	CHECK(!strcmp(n.share, "127.0.0.1:/") && !strcmp(n.mount, "/mnt/nfs4") && !strcmp(n.server, "127.0.0.1"));
	CHECK(!n.candidates[0]);
	/* a client of another server: its address names it, and no mount on 127.0.0.1 can be it */
	k = nfs_key(99, 3);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.server, "192.0.2.7"));
	CHECK(!n.share[0] && !n.candidates[0]);
	/* an unknown client id re-reads once a second at most */
	k = nfs_key(77, 4);
	CHECK(s.nfs_reads == 1);
	CHECK(shares_resolve(&s, &k, T0 + 1, &n) && !strcmp(n.share, "127.0.0.1:/"));	/* by its version alone */
	CHECK(s.nfs_reads == 1);
	CHECK(shares_resolve(&s, &k, T0 + 2 * SEC, &n));
	CHECK(s.nfs_reads == 2);

	/* a mount that names its server by a host name may be that client's */
	put_file("ms4", "device 127.0.0.1:/srv/nfs mounted on /mnt/nfs3 with fstype nfs statvers=1.1\n"
		 "\topts:\trw,vers=3\ndevice filer.example:/data mounted on /mnt/data with fstype nfs statvers=1.1\n"
		 "\topts:\trw,vers=3\n");
	{
		struct shares_paths p4 = p;

		p4.mountstats = path("ms4");

		shares_init(&s, &p4);
	}
	k = nfs_key(99, 3);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.server, "192.0.2.7"));
	CHECK(!strcmp(n.share, "filer.example:/data") && !strcmp(n.mount, "/mnt/data"));

	/* a client seen before its mount is listed (the mount's own first RPCs) is looked up again, once a
	 * second at most, until its mount shows */
	put_file("ms2", "device 127.0.0.1:/srv/nfs mounted on /mnt/nfs3 with fstype nfs statvers=1.1\n"
		 "\topts:\trw,vers=3,rsize=131072,proto=tcp\n");
	{
		struct shares_paths p2 = p;

		p2.mountstats = path("ms2");

		shares_init(&s, &p2);
	}
	k = nfs_key(3, 4);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.server, "127.0.0.1") && !n.share[0] && !n.candidates[0]);
	CHECK(link(path("ms"), path("ms3")) == 0 && rename(path("ms3"), path("ms2")) == 0);
	CHECK(shares_resolve(&s, &k, T0 + SEC / 2, &n) && !n.share[0] && s.nfs_reads == 1);
	CHECK(shares_resolve(&s, &k, T0 + 3 * SEC / 2, &n) && !strcmp(n.share, "127.0.0.1:/") && s.nfs_reads == 2);
	CHECK(shares_resolve(&s, &k, T0 + 5 * SEC, &n) && !strcmp(n.share, "127.0.0.1:/") && s.nfs_reads == 2);

	/* without /sys/kernel/sunrpc (before 5.13): the one mount of the version names the server too */
	p.sunrpc = "/nonexistent";
	shares_init(&s, &p);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "127.0.0.1:/") && !strcmp(n.server, "127.0.0.1"));
	/* malformed mountstats: a device line cut short, opts without vers, a truncated file */
	put_file("ms", "device 127.0.0.1:/x mounted on\n\topts:\trw\ndevice 10.1.1.1:/e mounted on /m with fstype nfs4\n"
		 "\topts:\trw,vers=9\ndevice [fd00::1]:/v6 mounted on /m6 with fstype nfs st");
	shares_init(&s, &p);
	k = nfs_key(1, 4);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "10.1.1.1:/e") && !strcmp(n.server, "10.1.1.1"));
	k = nfs_key(1, 3);
	CHECK(!shares_resolve(&s, &k, T0, &n));	/* the v6 mount's opts never came: its version is unknown */
	CHECK(s.nnfs == 2);
}

/*
 * Two exports of one server and version mounted at once: the record's superblock (dev, from bpf/nfs.bpf.c)
 * names the one export, by /proc/self/mountinfo's major:minor; dev 0 keeps the candidates.
 */
static void test_nfs_dev(void)
{
	char cmd[512];
	struct shares_paths p = { .mountstats = MOUNTSTATS, .mountinfo = MOUNTINFO, .sunrpc = path("sunrpc"),
				  .nfs_sysfs = "/nonexistent" };
	struct shares_key k = nfs_dev_key(3, 3, MKDEV(0, 29));
	struct shares_name n;

	shares_init(&s, &p);
	CHECK(shares_resolve(&s, &k, T0, &n));
	CHECK(!strcmp(n.share, "127.0.0.1:/srv/nfs/ro") && !strcmp(n.mount, "/mnt/nfs3ro") && !n.candidates[0]);
	CHECK(!strcmp(n.server, "127.0.0.1"));
	CHECK(s.ndev == 4 && s.nfs_reads == 1);	/* tmpfs, nfsd and the rest are not NFS mounts */
	k = nfs_dev_key(3, 3, MKDEV(0, 28));
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "127.0.0.1:/srv/nfs") && !strcmp(n.mount, "/mnt/nfs3"));
	k = nfs_dev_key(3, 4, MKDEV(0, 31));
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "127.0.0.1:/ro") && !strcmp(n.mount, "/mnt/nfs4/ro"));
	CHECK(!n.candidates[0] && !strcmp(n.server, "127.0.0.1"));
	k = nfs_dev_key(3, 4, MKDEV(0, 30));
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "127.0.0.1:/") && !strcmp(n.mount, "/mnt/nfs4"));
	CHECK(s.nfs_reads == 1);
	/* dev 0 (a v4 lease RPC, an old recording): the exports it may be, as before */
	k = nfs_dev_key(3, 4, 0);
	CHECK(shares_resolve(&s, &k, T0, &n) && !n.share[0] && !strcmp(n.candidates, "127.0.0.1:/ 127.0.0.1:/ro"));
	/* a superblock not listed (unmounted since, or mounted after the read): read again, once a second at
	 * most, and the candidates meanwhile */
	k = nfs_dev_key(3, 3, MKDEV(0, 77));
	CHECK(shares_resolve(&s, &k, T0 + 1, &n) && !n.share[0]);
	CHECK(!strcmp(n.candidates, "127.0.0.1:/srv/nfs 127.0.0.1:/srv/nfs/ro") && s.nfs_reads == 1);
	CHECK(shares_resolve(&s, &k, T0 + 2 * SEC, &n) && s.nfs_reads == 2);

	/* one superblock serving two exports (two directories of one file system on the server) names both;
	 * the same export mounted twice names it once, at its first mount; bad lines are skipped */
	put_file("mi", "40 1 0:40 / /mnt/a rw - nfs 10.0.0.1:/data/a rw,vers=3\n"
		 "41 1 0:40 / /mnt/b rw - nfs 10.0.0.1:/data/b rw,vers=3\n"
		 "42 1 0:41 / /mnt/c rw - nfs 10.0.0.1:/data/c rw,vers=3\n"
		 "43 1 0:41 / /mnt/c2 rw - nfs 10.0.0.1:/data/c rw,vers=3\n"
		 "44 1 0:42 / /mnt/x rw shared:3\n"
		 "45 1 x:42 / /mnt/y rw - nfs 10.0.0.1:/y rw\n"
		 "46 1 0:43 / /mnt/z rw - nfs4\n");
	p.mountinfo = path("mi");
	p.sunrpc = "/nonexistent";
	shares_init(&s, &p);
	k = nfs_dev_key(1, 3, MKDEV(0, 40));
	CHECK(shares_resolve(&s, &k, T0, &n) && !n.share[0] && !n.mount[0]);
	CHECK(!strcmp(n.candidates, "10.0.0.1:/data/a 10.0.0.1:/data/b"));
	k = nfs_dev_key(1, 3, MKDEV(0, 41));
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "10.0.0.1:/data/c") && !strcmp(n.mount, "/mnt/c"));
	CHECK(!n.candidates[0] && s.ndev == 4);

	/* a record without dev, on a kernel that links each superblock to its rpc client in /sys/fs/nfs
	 * (fs/nfs/sysfs.c nfs_sysfs_link_rpc_client): the link names the mount; the lease client's does not */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/fsnfs/0:31 %s/fsnfs/0:28 %s/fsnfs/net/nfs_client %s/fsnfs/0:99",
		 dir, dir, dir, dir);
	CHECK(system(cmd) == 0);
	CHECK(symlink("../../../kernel/sunrpc/rpc-clients/clnt-7", path("fsnfs/0:31/nfs_client")) == 0);
	CHECK(symlink("../../../kernel/sunrpc/rpc-clients/clnt-1", path("fsnfs/0:31/nfs_state_client")) == 0);
	CHECK(symlink("../../../kernel/sunrpc/rpc-clients/clnt-3", path("fsnfs/0:28/nfs_client")) == 0);
	CHECK(symlink("../../../kernel/sunrpc/rpc-clients/xprt-9", path("fsnfs/0:99/nfs_client")) == 0);
	p.mountinfo = MOUNTINFO;
	p.sunrpc = path("sunrpc");
	p.nfs_sysfs = path("fsnfs");
	shares_init(&s, &p);
	k = nfs_key(7, 4);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "127.0.0.1:/ro") && !strcmp(n.mount, "/mnt/nfs4/ro"));
	CHECK(!n.candidates[0] && !strcmp(n.server, "127.0.0.1") && s.nsbclnt == 2);
	k = nfs_key(3, 3);
	CHECK(shares_resolve(&s, &k, T0, &n) && !strcmp(n.share, "127.0.0.1:/srv/nfs") && !strcmp(n.mount, "/mnt/nfs3"));
	k = nfs_key(1, 4);	/* the lease client: no superblock is its own */
	CHECK(shares_resolve(&s, &k, T0, &n) && !n.share[0] && !strcmp(n.candidates, "127.0.0.1:/ 127.0.0.1:/ro"));
	CHECK(s.nfs_reads == 1);
}

static union detect_event_test {
	struct aod_ev_hdr h;
	struct aod_ev_smb smb;
	struct aod_ev_nfs nfs;
	struct aod_ev_stall stall;
	struct aod_ev_sched sched;
} ev;

static void smb_ev(uint64_t sesid, uint32_t tid)
{
	memset(&ev, 0, sizeof(ev));
	ev.h.kind = AOD_EV_SMB;
	ev.h.size = sizeof(ev.smb);
	ev.smb.sesid = sesid;
	ev.smb.tid = tid;
}

static void test_tally(void)
{
	struct shares_tally t = { 0 };
	struct shares_key k;

	for (uint32_t i = 0; i < 10; i++)
		for (uint32_t r = 0; r <= i; r++) {
			smb_ev(SES, i);
			shares_tally_add(&t, &ev.h, 1000 * i + r);
		}
	CHECK(t.n == SHARES_MAX);
	CHECK(t.other_count == 9 + 10 && t.other_worst == 9009);
	shares_tally_sort(&t);
	CHECK(t.e[0].key.tree == 7 && t.e[0].count == 8 && t.e[0].worst == 7007);
	CHECK(t.e[7].key.tree == 0 && t.e[7].count == 1);
	smb_ev(SES, 3);
	CHECK(shares_tally_find(&t, &ev.h) == 4);
	smb_ev(SES, 8);
	CHECK(shares_tally_find(&t, &ev.h) == -1);
	/* a reset keeps the old entries' bytes but none of them counts: a share seen again starts at 1 */
	shares_tally_reset(&t);
	CHECK(t.n == 0 && t.other_count == 0 && t.other_worst == 0 && t.e[0].count == 8);
	smb_ev(SES, 0);
	CHECK(shares_tally_find(&t, &ev.h) == -1);
	shares_tally_add(&t, &ev.h, 3);
	CHECK(t.n == 1 && t.e[0].key.tree == 0 && t.e[0].count == 1 && t.e[0].worst == 3);

	/* the same share by an NFS record and an NFS stall; a health record has none */
	memset(&ev, 0, sizeof(ev));
	ev.h.kind = AOD_EV_NFS;
	ev.h.size = sizeof(ev.nfs);
	ev.nfs.client_id = 5;
	ev.nfs.vers = 4;
	CHECK(shares_key_of(&ev.h, &k) && k.proto == NAMES_NFS && k.tree == 5 && k.vers == 4 && !k.sesid && !k.dev);
	ev.nfs.dev = MKDEV(0, 31);
	CHECK(shares_key_of(&ev.h, &k) && k.dev == MKDEV(0, 31));
	memset(&ev, 0, sizeof(ev));
	ev.h.kind = AOD_EV_STALL;
	ev.h.size = sizeof(ev.stall);
	ev.stall.proto = AOD_STALL_NFS;
	ev.stall.tree = 5;
	ev.stall.vers = 4;
	ev.stall.sesid = 99;
	CHECK(shares_key_of(&ev.h, &k) && k.proto == NAMES_NFS && k.tree == 5 && k.vers == 4 && !k.sesid);
	ev.stall.proto = AOD_STALL_SMB;
	ev.stall.vers = 0;
	CHECK(shares_key_of(&ev.h, &k) && k.proto == NAMES_SMB && k.sesid == 99);
	ev.h.size = sizeof(ev.stall) - 1;	/* short: not trusted */
	CHECK(!shares_key_of(&ev.h, &k));
	memset(&ev, 0, sizeof(ev));
	ev.h.kind = AOD_EV_SCHED;
	ev.h.size = sizeof(ev.sched);
	CHECK(!shares_key_of(&ev.h, &k));
	memset(&t, 0, sizeof(t));
	shares_tally_add(&t, &ev.h, 5);
	CHECK(t.n == 0 && t.other_count == 0);
}

static void test_label(void)
{
	struct shares_name n = { 0 };

	CHECK(!strcmp(shares_label(&n), "unknown"));
	strcpy(n.server, "10.0.0.1");
	CHECK(!strcmp(shares_label(&n), "10.0.0.1"));
	strcpy(n.share, "//10.0.0.1/data");
	CHECK(!strcmp(shares_label(&n), "//10.0.0.1/data"));
}

int main(void)
{
	char cmd[96];

	snprintf(dir, sizeof(dir), "/tmp/aod-shares-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_smb();
	test_reread_limit();
	test_smb_bad_input();
	test_nfs();
	test_nfs_dev();
	test_tally();
	test_label();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
