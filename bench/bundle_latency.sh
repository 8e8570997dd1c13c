#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Anomaly -> bundle renamed, internal actions only: aod logs each bundle's time from anomaly to rename.
#
# usage: bench/bundle_latency.sh   (env: AOD=build/aod RUNS=20 WORK=/tmp/aod-bench-lat)
# Target (issue 3): <= 100 ms. Each run replays smbgen's emergency scenario (one 1.5 s READ fires at once)
# with a config whose actions are the internal stats, mounts, meminfo, vmstat, loadavg and ps.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-20}
WORK=${WORK:-/tmp/aod-bench-lat}
bench_need bundle_latency
rm -rf "$WORK"; mkdir -p "$WORK"
cat >"$WORK/aod.yaml" <<CFG
watch_interval_sec: 1
aod_output_dir: $WORK/out
anomalies:
  smb:
    latency:
      tool: smbslower
      acceptable_count: 10
      default_threshold_ms: 10
      actions: {stats: , mounts: , meminfo: , vmstat: , loadavg: , ps: }
CFG
"$GEN" "$WORK/e.rec" --scenario emergency >/dev/null
for i in $(seq "$RUNS"); do
	"$AOD" replay "$WORK/e.rec" -c "$WORK/aod.yaml" --output-dir "$WORK/out" 2>&1 | sed -n 's/.*wrote bundle .*, \([0-9.]*\) ms[,)].*/\1/p'
done | sort -n >"$WORK/ms"
n=$(wc -l <"$WORK/ms")
[ "$n" = "$RUNS" ] || { echo "bundle_latency: expected $RUNS bundles, got $n" >&2; exit 1; }
bench_machine
echo "anomaly -> bundle renamed (6 internal actions incl. ps of every process), $RUNS runs:" \
	"min $(head -1 "$WORK/ms") ms, median $(sed -n "$(( (n + 1) / 2 ))p" "$WORK/ms") ms, max $(tail -1 "$WORK/ms") ms (target <= 100 ms)"
