#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks `aod monitor` against its peers from libbpf-tools (runqlat, biolatency), family by family.
#
# usage: bench/peers.sh [--smoke]
#   root; needs libbpf-tools (runqlat, biolatency), bpftool, coreutils (stdbuf), util-linux (findmnt).
#   env: AOD, REPS=7, SECS=5 (each storm), STATS_SECS=2 (each bpf_stats window), CPU=0 (storms pinned there),
#        ROWS="sched block both", BLOCK_DIR=/var/tmp (the block workload's 64 MiB file; a real disk, not tmpfs)
#        FLOOR=1: a third side per row, empty BPF programs on the tracepoints aod's families hook
#        (bench/hookfloor.c: sched_switch; block_rq_issue and block_rq_complete): the storm's cost of the hooks
#        themselves, under any program; the floor under aod's figure for that choice of hooks
#   --smoke: REPS=1, 1 s storms; checks that every side attaches, loads programs and sees its events.
#   It prints no target verdict and judges no timing: figures from a 1 s run mean nothing.
#
# Rows, each aod against the libbpf-tools equivalent:
#   sched  aod monitor --families sched         vs runqlat
#   block  aod monitor --families block         vs biolatency
#   both   aod monitor --families sched,block   vs runqlat and biolatency running together
# Workloads: the sched storm is bench/pingpong.c (two processes bouncing a byte over pipes on one CPU:
# two context switches per round trip); the block storm is bench/blockio.c (synchronous 4 KiB O_DIRECT
# reads of a 64 MiB file of random data, one at a time: one block request each). The both row runs
# each storm in turn with both sides' probes attached.
# Each repetition, each row: for aod, then for libbpf-tools: the row's storms bare, the side started
# (start → ready line: aod's "attached:", libbpf-tools' "Tracing ..."; both sides go through stdbuf -oL,
# which the libbpf-tools need to print that line into a pipe at once), the storms again with the side
# attached, then kernel.bpf_stats_enabled=1 for STATS_SECS of each storm and per-program run_time_ns and
# run_cnt deltas from `bpftool prog show -j` for the programs the side's processes hold (their fdinfo),
# then its VmHWM, then SIGINT. Slowdown is each run against the bare storm just before it; bpf_stats stay
# off while the slowdown is measured (they add two clock reads per program run). libbpf-tools' two
# processes in the both row start at the same time; their start is until both are ready, their RSS the sum.
# Reported: median and range (min–max) over REPS of each figure, with the machine line.
set -euo pipefail

. "$(dirname "$0")/lib.sh"	# ROOT, AOD, bench_machine, bench_spawn/ready/stop, bench_storm, statistics
SMOKE=
if [ "${1:-}" = --smoke ]; then
	SMOKE=1
	REPS=1 SECS=1 STATS_SECS=1
elif [ $# -gt 0 ]; then
	echo "usage: bench/peers.sh [--smoke]" >&2
	exit 2
fi
REPS=${REPS:-7}
SECS=${SECS:-5}
STATS_SECS=${STATS_SECS:-2}
CPU=${CPU:-0}
ROWS=${ROWS:-sched block both}
BLOCK_DIR=${BLOCK_DIR:-/var/tmp}
STATS=/proc/sys/kernel/bpf_stats_enabled
W=$(mktemp -d /tmp/aod-bench-peers.XXXXXX)
STATS_WAS=
BLOCK_FILE=
cleanup() {
	local pid
	for pid in "${BENCH_PID[@]}"; do	# an interrupted run leaves its tools attached
		kill -INT "$pid" 2>/dev/null || true
	done
	[ -z "$STATS_WAS" ] || echo "$STATS_WAS" >"$STATS"
	[ -z "$BLOCK_FILE" ] || rm -f "$BLOCK_FILE"
	rm -rf "$W"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || bench_die "needs root (every side loads BPF programs)"
[ -x "$AOD" ] || bench_die "no aod binary at $AOD (./build.sh, or set AOD=)"
bench_need_cmd runqlat libbpf-tools
bench_need_cmd biolatency libbpf-tools
bench_need_cmd bpftool bpftool
bench_need_cmd stdbuf coreutils
bench_need_cmd findmnt util-linux
[ -w "$STATS" ] || bench_die "no $STATS: this kernel cannot count BPF run time"
PINGPONG=${PINGPONG:-$(bench_tool pingpong)}
BLOCKIO=${BLOCKIO:-$(bench_tool blockio)}
FLOOR=${FLOOR:-}
[ -z "$FLOOR" ] || HOOKFLOOR=$(bench_tool hookfloor)
for row in $ROWS; do
	case $row in sched | block | both) ;; *) bench_die "unknown row '$row' in ROWS (sched, block, both)" ;; esac
done

# The block workload's file: on a real block device (tmpfs or a network file system issues no block
# requests), written with random data (reading an unwritten extent does no I/O).
BLOCK_DEV=$(findmnt -n -o SOURCE --target "$BLOCK_DIR")
[ -b "$BLOCK_DEV" ] || bench_die "BLOCK_DIR=$BLOCK_DIR is on $BLOCK_DEV, not a block device: set BLOCK_DIR to a directory on a disk"
BLOCK_FILE=$(mktemp "$BLOCK_DIR/aod-bench-blockio.XXXXXX")
dd if=/dev/urandom of="$BLOCK_FILE" bs=1M count=64 oflag=direct conv=fsync status=none ||
	bench_die "cannot write $BLOCK_FILE with O_DIRECT"

STATS_WAS=$(cat "$STATS")
echo 0 >"$STATS"

# What a row attaches and runs.
row_families() { case $1 in sched) echo sched ;; block) echo block ;; both) echo sched,block ;; esac; }
row_peers() { case $1 in sched) echo runqlat ;; block) echo biolatency ;; both) echo runqlat biolatency ;; esac; }
row_storms() { case $1 in sched) echo pingpong ;; block) echo blockio ;; both) echo pingpong blockio ;; esac; }
side_procs() { if [ "$2" = aod ]; then echo aod; else row_peers "$1"; fi; }
storm_family() { case $1 in pingpong) echo sched ;; blockio) echo block ;; esac; }
storm_unit() { case $1 in pingpong) echo "round trips/s" ;; blockio) echo "I/Os/s" ;; esac; }
# A family's programs, and the one whose run count is the family's event count (a context switch, a completed request).
family_progs() { case $1 in sched) echo 'sched' ;; block) echo 'block|bio|blk' ;; esac; }
family_event() { case $1 in sched) echo 'switch' ;; block) echo 'complete' ;; esac; }
family_unit() { case $1 in sched) echo 'switch' ;; block) echo 'I/O' ;; esac; }
family_units() { case $1 in sched) echo 'switches' ;; block) echo 'I/Os' ;; esac; }

run_storm() {
	case $1 in
	pingpong) bench_storm "$PINGPONG" "$2" "$CPU" ;;
	blockio) "$BLOCKIO" "$BLOCK_FILE" "$2" "$CPU" | awk '{ print $2 }' ;;
	esac
}

# side_start ROW SIDE: start the side's processes together, wait until each is ready; T_MS, PIDS.
side_start() {
	local p
	PIDS=()
	for p in $(side_procs "$1" "$2"); do
		case $p in
		aod) bench_spawn aod '^attached: ' stdbuf -oL "$AOD" monitor --families "$(row_families "$1")" ;;
		*) bench_spawn "$p" '^Tracing ' stdbuf -oL "$p" ;;
		esac
	done
	for p in $(side_procs "$1" "$2"); do
		bench_ready "$p"
		PIDS+=("${BENCH_PID[$p]}")
	done
	T_MS=$(bench_start_ms $(side_procs "$1" "$2"))
}

# prog_ids PID...: the BPF programs these processes hold, through a program or a link fd.
prog_ids() {
	local pid
	for pid in "$@"; do
		cat /proc/"$pid"/fdinfo/* 2>/dev/null || true
	done | awk '/^prog_id:/ { print $2 }' | sort -un
}

# prog_snapshot ID...: "id name run_time_ns run_cnt" per program (bpftool omits zero counters).
prog_snapshot() {
	local id
	for id in "$@"; do
		bpftool prog show id "$id" -j | awk -v id="$id" '{
			n = "?"; rt = 0; c = 0
			if (match($0, /"name":"[^"]*"/)) n = substr($0, RSTART + 8, RLENGTH - 9)
			if (match($0, /"run_time_ns":[0-9]+/)) rt = substr($0, RSTART + 14, RLENGTH - 14)
			if (match($0, /"run_cnt":[0-9]+/)) c = substr($0, RSTART + 10, RLENGTH - 10)
			print id, n, rt, c
		}'
	done
}

# side_stats ROW SIDE STORM IDS...: bpf_stats over STATS_SECS of STORM; appends the storm family's
# ns per event and events/s, and each program's ns per run and runs/s, to the side's files.
side_stats() {
	local row=$1 side=$2 storm=$3 fam t0 secs
	shift 3
	fam=$(storm_family "$storm")
	echo 1 >"$STATS"
	prog_snapshot "$@" >"$W/snap.0"
	t0=$EPOCHREALTIME
	run_storm "$storm" "$STATS_SECS" >/dev/null
	secs=$(bench_ms_since "$t0" | awk '{ print $1 / 1000 }')
	prog_snapshot "$@" >"$W/snap.1"
	echo 0 >"$STATS"
	awk 'NR == FNR { rt[$1] = $3; c[$1] = $4; next } { print $2, $3 - rt[$1], $4 - c[$1] }' \
		"$W/snap.0" "$W/snap.1" >"$W/delta"
	awk -v s="$secs" -v st="$storm" '$3 > 0 { printf "%s %s %.1f %.0f\n", st, $1, $2 / $3, $3 / s }' "$W/delta" \
		>>"$W/$row.$side.progs"
	awk -v s="$secs" -v progs="$(family_progs "$fam")" -v ev="$(family_event "$fam")" -v f="$W/$row.$side.$fam" '
		$1 ~ progs { ns += $2; if ($1 ~ ev) n += $3 }
		END {
			printf "%.1f\n", n ? ns / n : 0 >> (f ".nspe")
			printf "%.0f\n", n / s >> (f ".eps")
		}' "$W/delta"
}

one_side() {
	local row=$1 side=$2 storm p kb=0
	for storm in $(row_storms "$row"); do
		run_storm "$storm" "$SECS" >>"$W/$row.$side.$storm.bare"
	done
	side_start "$row" "$side"
	echo "$T_MS" >>"$W/$row.$side.ms"
	for storm in $(row_storms "$row"); do
		run_storm "$storm" "$SECS" >>"$W/$row.$side.$storm.with"
	done
	mapfile -t IDS < <(prog_ids "${PIDS[@]}")
	[ "${#IDS[@]}" -gt 0 ] || bench_die "$row/$side: its processes hold no BPF programs"
	for storm in $(row_storms "$row"); do
		side_stats "$row" "$side" "$storm" "${IDS[@]}"
	done
	for p in "${PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || bench_die "$row/$side: pid $p exited during the storms"
		kb=$((kb + $(bench_hwm_kb "$p")))
	done
	echo "$kb" >>"$W/$row.$side.kb"
	for p in $(side_procs "$row" "$side"); do
		bench_stop "$p"
	done
}

# floor_side ROW: the row's storms bare, then with empty programs on aod's hooks for the row (FLOOR=1).
row_hooks() { case $1 in sched) echo sched_switch ;; block) echo block_rq_issue block_rq_complete ;;
	both) echo sched_switch block_rq_issue block_rq_complete ;; esac; }
floor_side() {
	local row=$1 storm
	for storm in $(row_storms "$row"); do
		run_storm "$storm" "$SECS" >>"$W/$row.floor.$storm.bare"
	done
	# shellcheck disable=SC2046
	bench_start floor '^attached: ' "$HOOKFLOOR" $(row_hooks "$row")
	for storm in $(row_storms "$row"); do
		run_storm "$storm" "$SECS" >>"$W/$row.floor.$storm.with"
	done
	bench_stop floor
}

fig() { bench_fig "$2" <"$1"; }
name_of() { if [ "$2" = aod ]; then echo "aod monitor --families $(row_families "$1")"; else row_peers "$1" | sed 's/ / + /'; fi; }

bench_machine
echo "aod: $("$AOD" version 2>/dev/null | head -n1), libbpf-tools: $(dpkg-query -W -f '${Version}' libbpf-tools 2>/dev/null || echo '?')"
echo "reps: $REPS interleaved (aod, libbpf-tools, aod, ...), storms: $SECS s each pinned to CPU $CPU," \
	"bpf_stats windows: $STATS_SECS s; rows: $ROWS"
echo "block storm: bench/blockio.c, 4 KiB O_DIRECT reads of $BLOCK_FILE on $BLOCK_DEV" \
	"($(findmnt -n -o FSTYPE --target "$BLOCK_DIR"))"

for r in $(seq 1 "$REPS"); do
	for row in $ROWS; do
		for side in aod peer; do
			one_side "$row" "$side"
			line="run $r $row $(name_of "$row" "$side"): start $(tail -n1 "$W/$row.$side.ms") ms, HWM $(tail -n1 "$W/$row.$side.kb") kB"
			for storm in $(row_storms "$row"); do
				fam=$(storm_family "$storm")
				line+="; $storm bare $(tail -n1 "$W/$row.$side.$storm.bare") with $(tail -n1 "$W/$row.$side.$storm.with")"
				line+=" $(storm_unit "$storm"), $fam $(tail -n1 "$W/$row.$side.$fam.nspe") ns/$(family_unit "$fam")"
				line+=" at $(tail -n1 "$W/$row.$side.$fam.eps")/s"
			done
			echo "$line"
		done
		if [ -n "$FLOOR" ]; then
			floor_side "$row"
			line="run $r $row empty programs on $(row_hooks "$row" | sed 's/ /, /g'):"
			for storm in $(row_storms "$row"); do
				line+=" $storm bare $(tail -n1 "$W/$row.floor.$storm.bare") with $(tail -n1 "$W/$row.floor.$storm.with")"
			done
			echo "$line"
		fi
	done
done

echo
echo "Median (min–max) of $REPS runs; slowdown is each run against its own bare storm."
smoke_ok=1
for row in $ROWS; do
	echo "row $row: $(name_of "$row" aod)  vs  $(name_of "$row" peer)"
	for side in aod peer; do
		printf '  %-38s start → attached %s ms, peak RSS %s MiB\n' "$(name_of "$row" "$side"):" \
			"$(fig "$W/$row.$side.ms" %.1f)" \
			"$(awk '{ print $1 / 1024 }' "$W/$row.$side.kb" >"$W/mib"; fig "$W/mib" %.1f)"
	done
	for storm in $(row_storms "$row"); do
		fam=$(storm_family "$storm")
		for side in aod peer; do
			bench_slowdown "$W/$row.$side.$storm.bare" "$W/$row.$side.$storm.with" >"$W/$row.$side.$storm.sd"
			printf '  %-38s %s storm slowdown %s %%, bare %s %s; %s: %s ns per %s at %s %s/s\n' \
				"$(name_of "$row" "$side"):" "$storm" "$(fig "$W/$row.$side.$storm.sd" %.1f)" \
				"$(fig "$W/$row.$side.$storm.bare" %.0f)" "$(storm_unit "$storm")" "$fam" \
				"$(fig "$W/$row.$side.$fam.nspe" %.0f)" "$(family_unit "$fam")" \
				"$(fig "$W/$row.$side.$fam.eps" %.0f)" "$(family_units "$fam")"
			if [ "$(bench_max <"$W/$row.$side.$fam.eps")" = 0 ]; then
				echo "    ! no $fam events counted for $(name_of "$row" "$side") during the $storm storm"
				smoke_ok=0
			fi
		done
		if [ -n "$FLOOR" ]; then
			bench_slowdown "$W/$row.floor.$storm.bare" "$W/$row.floor.$storm.with" >"$W/$row.floor.$storm.sd"
			printf '  %-38s %s storm slowdown %s %%\n' "empty programs on aod's hooks:" "$storm" \
				"$(fig "$W/$row.floor.$storm.sd" %.1f)"
		fi
		if [ -z "$SMOKE" ]; then
			a=$(bench_median <"$W/$row.aod.$storm.sd")
			p=$(bench_median <"$W/$row.peer.$storm.sd")
			an=$(bench_median <"$W/$row.aod.$fam.nspe")
			pn=$(bench_median <"$W/$row.peer.$fam.nspe")
			f=; [ -z "$FLOOR" ] || f=$(bench_median <"$W/$row.floor.$storm.sd")
			awk -v a="$a" -v p="$p" -v an="$an" -v pn="$pn" -v row="$row" -v s="$storm" -v fam="$fam" -v f="$f" 'BEGIN {
				if (p <= 0) v = "cannot be judged: libbpf-tools slowed it by " p " %, within noise"
				else if (a < 0) v = "MET, but aod'"'"'s storms ran faster than bare (" a " %): the machine is not quiet"
				else v = (a <= p / 5 ? "MET" : "NOT MET") sprintf(" (aod = %.2f of libbpf-tools)", a / p)
				printf "  target, %s row, %s storm: aod slowdown <= 1/5 of libbpf-tools: %s\n", row, s, v
				if (f != "" && p > 0)
					printf "    empty programs on aod'"'"'s hooks: %.2f of libbpf-tools'"'"' slowdown%s\n", f / p,
						(f > p / 5 ? ": the hooks alone are over 1/5" : "")
				if (pn > 0)
					printf "    in-kernel %s ns per event: aod = %.2f of libbpf-tools\n", fam, an / pn
			}'
		fi
	done
	echo "  per program during each storm's bpf_stats window: ns per run, runs/s (median (min–max)):"
	for side in aod peer; do
		sort -k1,2 "$W/$row.$side.progs" | awk '{ print $1, $2 }' | uniq | while read -r storm prog; do
			awk -v s="$storm" -v p="$prog" '$1 == s && $2 == p { print $3 }' "$W/$row.$side.progs" >"$W/v.ns"
			awk -v s="$storm" -v p="$prog" '$1 == s && $2 == p { print $4 }' "$W/$row.$side.progs" >"$W/v.rate"
			printf '    %-38s %-9s %-22s %s ns, %s/s\n' "$(name_of "$row" "$side")" "$storm" "$prog" \
				"$(fig "$W/v.ns" %.0f)" "$(fig "$W/v.rate" %.0f)"
		done
	done
done
if [ -n "$SMOKE" ]; then
	[ "$smoke_ok" = 1 ] || bench_die "smoke: some side saw no events (above)"
	echo "smoke: ok (every side attached, held BPF programs and counted its events; no timing judged)"
fi
