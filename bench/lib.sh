# SPDX-License-Identifier: GPL-2.0-only
# Helpers the benchmarks share: where things are, and the machine line every figure is reported with.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AOD=${AOD:-$ROOT/build/aod}
GEN=$ROOT/build/tools/smbgen

# bench_need NAME: stop with a clear message when the binaries are not built.
bench_need() {
	[ -x "$AOD" ] && [ -x "$GEN" ] || { echo "$1: build first (./build.sh)" >&2; exit 1; }
}

# bench_flood WORKDIR OUTDIR: WORKDIR/flood.rec (smbgen's flood, an anomaly every watch interval) and
# WORKDIR/flood.yaml for it: internal actions only, retention every second on a 2 MiB limit.
bench_flood() {
	cat >"$1/flood.yaml" <<CFG
watch_interval_sec: 1
aod_output_dir: $2
anomalies:
  smb:
    latency:
      tool: smbslower
      acceptable_count: 10
      default_threshold_ms: 10
      actions: {stats: , mounts: , loadavg: }
cleanup:
  cleanup_interval_sec: 1
  max_log_age_days: 1
  max_total_log_size_mb: 2
CFG
	"$GEN" "$1/flood.rec" --scenario flood --events 50 >/dev/null
}

# The machine a figure was measured on: CPUs, model, kernel, memory.
bench_machine() {
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')," \
		"kernel $(uname -r), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
}

# The rest serves the live benchmarks (monitor_vs_bpftrace.sh, peers.sh). They expect W, a scratch directory
# the caller creates and removes.

bench_die() { echo "${0##*/}: $*" >&2; exit 1; }

# bench_need_cmd CMD PACKAGE: stop with the Debian package to install when CMD is missing.
bench_need_cmd() {
	command -v "$1" >/dev/null || bench_die "$1 not found (Debian package: apt-get install $2)"
}

# bench_tool NAME: the path of build/tools/NAME, compiled from bench/NAME.c into $W when not built.
bench_tool() {
	if [ -x "$ROOT/build/tools/$1" ]; then
		echo "$ROOT/build/tools/$1"
		return
	fi
	bench_need_cmd cc gcc
	cc -O2 -o "$W/$1" "$ROOT/bench/$1.c" >&2 || bench_die "cannot build bench/$1.c"
	echo "$W/$1"
}

# Statistics over one number a line on stdin.
bench_median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bench_max() { sort -g | tail -n1; }
bench_min() { sort -g | head -n1; }
# bench_fig FMT: "median (min–max)", each printed with awk's printf FMT (e.g. %.1f).
bench_fig() {
	sort -g | awk -v f="$1" '{ v[NR] = $1 }
		END { printf f " (" f "–" f ")\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR] }'
}

# bench_ms_since T0: milliseconds since T0, an $EPOCHREALTIME.
bench_ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'; }

# bench_spawn NAME REGEX CMD...: start CMD with its stdout on a pipe and its stderr in $W/err.NAME, and a
# reader (bench/stamp.c's wait, started first) that notes when a line of it matches REGEX and drains the rest,
# so the tool never blocks on the pipe. bench_ready NAME: wait (up to 60 s) for that line. The tool's pid is
# BENCH_PID[NAME]. Tools that print with stdio must be line-buffered (stdbuf -oL) or the line waits in their
# buffer. Start time is taken by bench/stamp.c on both ends: the clock just before the tool's exec (stamp
# exec, in the tool's own process, so BENCH_PID stays its pid) and the clock when the already waiting reader
# read its ready line. bash's fifo and forks are outside the figure, for aod and its peers alike.
declare -A BENCH_PID BENCH_DRAIN BENCH_ERR_TO_OUT BENCH_T0 BENCH_T1 BENCH_FD
bench_spawn() {
	local name=$1 ready=$2 fd
	shift 2
	[ -n "${STAMP:-}" ] || STAMP=$(bench_tool stamp)
	rm -f "$W/fifo.$name" "$W/ready.$name" "$W/t0.$name"
	mkfifo "$W/fifo.$name" "$W/ready.$name"
	"$STAMP" wait "$ready" >"$W/ready.$name" <"$W/fifo.$name" &	# ready first: bash opens it next
	BENCH_DRAIN[$name]=$!
	exec {fd}<"$W/ready.$name"	# the reader's one line comes here; read blocks without polling
	BENCH_FD[$name]=$fd
	if [ -n "${BENCH_ERR_TO_OUT[$name]:-}" ]; then	# a tool that says it is ready on stderr (aod run's log)
		"$STAMP" exec "$W/t0.$name" "$@" >"$W/fifo.$name" 2>&1 &
	else
		"$STAMP" exec "$W/t0.$name" "$@" >"$W/fifo.$name" 2>"$W/err.$name" &
	fi
	BENCH_PID[$name]=$!
}
bench_ready() {
	local name=$1 fd=${BENCH_FD[$1]} t1=
	read -r -t 60 -u "$fd" t1 || true
	exec {fd}<&-
	[ -n "$t1" ] || bench_die "$name exited or hung before saying it was ready: $(tail -n 5 "$W/err.$name" 2>/dev/null)"
	BENCH_T1[$name]=$t1
	BENCH_T0[$name]=$(cat "$W/t0.$name")
	kill -0 "${BENCH_PID[$name]}" 2>/dev/null || bench_die "$name exited early: $(tail -n 5 "$W/err.$name")"
}
# bench_start_ms NAME...: ms from the first of these tools' exec to the last one's ready line.
bench_start_ms() {
	local n
	for n in "$@"; do echo "${BENCH_T0[$n]} ${BENCH_T1[$n]}"; done |
		awk 'NR == 1 || $1 < a { a = $1 } NR == 1 || $2 > b { b = $2 } END { printf "%.1f\n", (b - a) / 1e6 }'
}
# bench_start NAME REGEX CMD...: spawn and wait for ready; T_MS is the tool's exec to its ready line, in ms.
bench_start() {
	bench_spawn "$@"
	bench_ready "$1"
	T_MS=$(bench_start_ms "$1")
}
bench_stop() {
	kill -INT "${BENCH_PID[$1]}" 2>/dev/null || true
	wait "${BENCH_PID[$1]}" 2>/dev/null || true
	wait "${BENCH_DRAIN[$1]}" 2>/dev/null || true
	unset "BENCH_PID[$1]" "BENCH_DRAIN[$1]"
}

# bench_hwm_kb PID: peak resident memory (VmHWM) in kB.
bench_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# bench_storm PINGPONG SECS CPU: round trips per second of bench/pingpong.c pinned to CPU.
bench_storm() { "$1" "$2" "$3" | awk '{ print $2 }'; }

# bench_slowdown BARE_FILE WITH_FILE: each run's slowdown in % against the bare run of the same line.
bench_slowdown() { paste "$1" "$2" | awk '{ printf "%.2f\n", ($1 - $2) * 100 / $1 }'; }
