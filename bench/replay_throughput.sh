#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Detection throughput: replay a generated storm of SMB events through `aod replay` on one core, print events/s.
#
# usage: bench/replay_throughput.sh     (env: AOD=build/aod EVENTS=50000000 RUNS=3 WORK=/tmp/aod-bench CPU=0)
# Target (issue 3): >= 20 M events/s. The storm is mostly under threshold and fires no anomaly,
# so this measures the reader and detection, not bundle writing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AOD=${AOD:-$ROOT/build/aod}
EVENTS=${EVENTS:-50000000}
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/aod-bench}
CPU=${CPU:-0}
CONFIG=$ROOT/bench/bench.yaml
OUTDIR=/tmp/aod-bench/out	# aod_output_dir in bench/bench.yaml

die() { echo "replay_throughput: $*" >&2; exit 1; }

[ -x "$AOD" ] || die "no aod binary at $AOD: build it with ./build.sh, or set AOD=/path/to/aod"
case $EVENTS in ''|*[!0-9]*) die "EVENTS must be a number, not '$EVENTS'" ;; esac
mkdir -p "$WORK"

# smbgen: the one build.sh made (build/tools, build/host/tools), else compile it here (libc only)
if [ -z "${SMBGEN:-}" ]; then
	for SMBGEN in "$ROOT/build/tools/smbgen" "$ROOT/build/host/tools/smbgen" ""; do
		[ -z "$SMBGEN" ] || [ -x "$SMBGEN" ] && break
	done
fi
if [ -z "$SMBGEN" ] || [ ! -x "$SMBGEN" ]; then
	SMBGEN=$WORK/smbgen
	${CC:-cc} -std=gnu11 -O2 -I"$ROOT/src" -I"$ROOT/bpf" "$ROOT/test/tools/smbgen.c" -o "$SMBGEN" ||
		die "unable to compile test/tools/smbgen.c"
fi

STREAM=$WORK/storm-$EVENTS.rec
if [ ! -s "$STREAM" ]; then
	echo "generating $EVENTS events into $STREAM ..."
	"$SMBGEN" "$STREAM.tmp" --scenario storm --events "$EVENTS" --seed 1 || die "smbgen failed"
	mv "$STREAM.tmp" "$STREAM"
fi
RECORDS=$((EVENTS + 4))		# smbgen's storm: 4 session records + EVENTS
cat "$STREAM" >/dev/null	# start from the page cache, as a just-recorded stream would

PIN=()
command -v taskset >/dev/null && PIN=(taskset -c "$CPU")

. "$ROOT/bench/lib.sh"
bench_machine
echo "stream:  $STREAM, $RECORDS records, $(stat -c %s "$STREAM") bytes"
echo "command: ${PIN[*]} $AOD replay $STREAM -c $CONFIG --output-dir $OUTDIR"

best=0
for run in $(seq 1 "$RUNS"); do
	rm -rf "$OUTDIR"
	t0=$(date +%s%N)
	if ! "${PIN[@]}" "$AOD" replay "$STREAM" -c "$CONFIG" --output-dir "$OUTDIR" >"$WORK/replay.out" 2>&1; then
		tail -n 20 "$WORK/replay.out" >&2
		die "aod replay failed (run $run); output above, full log in $WORK/replay.out"
	fi
	t1=$(date +%s%N)
	rate=$(awk -v n="$RECORDS" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", n / (ns / 1e9) / 1e6 }')
	printf 'run %d: %.3f s wall, %s M events/s\n' "$run" "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')" "$rate"
	best=$(awk -v a="$best" -v b="$rate" 'BEGIN { print (b > a) ? b : a }')
done

bundles=$( (find "$OUTDIR" -name 'aod_quick_*.tar.zst' 2>/dev/null || true) | wc -l)
echo "best:    $best M events/s on one core (target >= 20); bundles written: $bundles (expected 0)"
awk -v b="$best" 'BEGIN { exit !(b >= 20) }' || echo "below target" >&2
