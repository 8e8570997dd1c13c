#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks `aod monitor` (all families) against a bpftrace run-queue latency script, side by side.
#
# usage: bench/monitor_vs_bpftrace.sh      (root; env: AOD, PINGPONG, REPS=3, SECS=5, CPU=0,
#        FAMILIES=sched,vfs,... to attach only those aod families, for a per-family cost breakdown;
#        NO_BPFTRACE=1 to skip the bpftrace side: its figures then read as zeros;
#        AOD_RUN=1 to measure the daemon, `aod run` on its embedded default config, instead of the monitor:
#        its ready line is "running:", its bundles go where that config says, /var/log/aod/batches;
#        FLOOR=1 adds a third side in every run, an empty BPF program on sched_switch (bench/hookfloor.c):
#        the storm's cost of the hook itself, before any program does work)
# Figures: start-to-attached time, peak RSS, and the throughput of a context-switch storm
# (bench/pingpong.c: two processes bouncing a byte over pipes on one CPU) with nothing attached,
# with aod monitor and with bpftrace. Each is the median (time, throughput) or max (RSS) of REPS runs.
set -euo pipefail

. "$(dirname "$0")/lib.sh"	# ROOT, AOD, bench_machine, bench_start/stop, bench_storm, statistics
REPS=${REPS:-3}
SECS=${SECS:-5}
CPU=${CPU:-0}
W=$(mktemp -d /tmp/aod-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

[ "$(id -u)" = 0 ] || bench_die "needs root (both tools load BPF programs)"
[ -x "$AOD" ] || bench_die "no aod binary at $AOD (./build.sh, or set AOD=)"
bench_need_cmd bpftrace bpftrace
PINGPONG=${PINGPONG:-$(bench_tool pingpong)}

# The bpftrace side: runqlat.bt from bpftrace's tools, plus a BEGIN line that says it is attached
# (bpftrace fires BEGIN once every probe is attached).
cat >"$W/runqlat.bt" <<'EOF'
BEGIN { printf("attached\n"); }
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @qtime[args->pid] = nsecs; }
tracepoint:sched:sched_switch {
	if (args->prev_state == 0) { @qtime[args->prev_pid] = nsecs; }
	$ns = @qtime[args->next_pid];
	if ($ns) { @usecs = hist((nsecs - $ns) / 1000); }
	delete(@qtime[args->next_pid]);
}
EOF

# bpftrace's tracepoints need tracefs; when the host has none mounted, give it a private one
# (unshare and sh exec, so the pid we watch is bpftrace's own).
if grep -qE '^[^ ]+ /sys/kernel(/debug)?/tracing tracefs ' /proc/mounts; then
	BT=(bpftrace "$W/runqlat.bt")
else
	BT=(unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace "$0"' "$W/runqlat.bt")
fi
MON=("$AOD" monitor ${FAMILIES:+--families "$FAMILIES"})
MON_READY='^attached: '
MON_WHAT="monitor, families ${FAMILIES:-all}"
if [ -n "${AOD_RUN:-}" ]; then
	[ -z "${FAMILIES:-}" ] || bench_die "AOD_RUN=1 measures the embedded default config; FAMILIES does not apply"
	[ ! -e /etc/aod/aod.yaml ] || bench_die "/etc/aod/aod.yaml exists: aod run would read it, not its embedded default"
	# The daemon says "running:" in its log, on stderr, which goes into the ready pipe.
	unset AOD_CONFIG
	MON=("$AOD" run)
	BENCH_ERR_TO_OUT[aod]=1
	MON_READY=' aod info: running: '
	MON_WHAT="aod run, embedded default config"
fi
NO_BPFTRACE=${NO_BPFTRACE:-}
FLOOR=${FLOOR:-}
[ -z "$FLOOR" ] || HOOKFLOOR=$(bench_tool hookfloor)

storm() { bench_storm "$PINGPONG" "$SECS" "$CPU"; }

bench_machine
echo "aod: $("$AOD" version 2>/dev/null | head -n1), bpftrace: $(bpftrace --version 2>/dev/null)"
echo "reps: $REPS, storm: $SECS s of pipe ping-pong pinned to CPU $CPU, aod: $MON_WHAT"

: >"$W/fl.rt"; : >"$W/aod.ms"; : >"$W/bt.ms"; : >"$W/aod.kb"; : >"$W/bt.kb"; : >"$W/none.rt"; : >"$W/aod.rt"; : >"$W/bt.rt"
for r in $(seq 1 "$REPS"); do
	storm >>"$W/none.rt"

	bench_start aod "$MON_READY" "${MON[@]}"
	echo "$T_MS" >>"$W/aod.ms"
	storm >>"$W/aod.rt"
	bench_hwm_kb "${BENCH_PID[aod]}" >>"$W/aod.kb"
	bench_stop aod

	if [ -n "$NO_BPFTRACE" ]; then
		echo "${BT_MS:-1}" >>"$W/bt.ms"; echo 1 >>"$W/bt.kb"; echo 0 >>"$W/bt.rt"
	else
		bench_start bpftrace '^attached$' "${BT[@]}"
		echo "$T_MS" >>"$W/bt.ms"
		storm >>"$W/bt.rt"
		bench_hwm_kb "${BENCH_PID[bpftrace]}" >>"$W/bt.kb"
		bench_stop bpftrace
	fi
	if [ -n "$FLOOR" ]; then
		bench_start floor '^attached: ' "$HOOKFLOOR" sched_switch
		storm >>"$W/fl.rt"
		bench_stop floor
		echo "run $r: empty program on sched_switch: storm $(tail -n1 "$W/fl.rt") round trips/s"
	fi
	echo "run $r: aod $(tail -n1 "$W/aod.ms") ms $(tail -n1 "$W/aod.kb") kB, bpftrace $(tail -n1 "$W/bt.ms") ms" \
		"$(tail -n1 "$W/bt.kb") kB; storm none $(tail -n1 "$W/none.rt") aod $(tail -n1 "$W/aod.rt")" \
		"bpftrace $(tail -n1 "$W/bt.rt") round trips/s"
done

a_ms=$(bench_median <"$W/aod.ms"); b_ms=$(bench_median <"$W/bt.ms")
a_kb=$(bench_max <"$W/aod.kb"); b_kb=$(bench_max <"$W/bt.kb")
n_rt=$(bench_median <"$W/none.rt"); a_rt=$(bench_median <"$W/aod.rt"); b_rt=$(bench_median <"$W/bt.rt")
# Each run's slowdown against the bare storm of the same run, then the median of those: the bare
# throughput drifts by a few percent over a minute here, and a run's own pair is the fair one.
a_sd=$(bench_slowdown "$W/none.rt" "$W/aod.rt" | bench_median)
b_sd=$(bench_slowdown "$W/none.rt" "$W/bt.rt" | bench_median)

awk -v am="$a_ms" -v bm="$b_ms" -v ak="$a_kb" -v bk="$b_kb" -v n="$n_rt" -v a="$a_rt" -v b="$b_rt" \
	-v sa="$a_sd" -v sb="$b_sd" 'BEGIN {
	printf "\nstart to attached (median): aod %.1f ms, bpftrace %.1f ms: aod = 1/%.1f of bpftrace (target <= 1/20) %s\n",
		am, bm, bm / am, (bm / am >= 20 ? "MET" : "NOT MET")
	printf "peak RSS (max):             aod %.1f MiB, bpftrace %.1f MiB: aod = 1/%.1f (target <= 1/25) %s\n",
		ak / 1024, bk / 1024, bk / ak, (bk / ak >= 25 ? "MET" : "NOT MET")
	printf "context-switch storm (median round trips/s): none %d, aod %d, bpftrace %d\n", n, a, b
	printf "  slowdown (median of each run against its own bare storm): aod %.1f %%, bpftrace %.1f %%\n", sa, sb
	printf "  target: aod slowdown <= 3 %% and below bpftrace: %s\n", (sa <= 3 && sa < sb ? "MET" : "NOT MET")
}'
if [ -n "$FLOOR" ]; then
	bench_slowdown "$W/none.rt" "$W/fl.rt" >"$W/fl.sd"
	echo "  an empty BPF program on sched_switch (the hook's own cost): slowdown median" \
		"$(bench_median <"$W/fl.sd") % ($(bench_min <"$W/fl.sd") .. $(bench_max <"$W/fl.sd"))"
fi
