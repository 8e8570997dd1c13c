#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the libFuzzer targets test/fuzz/*_fuzz.c against aod's sources with clang, ASan and UBSan, into build/fuzz/.
#
# usage: test/fuzz/build.sh   (after ./build.sh or ./build.sh --host, which generate build/gen)
# Exit 2 when a prerequisite is missing (test/run.sh fuzz skips, naming it), 1 when the build fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GEN=$ROOT/build/gen
O=$ROOT/build/fuzz
CC=${FUZZ_CC:-clang}
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
# The Makefile's host flags, with clang's fuzzer coverage on every object. Without -Werror: the project build (gcc)
# keeps the sources clean, and a warning only clang 14 gives must not stop the fuzzing.
CFLAGS=(-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wno-format-nonliteral
	-D_GNU_SOURCE -DAOD_HOST_BUILD -I"$ROOT/src" -I"$ROOT/bpf" -I"$GEN" "${SAN[@]}" -fsanitize=fuzzer-no-link)
LIBS=(-lbpf -lelf -lz -lzstd -lyaml)
WRAP=(-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc)	# malloc_guard.c's, as the --host aod links

die() { echo "test/fuzz/build.sh: $*" >&2; exit 1; }
missing() { echo "test/fuzz/build.sh: $*" >&2; exit 2; }

command -v "$CC" >/dev/null || missing "no $CC (on Debian 12: apt-get install clang)"
[ -f "$GEN/config_default.c" ] && [ -f "$GEN/version.h" ] || missing "no $GEN: run ./build.sh first"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n; }' >"$probe/p.c"
"$CC" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>"$probe/err" ||
	missing "$CC cannot link -fsanitize=fuzzer (libclang_rt.fuzzer; on Debian 12 it is in libclang-rt-14-dev): $(tail -n 3 "$probe/err")"

mkdir -p "$O/obj"
# Every module but main.c: libFuzzer brings main.
# An object is rebuilt when its source or any header is newer: headers are few and change rarely.
newest_hdr=$(ls -t "$ROOT"/src/*.h "$ROOT"/bpf/*.h "$GEN"/*.h | head -n1)
objs=()
for c in "$ROOT"/src/*.c "$GEN/config_default.c"; do
	[ "$(basename "$c")" != main.c ] || continue
	o=$O/obj/$(basename "$c" .c).o
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_hdr" -nt "$o" ]; then
		"$CC" "${CFLAGS[@]}" -c "$c" -o "$o"
	fi
	objs+=("$o")
done
for t in "$ROOT"/test/fuzz/*_fuzz.c; do
	"$CC" "${CFLAGS[@]}" -fsanitize=fuzzer "$t" "${objs[@]}" "${WRAP[@]}" "${LIBS[@]}" -o "$O/$(basename "$t" .c)"
done
echo "test/fuzz/build.sh: built $(cd "$O" && ls -1 -- *_fuzz | tr '\n' ' ')in $O"
