# SPDX-License-Identifier: GPL-2.0-only
# Helpers for test/cli/*.test and test/live/*.test: each case prints one "ok", "not ok" or "skip" line.
# Sourced by test/run.sh; $AOD is the binary under test, $T a fresh directory for this file.

t_ok()   { echo "ok - $1"; }
t_fail() { echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '#   %s\n' "$@"; return 0; }
t_skip() { echo "skip - $1: $2"; }

# t_exit NAME CODE CMD...: run CMD, pass when its exit status is CODE; output kept in $T/out.
t_exit() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$T/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then t_ok "$name"; else
		t_fail "$name" "exit $got, wanted $want: $*" "$(tail -n 15 "$T/out")"
	fi
}

# t_grep NAME REGEX [FILE]: pass when FILE (default $T/out) has a line matching the extended regex.
t_grep() {
	local f=${3:-$T/out}
	if grep -Eq -- "$2" "$f"; then t_ok "$1"; else
		t_fail "$1" "no line matches /$2/ in $f:" "$(tail -n 15 "$f")"
	fi
}

# t_nogrep NAME REGEX [FILE]: pass when no line matches.
t_nogrep() {
	local f=${3:-$T/out}
	if grep -Eq -- "$2" "$f"; then t_fail "$1" "unexpected /$2/:" "$(grep -E -- "$2" "$f" | head -5)"; else t_ok "$1"; fi
}

# t_true NAME CMD...: pass when CMD succeeds.
t_true() {
	local name=$1
	shift
	if "$@" >"$T/tout" 2>&1; then t_ok "$name"; else t_fail "$name" "failed: $*" "$(tail -n 10 "$T/tout")"; fi
}

t_need_root() { [ "$(id -u)" = 0 ]; }
