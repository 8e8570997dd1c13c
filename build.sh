#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds build/aod (static, musl, stripped) from source, third-party libraries included; runs it or its tests.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: ./build.sh [--host] [--btf FILE] [build|run [ARGS...]|test [ARGS...]|libs|clean]

  build        (default) build build/aod: static musl binary with embedded BPF skeletons
  run [ARGS]   build, then run `build/aod run ARGS` (the embedded default config unless -c is given)
  test [ARGS]  build, then run every test suite (test/run.sh ARGS); last line: N passed, N failed, N skipped
  libs         only fetch and build the third-party libraries into build/sysroot
  clean        remove build/ (the downloaded sources under build/third_party are removed too)

  --host       build the same sources as an ordinary glibc program with ASan/UBSan, into build/host/aod
  --btf FILE   generate vmlinux.h from FILE instead of /sys/kernel/btf/vmlinux
  --sysroot DIR  use static libraries and headers already in DIR (e.g. Alpine's /usr)
               instead of building the pinned Debian sources; CC=gcc on a musl host
  V=1          show every command
EOF
}

ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"
B=$ROOT/build
SYSROOT=$B/sysroot
TP=$B/third_party
GEN=$B/gen
LOGS=$B/logs
JOBS=$(nproc 2>/dev/null || echo 2)
HOST=0
OWN_SYSROOT=0
BTF=/sys/kernel/btf/vmlinux
V=${V:-}

die() { echo "build.sh: $*" >&2; exit 1; }
say() { echo "build.sh: $*" >&2; }

# step NAME CMD...: run quietly into build/logs/NAME.log; on failure name the step and show the log's tail.
step() {
	local name=$1
	shift
	mkdir -p "$LOGS"
	if [ -n "$V" ]; then
		say "[$name] $*"
		( "$@" ) 2>&1 | tee "$LOGS/$name.log"
		[ "${PIPESTATUS[0]}" = 0 ] || die "step '$name' failed (log: $LOGS/$name.log)"
	elif ! ( "$@" ) >"$LOGS/$name.log" 2>&1; then
		tail -n 40 "$LOGS/$name.log" >&2
		die "step '$name' failed (full log: $LOGS/$name.log)"
	fi
}

# What each flavour needs from Debian: "command-or-file:package".
NEED_BUILD="clang:clang llvm-strip:llvm bpftool:bpftool musl-gcc:musl-tools dpkg-source:dpkg-dev make:make
	gcc:gcc zstd:zstd /usr/include/linux/bpf.h:linux-libc-dev"
NEED_HOST="/usr/include/bpf/libbpf.h:libbpf-dev /usr/include/libelf.h:libelf-dev /usr/include/zlib.h:zlib1g-dev
	/usr/include/zstd.h:libzstd-dev /usr/include/yaml.h:libyaml-dev"
NEED_TEST="valgrind:valgrind python3:python3 file:file tar:tar unshare:util-linux ip:iproute2 bpftrace:bpftrace"

# On a fresh Debian 12 run as root, install what is missing (as .ci/run does); otherwise say what to install.
ensure_packages() {
	local item pkgs=()
	for item in "$@"; do
		case ${item%%:*} in
		/*) [ -e "${item%%:*}" ] && continue ;;
		*) command -v "${item%%:*}" >/dev/null 2>&1 && continue ;;
		esac
		pkgs+=("${item#*:}")
	done
	[ ${#pkgs[@]} = 0 ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${AOD_NO_INSTALL:-}" ]; then
		say "installing missing Debian packages: ${pkgs[*]} (AOD_NO_INSTALL=1 to refuse)"
		step apt-update apt-get update
		step apt-install env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"
	else
		die "missing packages: ${pkgs[*]} (on Debian 12, as root: apt-get install -y ${pkgs[*]})"
	fi
}

need() {
	local missing=()
	for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
	[ ${#missing[@]} = 0 ] || die "missing tools: ${missing[*]} (on Debian 12: apt-get install -y clang llvm bpftool musl-tools dpkg-dev make)"
}

# apt-get source needs a deb-src entry; derive one from the machine's own deb entries (never a fixed host).
ensure_deb_src() {
	if apt-cache showsrc libyaml 2>/dev/null | grep -q '^Package:'; then return 0; fi
	[ "$(id -u)" = 0 ] || die "no deb-src entry for apt-get source; as root, build.sh derives one from /etc/apt/sources*"
	say "deriving a deb-src entry from the existing apt sources"
	local f out=/etc/apt/sources.list.d/aod-deb-src.sources
	: >"$out.tmp"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && [ "$f" != "$out" ] || continue
		grep -q '^Types:.*\bdeb\b' "$f" || continue
		sed -e 's/^Types:.*/Types: deb-src/' "$f" >>"$out.tmp"
		echo >>"$out.tmp"
	done
	if [ -f /etc/apt/sources.list ]; then
		grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/aod-deb-src.list || true
	fi
	mv "$out.tmp" "$out"
	step apt-update apt-get update
}

# fetch PKG VERSION TARBALL SHA256: unpack the Debian source package (patches applied) into $TP/src/PKG.
fetch() {
	local pkg=$1 ver=$2 tarball=$3 sum=$4 dl=$TP/dl
	mkdir -p "$dl" "$TP/src"
	if [ ! -f "$dl/$tarball" ]; then
		ensure_deb_src
		(cd "$dl" && step "fetch-$pkg" apt-get source --download-only "$pkg=$ver")
	fi
	echo "$sum  $dl/$tarball" | sha256sum -c --quiet - >/dev/null 2>&1 ||
		die "checksum mismatch for $dl/$tarball (pinned in third_party/versions); delete it to fetch again"
	rm -rf "$TP/src/$pkg"
	local dsc
	dsc=$(ls "$dl/${pkg}_"*.dsc | head -n1)
	step "unpack-$pkg" dpkg-source --no-check -x "$dsc" "$TP/src/$pkg"
}

build_libs() {
	[ "$OWN_SYSROOT" = 0 ] || return 0
	need musl-gcc apt-get dpkg-source make sha256sum
	mkdir -p "$SYSROOT/lib" "$SYSROOT/include" "$TP"
	export CC=musl-gcc SYSROOT JOBS
	# shellcheck source=third_party/recipes.sh
	. "$ROOT/third_party/recipes.sh"
	[ -f "$SYSROOT/include/linux/bpf.h" ] || step uapi recipe_uapi
	local pkg ver tarball sum order="zlib libzstd libyaml elfutils libbpf"
	for want in $order; do
		while read -r pkg ver tarball sum; do
			[ "$pkg" = "$want" ] || continue
			if [ "$(cat "$TP/stamp.$pkg" 2>/dev/null)" = "$ver $sum" ]; then continue; fi
			say "building $pkg $ver (static, musl)"
			fetch "$pkg" "$ver" "$tarball" "$sum"
			SRC=$TP/src/$pkg step "lib-$pkg" "recipe_$pkg"
			echo "$ver $sum" >"$TP/stamp.$pkg"
		done < <(grep -v "^#" "$ROOT/third_party/versions")
	done
}

gen_files() {
	mkdir -p "$GEN"
	if [ ! -s "$GEN/vmlinux.h" ] || [ "$(cat "$GEN/vmlinux.src" 2>/dev/null)" != "$BTF" ]; then
		[ -r "$BTF" ] || die "no BTF at $BTF: give one with --btf FILE (e.g. a vmlinux with .BTF, or /sys/kernel/btf/vmlinux of another host)"
		step vmlinux sh -c "bpftool btf dump file '$BTF' format c > '$GEN/vmlinux.h.tmp' && mv '$GEN/vmlinux.h.tmp' '$GEN/vmlinux.h'"
		echo "$BTF" >"$GEN/vmlinux.src"
	fi
	# The default config is compiled in, so a fresh host needs no file at all.
	{
		echo "/* generated by build.sh from config/aod.yaml */"
		echo "const char config_default_yaml[] = {"
		od -An -v -tx1 config/aod.yaml | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
		echo "0x00 };"
		echo "const unsigned long config_default_yaml_len = sizeof(config_default_yaml) - 1;"
	} >"$GEN/config_default.c.tmp"
	cmp -s "$GEN/config_default.c.tmp" "$GEN/config_default.c" 2>/dev/null || mv "$GEN/config_default.c.tmp" "$GEN/config_default.c"
	rm -f "$GEN/config_default.c.tmp"
	local v libc
	v=$(cat VERSION 2>/dev/null || echo 0.0.0)
	if git rev-parse --short HEAD >/dev/null 2>&1; then v="$v+g$(git rev-parse --short HEAD)"; fi
	libc="musl $(dpkg-query -W -f '${Version}' musl-dev 2>/dev/null | sed 's/-.*//')"
	[ "$libc" != "musl " ] || libc="musl $(ldd 2>&1 | sed -n 's/^Version //p')"
	{
		echo "/* generated by build.sh */"
		echo "#define AOD_VERSION \"$v\""
		echo "#define AOD_LIBC_STATIC \"$libc\""
		while read -r pkg ver _ _; do
			echo "#define AOD_PIN_$(echo "$pkg" | tr a-z A-Z) \"$ver\""
		done < <(grep -v "^#" "$ROOT/third_party/versions")
	} >"$GEN/version.h.tmp"
	cmp -s "$GEN/version.h.tmp" "$GEN/version.h" 2>/dev/null || mv "$GEN/version.h.tmp" "$GEN/version.h"
	rm -f "$GEN/version.h.tmp"
}

# build_all [FLAVOUR]: static (default), host (glibc + ASan/UBSan) or vg (glibc, unit tests for valgrind).
build_all() {
	local flavour=${1:-static} out=$B host=0 san=1 targets
	[ "$OWN_SYSROOT" = 1 ] || ensure_packages $NEED_BUILD
	[ "$flavour" = static ] || ensure_packages $NEED_HOST
	need clang llvm-strip bpftool make
	build_libs
	gen_files
	case $flavour in
	host) out=$B/host host=1 ;;
	vg) out=$B/vg host=1 san=0 ;;
	esac
	targets=("$out/aod" units tools)
	[ "$flavour" = vg ] && targets=(units)
	step "make-$flavour" make -j"$JOBS" ${CC:+STATIC_CC="$CC"} ${EXTRA_LIBS:+EXTRA_LIBS="$EXTRA_LIBS"} O="$out" GEN="$GEN" SYSROOT="$SYSROOT" HOST="$host" SAN="$san" ${V:+V=1} \
		"${targets[@]}"
	[ "$flavour" != static ] || say "built $(du -k "$out/aod" | cut -f1) KiB: $out/aod"
}

cmd=build
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--host) HOST=1 ;;
	--btf) BTF=${2:?--btf needs a file}; shift ;;
	--btf=*) BTF=${1#--btf=} ;;
	--sysroot) SYSROOT=${2:?--sysroot needs a directory}; OWN_SYSROOT=1; shift ;;
	-h|--help|help) usage; exit 0 ;;
	build|run|test|libs|clean) cmd=$1; shift; args=("$@"); break ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
	shift
done

case $cmd in
clean) rm -rf "$B" ;;
libs) build_libs ;;
build) build_all "$([ "$HOST" = 1 ] && echo host || echo static)" ;;
run)
	build_all "$([ "$HOST" = 1 ] && echo host || echo static)"
	bin=$B/aod
	[ "$HOST" = 1 ] && bin=$B/host/aod
	exec "$bin" run "${args[@]}"
	;;
test)
	# Every test: the static binary, plus the unit tests again under ASan/UBSan and under valgrind.
	build_all static
	build_all host
	build_all vg
	ensure_packages $NEED_TEST
	exec bash test/run.sh "${args[@]}"
	;;
esac
