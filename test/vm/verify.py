#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Host-side checks of the test/vm guest's results: markers, aod logs, and every bundle opened with tar and zstd.
"""Prints one `ok - NAME` / `not ok - NAME` / `skip - NAME: reason` line per scenario, then the console tail
when anything failed.  Exit status 1 when a case failed."""

import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

CASES = ["boot", "late", "probes", "health", "ioerr", "trace", "quiet", "latency-tracepoint", "latency-fentry", "latency-kprobe",
         "replay", "single", "errors", "emergency", "stall", "outage", "sockconn", "release", "crash", "capture", "capture-trace",
         "capture-ring", "aodv2"]
# The guest scenario each host case needs.
NEEDS = {"boot": None, "replay": "latency-tracepoint"}
# The cases a guest architecture leaves out, and why (test/vm/run.sh --arch; run.sh asks --scenarios for the rest).
NOT_ON = {"aarch64": {
    # Debian's arm64 6.1 kernel has no ftrace direct calls (arm64 gained them in 6.4): fentry/fexit do not attach,
    # so aod falls back to kprobes and /proc/vmstat there.
    "latency-fentry": "fentry/fexit do not attach on the arm64 6.1 guest kernel (arm64 has ftrace direct calls since 6.4)",
    # Emulated arm64 is several times slower than emulated x86: the mount's own commands pass quiet's 150 ms
    # threshold with no delay at all (NEGOTIATE 494 ms, SESSION_SETUP 185 ms, CREATE 162 ms seen).
    "quiet": "under arm64 TCG the mount's own commands take over quiet's 150 ms threshold with no delay",
    # The same kernel gap for io.error: without fexit only the syscall-level hook is left, which aod leaves off
    # unless asked (issue 11's cost rule), and ioerr checks the fexit default.
    "ioerr": "fexit does not attach on the arm64 6.1 guest kernel, and syscall-level io.error is opt-in",
}}
# How much slower than emulated x86 a guest architecture runs under TCG: the per-bundle upper bound of a latency
# scenario grows by it (arm64 under a loaded host: a single CREATE at 821 ms behind 100 ms of netem). The check
# that some commands sit near the 200 ms round trip stays as it is.
SLOWER = {"aarch64": 2.0}
ARCH = "x86_64"
# The commands of a mount's own setup: their time is crypto and setup, which emulation slows down, not netem.
HANDSHAKE = ("SMB2_NEGOTIATE", "SMB2_SESSION_SETUP", "SMB2_TREE_CONNECT")


class Fail(Exception):
    pass


class Skip(Exception):
    """A host tool a check needs is missing: a skip, or a failure on CI, which must run every check."""


def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def markers(console):
    """AODVM scenario=NAME k=v ... lines; the last one per scenario that has more than 'start'."""
    out = {}
    for line in console.splitlines():
        m = re.search(r"AODVM (scenario=\S+.*)$", line)
        if not m:
            continue
        kv = dict(p.split("=", 1) for p in m.group(1).split() if "=" in p)
        if len(kv) > 1:
            out[kv["scenario"]] = kv
    return out


class Bundle:
    """One aod_quick_*.tar.zst, unpacked with the host's zstd and tar."""

    def __init__(self, path, tmp):
        self.path = path
        self.name = os.path.basename(path)
        self.dir = tempfile.mkdtemp(dir=tmp)
        t = subprocess.run(["zstd", "-q", "-t", path], capture_output=True, text=True)
        if t.returncode:
            raise Fail(f"{self.name}: zstd -t fails: {t.stderr.strip()}")
        x = subprocess.run(f"zstd -q -dc '{path}' | tar -x -C '{self.dir}'", shell=True, capture_output=True,
                           text=True)
        if x.returncode:
            raise Fail(f"{self.name}: does not unpack with zstd | tar: {x.stderr.strip()}")
        try:
            with open(os.path.join(self.dir, "manifest.json")) as f:
                self.manifest = json.load(f)
        except (OSError, ValueError) as e:
            raise Fail(f"{self.name}: manifest.json unreadable: {e}")
        self.anomaly = self.manifest.get("anomaly") or {}

    def file(self, name):
        return read(os.path.join(self.dir, name), None)

    def events(self):
        return self.anomaly.get("events") or []

    def action(self, name):
        for a in self.manifest.get("actions") or []:
            if a.get("name") == name:
                return a
        return None


def bundles(d, tmp, what):
    return [Bundle(p, tmp) for p in sorted(glob.glob(os.path.join(d, "batches", f"aod_quick_*_{what}.tar.zst")))]


def exit_ok(d):
    rc = read(os.path.join(d, "exit")).strip()
    if rc != "0":
        raise Fail(f"aod exited {rc or '(no exit recorded)'} after TERM")


def need(cond, msg):
    if not cond:
        raise Fail(msg)


def describe(evs, n=6):
    return ", ".join(f"{e.get('command')} {float(e.get('latency_ms', 0)):.0f}ms" for e in evs[:n])


# ---- the cases ----

def check_latency_bundles(d, tmp, method=None, low=150.0, high=1000.0, actions=True):
    high *= SLOWER.get(ARCH, 1.0)
    lat = bundles(d, tmp, "smb_latency")
    need(lat, "no smb latency bundle in " + d + "/batches")
    need([b for b in lat if any(e.get("command") not in HANDSHAKE for e in b.events())],
         "every latency bundle holds only the mount's handshake: " + "; ".join(describe(b.events()) for b in lat))
    mounted = []  # per bundle, in time order (the names hold the time): does mounts.log show the cifs mount?
    for b in lat:
        a = b.anomaly
        need(a.get("type") == "latency" and a.get("proto") == "smb", f"{b.name}: anomaly is {a}")
        evs = b.events()
        need(evs, f"{b.name}: manifest lists no events")
        for e in evs:
            need(e.get("command", "unknown") != "unknown" and str(e.get("command")).startswith("SMB2_"),
                 f"{b.name}: event without an SMB2 command name: {e}")
            need(float(e.get("latency_ms", 0)) >= 150.0, f"{b.name}: event under the 150 ms threshold: {e}")
        # The mount's handshake (slow under a loaded TCG host) takes the emulated CPU's time, not the delay's.
        near = [e for e in evs if low <= float(e["latency_ms"]) < high]
        need(near or all(e.get("command") in HANDSHAKE for e in evs),
             f"{b.name}: no command between {low:.0f} and {high:.0f} ms: {describe(evs)}")
        for act, want in () if not actions else (("debugdata", r"CIFS Version|Display Internal CIFS Data Structures"),
                          ("stats", r"Resources in use|SMBs"), ("mounts", r"\scifs\s"), ("dmesg", None)):
            r = b.action(act)
            need(r is not None, f"{b.name}: manifest has no '{act}' action")
            body = b.file(f"{act}.log")
            need(body is not None, f"{b.name}: no {act}.log in the bundle")
            if act == "mounts":
                mounted.append((b.name, bool(re.search(want, body)), r))
            elif want:
                need(re.search(want, body), f"{b.name}: {act}.log lacks /{want}/ (action {r})")
        if method:
            sm = str((b.manifest.get("probes") or {}).get("smb_method", ""))
            alias = {"tracepoint": ("tracepoint", "tp_btf", "raw_tp"), "fentry": ("fentry", "fexit"),
                     "kprobe": ("kprobe",)}[method]
            need(any(x in sm for x in alias), f"{b.name}: probes.smb_method is '{sm}', wanted {method}")
    # The mount's own slow commands (its handshake, its first CREATE of the root under emulation) can make a
    # bundle before mount.cifs returns, and the umount's after it: those may lack the mount. Every bundle
    # between the first and the last that show it must show it too.
    if mounted:
        shown = [i for i, (_, ok, _) in enumerate(mounted) if ok]
        need(shown, f"no bundle's mounts.log shows the cifs mount (action {mounted[0][2]})")
        for name, ok, r in mounted[shown[0]:shown[-1] + 1]:
            need(ok, f"{name}: mounts.log lacks the cifs mount that bundles before and after it show (action {r})")
    return lat


SHARES = ("//127.0.0.1/share", "//127.0.0.1/ro")


def check_names(d, bs, shares=SHARES):
    """Issue 15 item 8: every event on a tree names its share, the server and the mount's user; each manifest
    sums its events per share; the alert and the log name them too."""
    named = set()
    for b in bs:
        for e in b.events():
            if not e.get("sesid") or not e.get("tid"):
                continue    # NEGOTIATE, SESSION_SETUP: no tree yet
            need(e.get("share") in shares and e.get("server") == "127.0.0.1" and e.get("user") == "aod",
                 f"{b.name}: {e.get('command')} on tid {e.get('tid')} is named share={e.get('share')!r} "
                 f"server={e.get('server')!r} user={e.get('user')!r}")
            named.add(e["share"])
        summary = b.anomaly.get("shares") or []
        need(summary and sum(int(s.get("count", 0)) for s in summary) == int(b.anomaly.get("count", -1)),
             f"{b.name}: the shares summary {summary} does not add up to the anomaly's count {b.anomaly.get('count')}")
    need(named, "no event on a tree to name")
    log = read(os.path.join(d, "aod.log"))
    for sh in named:
        need(re.search(r"detected anomaly: smb \w+ .* on " + re.escape(sh) + r" \(server 127\.0\.0\.1, user aod\)", log) or
             re.search(r"smb \w+: " + re.escape(sh) + r" \([^)]*\): \d+ events?, worst", log),
             f"aod.log names {sh} in no alert and no summary line")
    return "names " + ",".join(sorted(named))


def case_late(res, mk, tmp):
    d = os.path.join(res, "late")
    m = mk.get("late") or {}
    need(m.get("waiting") == "yes", "aod did not log that it waits for cifs before `modprobe cifs`")
    need(m.get("attached") == "yes", "aod did not log an attach within 20 s of `modprobe cifs`")
    log = read(os.path.join(d, "aod.log"))
    w = re.search(r"wait", log, re.I)
    a = re.search(r"attached", log)
    need(w and a and w.start() < a.start(), "the waiting line does not come before the attach line")
    lat = check_latency_bundles(d, tmp)
    exit_ok(d)
    return f"{len(lat)} latency bundle(s) after the late attach"


def case_release(res, mk, tmp):
    d = os.path.join(res, "release")
    m = mk.get("release") or {}
    need(m.get("pinned") == "yes", "rmmod cifs worked under the default attach: nothing to release was tested")
    need(m.get("released") == "yes", "no 'released the cifs module' line within 10 s of SIGUSR2")
    need(m.get("rmmod") == "yes", "rmmod cifs failed after SIGUSR2: " + read(os.path.join(d, "rmmod.txt")).strip())
    need(m.get("reattached") == "yes", "no 're-attached' line within 20 s of loading cifs again")
    log = read(os.path.join(d, "aod.log"))
    need(re.search(r"holds the cifs module", log), "the attach line does not say that it holds the cifs module")
    lat = check_latency_bundles(d, tmp)
    exit_ok(d)
    return f"rmmod refused, then worked after SIGUSR2; re-attached; {len(lat)} latency bundle(s) after"


def case_probes(res, mk, tmp):
    d = os.path.join(res, "probes")
    out = read(os.path.join(d, "probes.txt"))
    need(read(os.path.join(d, "exit")).strip() == "0", "aod probes exited " + read(os.path.join(d, "exit")).strip())
    smb = [l for l in out.splitlines() if re.match(r"\s*smb\b", l)]
    need(smb, "aod probes printed no smb line")
    need(not re.search(r"waiting|none", smb[0]), f"smb is not usable: {smb[0]}")
    # Issue 5: with cifs loaded, `aod probes` reports each SMB attach method as available on this kernel.
    bad = re.compile(r"fail|refused|not found|not available|unavailable|EPERM|ENOENT|EINVAL")
    names = {"tracepoint": r"tracepoint|tp_btf|raw_tp", "fentry": r"fentry|fexit", "kprobe": r"kprobe"}
    if "latency-fentry" in NOT_ON.get(ARCH, {}):
        del names["fentry"]
    for meth, pat in names.items():
        lines = [l for l in smb if re.search(pat, l)]
        need(lines, f"aod probes reports no smb {meth} method; its smb lines: " + " | ".join(smb))
        need(any(not bad.search(l) for l in lines), f"smb {meth} is reported unusable: " + " | ".join(lines))
    # issue 15 item 5: the tracepoint attach names the reconnect hooks it added
    tp = [l for l in smb if re.search(names["tracepoint"], l)]
    need(any("smb3_reconnect" in l and "smb3_connect_done" in l for l in tp),
         "the smb tracepoint line names no reconnect hooks: " + " | ".join(tp))
    return " | ".join(" ".join(l.split()) for l in smb)


def case_health(res, mk, tmp):
    d = os.path.join(res, "health")
    out = read(os.path.join(d, "monitor.txt"))
    rc = read(os.path.join(d, "exit")).strip()
    need(rc == "0", f"aod monitor exited {rc}: {read(os.path.join(d, 'stderr.txt'))[-400:]}")
    m = re.search(r"^attached: (.*(?:\n {2,}.*)*)", out, re.M)
    need(m, "aod monitor printed no 'attached:' header")
    att = " ".join(m.group(1).split())
    need(re.search(r"vfs (fentry|fexit|kprobe)", att), f"vfs did not attach by fentry or kprobe: {att}")
    faults = r"fexit|fentry|kprobe" + ("|/proc/vmstat" if "latency-fentry" in NOT_ON.get(ARCH, {}) else "")
    need(re.search(rf"faults ({faults})", att), f"faults did not attach by {faults.replace('|', ' or ')}: {att}")
    vfs = [l for l in out.splitlines() if re.match(r"\S+ VFS ", l)]
    need(vfs, "no VFS event for the dd/cat workload with --vfs-warn 1")
    return f"{len(vfs)} VFS events; attached: {att[:120]}"


def case_ioerr(res, mk, tmp):
    """io.error attaches by fexit by default where fexit works, and a failing write fires its rule."""
    d = os.path.join(res, "ioerr")
    exit_ok(d)
    log = read(os.path.join(d, "aod.log"))
    need(re.search(r"health: io: fexit", log), "io did not attach by fexit: " +
         " | ".join(l for l in log.splitlines() if "health: io" in l))
    need("syscall level" not in log, "a syscall-level cost warning with fexit available")
    probes = [l for l in read(os.path.join(d, "probes.txt")).splitlines() if re.match(r"io\s", l)]
    need(probes and re.match(r"io\s+fexit\s", probes[0]), f"aod probes' io line: {probes}")
    need("No space left" in read(os.path.join(d, "dd.txt")), "dd did not fail with ENOSPC")
    bs = bundles(d, tmp, "io_error")
    need(len(bs) == 1, f"{len(bs)} io_error bundles, wanted 1")
    a = bs[0].anomaly
    need(a.get("rule") == "nospace" and a.get("count") == 1, f"rule {a.get('rule')} count {a.get('count')}")
    evs = bs[0].events()
    need(evs and all(e.get("op") == "write" and e.get("errno") == "ENOSPC" and e.get("measured") == "vfs" and
                     e.get("comm") == "dd" and e.get("ino", 0) > 0 for e in evs), f"events: {evs}")
    need("rule manyspace" not in log, "rule manyspace (50 per interval) fired")
    return f"fexit; rule nospace: {evs[0]['op']} {evs[0]['errno']} by {evs[0]['comm']} ino {evs[0]['ino']}"


def case_trace(res, mk, tmp):
    """aod version names the guest's architecture, and aod trace names cat's openat of the marker with its path:
    the syscall numbers and argument registers of that architecture, on a real kernel."""
    d = os.path.join(res, "trace")
    m = mk.get("trace") or {}
    uname = read(os.path.join(d, "uname.txt")).strip()
    need(uname == ARCH, f"the guest is {uname or '?'}, not {ARCH}")
    ver = read(os.path.join(d, "version.txt"))
    need(re.search(rf"^arch {re.escape(uname)}$", ver, re.M), f"aod version does not say 'arch {uname}': {ver[-300:]}")
    need(m.get("exit") == "0", f"aod trace exited {m.get('exit')}: {read(os.path.join(d, 'stdout.txt'))[-400:]}")
    marker = m.get("marker", "?")
    recs = []
    for line in read(os.path.join(d, "trace.jsonl")).splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            raise Fail(f"trace.jsonl has a line that is not JSON: {line[:200]}")
    need(recs, "aod trace syscall,file --comm cat wrote no records")
    data = [r.get("data") or {} for r in recs]
    opens = [x for x in data if x.get("syscall") == "openat" and x.get("path") == marker]
    need(opens, f"no openat of {marker} among {len(recs)} records: " +
         ", ".join(sorted({f"{x.get('syscall')} {x.get('path', '')}" for x in data}))[:300])
    return f"arch {uname}; {len(opens)} openat of {marker} by cat among {len(recs)} records"


def case_quiet(res, mk, tmp):
    d = os.path.join(res, "quiet")
    lat = bundles(d, tmp, "smb_latency")
    err = bundles(d, tmp, "smb_error")
    need(not lat, f"{len(lat)} latency bundle(s) without any delay: " +
         "; ".join(describe(b.events()) for b in lat))
    need(not err, f"{len(err)} error bundle(s) on a clean mount: " +
         "; ".join(f"rule {b.anomaly.get('rule')}: {describe(b.events())}" for b in err))
    # No bundle proves nothing unless aod saw the traffic: the shutdown bundle counts the events.
    shut = bundles(d, tmp, "aod_shutdown")
    need(shut, "no shutdown bundle, so nothing shows that aod saw the SMB traffic")
    seen = int((shut[-1].manifest.get("probes") or {}).get("events_total", 0))
    need(seen > 0, "the shutdown bundle says aod saw 0 SMB events during mount and I/O")
    exit_ok(d)
    return f"{seen} SMB events seen, no anomaly"


def live_history(b):
    """A bundle's history.json, listed by its manifest, as a live daemon writes it (every completion counted)."""
    need(b.manifest.get("history") == "history.json", f"{b.name}: manifest does not list history.json")
    try:
        h = json.loads(b.file("history.json") or "")
    except ValueError as e:
        raise Fail(f"{b.name}: history.json unreadable: {e}")
    need(str(h.get("counted", "")).startswith("every completion"), f"{b.name}: history counted {h.get('counted')}")
    return h


def check_history(lat):
    """history.json in every latency bundle: every completion counted, and the build-up in one of them: a
    second whose completions were mostly fast (the mount's, before netem) before one whose were mostly slow
    (131 ms or more: netem's 200 ms round trip). Under a loaded TCG host a handshake command may be slow too."""
    def split(s):	# completions of the second under and at or over 131 ms, from its histograms
        n = [0, 0]
        for c in s["commands"]:
            for k, v in c["latency_us_log2"].items():
                n[int(k) >= 131072] += v
        return n
    buildup = None
    for b in lat:
        h = live_history(b)
        tl = h.get("timeline") or []
        need(tl and tl[-1]["rel_s"] == 0, f"{b.name}: history timeline does not end at the anomaly")
        need(any(split(s)[1] for s in tl), f"{b.name}: history.json has no command of 131 ms or more")
        need(h.get("worst") and float(h["worst"][0]["latency_ms"]) >= 150.0,
             f"{b.name}: history's worst command is not a slow one: {h.get('worst', [])[:1]}")
        fast = [s for s in tl if split(s)[0] >= 5 and split(s)[0] >= 3 * split(s)[1]]
        slow = [s for s in tl if split(s)[1] >= 3 and split(s)[1] >= 3 * split(s)[0]]
        if fast and slow and fast[0]["mono_s"] < slow[-1]["mono_s"] and not buildup:
            later = [s for s in slow if s["mono_s"] > fast[0]["mono_s"]]
            buildup = (f"history: {split(fast[0])[0]} of {sum(split(fast[0]))} completions under 131 ms at "
                       f"{fast[0]['rel_s']} s, then {sum(sum(split(s)) for s in later)} mostly slow in {len(later)} s")
    need(buildup, "no bundle's history.json shows a mostly fast second before a mostly slow one")
    return buildup


def case_latency(method):
    def run(res, mk, tmp):
        d = os.path.join(res, "latency-" + method)
        lat = check_latency_bundles(d, tmp, method, 150.0, 600.0)
        hist = check_history(lat)
        err = bundles(d, tmp, "smb_error")
        need(not err, f"{len(err)} error bundle(s) in a latency-only run")
        alerts = len(re.findall(r"detected anomaly: smb latency", read(os.path.join(d, "aod.log"))))
        need(alerts == len(lat), f"{alerts} latency anomalies logged but {len(lat)} bundles written")
        exit_ok(d)
        evs = [e for b in lat for e in b.events()]
        # netem's 100 ms each way makes one round trip ~200 ms; compounds and writes may take two.
        need([e for e in evs if 180.0 <= float(e["latency_ms"]) < 300.0],
             "no command near 200 ms: " + describe(evs, 10))
        names = check_names(d, lat, ("//127.0.0.1/share",))
        return (f"{len(lat)} bundle(s): {describe(sorted(evs, key=lambda e: -float(e['latency_ms'])), 4)}; "
                f"{names}; {hist}")
    return run


def case_replay(res, mk, tmp, aod, root):
    rec = os.path.join(res, "latency-tracepoint", "smb-latency.rec")
    need(os.path.getsize(rec) > 0 if os.path.exists(rec) else False, "no recorded stream " + rec)
    size = os.path.getsize(rec)
    out = tempfile.mkdtemp(dir=tmp)
    conf = os.path.join(out, "aod.yaml")
    with open(conf, "w") as f:
        f.write(read(os.path.join(root, "test/vm/conf/smb.yaml")).replace("@OUT@", out))
    # replay never writes into a config's aod_output_dir on its own (a daemon may be using it): name it
    r = subprocess.run(shlex.split(aod) + ["replay", rec, "-c", conf, "--output-dir", out], capture_output=True, text=True, timeout=120)
    need(r.returncode == 0, f"aod replay exited {r.returncode}: {(r.stdout + r.stderr)[-600:]}")
    # The host has no /proc/fs/cifs: the actions say so; the anomaly and its events are what replay proves.
    lat = check_latency_bundles(out, tmp, None, 150.0, 600.0, actions=False)
    # Replay windows start at the first event, live ones at aod's start, so the bundles may split differently;
    # with acceptable_count 1 every slow command counts in exactly one window either way.
    live = bundles(os.path.join(res, "latency-tracepoint"), tmp, "smb_latency")
    n_live = sum(int(b.anomaly.get("count", 0)) for b in live)
    n_replay = sum(int(b.anomaly.get("count", 0)) for b in lat)
    need(n_live == n_replay, f"replay counted {n_replay} slow commands in {len(lat)} bundles, live {n_live} in {len(live)}")
    return f"{size} bytes replay to {len(lat)} latency bundle(s) counting {n_replay} slow commands, as live"


def case_single(res, mk, tmp):
    d = os.path.join(res, "single")
    m = mk.get("single") or {}
    el = int(m.get("op_done_at", "99s").rstrip("s"))
    need(el < 28, f"the operation ended {el} s after start, too close to the 30 s window edge to judge")
    lat = check_latency_bundles(d, tmp, None, 150.0, 600.0)
    need(len(lat) == 1, f"one slow operation gave {len(lat)} latency bundles, not exactly one")
    alerts = len(re.findall(r"detected anomaly: smb latency", read(os.path.join(d, "aod.log"))))
    need(alerts == 1, f"{alerts} latency anomalies logged for one slow operation")
    need(not bundles(d, tmp, "smb_error"), "an error bundle for a plain file creation")
    exit_ok(d)
    return f"1 anomaly, 1 bundle: {describe(lat[0].events())}"


def case_errors(res, mk, tmp):
    d = os.path.join(res, "errors")
    m = mk.get("errors") or {}
    need(m.get("write") == "refused", "the server allowed a write to the read-only share")
    need(m.get("read") == "refused", "the server allowed reading a file only root may read")
    err = bundles(d, tmp, "smb_error")
    need(err, "no smb error bundle")
    rules = [b.anomaly.get("rule") for b in err]
    need("setup" not in rules, "rule 'setup' fired: SESSION_SETUP's MORE_PROCESSING_REQUIRED counted as an error: " +
         "; ".join(describe(b.events()) for b in err if b.anomaly.get("rule") == "setup"))
    denied = [b for b in err if b.anomaly.get("rule") == "denied"]
    need(denied, f"no bundle for rule 'denied' (rules fired: {rules})")
    codes = set()
    for b in denied:
        for e in b.events():
            need(e.get("error") is True, f"{b.name}: event not marked as an error: {e}")
            codes.add(e.get("errno") or "")
            codes.add(e.get("status_name") or "")
    need(codes & {"EACCES", "STATUS_ACCESS_DENIED"}, f"rule 'denied' events carry none of the tracked codes: {codes}")
    exit_ok(d)
    return "codes " + ",".join(sorted(c for c in codes if c)) + "; " + check_names(d, denied)


def case_emergency(res, mk, tmp):
    d = os.path.join(res, "emergency")
    m = mk.get("emergency") or {}
    need(m.get("seconds", "never") != "never", "no latency bundle within 20 s of the slow command")
    secs = int(m["seconds"])
    need(secs < 30, f"the bundle came after {secs} s, not before the 30 s window closed")
    lat = bundles(d, tmp, "smb_latency")
    need(lat, "no smb latency bundle")
    em = [b for b in lat if b.anomaly.get("emergency") is True]
    need(em, "no latency bundle is marked emergency: " + "; ".join(str(b.anomaly.get("emergency")) for b in lat))
    worst = max(float(b.anomaly.get("worst_ms", 0)) for b in em)
    need(worst >= 1000.0, f"worst command of the emergency bundle is {worst} ms, not >= 1000")
    exit_ok(d)
    return f"bundle {secs} s after the command, worst {worst:.0f} ms"


def case_stall(res, mk, tmp):
    d = os.path.join(res, "stall")
    m = mk.get("stall") or {}
    need(m.get("seconds", "never") != "never", "no smb stall bundle within 12 s of smbd stopping")
    secs = int(m["seconds"])
    # stall_ms 3000 in the default config, checked every 1 s watch interval
    need(secs <= 5, f"the stall bundle came {secs} s after the stall began, not within 5 s")
    st = bundles(d, tmp, "smb_stall")
    need(st, "no smb stall bundle")
    a = st[0].anomaly
    need(a.get("type") == "stall" and a.get("proto") == "smb", f"{st[0].name}: anomaly is {a}")
    evs = st[0].events()
    need(evs, f"{st[0].name}: manifest lists no events")
    e = evs[0]
    need(e.get("command") == "SMB2_READ", f"the stalled command is {e.get('command')}, not SMB2_READ: {e}")
    need(float(e.get("age_ms", 0)) >= 3000.0, f"the stalled READ's age is {e.get('age_ms')} ms, under 3000")
    need(str(e.get("pid")) == m.get("reader_pid") and e.get("comm") == "dd",
         f"the stall names pid {e.get('pid')} ({e.get('comm')}), not the reader dd {m.get('reader_pid')}")
    need(m.get("reader") == "0", f"the reader did not finish after smbd resumed: {m.get('reader')}")
    need(len(st) == 1, f"one stall gave {len(st)} stall bundles")
    need(e.get("share") == "//127.0.0.1/share" and e.get("server") == "127.0.0.1",
         f"the stalled READ names share {e.get('share')!r} on server {e.get('server')!r}")
    exit_ok(d)
    return (f"bundle {secs} s after the stall, {e.get('command')} {float(e.get('age_ms')):.0f} ms on {e['share']}, "
            f"pid {e.get('pid')} dd")


def check_outage(res, mk, tmp, scen, proto, command, what):
    """Issue 15 item 5: the server went away during a read; one stall bundle within 5 s naming the read and the
    reader, and a reconnect bundle naming what the client reported; the reader finished once the server was back."""
    d = os.path.join(res, scen)
    m = mk.get(scen) or {}
    need(m.get("result") != "fail", f"the scenario failed: {m}")
    need(m.get("seconds", "never") != "never", f"no {proto} stall bundle within 10 s of the server going away")
    secs = int(m["seconds"])
    need(secs <= 5, f"the stall bundle came {secs} s after the server went away, not within 5 s")
    st = bundles(d, tmp, f"{proto}_stall")
    need(len(st) == 1, f"one outage gave {len(st)} stall bundles")
    a = st[0].anomaly
    need(a.get("type") == "stall" and a.get("proto") == proto, f"{st[0].name}: anomaly is {a}")
    evs = st[0].events()
    need(evs, f"{st[0].name}: manifest lists no events")
    e = evs[0]
    key = "command" if proto == "smb" else "proc"
    need(e.get(key) in command, f"the stalled request is {e.get(key)}, not one of {command}: {e}")
    need(float(e.get("age_ms", 0)) >= 3000.0, f"the stalled request's age is {e.get('age_ms')} ms, under 3000")
    need(str(e.get("pid")) == m.get("reader_pid") and e.get("comm") == "dd",
         f"the stall names pid {e.get('pid')} ({e.get('comm')}), not the reader dd {m.get('reader_pid')}")
    if proto == "nfs":
        need(e.get("server") == "127.0.0.1", f"the NFS stall names server {e.get('server')!r}, not 127.0.0.1")
    rc = bundles(d, tmp, f"{proto}_reconnect")
    need(rc, f"no {proto} reconnect bundle")
    need(len(rc) == 1, f"one outage gave {len(rc)} reconnect bundles (each outage of a connection counts once)")
    ra = rc[0].anomaly
    need(ra.get("type") == "reconnect" and ra.get("proto") == proto, f"{rc[0].name}: anomaly is {ra}")
    revs = rc[0].events()
    need(revs and revs[0].get("what") == what and revs[0].get("loss") is True,
         f"{rc[0].name}: the first event is not {what}: {revs[:2]}")
    need(revs[0].get("server") == "127.0.0.1", f"the reconnect names server {revs[0].get('server')!r}, not 127.0.0.1")
    need(m.get("reader") == "0", f"the reader did not finish after the server came back: {m.get('reader')}")
    exit_ok(d)
    return (f"stall bundle {secs} s after the server went, {e.get(key)} {float(e.get('age_ms')):.0f} ms, "
            f"pid {e.get('pid')} dd; reconnect bundle ({what}, {m.get('reconnect_seconds')} s)")


def check_sockconn(res, mk, tmp, scen, proto, port):
    """Issue 15 item 4: the mount's connection (bundle 1), then umount and mount again (bundle 2: the old connection
    went, a new one from a new source port came), then the server stopped and started again (bundle 3: the
    connection went, the client's reconnect came).  Each step is exactly one anomaly and one bundle, and names its
    connections by address, port and state; one more quiet window follows, with none."""
    d = os.path.join(res, scen)
    m = mk.get(scen) or {}
    need(m.get("result") != "fail", f"the scenario failed: {m}")
    p = [m.get(k, "") for k in ("p0", "p1", "p2")]
    need(all(re.fullmatch(r"[0-9]+", x) for x in p), f"the guest saw not exactly one connection to :{port} at "
         f"each step: mount {p[0]!r}, mount again {p[1]!r}, after the restart {p[2]!r}")
    p = [int(x) for x in p]
    need(p[0] != p[1], f"the second mount's connection has the first one's source port {p[0]}")
    alerts = len(re.findall(rf"detected anomaly: {proto} sockconn", read(os.path.join(d, "aod.log"))))
    bs = bundles(d, tmp, f"{proto}_sockconn")
    need(alerts == 3 and len(bs) == 3, f"{alerts} anomalies and {len(bs)} bundles for three steps (mount, mount "
         "again, server restart), not three of each: " + "; ".join(
             f"{b.name}: " + ", ".join(f"{e.get('change')} :{e.get('sport')}" for e in b.events()) for b in bs))

    def conns(b):
        evs = b.events()
        need(evs, f"{b.name}: manifest lists no events")
        a = b.anomaly
        need(a.get("type") == "sockconn" and a.get("proto") == proto and int(a.get("count", 0)) == len(evs),
             f"{b.name}: anomaly {a.get('type')}/{a.get('proto')} counts {a.get('count')}, lists {len(evs)} events")
        for e in evs:
            need(e.get("protocol") == proto and e.get("dport") == port and e.get("daddr") == "127.0.0.1"
                 and e.get("saddr") == "127.0.0.1" and e.get("measured") == "inet_sock_set_state"
                 and int(e.get("ts_ns", 0)) > 0, f"{b.name}: event does not name a {proto} connection to "
                 f"127.0.0.1:{port} by inet_sock_set_state: {e}")
        return {(e["change"], e["sport"]) for e in evs}, evs

    def has(b, got, change, sport, old, new):
        need((change, sport) in got, f"{b.name}: no connection :{sport} -> :{port} that {change}; it names "
             + ", ".join(f"{c} :{s}" for c, s in sorted(got)))
        e = next(e for e in b.events() if e["change"] == change and e["sport"] == sport)
        need((e.get("old_state"), e.get("new_state")) in [(old, n) for n in new],
             f"{b.name}: :{sport} {change} as {e.get('old_state')} -> {e.get('new_state')}")

    est = ("ESTABLISHED",)
    gone = ("FIN_WAIT1", "CLOSE_WAIT", "CLOSE")
    g0, _ = conns(bs[0])
    has(bs[0], g0, "came", p[0], "SYN_SENT", est)
    g1, e1 = conns(bs[1])
    has(bs[1], g1, "went", p[0], "ESTABLISHED", gone)
    has(bs[1], g1, "came", p[1], "SYN_SENT", est)
    need(("went", p[1]) not in g1, f"{bs[1].name}: the new connection :{p[1]} went already")
    g2, e2 = conns(bs[2])
    has(bs[2], g2, "went", p[1], "ESTABLISHED", gone)
    has(bs[2], g2, "came", p[2], "SYN_SENT", est)
    # sunrpc reconnects from the source port it had (p2 == p1); cifs takes a new one
    need(("went", p[0]) not in g2 and (p[2] == p[1] or ("came", p[1]) not in g2),
         f"{bs[2].name}: names the first step's changes")
    # the connections' TCP state from INET_DIAG, taken when the bundle was written: the reconnected one is there
    tc = bs[2].file("tcp_conns.log") or ""
    need(re.search(rf"127\.0\.0\.1:{p[2]} 127\.0\.0\.1:{port} ESTABLISHED srtt_us=[0-9]+", tc),
         f"{bs[2].name}: tcp_conns.log does not show :{p[2]} -> :{port} established:\n{tc[:600]}")
    exit_ok(d)
    failed = sum(1 for e in e2 if e["change"] == "failed")
    return (f"3 anomalies, 3 bundles: came :{p[0]}; went :{p[0]} + came :{p[1]} ({len(e1)} changes); "
            f"went :{p[1]} + came :{p[2]} ({len(e2)} changes, {failed} failed connects), tcp_conns names :{p[2]}")


def case_sockconn(res, mk, tmp):
    return check_sockconn(res, mk, tmp, "sockconn", "smb", 445)


def case_outage(res, mk, tmp):
    return check_outage(res, mk, tmp, "outage", "smb", ("SMB2_READ",), "smb3_reconnect")


def case_crash(res, mk, tmp):
    d = os.path.join(res, "crash")
    m = mk.get("crash") or {}
    log = read(os.path.join(d, "aod.log"))
    parts = log.split("--- ")
    need(len(parts) == 3, "the crash scenario did not reach its restart")
    need("detected anomaly" in parts[0], "no anomaly was detected before the first kill")
    action = read(os.path.join(d, "after-kill-action.txt"))
    need(not re.search(r"\.tar\.zst|\.part", action),
         "killed during the 5 s action, yet a bundle or .part is visible:\n" + action)
    need("detected anomaly" in parts[1], "no anomaly was detected before the second kill")
    archive = read(os.path.join(d, "after-kill-archive.txt"))
    need(m.get("part_during_archive") == "yes", "no .part file was seen during the archive write:\n" + archive)
    need(not re.search(r"_smb_latency\.tar\.zst\s*$", archive, re.M),
         "killed during the archive write, yet a finished latency bundle exists:\n" + archive)
    need(re.search(r"\.part\s*$", archive, re.M), "the .part was gone right after the kill:\n" + archive)
    after = read(os.path.join(d, "after-restart.txt"))
    need(".part" not in after, "the .part file survived the restart:\n" + after)
    need(re.search(r"partial", parts[2]), "the restarted aod did not say it removed the partial bundle")
    exit_ok(d)
    return "nothing visible after a kill in the action; the .part of a kill in the archive removed at restart"


# ---- captures (issue 12): the pcap and the .dat of the capture bundles against the slow commands ----

SMB2_CMDS = ["SMB2_NEGOTIATE", "SMB2_SESSION_SETUP", "SMB2_LOGOFF", "SMB2_TREE_CONNECT", "SMB2_TREE_DISCONNECT",
             "SMB2_CREATE", "SMB2_CLOSE", "SMB2_FLUSH", "SMB2_READ", "SMB2_WRITE", "SMB2_LOCK", "SMB2_IOCTL",
             "SMB2_CANCEL", "SMB2_ECHO", "SMB2_QUERY_DIRECTORY", "SMB2_CHANGE_NOTIFY", "SMB2_QUERY_INFO",
             "SMB2_SET_INFO", "SMB2_OPLOCK_BREAK"]


def host_tool(name, pkg):
    import shutil
    path = shutil.which(name)
    if not path:
        why = f"{name} is not installed on the host (apt-get install -y {pkg})"
        if os.environ.get("CI") == "true":
            raise Fail(why + "; CI must run this check")
        raise Skip(why)
    return path


# cifs sends at most 5 requests in one compound (MAX_COMPOUND), with consecutive message ids.
MAX_COMPOUND = 5


def smb2_in_pcap(path):
    """(message id, command name) of every SMB2 header tshark decodes in a pcap, requests and responses; and the
    message ids cut off by the snap length: the rest of a compound whose last header in a truncated frame
    points to a next one (the built-in ring keeps 256 bytes of a packet, headers only)."""
    t = subprocess.run([host_tool("tshark", "tshark"), "-n", "-r", path, "-Y", "smb2", "-T", "fields",
                        "-e", "smb2.msg_id", "-e", "smb2.cmd", "-e", "smb2.chain_offset", "-e", "frame.len",
                        "-e", "frame.cap_len"], capture_output=True, text=True)
    need(t.returncode == 0, f"tshark -r {os.path.basename(path)} fails: {t.stderr.strip()[-300:]}")
    seen, cut = set(), set()
    for line in t.stdout.splitlines():
        mids, cmds, chain, flen, clen = (line.split("\t") + [""] * 5)[:5]
        mids = [int(m) for m in mids.split(",") if m]
        for mid, cmd in zip(mids, cmds.split(",")):
            if cmd.isdigit() and int(cmd) < len(SMB2_CMDS):
                seen.add((mid, SMB2_CMDS[int(cmd)]))
        if mids and clen.isdigit() and flen.isdigit() and int(clen) < int(flen) and \
                int(chain.split(",")[-1] or "0", 16):
            cut.update(range(mids[-1] + 1, mids[0] + MAX_COMPOUND))
    return seen, cut


def dat_commands(path):
    """(mid, command name) of the smb3_cmd_done events `trace-cmd report` reads from a .dat."""
    t = subprocess.run([host_tool("trace-cmd", "trace-cmd"), "report", "-i", path], capture_output=True, text=True)
    need(t.returncode == 0, f"trace-cmd report -i {os.path.basename(path)} fails: {t.stderr.strip()[-300:]}")
    seen = set()
    for m in re.finditer(r"smb3_cmd_done:.*?\bcmd=(\d+) mid=(\d+)", t.stdout):
        if int(m.group(1)) < len(SMB2_CMDS):
            seen.add((int(m.group(2)), SMB2_CMDS[int(m.group(1))]))
    return seen, t.stdout.count("smb3_cmd_")


def check_captures(d, tmp, kind):
    """Each latency bundle names its capture bundles; those hold what the slow commands sent.
    kind: tcpdump (cap.pcap*), ring (packets.pcap) or trace (trace.dat)."""
    lat = check_latency_bundles(d, tmp, actions=False)
    caps = {b.name: b for b in (Bundle(p, tmp) for p in
                                sorted(glob.glob(os.path.join(d, "batches", "aod_capture_*_smb_*.tar.zst"))))}
    need(caps, "no aod_capture_*_smb_*.tar.zst in " + d + "/batches")
    files = {"tcpdump": r"cap\.pcap\d*$", "ring": r"packets\.pcap$", "trace": r"trace\.dat$"}[kind]
    seen_in, records, cut = {}, 0, set()
    for name, b in caps.items():
        stop = b.manifest.get("stop") or {}
        need(kind != "trace" or stop.get("status") == "ok",
             f"{name}: trace-cmd's stop, extract, reset did not all end well: {stop.get('note') or stop}")
        seen = set()
        for f in (f for f in os.listdir(b.dir) if re.match(files, f)):
            p = os.path.join(b.dir, f)
            if kind == "trace":
                got, n = dat_commands(p)
                records += n
            else:
                got, snapped = smb2_in_pcap(p)
                records += len(got)
                cut |= snapped
            seen |= got
        seen_in[name] = seen
    need(records, f"no SMB2 traffic in any capture bundle ({', '.join(caps)})")
    total = snapped = 0
    for b in lat:
        links = b.manifest.get("capture_bundles") or []
        need(links, f"{b.name}: manifest names no capture bundle")
        for l in links:
            need(l in caps, f"{b.name}: names {l}, which is not in batches/ ({', '.join(caps)})")
        linked = set().union(*(seen_in[l] for l in links))
        evs = [(int(e["mid"]), e["command"]) for e in b.events() if "mid" in e]
        need(evs, f"{b.name}: its events carry no message id")
        # a compound's tail past the snap length: its header is not in the file, the compound's head is
        snapped += sum(e not in linked and e[0] in cut for e in evs)
        miss = [e for e in evs if e not in linked and e[0] not in cut]
        need(not miss, f"{b.name}: slow commands not in its capture bundle {', '.join(links)}: " +
             ", ".join(f"{c} mid {m}" for m, c in miss[:6]) + f" ({len(miss)} of {len(evs)})")
        total += len(evs)
    exit_ok(d)
    what = {"tcpdump": "pcap SMB2 headers", "ring": "pcap SMB2 headers", "trace": "smb3_cmd_* events"}[kind]
    return (f"{len(lat)} latency bundle(s), {len(caps)} capture bundle(s); all {total} slow commands in the "
            f"latency bundle's own capture by message id and command ({snapped} in a compound cut at the snap "
            f"length); {records} {what}")


def case_capture(res, mk, tmp):
    d = os.path.join(res, "capture")
    need((mk.get("capture") or {}).get("armed") == "yes", "tcpdump did not start, or never said 'listening on'")
    log = read(os.path.join(d, "aod.log"))
    need(not re.search(r"built-in packet ring holds", log), "the built-in ring ran where tcpdump is installed")
    return check_captures(d, tmp, "tcpdump")


def case_capture_trace(res, mk, tmp):
    d = os.path.join(res, "capture-trace")
    need((mk.get("capture-trace") or {}).get("armed") == "yes", "trace-cmd never said it was tracing")
    return check_captures(d, tmp, "trace")


def case_capture_ring(res, mk, tmp):
    d = os.path.join(res, "capture-ring")
    need((mk.get("capture-ring") or {}).get("armed") == "yes",
         "aod did not say that the built-in packet ring takes the missing tcpdump's place")
    log = read(os.path.join(d, "aod.log"))
    need(not re.search(r"tcpdump started", log), "a tcpdump started although AOD_TCPDUMP_BIN names a missing file")
    return check_captures(d, tmp, "ring")


def case_aodv2(res, mk, tmp, root):
    d = os.path.join(res, "aodv2")
    m = mk.get("aodv2") or {}
    fixture = os.path.join(root, "test", "fixtures", "config", "aodv2_newest.yaml")
    need(read(os.path.join(d, "config.yaml")) == read(fixture, None), "the guest's config is not aodv2_newest.yaml as it is")
    need(m.get("tcpdump") == "yes", "tcpdump did not start as the smb capture, or never said 'listening on'")
    need(m.get("tracecmd") == "yes", "trace-cmd never said it was tracing as the nfs capture")
    snap = bundles(d, tmp, "aod_snapshot")
    need(snap, "no snapshot bundle")
    links = snap[0].manifest.get("capture_bundles") or []
    need(len(links) == 2, f"the snapshot names {links}, not one smb and one nfs capture bundle")
    smb = [l for l in links if l.endswith("_smb_snapshot.tar.zst")]
    nfs = [l for l in links if l.endswith("_nfs_snapshot.tar.zst")]
    need(smb and nfs, f"the snapshot's capture bundles are {links}")
    sb = Bundle(os.path.join(d, "batches", smb[0]), tmp)
    pcaps = [f for f in os.listdir(sb.dir) if re.match(r"cap\.pcap\d*$", f)]
    need(pcaps, f"{smb[0]} holds no cap.pcap*: {os.listdir(sb.dir)}")
    seen = set().union(*(smb2_in_pcap(os.path.join(sb.dir, f))[0] for f in pcaps))
    need(seen, f"tshark finds no SMB2 header in {smb[0]}")
    nb = Bundle(os.path.join(d, "batches", nfs[0]), tmp)
    need(nb.manifest.get("stop", {}).get("status") == "ok", f"{nfs[0]}: trace-cmd's stop: {nb.manifest.get('stop')}")
    dat = os.path.join(nb.dir, "trace.dat")
    need(os.path.exists(dat), f"{nfs[0]} holds no trace.dat: {os.listdir(nb.dir)}")
    t = subprocess.run([host_tool("trace-cmd", "trace-cmd"), "report", "-i", dat], capture_output=True, text=True)
    need(t.returncode == 0 and re.search(r"^cpus=\d+", t.stdout, re.M),
         f"trace-cmd report -i trace.dat: exit {t.returncode}: {(t.stderr or t.stdout).strip()[-300:]}")
    exit_ok(d)
    return (f"unchanged config ran; snapshot cut {smb[0][-24:]} ({len(seen)} SMB2 headers) and {nfs[0][-24:]} "
            f"(trace.dat, {t.stdout.count(chr(10))} report lines)")


def not_ok(case, err, results, scen):
    """The failure of one case: why, and the last lines of that scenario's aod.log."""
    print(f"not ok - {case}")
    if not isinstance(err, Fail):  # a checker bug must show, not hide as a pass
        print(f"#   checker error: {type(err).__name__}: {err}")
        return
    for line in str(err).splitlines()[:12]:
        print(f"#   {line}")
    log = os.path.join(results, scen or "", "aod.log")
    if scen and os.path.exists(log):
        print(f"#   last lines of {scen}/aod.log:")
        for line in read(log).splitlines()[-15:]:
            print(f"#     {line}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results")
    ap.add_argument("--console")
    ap.add_argument("--aod")
    ap.add_argument("--root")
    ap.add_argument("--only", default="")
    ap.add_argument("--arch", default="x86_64", help="the guest's uname -m")
    ap.add_argument("--scenarios", action="store_true",
                    help="print the guest scenarios of --arch's full set (aodvm.only=) and exit")
    o = ap.parse_args()
    global ARCH
    ARCH = o.arch
    if o.scenarios:
        want = [NEEDS.get(c, c) for c in CASES if c not in NOT_ON.get(ARCH, {}) and NEEDS.get(c, c)]
        print(",".join(dict.fromkeys(want)))
        return 0
    if not (o.results and o.console and o.aod and o.root):
        ap.error("--results, --console, --aod and --root are required")

    console = read(o.console)
    mk = markers(console)
    only = [s for s in o.only.split(",") if s]
    booted = "AODVM done" in console and "AODVM results written" in console
    failed = False
    funcs = {"late": case_late, "probes": case_probes, "quiet": case_quiet, "errors": case_errors, "trace": case_trace,
             "single": case_single, "health": case_health, "ioerr": case_ioerr,
             "emergency": case_emergency, "stall": case_stall, "crash": case_crash, "release": case_release,
             "outage": case_outage, "sockconn": case_sockconn,
             "capture": case_capture, "capture-trace": case_capture_trace, "capture-ring": case_capture_ring,
             "aodv2": lambda r, m, t: case_aodv2(r, m, t, o.root),
             "replay": lambda r, m, t: case_replay(r, m, t, o.aod, o.root)}
    for meth in ("tracepoint", "fentry", "kprobe"):
        funcs["latency-" + meth] = case_latency(meth)

    with tempfile.TemporaryDirectory() as tmp:
        for c in CASES:
            scen = NEEDS.get(c, c)
            if c in NOT_ON.get(ARCH, {}):
                print(f"skip - {c}: {NOT_ON[ARCH][c]}")
                continue
            if only and scen and scen not in only:
                print(f"skip - {c}: not in --only {o.only}")
                continue
            try:
                if c == "boot":
                    need(booted, "the guest did not finish: no 'AODVM done' / 'AODVM results written' on the console")
                    detail = re.search(r"AODVM boot kernel=(\S+)", console)
                    print(f"ok - boot (kernel {detail.group(1) if detail else '?'})")
                    continue
                need(booted, "the guest did not finish")
                if scen and scen not in mk:
                    raise Fail(f"the guest printed no result marker for scenario {scen}")
                print(f"ok - {c} ({funcs[c](o.results, mk, tmp)})")
            except Skip as e:
                print(f"skip - {c}: {e}")
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
