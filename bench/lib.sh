# SPDX-License-Identifier: GPL-2.0-only
# Helpers the benchmarks share: where things are, and the machine line every figure is reported with.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AOD=${AOD:-$ROOT/build/aod}
GEN=$ROOT/build/tools/smbgen

# bench_need NAME: stop with a clear message when the binaries are not built.
bench_need() {
	[ -x "$AOD" ] && [ -x "$GEN" ] || { echo "$1: build first (./build.sh)" >&2; exit 1; }
}

# The machine a figure was measured on: CPUs, model, kernel, memory.
bench_machine() {
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')," \
		"kernel $(uname -r), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
}
