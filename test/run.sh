#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The one test entry point: unit (static, ASan/UBSan, valgrind), cli, live, fuzz and arm64 suites; last line N passed, N failed, N skipped.
#
# usage: test/run.sh [SUITE...] [-k PATTERN]
#   SUITE: unit asan valgrind cli live vm fuzz arm64 vm-arm64 (default: all but vm, fuzz, arm64 and vm-arm64;
#          CI=true adds them all, AOD_VM_TESTS=1 vm, AOD_ARM64_TESTS=1 arm64 and vm-arm64)
#   -k PATTERN  only test files (fuzz: targets) whose name contains PATTERN
#   arm64: build/aarch64 (./build.sh --arch aarch64) under qemu-user: its unit tests and the cli tests in ARM64_CLI
#   vm-arm64: build/aarch64/aod in test/vm's guest built for arm64, under qemu-system-aarch64: a subset of the
#          smb cases (test/vm-arm64/guest.test; AOD_ARM64_FULL=1 every case the arm64 guest supports)
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
	unit|asan|valgrind|cli|live|vm|fuzz|arm64|vm-arm64) SUITES+=("$1") ;;
	*) echo "test/run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
if [ ${#SUITES[@]} = 0 ]; then
	SUITES=(unit asan valgrind cli live)
	if [ "${AOD_VM_TESTS:-}" = 1 ] || [ "${CI:-}" = true ]; then SUITES+=(vm); fi
	if [ "${CI:-}" = true ]; then SUITES+=(fuzz); fi
	if [ "${AOD_ARM64_TESTS:-}" = 1 ] || [ "${CI:-}" = true ]; then SUITES+=(arm64 vm-arm64); fi
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
# run_shell_dir DIR LABEL [NAME...]: every DIR/*.test, or only DIR/NAME.test for each NAME given.
run_shell_dir() {
	local dir=$1 label=$2 f out T files=("${@:3}")
	if [ ${#files[@]} = 0 ]; then files=("$dir"/*.test); else files=("${files[@]/#/$dir/}"); files=("${files[@]/%/.test}"); fi
	for f in "${files[@]}"; do
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

# The cli tests that run unchanged on the aarch64 binary: all that run $AOD. Left out: binary (it checks
# the x86 file; run_arm64 checks the aarch64 one itself), layers (source only) and dist (packs both builds
# by path, whichever suite runs it).
ARM64_CLI=(config replay retain metrics daemon faults faults_disk)

# qemu-user for aarch64, run explicitly: binfmt_misc registration is host-wide state CI may not have.
arm64_qemu() {
	local q
	for q in qemu-aarch64-static qemu-aarch64; do
		command -v "$q" >/dev/null && { command -v "$q"; return 0; }
	done
	return 1
}

run_arm64() {
	local qemu a64=$B/aarch64 wrap size
	qemu=$(arm64_qemu) || { count_skip arm64 "qemu-aarch64-static not installed (apt-get install qemu-user-static)"; return; }
	[ -x "$a64/aod" ] || { count_skip arm64 "$a64/aod not built (./build.sh --arch aarch64)"; return; }
	# The release binary itself: an aarch64 static executable that runs and says what it is.
	local res=ok why=
	file "$a64/aod" | grep -q 'ARM aarch64.*statically linked.*stripped' || { res="not ok"; why=$(file "$a64/aod"); }
	echo "$res - arm64/binary: ELF aarch64, static, stripped${why:+ ($why)}"
	[ "$res" = ok ] && count_pass 1 || count_fail 1 "arm64/binary file type"
	size=$(stat -c %s "$a64/aod")
	if [ "$size" -le 1500000 ]; then count_pass 1; echo "ok - arm64/binary: at most 1.5 MB ($size bytes)"
	else count_fail 1 "arm64/binary size"; echo "not ok - arm64/binary: at most 1.5 MB ($size bytes)"; fi
	if "$qemu" "$a64/aod" version 2>&1 | grep -qx 'arch aarch64'; then count_pass 1; echo "ok - arm64/binary: version says arch aarch64"
	else count_fail 1 "arm64/binary version"; echo "not ok - arm64/binary: version says arch aarch64"; "$qemu" "$a64/aod" version 2>&1 | sed 's/^/#   /'; fi
	run_unit_dir "$a64/test" arm64-unit "$qemu"
	# The cli tests call "$AOD" as a program: a two-line wrapper makes that the emulated binary.
	wrap=$(mktemp -d /tmp/aod-arm64.XXXXXX)
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$qemu" "$a64/aod" >"$wrap/aod"
	chmod 755 "$wrap/aod"
	AOD=$wrap/aod run_shell_dir "$ROOT/test/cli" arm64-cli "${ARM64_CLI[@]}"
	rm -rf "$wrap"
	# BPF programs load into the running kernel, which qemu-user does not emulate: live tests need an arm64 kernel.
	count_skip arm64-live "eBPF needs an arm64 kernel; qemu-user emulates only user space (live and vm suites run on x86)"
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
	arm64) note "aarch64 build under qemu-user: binary, unit tests, cli tests (${ARM64_CLI[*]})"; run_arm64 ;;
	vm-arm64) note "arm64 QEMU guest (TCG)"; run_shell_dir "$ROOT/test/vm-arm64" vm-arm64 ;;
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
