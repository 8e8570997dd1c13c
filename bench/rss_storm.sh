#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Resident memory during a 60 s replay storm: anomalies every watch interval, bundles written and retained.
#
# usage: bench/rss_storm.sh   (env: AOD=build/aod SECS=60 WORK=/tmp/aod-bench-rss)
# Target (issue 3): RSS flat, <= 8 MiB. aod replays smbgen's flood scenario again and again (--repeat),
# so detection, bundles (internal actions) and retention run the whole time; VmRSS is sampled every 0.5 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SECS=${SECS:-60}
WORK=${WORK:-/tmp/aod-bench-rss}
bench_need rss_storm
rm -rf "$WORK"; mkdir -p "$WORK"
bench_flood "$WORK" "$WORK/out"
"$AOD" replay "$WORK/flood.rec" -c "$WORK/flood.yaml" --output-dir "$WORK/out" --repeat 1000000 >"$WORK/out.log" 2>&1 &
pid=$!
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ] && kill -0 $pid 2>/dev/null; do
	awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print r, a, f}' /proc/$pid/status 2>/dev/null
	sleep 0.5
done >"$WORK/rss"
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true
bundles=$(grep -c 'wrote bundle' "$WORK/out.log" || true)
n=$(wc -l <"$WORK/rss")
bench_machine
col() { awk -v c="$1" '{print $c}' "$WORK/rss"; }
echo "replay storm ${SECS} s: $bundles bundles written; $n samples of VmRSS (RssAnon + RssFile, the mapped stream):"
echo "  VmRSS   first $(col 1 | head -1) KiB, at 10 s $(col 1 | sed -n 20p) KiB, last $(col 1 | tail -1) KiB, max $(col 1 | sort -n | tail -1) KiB, VmHWM $hwm KiB (target flat, <= 8192 KiB)"
echo "  RssAnon first $(col 2 | head -1) KiB, at 10 s $(col 2 | sed -n 20p) KiB, last $(col 2 | tail -1) KiB, max $(col 2 | sort -n | tail -1) KiB"
echo "bundle directory at the end: $(du -sk "$WORK/out/batches" | cut -f1) KiB (retention limit 2 MB)"
