#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Host-side checks of the NFS guest suite: aod's NFS records (latency, queue/rtt split, status errors) and logs.
"""Prints one `ok - NAME` / `not ok - NAME` / `skip - NAME: reason` line per case.  Procedure names come from the
guest kernel itself: /proc/self/mountstats lists each client's procedures in p_statidx order, which is the `proc`
unit of struct aod_ev_nfs."""

import argparse
import os
import re
import shlex
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tempfile  # noqa: E402
from verify import (Fail, bundles, check_outage, check_sockconn, exit_ok, live_history, markers, need,  # noqa: E402
                    not_ok, read)

CASES = ["nfs-boot", "nfs-late", "nfs-latency-tracepoint", "nfs-latency-fentry", "nfs-latency-kprobe", "nfs-replay",
         "nfs-probes", "nfs-outage", "nfs-sockconn"]
# The guest scenario each host case needs.
NEEDS = {"nfs-boot": None, "nfs-replay": "nfs-latency-tracepoint"}

AOD_EV_NFS = 2
AOD_NFS_ERR, AOD_NFS_OVER, AOD_NFS_SPLIT = 1, 2, 4
NFS_NO_OP = 0xFFFF
# struct aod_ev_hdr (40 bytes) then struct aod_ev_nfs's own fields, bpf/events.h
HDR = struct.Struct("<HHIQII16s")
NFS = struct.Struct("<QQQIIHHHHiIII")
ROFS, NOENT = 30, 2		# NFS3ERR_ROFS = NFS4ERR_ROFS, NFS3ERR_NOENT = NFS4ERR_NOENT
OP_OPEN, OP_LOOKUP = 18, 15	# NFSv4 operation numbers (RFC 7530)
THRESHOLD_MS = 150		# nfs.latency in test/vm/conf/nfs.yaml
NETEM_MS = 100			# each way on lo: a round trip is about 200 ms


def records(path):
    """The NFS records of an `aod run --record` stream (docs/record-format.md)."""
    data = open(path, "rb").read()
    need(data[:8] == b"AODREC\n\0", f"{path}: not a record stream")
    off = struct.unpack_from("<I", data, 12)[0]
    out = []
    while off + HDR.size <= len(data):
        kind, size, cpu, ts, pid, tid, comm = HDR.unpack_from(data, off)
        need(size >= HDR.size, f"{path}: record of size {size} at {off}")
        if kind == AOD_EV_NFS:
            need(size >= HDR.size + NFS.size, f"{path}: short NFS record ({size} bytes)")
            (lat, queue, rtt, xid, prog, vers, proc, op, flags, rpc_status, nfs_status, clid,
             _dev) = NFS.unpack_from(data, off + HDR.size)
            out.append(dict(pid=pid, comm=comm.rstrip(b"\0").decode(errors="replace"), lat=lat / 1e6,
                            queue=queue / 1e6, rtt=rtt / 1e6, xid=xid, prog=prog, vers=vers, proc=proc, op=op,
                            flags=flags, rpc_status=rpc_status, nfs_status=nfs_status, clid=clid))
        off += (size + 7) & ~7
    return out


def proc_names(mountstats):
    """{vers: [name by procedure index]} from the per-op sections of /proc/self/mountstats."""
    names = {}
    for sect in re.split(r"\n(?=device )", mountstats):
        v = re.search(r"RPC iostats version: \S+\s+p/v: 100003/(\d+)", sect)
        per = sect.split("per-op statistics", 1)
        if not v or len(per) < 2:
            continue
        names[int(v.group(1))] = re.findall(r"^\s*([A-Z0-9_]+):", per[1], re.M)
    return names


def name(names, e):
    n = names.get(e["vers"], [])
    return n[e["proc"]] if e["proc"] < len(n) else f"v{e['vers']}#{e['proc']}"


def check_run(res, scen, method):
    d = os.path.join(res, scen)
    evs = records(os.path.join(d, "nfs.rec"))
    names = proc_names(read(os.path.join(d, "mountstats.txt")))
    need(3 in names and 4 in names, f"no v3 and v4 per-op statistics in {scen}/mountstats.txt: {sorted(names)}")
    need(all(e["prog"] == 100003 for e in evs), "a record of another RPC program than NFS crossed")
    lat = [e for e in evs if not e["flags"] & AOD_NFS_ERR]
    errs = [e for e in evs if e["flags"] & AOD_NFS_ERR]
    facts = []
    for v in (3, 4):
        lv = [e for e in lat if e["vers"] == v]
        need(lv, f"no NFSv{v} latency record")
        for e in lv:
            need(e["lat"] >= THRESHOLD_MS or e["lat"] >= 1000, f"v{v} {name(names, e)} under the threshold: {e}")
            need(e["flags"] & AOD_NFS_OVER, f"v{v} {name(names, e)}: OVER flag missing: {e}")
            need(e["pid"] > 0, f"v{v} {name(names, e)}: no owner pid: {e}")
            need(e["flags"] & AOD_NFS_SPLIT, f"v{v} {name(names, e)}: no queue/rtt split: {e}")
            need(e["queue"] + e["rtt"] <= e["lat"] + 0.01,
                 f"v{v} {name(names, e)}: queue {e['queue']:.1f} + rtt {e['rtt']:.1f} ms exceed {e['lat']:.1f} ms")
        near = [e for e in lv if 2 * NETEM_MS * 0.9 <= e["lat"] <= 2 * NETEM_MS * 1.5]
        need(near, f"no v{v} RPC near the {2 * NETEM_MS} ms round trip: "
             + ", ".join(f"{name(names, e)} {e['lat']:.0f}" for e in lv[:8]))
        ops = sorted({name(names, e) for e in lv})
        need(all(not o.startswith("v") for o in ops), f"v{v} records name procedures the client lacks: {ops}")
        # What queue and rtt leave over is the client's time after the reply (wakeup, decode): under TCG one
        # RPC in ten loses tens of ms there, so the sum over the run must be within 10 %, and most RPCs each.
        total = sum(e["lat"] for e in lv)
        rest = total - sum(e["queue"] + e["rtt"] for e in lv)
        need(rest <= 0.10 * total, f"v{v}: queue + rtt leave {100 * rest / total:.1f} % of the latency unexplained")
        gaps = sorted((e["lat"] - e["queue"] - e["rtt"]) / e["lat"] for e in lv)
        within = sum(1 for g in gaps if g <= 0.10)
        need(within >= 0.8 * len(gaps), f"v{v}: only {within} of {len(gaps)} RPCs split within 10 %")
        worst = gaps[-1]
        facts.append(f"v{v}: {len(lv)} slow ({', '.join(ops[:6])}), {len(near)} near {2 * NETEM_MS} ms, "
                     f"split sums to {100 * (total - rest) / total:.1f} % of the latency, {within}/{len(gaps)} RPCs within "
                     f"10 %, worst {100 * worst:.1f} %")
        ev = [e for e in errs if e["vers"] == v]
        rofs = [e for e in ev if e["nfs_status"] == ROFS]
        need(rofs, f"no NFSv{v} ROFS error record: " + ", ".join(f"{name(names, e)}/{e['nfs_status']}" for e in ev))
        noent = [e for e in ev if e["nfs_status"] == NOENT]
        need(noent, f"no NFSv{v} NOENT error record")
        if v == 4 and method == "tracepoint":
            need(any(e["op"] == OP_OPEN for e in rofs), f"v4 ROFS does not name OP_OPEN: {rofs}")
            need(any(e["op"] == OP_LOOKUP for e in noent), f"v4 NOENT does not name OP_LOOKUP: {noent}")
        elif v == 4:
            need(all(e["op"] == NFS_NO_OP for e in ev), "rpc_exit_task cannot know the op, yet one is named")
        facts.append(f"v{v} errors: ROFS on {sorted({name(names, e) for e in rofs})}, NOENT on "
                     f"{sorted({name(names, e) for e in noent})}")
    facts.append(check_bundles(d))
    want = {"tracepoint": r"nfs: attached via tracepoint", "fentry": r"nfs: attached via fentry",
            "kprobe": r"nfs: attached via kprobe"}[method]
    need(re.search(want, read(os.path.join(d, "aod.log"))), f"aod.log has no /{want}/")
    exit_ok(d)
    return "; ".join(facts)


def check_history(lat):
    """history.json in every NFS latency bundle counts every RPC by procedure, the fast ones too."""
    fast = total = 0
    procs = set()
    for b in lat:
        h = live_history(b)
        for s in h.get("timeline") or []:
            for c in s["commands"]:
                if c["proto"] != "nfs":
                    continue
                need(str(c.get("proc", "")).startswith(("NFSPROC4_CLNT_", "NFS3PROC_")) and c.get("vers") in (3, 4),
                     f"{b.name}: history row without an NFS procedure and version: {c}")
                procs.add(c["proc"])
                total += c["ok"] + c["failed"]
                fast += sum(v for k, v in c["latency_us_log2"].items() if int(k) < THRESHOLD_MS * 1000 // 2)
        need(any(float(w.get("latency_ms", 0)) >= THRESHOLD_MS for w in h.get("worst") or []),
             f"{b.name}: history's worst RPCs are all under the threshold")
    need(fast > 0, "no history.json counts an RPC well under the threshold: only the slow ones were seen")
    return f"history {total} RPCs of {len(procs)} procedures, {fast} fast"


EXPORTS = {3: ("127.0.0.1:/srv/nfs", "127.0.0.1:/srv/nfs/ro"), 4: ("127.0.0.1:/", "127.0.0.1:/ro")}


def check_names(bs):
    """Issue 15 item 8: every NFS event names the server and the export. Both versions mount two exports of one
    server here, which share one rpc transport: an event names its export (check_one_export: alone, where the
    record carries its superblock), else the exports it may be, and they must be those of its version on that
    server."""
    seen = set()
    named = [0, 0]
    for b in bs:
        for e in b.events():
            v = int(e.get("vers", 0))
            exports = e["share"].split() if e.get("share") else str(e.get("share_candidates", "")).split()
            # the mount's own first RPCs (EXCHANGE_ID, SECINFO_NO_NAME ...) come before it is listed in mountstats
            need(e.get("server") == "127.0.0.1" and set(exports) <= set(EXPORTS.get(v, ())),
                 f"{b.name}: v{v} {e.get('proc')} names server={e.get('server')!r} share={e.get('share')!r} "
                 f"candidates={e.get('share_candidates')!r}, wanted {EXPORTS.get(v)}")
            seen.update(exports)
            named[bool(exports)] += 1
        summary = b.anomaly.get("shares") or []
        need(summary and sum(int(s.get("count", 0)) for s in summary) == int(b.anomaly.get("count", -1)),
             f"{b.name}: the shares summary {summary} does not add up to the anomaly's count {b.anomaly.get('count')}")
    need(named[1] > named[0], f"only {named[1]} of {sum(named)} events name their export")
    return seen


# NFSv4 RPCs of the client's lease and session: they go on the nfs_client's own rpc client, which no superblock
# has, and serve every mount of the server; the rest go on their mount's own client.
V4_STATE = {"NFSPROC4_CLNT_" + n for n in ("RENEW", "SETCLIENTID", "SETCLIENTID_CONFIRM", "EXCHANGE_ID",
                                           "CREATE_SESSION", "DESTROY_SESSION", "SEQUENCE", "GET_LEASE_TIME",
                                           "RECLAIM_COMPLETE", "DESTROY_CLIENTID", "BIND_CONN_TO_SESSION")}
RO = {3: "127.0.0.1:/srv/nfs/ro", 4: "127.0.0.1:/ro"}
RW = {3: "127.0.0.1:/srv/nfs", 4: "127.0.0.1:/"}


def check_one_export(lat, errs):
    """Two exports of one server, same version, mounted at once: an event of a mount's own RPC names that export
    alone (from its superblock's s_dev, bpf/nfs.bpf.c), never candidates. The refusals come from the read-only
    export only, the slow file work from the other, the missing names from both (a create looks its name up)."""
    n = 0
    for b in lat + errs:
        rule = b.anomaly.get("rule")
        err = rule is not None
        for e in b.events():
            v = int(e.get("vers", 0))
            if v == 4 and e.get("proc") in V4_STATE:
                continue
            # a create on the read-only export looks its name up first: NOENT comes from both exports
            want = (RO.get(v),) if rule in ("rofs", "rofs_many") else (RO.get(v), RW.get(v)) if err else (RW.get(v),)
            need(e.get("share") in want and not e.get("share_candidates") and e.get("mount"),
                 f"{b.name}: v{v} {e.get('proc')} names share={e.get('share')!r} mount={e.get('mount')!r} "
                 f"candidates={e.get('share_candidates')!r}, wanted {want} alone")
            n += 1
    need(n, "no event of a mount's own RPC to check")
    return n


def check_bundles(d):
    """What detection made of the records: latency bundles naming procedures, rule rofs fired, rofs_many not."""
    with tempfile.TemporaryDirectory() as tmp:
        lat = bundles(d, tmp, "nfs_latency")
        need(lat, "no nfs latency bundle")
        names = set()
        split = [0.0, 0.0]
        for b in lat:
            for e in b.events():
                need(str(e.get("proc", "")).startswith(("NFSPROC4_CLNT_", "NFS3PROC_")),
                     f"{b.name}: event without an NFS procedure name: {e}")
                need(float(e.get("latency_ms", 0)) >= THRESHOLD_MS, f"{b.name}: event under the threshold: {e}")
                if "queue_ms" in e:
                    parts = float(e["queue_ms"]) + float(e["rtt_ms"])
                    need(parts <= float(e["latency_ms"]) + 0.01, f"{b.name}: manifest split exceeds the latency: {e}")
                    split[0] += parts
                    split[1] += float(e["latency_ms"])
                names.add(e["proc"])
        hist = check_history(lat)
        need(split[1] > 0, "no manifest event carries the queue/rtt split")
        need(split[0] >= 0.9 * split[1], f"manifest events: queue + rtt are {100 * split[0] / split[1]:.1f} % of the latency")
        err = bundles(d, tmp, "nfs_error")
        rules = sorted({b.anomaly.get("rule") for b in err})
        need("rofs" in rules, f"rule 'rofs' (2 ROFS per interval) did not fire; rules fired: {rules}")
        need("rofs_many" not in rules, f"rule 'rofs_many' (7 per interval, one more than the refusals) fired: {rules}")
        codes = {e.get("nfs_status_name") for b in err if b.anomaly.get("rule") == "rofs" for e in b.events()}
        need(codes & {"NFS4ERR_ROFS", "NFS3ERR_ROFS"}, f"rule 'rofs' events carry no ROFS status: {codes}")
        exports = check_names(lat + err)
        alone = check_one_export(lat, err)
        need({"127.0.0.1:/srv/nfs", "127.0.0.1:/"} <= exports, f"the manifests name only the exports {sorted(exports)}")
    return (f"{len(lat)} latency bundles ({', '.join(sorted(names)[:5])}), {hist}, manifest split "
            f"{100 * split[0] / split[1]:.1f} %; rules fired {rules}, "
            f"codes {sorted(c for c in codes if c)}; exports named {sorted(exports)}, {alone} events name one alone")


def case_late(res, mk):
    m = mk.get("nfs-late") or {}
    need(m.get("waiting") == "yes", "aod did not log that it waits for the sunrpc/nfs modules")
    need(m.get("attached") == "yes", "aod did not attach within 20 s of loading the NFS client")
    need(m.get("reattached") == "yes", "aod did not re-attach when nfsv4 loaded")
    log = read(os.path.join(res, "nfs-late", "aod.log"))
    w, a = log.find("nfs: waiting for the sunrpc/nfs modules"), log.find("nfs: attached via")
    need(0 <= w < a, "the waiting line does not come before the attach line")
    need(m.get("v3") == "refused,missing" and m.get("v4") == "refused,missing",
         f"the server did not refuse as planned: v3={m.get('v3')} v4={m.get('v4')}")
    return check_run(res, "nfs-late", "tracepoint")


def case_latency(method):
    def run(res, mk):
        return check_run(res, "nfs-latency-" + method, method)
    return run


def case_probes(res, mk):
    d = os.path.join(res, "nfs-probes")
    out = read(os.path.join(d, "probes.txt"))
    line = re.search(r"^nfs +(\S+) +(.*)$", out, re.M)
    need(line, "aod probes printed no nfs line:\n" + out[-800:])
    need(line.group(1) == "tp_btf", f"nfs method is {line.group(1)}, wanted tp_btf: {line.group(0)}")
    need("rpc_stats_latency" in line.group(2) and "nfs4:nfs4_xdr_status" in line.group(2)
         and "once nfsv4" not in line.group(2), f"nfs line does not name every hook: {line.group(0)}")
    # issue 15 item 5: RPCs in flight (stalls) and the transport's reconnects
    need("stalls: sunrpc:rpc_task_begin" in line.group(2) and "reconnects: sunrpc:xprt_disconnect_force" in line.group(2),
         f"nfs line does not name the stall and reconnect hooks: {line.group(0)}")
    need(read(os.path.join(d, "exit")).strip() == "0", "aod probes failed")
    return line.group(0)


def live_counts(d):
    """What the guest's own bundles of one run counted: slow RPCs (the latency anomalies' counts; with
    acceptable_count 1 each slow RPC counts in exactly one window) and latency bundles."""
    with tempfile.TemporaryDirectory() as tmp:
        lat = bundles(d, tmp, "nfs_latency")
        return sum(int(b.anomaly.get("count", 0)) for b in lat), len(lat)


def case_replay(res, mk, aod, root):
    """The tracepoint run's recording (test/fixtures/nfs-latency.rec is one, made by run.sh --update-fixture)
    replayed on this host with the guest's config counts the slow RPCs the guest's own bundles counted."""
    d = os.path.join(res, "nfs-latency-tracepoint")
    rec = os.path.join(d, "nfs.rec")
    need(os.path.exists(rec) and os.path.getsize(rec) > 0, "no recorded stream " + rec)
    slow = sum(1 for e in records(rec) if e["flags"] & AOD_NFS_OVER and not e["flags"] & AOD_NFS_ERR)
    n_live, b_live = live_counts(d)
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "aod.yaml")
        with open(conf, "w") as f:
            f.write(read(os.path.join(root, "test/vm/conf/nfs.yaml")).replace("@OUT@", tmp))
        r = subprocess.run(shlex.split(aod) + ["replay", rec, "-c", conf, "--output-dir", tmp], capture_output=True,
                           text=True, timeout=120)
        need(r.returncode == 0, f"aod replay exited {r.returncode}: {(r.stdout + r.stderr)[-600:]}")
        lat = bundles(tmp, tmp, "nfs_latency")
        n_replay = sum(int(b.anomaly.get("count", 0)) for b in lat)
    need(n_live == n_replay == slow, f"replay counted {n_replay} slow RPCs in {len(lat)} bundles, the guest "
         f"{n_live} in {b_live}; the recording holds {slow} over the threshold")
    return f"{os.path.getsize(rec)} bytes replay to {len(lat)} latency bundles counting {n_replay} slow RPCs, as live"


def case_sockconn(res, mk):
    with tempfile.TemporaryDirectory() as tmp:
        return check_sockconn(res, mk, tmp, "nfs-sockconn", "nfs", 2049)


def case_outage(res, mk):
    with tempfile.TemporaryDirectory() as tmp:
        return check_outage(res, mk, tmp, "nfs-outage", "nfs", ("NFS3PROC_READ",), "xprt_disconnect_force")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results")
    ap.add_argument("--console")
    ap.add_argument("--aod")
    ap.add_argument("--root")
    ap.add_argument("--only", default="")
    ap.add_argument("--live-counts", metavar="DIR",
                    help="print what DIR's NFS latency bundles counted (slow_rpcs=N latency_bundles=M) and exit")
    o = ap.parse_args()
    if o.live_counts:
        n, b = live_counts(o.live_counts)
        print(f"slow_rpcs={n} latency_bundles={b}")
        return 0
    if not (o.results and o.console and o.aod and o.root):
        ap.error("--results, --console, --aod and --root are required")
    console = read(o.console)
    mk = markers(console)
    only = [s for s in o.only.split(",") if s]
    booted = "AODVM done" in console and "AODVM results written" in console
    funcs = {"nfs-late": case_late, "nfs-probes": case_probes, "nfs-outage": case_outage, "nfs-sockconn": case_sockconn,
             "nfs-replay": lambda r, m: case_replay(r, m, o.aod, o.root)}
    for meth in ("tracepoint", "fentry", "kprobe"):
        funcs["nfs-latency-" + meth] = case_latency(meth)
    failed = False
    for c in CASES:
        scen = NEEDS.get(c, c)
        if scen and only and scen not in only:
            print(f"skip - {c}: not in --only {o.only}")
            continue
        try:
            need(booted, "the guest did not finish: no 'AODVM done' / 'AODVM results written' on the console")
            need("AODVM setup nfs=failed" not in console, "the NFS server did not start in the guest")
            if c == "nfs-boot":
                print("ok - nfs-boot (nfsd, mountd and rpcbind on lo)")
                continue
            need(scen in mk, f"the guest printed no result marker for scenario {scen}")
            print(f"ok - {c} ({funcs[c](o.results, mk)})")
        except Exception as e:
            failed = True
            not_ok(c, e, o.results, scen)
    if failed:
        print("#   guest console, last 60 lines:")
        for line in console.splitlines()[-60:]:
            print(f"#   | {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
