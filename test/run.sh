#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The one test entry point: unit (static, ASan/UBSan, valgrind), cli, live and fuzz suites; last line N passed, N failed, N skipped.
#
# usage: test/run.sh [SUITE...] [-k PATTERN]
#   SUITE: unit asan valgrind cli live vm fuzz (default: all but vm and fuzz; CI=true adds both, AOD_VM_TESTS=1 vm)
#   -k PATTERN  only test files (fuzz: targets) whose name contains PATTERN
#   FUZZ_SECS=N  how long each libFuzzer target runs (default 60); test/fuzz/README.md for longer runs
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
PASS=0 FAIL=0 SKIP=0
FAILED=()
PATTERN=
SUITES=()

while [ $# -gt 0 ]; do
	case $1 in
	-k) PATTERN=$2; shift ;;
	unit|asan|valgrind|cli|live|vm|fuzz) SUITES+=("$1") ;;
	*) echo "test/run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
if [ ${#SUITES[@]} = 0 ]; then
	SUITES=(unit asan valgrind cli live)
	if [ "${AOD_VM_TESTS:-}" = 1 ] || [ "${CI:-}" = true ]; then SUITES+=(vm); fi
	if [ "${CI:-}" = true ]; then SUITES+=(fuzz); fi
fi

note() { echo "== $*"; }
count_pass() { PASS=$((PASS + $1)); }
count_fail() { FAIL=$((FAIL + $1)); FAILED+=("$2"); }
count_skip() { SKIP=$((SKIP + 1)); echo "skip - $1: $2"; }

# A unit binary prints "N passed, N failed"; a crash or non-zero exit without failures counts as one failure.
run_unit_dir() {
	local dir=$1 label=$2 wrap=("${@:3}") t out rc p f
	[ -d "$dir" ] || { count_skip "$label" "no unit tests built in $dir"; return; }
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		[ -z "$PATTERN" ] || [[ $(basename "$t") == *"$PATTERN"* ]] || continue
		out=$(mktemp)
		(cd "$ROOT" && timeout 300 "${wrap[@]}" "$t") >"$out" 2>&1
		rc=$?
		p=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1 | cut -d' ' -f1)
		f=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1 | cut -d' ' -f3)
		p=${p:-0} f=${f:-0}
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
		count_pass "$p"
		if [ "$f" != 0 ]; then
			count_fail "$f" "$label/$(basename "$t")"
			echo "not ok - $label/$(basename "$t") (exit $rc)"
			tail -n 30 "$out" | sed 's/^/#   /'
		else
			echo "ok - $label/$(basename "$t") ($p checks)"
		fi
		rm -f "$out"
	done
}

# Shell suites: each file is sourced in a subshell with $AOD, $T and $ROOT; it prints ok / not ok / skip lines.
run_shell_dir() {
	local dir=$1 label=$2 f out T
	for f in "$dir"/*.test; do
		[ -f "$f" ] || continue
		[ -z "$PATTERN" ] || [[ $(basename "$f") == *"$PATTERN"* ]] || continue
		T=$(mktemp -d /tmp/aod-test.XXXXXX)
		out=$T.log
		(export AOD="${AOD:-$B/aod}" T ROOT; cd "$T" && . "$ROOT/test/lib.sh" && . "$f") >"$out" 2>&1 </dev/null
		grep -E '^(ok|not ok|skip) - |^#' "$out" | sed -E "s#^(ok|not ok|skip) - #\1 - $label/$(basename "$f" .test): #"
		count_pass "$(grep -c '^ok - ' "$out")"
		local nf
		nf=$(grep -c '^not ok - ' "$out")
		[ "$nf" = 0 ] || count_fail "$nf" "$label/$(basename "$f")"
		SKIP=$((SKIP + $(grep -c '^skip - ' "$out")))
		if ! grep -qE '^(ok|not ok|skip) - ' "$out"; then
			count_fail 1 "$label/$(basename "$f") printed no result"
			tail -n 20 "$out" | sed 's/^/#   /'
		fi
		rm -rf "$T" "$out"
	done
}

# Each libFuzzer target runs FUZZ_SECS from its seeds (new inputs go to a scratch directory, never the seeds);
# any crash, leak, timeout or OOM fails it, and libFuzzer saves the input under build/fuzz/artifacts/TARGET/.
run_fuzz() {
	local secs=${FUZZ_SECS:-60} t name art work out rc why
	why=$("$ROOT/test/fuzz/build.sh" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != 0 ]; then
		if [ "$rc" = 2 ]; then count_skip fuzz "$why"; else count_fail 1 "fuzz build"; echo "not ok - fuzz build"; echo "$why" | tail -n 20 | sed 's/^/#   /'; fi
		return
	fi
	for t in "$ROOT"/test/fuzz/*_fuzz.c; do
		name=$(basename "$t" .c)
		[ -z "$PATTERN" ] || [[ $name == *"$PATTERN"* ]] || continue
		art=$B/fuzz/artifacts/$name
		work=$(mktemp -d /tmp/aod-fuzz.XXXXXX)
		out=$work.log
		mkdir -p "$art"
		# -timeout: one input that runs this long is a hang; the outer timeout only guards libFuzzer itself.
		(cd "$ROOT" && timeout $((secs + 120)) "$B/fuzz/$name" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
			-artifact_prefix="$art/" -print_final_stats=1 "$work" "$ROOT/test/fuzz/corpus/$name") >"$out" 2>&1
		rc=$?
		if [ "$rc" = 0 ]; then
			count_pass 1
			echo "ok - fuzz/$name ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$out" | grep -Eo '[0-9]+$') runs in $secs s)"
		else
			count_fail 1 "fuzz/$name"
			echo "not ok - fuzz/$name (exit $rc); input saved: $(grep -Eo 'Test unit written to .*' "$out" | sed 's/Test unit written to //')"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9] )' "$out" | head -n 12 | sed 's/^/#   /'
		fi
		rm -rf "$work" "$out"
	done
}

live_ready() {
	[ "$(id -u)" = 0 ] || { echo "not root"; return 1; }
	[ -r /sys/kernel/btf/vmlinux ] || { echo "no kernel BTF at /sys/kernel/btf/vmlinux"; return 1; }
	return 0
}

for s in "${SUITES[@]}"; do
	case $s in
	unit) note "unit tests (static musl build)"; run_unit_dir "$B/test" unit ;;
	asan) note "unit tests under ASan/UBSan (--host build)"; run_unit_dir "$B/host/test" asan ;;
	valgrind)
		note "unit tests under valgrind (--host build without sanitizers)"
		if command -v valgrind >/dev/null; then
			run_unit_dir "$B/vg/test" valgrind valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
		else count_skip valgrind "valgrind not installed (apt-get install valgrind)"; fi
		;;
	cli) note "cli tests against $B/aod"; run_shell_dir "$ROOT/test/cli" cli ;;
	live)
		note "live eBPF tests on $(uname -r)"
		if why=$(live_ready); then run_shell_dir "$ROOT/test/live" live
		else count_skip live "$why"; fi
		;;
	fuzz) note "libFuzzer targets, ${FUZZ_SECS:-60} s each (clang, ASan/UBSan)"; run_fuzz ;;
	vm)
		note "QEMU guest tests"
		if [ -x "$ROOT/test/vm/run.sh" ]; then
			run_shell_dir "$ROOT/test/vm" vm
		else count_skip vm "test/vm/run.sh not present"; fi
		;;
	esac
done

if [ ${#FAILED[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${FAILED[@]}"
fi
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" = 0 ]
