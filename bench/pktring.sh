#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks aod's built-in packet ring against tcpdump -w: CPU of each at a fixed packet rate on one veth.
#
# usage: bench/pktring.sh [--smoke]
#   root; needs iproute2 (ip netns, veth), tcpdump, zstd and tar (the ring's snapshot is read back).
#   env: AOD, PPS=100000, SECS=10 (each measured flood), REPS=5, PAYLOAD=64 (TCP payload bytes a packet)
#   --smoke: REPS=1, SECS=2; checks that both sides see the flood. It judges no figure.
#
# Setup: two network namespaces of the script's own, joined by a veth pair (vA in the capture side, vB in the
# sender's). The flood is bench/pktflood.c on vB: PPS TCP segments a second to port 445 with PAYLOAD bytes each,
# addressed to a MAC no interface has, so the capture side's packet sockets see them and its IP stack drops
# them without an answer. Each repetition, in turn (the order alternates, so neither side always goes first):
#   ring     aod run with an SMB capture whose tcpdump is missing (AOD_TCPDUMP_BIN), so the built-in ring
#            takes its place: TCP port 445, 256 bytes a packet, 4096 KiB (the defaults); with this config aod
#            attaches no probe (smb and nfs wait for their modules), so its CPU is the ring's. After the measured
#            flood a SIGUSR1 snapshot cuts the ring; its manifest gives packets seen and kernel drops.
#   tcpdump  tcpdump with AODv2's arguments as aod runs them (-s 65536 -B 10240 -C 2 -W 100 -iany -Zroot
#            -w FILE 'port 445'), writing into the scratch directory; its exit line gives captured and dropped.
# Each side is started and left idle for 1 s, then its user+system CPU (/proc/PID/stat, clock ticks) is read
# before and after one SECS flood. Reported: median and range (min–max) over REPS of CPU % of one core (over
# the flood's measured duration), CPU µs per packet seen, packets seen and kernel drops, the rate the flood
# reached, with the machine line and the load average (other jobs running on the machine count there).
set -euo pipefail

. "$(dirname "$0")/lib.sh"	# ROOT, AOD, bench_machine, bench_tool, bench_fig, bench_die
SMOKE=
if [ "${1:-}" = --smoke ]; then
	SMOKE=1
	REPS=1 SECS=2
elif [ $# -gt 0 ]; then
	echo "usage: bench/pktring.sh [--smoke]" >&2
	exit 2
fi
PPS=${PPS:-100000}
SECS=${SECS:-10}
REPS=${REPS:-5}
PAYLOAD=${PAYLOAD:-64}
[ "$(id -u)" = 0 ] || bench_die "needs root (network namespaces, packet sockets)"
bench_need_cmd tcpdump tcpdump
bench_need_cmd ip iproute2
bench_need_cmd zstd zstd
[ -x "$AOD" ] || bench_die "no aod at $AOD (./build.sh)"
W=$(mktemp -d /tmp/aod-bench-pktring.XXXXXX)
NS=aodbpr$$ NC=aodbprc$$
PID=
cleanup() {
	[ -z "$PID" ] || kill -KILL "$PID" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NC" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
FLOOD=$(bench_tool pktflood)
TCPDUMP=$(command -v tcpdump)
HZ=$(getconf CLK_TCK)

ip netns add "$NS"
ip netns add "$NC"
ip -n "$NS" link add vA type veth peer name vB netns "$NC"
ip -n "$NS" link set vA up
ip -n "$NC" link set vB up
ip -n "$NS" link set lo up

cat >"$W/aod.yaml" <<EOF
watch_interval_sec: 1
aod_output_dir: $W/out
anomalies:
  smb:
    latency:
      acceptable_count: 10
      default_threshold_ms: 100
      actions:
        tcpdump: ["-s", "65536", "-B", "10240", "-C", "2", "-W", "100"]
EOF

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
wait_for() { # wait_for REGEX FILE SECONDS
	local i
	for i in $(seq $(($3 * 10))); do grep -Eq -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# measure NAME: one flood with side NAME running; appends "cpu% seen dropped us/packet" to $W/NAME and the
# flood's rate to $W/pps. CPU % is over the flood's own duration (a loaded machine stretches it).
measure() {
	local name=$1 t0 t1 seen drop m el
	rm -rf "$W/out" "$W/td"
	mkdir -p "$W/td"
	if [ "$name" = ring ]; then
		AOD_TCPDUMP_BIN=$W/no-tcpdump ip netns exec "$NS" "$AOD" run -c "$W/aod.yaml" >"$W/ring.log" 2>&1 &
		PID=$!
		wait_for 'built-in packet ring holds' "$W/ring.log" 30 || bench_die "aod did not start its ring: $(tail -5 "$W/ring.log")"
	else
		ip netns exec "$NS" "$TCPDUMP" -s 65536 -B 10240 -C 2 -W 100 -iany -Zroot -w "$W/td/cap.pcap" 'port 445' \
			>"$W/td.log" 2>&1 &
		PID=$!
		wait_for 'listening on' "$W/td.log" 30 || bench_die "tcpdump did not start: $(tail -5 "$W/td.log")"
	fi
	sleep 1
	t0=$(ticks "$PID")
	ip netns exec "$NC" "$FLOOD" vB "$PPS" "$SECS" 445 "$PAYLOAD" >"$W/flood.out"
	t1=$(ticks "$PID")
	sed -n 's/.*: \([0-9]*\) pps.*/\1/p' "$W/flood.out" >>"$W/pps"
	if [ "$name" = ring ]; then
		kill -USR1 "$PID"
		wait_for 'wrote aod_capture_[0-9]+_smb_snapshot' "$W/ring.log" 30 || bench_die "no snapshot: $(tail -5 "$W/ring.log")"
		kill -TERM "$PID"
		wait "$PID" || true
		m=$(zstd -dc "$W"/out/batches/aod_capture_*_smb_snapshot.tar.zst | tar -xOf - manifest.json)
		seen=$(sed -n 's/.*"packets_seen": \([0-9]*\).*/\1/p' <<<"$m")
		drop=$(sed -n 's/.*"kernel_drops": \([0-9]*\).*/\1/p' <<<"$m")
	else
		kill -INT "$PID"
		wait "$PID" || true
		seen=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$W/td.log")
		drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$W/td.log")
	fi
	PID=
	el=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' "$W/flood.out")
	awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$el" -v seen="${seen:-0}" -v drop="${drop:-0}" \
		'BEGIN { printf "%.2f %d %d %.3f\n", d * 100 / hz / s, seen, drop, seen ? d / hz * 1e6 / seen : 0 }' >>"$W/$name"
}

bench_machine
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this machine count here)"
echo "flood: bench/pktflood.c on a veth, $PPS packets/s of $((54 + PAYLOAD)) bytes to TCP port 445, $SECS s each, $REPS reps"
for r in $(seq "$REPS"); do
	if [ $((r % 2)) = 1 ]; then order="ring tcpdump"; else order="tcpdump ring"; fi
	for side in $order; do measure "$side"; done
	echo "rep $r: ring $(tail -1 "$W/ring"), tcpdump $(tail -1 "$W/tcpdump") (cpu% seen dropped us/packet)"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "flood rate achieved: $(bench_fig %.0f <"$W/pps") packets/s"
for side in ring tcpdump; do
	printf '%-8s CPU %% of one core: %s; CPU per packet: %s us; packets seen per flood: %s; kernel drops: %s\n' \
		"$side" "$(cut -d' ' -f1 "$W/$side" | bench_fig %.2f)" "$(cut -d' ' -f4 "$W/$side" | bench_fig %.3f)" \
		"$(cut -d' ' -f2 "$W/$side" | bench_fig %.0f)" "$(cut -d' ' -f3 "$W/$side" | bench_fig %.0f)"
done
if [ -n "$SMOKE" ]; then
	for side in ring tcpdump; do
		[ "$(cut -d' ' -f2 "$W/$side")" -gt 0 ] || bench_die "smoke: $side saw no packet of the flood"
	done
	echo "smoke: both sides saw the flood"
fi
