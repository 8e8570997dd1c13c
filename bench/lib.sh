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

# bench_spawn NAME CMD...: start CMD with its stdout on a pipe and its stderr in $W/err.NAME.
# bench_ready NAME REGEX: wait (up to 60 s) for a line of NAME's stdout matching REGEX, then keep
# draining the pipe so the tool never blocks on it. The tool's pid is BENCH_PID[NAME].
# Tools that print with stdio must be line-buffered (stdbuf -oL) or the line waits in their buffer.
declare -A BENCH_PID BENCH_FD BENCH_DRAIN BENCH_ERR_TO_OUT
bench_spawn() {
	local name=$1 fd
	shift
	rm -f "$W/fifo.$name"
	mkfifo "$W/fifo.$name"
	if [ -n "${BENCH_ERR_TO_OUT[$name]:-}" ]; then	# a tool that says it is ready on stderr (aod run's log)
		"$@" >"$W/fifo.$name" 2>&1 &
	else
		"$@" >"$W/fifo.$name" 2>"$W/err.$name" &
	fi
	BENCH_PID[$name]=$!
	exec {fd}<"$W/fifo.$name"
	BENCH_FD[$name]=$fd
}
bench_ready() {
	local name=$1 ready=$2 fd=${BENCH_FD[$1]}
	# grep reads the pipe a block at a time and stops at the first match; bash's read takes one byte
	# per syscall, which let the ready line wait behind the lines before it (both sides alike)
	if ! timeout 60 grep -m1 -q -E -- "$ready" <&"$fd"; then
		bench_die "$name exited or hung before saying it was ready: $(tail -n 5 "$W/err.$name" 2>/dev/null)"
	fi
	cat <&"$fd" >/dev/null &
	BENCH_DRAIN[$name]=$!
	exec {fd}<&-
	kill -0 "${BENCH_PID[$name]}" 2>/dev/null || bench_die "$name exited early: $(tail -n 5 "$W/err.$name")"
}
# bench_start NAME REGEX CMD...: spawn and wait for ready; T_MS is start to ready in ms.
bench_start() {
	local name=$1 ready=$2 t0=$EPOCHREALTIME
	shift 2
	bench_spawn "$name" "$@"
	bench_ready "$name" "$ready"
	T_MS=$(bench_ms_since "$t0")
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
