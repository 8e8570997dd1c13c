#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Soak: run aod for MINUTES with bundles, retention, metrics scrapes, snapshots and reloads the whole
# time, and report resident memory, open fds and bundle counts over time for the two processes:
#   - replay:  `aod replay --repeat` of smbgen's flood scenario: a latency anomaly every watch interval,
#              bundles written as fast as max_concurrent_bundles allows, retention on a 2 MiB limit;
#   - daemon:  `aod run` on this kernel with a sched_latency threshold every interval crosses, a metrics
#              listener scraped every second, USR1 (snapshot) every 10 s and HUP (reload) every 30 s.
#
# usage: bench/soak.sh   (env: AOD=build/aod MINUTES=30 SAMPLE=10 PORT=19477 WORK=/tmp/aod-soak)
# Must run as root (the daemon loads BPF). Pass: RSS and fds end where they settled after the first
# minute (growth under 10 % and under 1 MiB; the fewest fds seen in the last third of the run no
# more than in the first third, since bundles in flight hold a few more for a moment), both processes alive, bundles kept within
# the size limit. The samples are in $WORK/samples.tsv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
MINUTES=${MINUTES:-30}
SAMPLE=${SAMPLE:-10}
PORT=${PORT:-19477}
WORK=${WORK:-/tmp/aod-soak}

die() { echo "soak: $*" >&2; exit 1; }
case $MINUTES in ''|*[!0-9]*|0) die "MINUTES must be a whole number of minutes >= 1, not '$MINUTES'" ;; esac
case $SAMPLE in ''|*[!0-9]*|0) die "SAMPLE must be a whole number of seconds >= 1, not '$SAMPLE'" ;; esac
bench_need soak
[ "$(id -u)" = 0 ] || die "run as root: the daemon half loads BPF programs"
command -v curl >/dev/null || die "curl is needed for the metrics scrapes (apt-get install curl)"

rm -rf "$WORK"; mkdir -p "$WORK/replay" "$WORK/daemon"
bench_flood "$WORK" "$WORK/replay/out"
cat >"$WORK/daemon.yaml" <<CFG
watch_interval_sec: 1
aod_output_dir: $WORK/daemon/out
metrics: {listen: "127.0.0.1:$PORT"}
health:
  sched_latency:
    threshold: 1
    acceptable_count: 1
    actions: [ps, loadavg, pressure]
cleanup:
  cleanup_interval_sec: 5
  max_log_age_days: 1
  max_total_log_size_mb: 2
CFG
"$AOD" check-config -c "$WORK/daemon.yaml" >/dev/null || die "the daemon config was refused (above)"

rpid= dpid=
cleanup() {
	[ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT
"$AOD" replay "$WORK/flood.rec" -c "$WORK/flood.yaml" --output-dir "$WORK/replay/out" --repeat 4294967295 \
	>"$WORK/replay.log" 2>&1 &
rpid=$!
AOD_LOG_LEVEL=info "$AOD" run -c "$WORK/daemon.yaml" >"$WORK/daemon.log" 2>&1 &
dpid=$!

# pid -> "rss_kib fds"
proc_sample() {
	local rss fds
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
	echo "$rss $fds"
}
# dir -> "bundles kib"
dir_sample() {
	local n kib
	n=$( (find "$1" -name 'aod_quick_*.tar.zst' 2>/dev/null || true) | wc -l)
	kib=$(du -sk "$1" 2>/dev/null | cut -f1)
	echo "$n ${kib:-0}"
}

bench_machine
echo "soak: $MINUTES min, a sample every $SAMPLE s; replay pid $rpid, daemon pid $dpid; log in $WORK"
printf 't_s\treplay_rss_kib\treplay_fds\treplay_bundles\treplay_dir_kib\tdaemon_rss_kib\tdaemon_fds\tdaemon_bundles\tdaemon_dir_kib\tscrapes_ok\tscrapes_failed\n' \
	>"$WORK/samples.tsv"
start=$SECONDS end=$((SECONDS + MINUTES * 60)) next=$SECONDS ok=0 failed=0 t=0
while [ $SECONDS -lt $end ]; do
	kill -0 $rpid 2>/dev/null || die "the replay process exited early; see $WORK/replay.log"
	kill -0 $dpid 2>/dev/null || die "the daemon exited early; see $WORK/daemon.log"
	if curl -fsS -m 2 "http://127.0.0.1:$PORT/metrics" -o "$WORK/metrics.txt" 2>/dev/null; then
		ok=$((ok + 1))
	else
		failed=$((failed + 1))
	fi
	t=$((SECONDS - start))
	[ $((t % 10)) -eq 9 ] && kill -USR1 $dpid
	[ $((t % 30)) -eq 29 ] && kill -HUP $dpid
	if [ $SECONDS -ge $next ]; then
		next=$((next + SAMPLE))
		line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s' "$t" \
			"$(proc_sample $rpid | tr ' ' '\t')" "$(dir_sample "$WORK/replay/out" | tr ' ' '\t')" \
			"$(proc_sample $dpid | tr ' ' '\t')" "$(dir_sample "$WORK/daemon/out" | tr ' ' '\t')" "$ok" "$failed")
		echo "$line" >>"$WORK/samples.tsv"
		printf '\r%4d/%d s  replay rss %s KiB  daemon rss %s KiB  scrapes %d ok %d failed ' "$t" $((MINUTES * 60)) \
			"$(echo "$line" | cut -f2)" "$(echo "$line" | cut -f6)" "$ok" "$failed" >&2
	fi
	sleep 1
done
echo >&2
rhwm=$(awk '/^VmHWM/ {print $2}' /proc/$rpid/status)
dhwm=$(awk '/^VmHWM/ {print $2}' /proc/$dpid/status)
cleanup; trap - EXIT
rbundles=$(grep -c 'wrote bundle' "$WORK/replay.log" || true)
dbundles=$(grep -c 'wrote bundle' "$WORK/daemon.log" || true)
reloads=$(grep -c 'reloaded' "$WORK/daemon.log" || true)

# Settled = the first sample at or after 60 s (or the first, for a short run); compare the last with it.
awk -F'\t' -v rhwm="$rhwm" -v dhwm="$dhwm" -v rb="$rbundles" -v db="$dbundles" -v rl="$reloads" '
NR == 1 { next }
{ n++; t[n] = $1; for (i = 2; i <= NF; i++) v[n, i] = $i
  if (!s && $1 >= 60) s = n }
END {
	if (!s) s = 1
	printf "samples: %d; settled at %d s, last at %d s\n", n, t[s], t[n]
	printf "%-8s %10s %10s %10s %8s %8s %10s %10s\n", "process", "rss@settle", "rss@end", "rss max", "fds@set", "fds@end", "HWM KiB", "bundles"
	split("2 6", col, " ")
	fail = 0
	for (k = 1; k <= 2; k++) {
		c = col[k]; max = 0
		for (i = 1; i <= n; i++) if (v[i, c] > max) max = v[i, c]
		name = k == 1 ? "replay" : "daemon"
		printf "%-8s %10d %10d %10d %8d %8d %10d %10d\n", name, v[s, c], v[n, c], max, v[s, c + 1], v[n, c + 1], \
			k == 1 ? rhwm : dhwm, k == 1 ? rb : db
		grow = v[n, c] - v[s, c]
		if (grow > 1024 || grow > v[s, c] / 10) { printf "FAIL: %s RSS grew by %d KiB\n", name, grow; fail = 1 }
		# fds move with bundles in flight: a leak raises the floor, so compare the fewest fds seen
		# in the last third of the run with the fewest in the first third
		third = int((n - s + 1) / 3); if (third < 1) third = 1
		f1 = 1e9; f3 = 1e9
		for (i = s; i < s + third && i <= n; i++) if (v[i, c + 1] < f1) f1 = v[i, c + 1]
		for (i = n - third + 1; i <= n; i++) if (v[i, c + 1] < f3) f3 = v[i, c + 1]
		printf "         fds: at least %d in the first third, at least %d in the last\n", f1, f3
		if (f3 > f1) { printf "FAIL: %s fds rose from at least %d to at least %d\n", name, f1, f3; fail = 1 }
		dmax = 0
		for (i = 1; i <= n; i++) if (v[i, c + 3] > dmax) dmax = v[i, c + 3]
		printf "         bundle dir: at most %d KiB on disk (limit 2048 KiB plus the bundles being written)\n", dmax
	}
	printf "daemon: %d metrics scrapes ok, %d failed; %d reloads logged\n", v[n, 10], v[n, 11], rl
	if (v[n, 11] > 0) { print "FAIL: metrics scrapes failed"; fail = 1 }
	if (rb == 0 || db == 0) { print "FAIL: a process wrote no bundle"; fail = 1 }
	print fail ? "soak: FAIL" : "soak: PASS"
	exit fail
}' "$WORK/samples.tsv"
