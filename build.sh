#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds build/aod (static, musl, stripped) from source, third-party libraries included; runs it or its tests.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: ./build.sh [--host] [--arch ARCH] [--btf FILE] [build|run [ARGS...]|test [ARGS...]|dist|libs|clean]

  build        (default) build build/aod: static musl binary with embedded BPF skeletons
  run [ARGS]   build, then run `build/aod run ARGS` (the embedded default config unless -c is given)
  test [ARGS]  build, then run every test suite (test/run.sh ARGS); last line: N passed, N failed, N skipped;
               builds build/aarch64/aod too when the arm64 suite runs (CI=true, AOD_ARM64_TESTS=1, `test arm64`)
  dist         build both architectures, then build/dist/aod-VERSION-ARCH.tar.zst for each (tools/dist.sh)
  libs         only fetch and build the third-party libraries into build/sysroot (build/aarch64/sysroot)
  clean        remove build/ (the downloaded sources under build/third_party are removed too)

  --arch ARCH  x86_64 (default) or aarch64 (arm64): cross-builds build/aarch64/aod with its own
               sysroot (musl and the pinned libraries, cross-compiled) and an arm64 kernel's BTF;
               ARCH=arm64 in the environment does the same
  --host       build the same sources as an ordinary glibc program with ASan/UBSan, into build/host/aod
  --btf FILE   generate vmlinux.h from FILE instead of /sys/kernel/btf/vmlinux (aarch64: instead of
               the BTF taken from Debian's arm64 cloud kernel image)
  --sysroot DIR  use static libraries and headers already in DIR (e.g. Alpine's /usr)
               instead of building the pinned Debian sources; CC=gcc on a musl host
  V=1          show every command
EOF
}

ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"
B=$ROOT/build
DL=$B/third_party/dl	# downloaded sources, shared by every architecture
JOBS=$(nproc 2>/dev/null || echo 2)
HOST=0
OWN_SYSROOT=0
SYSROOT_ARG=
BTF=
V=${V:-}
TARGET=${ARCH:-x86_64}

# set_target: where this architecture's build lives. x86_64 keeps the historical paths (build/aod,
# build/sysroot, build/gen); aarch64 has its own tree under build/aarch64 so both can coexist.
set_target() {
	case $TARGET in
	x86_64|amd64|x86) TARGET=x86_64 OUT=$B BPF_ARCH=x86 CROSS= ;;
	aarch64|arm64) TARGET=aarch64 OUT=$B/aarch64 BPF_ARCH=arm64 CROSS=aarch64-linux-gnu- ;;
	*) die "unknown architecture '$TARGET' (x86_64 or aarch64)" ;;
	esac
	SYSROOT=${SYSROOT_ARG:-$OUT/sysroot}
	TP=$OUT/third_party
	GEN=$OUT/gen
	LOGS=$OUT/logs
	[ -n "$BTF" ] || [ "$TARGET" != x86_64 ] || BTF=/sys/kernel/btf/vmlinux
}

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
NEED_AARCH64="aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu /usr/aarch64-linux-gnu/include/asm/unistd.h:linux-libc-dev-arm64-cross"
NEED_ARM64_TEST="qemu-aarch64-static:qemu-user-static"
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
	local pkg=$1 ver=$2 tarball=$3 sum=$4 dl=$DL
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
	need apt-get dpkg-source make sha256sum
	mkdir -p "$SYSROOT/lib" "$SYSROOT/include" "$TP"
	# shellcheck source=third_party/recipes.sh
	. "$ROOT/third_party/recipes.sh"
	local order="zlib libzstd libyaml elfutils libbpf"
	if [ "$TARGET" = x86_64 ]; then
		need musl-gcc
		export CC=musl-gcc AR=ar RANLIB=ranlib CROSS_HOST= SYSROOT JOBS
	else
		# No Debian musl toolchain targets arm64 from x86, so musl itself is built from its pinned
		# Debian source with the cross gcc, and its own musl-gcc wrapper compiles everything else.
		need "${CROSS}gcc" "${CROSS}ar"
		export CC=$SYSROOT/bin/musl-gcc REALGCC=${CROSS}gcc AR=${CROSS}ar RANLIB=${CROSS}ranlib \
			CROSS_HOST=${CROSS%-} SYSROOT JOBS
		order="musl $order"
		relocate_musl
	fi
	[ -f "$SYSROOT/include/linux/bpf.h" ] || step uapi recipe_uapi "$TARGET"
	local pkg ver tarball sum stamp
	for want in $order; do
		while read -r pkg ver tarball sum; do
			[ "$pkg" = "$want" ] || continue
			# the stamp names the pinned source and the recipe's text, flags included
			stamp="$ver $sum $(printf '%s\n' "$LIB_CFLAGS" "$(declare -f "recipe_$pkg")" | sha256sum | cut -c1-16)"
			if [ "$(cat "$TP/stamp.$pkg" 2>/dev/null)" = "$stamp" ]; then continue; fi
			say "building $pkg $ver (static, musl, $TARGET)"
			fetch "$pkg" "$ver" "$tarball" "$sum"
			SRC=$TP/src/$pkg step "lib-$pkg" "recipe_$pkg"
			echo "$stamp" >"$TP/stamp.$pkg"
		done < <(grep -v "^#" "$ROOT/third_party/versions")
	done
}

# musl's wrapper and specs name the sysroot by absolute path: a build tree copied from another checkout
# (as worktrees get build/ copied in) would compile against the old one. Point them here.
relocate_musl() {
	local old
	[ -f "$SYSROOT/bin/musl-gcc" ] || return 0
	old=$(sed -n 's#.*-specs "\(.*\)/lib/musl-gcc\.specs".*#\1#p' "$SYSROOT/bin/musl-gcc")
	[ -n "$old" ] && [ "$old" != "$SYSROOT" ] || return 0
	say "musl wrapper: $old -> $SYSROOT"
	sed -i "s#$old#$SYSROOT#g" "$SYSROOT/bin/musl-gcc" "$SYSROOT/lib/musl-gcc.specs"
}

# arm64_btf: the BTF of Debian's current arm64 cloud kernel, for the aarch64 vmlinux.h. The package
# ships only a raw arm64 Image (no ELF, so no .BTF section to name), whose BTF blob tools/btf_extract.c
# finds by its header. Cached in build/aarch64/btf; `./build.sh clean` or --btf FILE to change it.
arm64_btf() {
	local dir=$OUT/btf pkg deb img
	if [ -s "$dir/vmlinux.btf" ]; then BTF=$dir/vmlinux.btf; return 0; fi
	need apt-get apt-cache dpkg-deb gcc
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$(id -u)" = 0 ] && [ -z "${AOD_NO_INSTALL:-}" ] ||
			die "the arm64 kernel's BTF comes from Debian's arm64 archive: as root, dpkg --add-architecture arm64 && apt-get update (or give --btf FILE)"
		say "adding the arm64 architecture to apt (for the arm64 cloud kernel's BTF)"
		step dpkg-arch dpkg --add-architecture arm64
		step apt-update apt-get update
	fi
	pkg=${AOD_ARM64_KERNEL:-$(apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n1)}
	[ -n "$pkg" ] || die "no linux-image-cloud-arm64:arm64 in apt's lists (apt-get update?), or give --btf FILE"
	rm -rf "$dir/tmp" && mkdir -p "$dir/tmp"
	say "taking the arm64 BTF from $pkg"
	(cd "$dir/tmp" && step fetch-arm64-kernel apt-get download "$pkg:arm64")
	deb=$(ls "$dir/tmp/"*.deb)
	step unpack-arm64-kernel sh -c "dpkg-deb --fsys-tarfile '$deb' | tar -x -C '$dir/tmp' --wildcards './boot/vmlinuz-*'"
	img=$(ls "$dir/tmp/boot/"vmlinuz-*)
	# Debian's arm64 vmlinuz is a raw Image today; a gzip'd one is unpacked first.
	if [ "$(od -An -tx1 -N2 "$img" | tr -d ' ')" = 1f8b ]; then
		step gunzip-arm64-kernel sh -c "gzip -dc '$img' >'$img.raw'"
		img=$img.raw
	fi
	step btf-extract-tool gcc -O2 -Wall -Wextra -Werror -o "$dir/btf_extract" "$ROOT/tools/btf_extract.c"
	step btf-extract "$dir/btf_extract" "$img" "$dir/vmlinux.btf.tmp"
	mv "$dir/vmlinux.btf.tmp" "$dir/vmlinux.btf"
	echo "$pkg $(basename "$img")" >"$dir/source"
	rm -rf "$dir/tmp"
	BTF=$dir/vmlinux.btf
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
	if [ "$TARGET" = x86_64 ]; then
		libc="musl $(dpkg-query -W -f '${Version}' musl-dev 2>/dev/null | sed 's/-.*//')"
		[ "$libc" != "musl " ] || libc="musl $(ldd 2>&1 | sed -n 's/^Version //p')"
	else
		libc="musl $(cat "$SYSROOT/lib/musl.version")"
	fi
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
	local flavour=${1:-static} out=$OUT host=0 san=1 targets
	[ "$OWN_SYSROOT" = 1 ] || ensure_packages $NEED_BUILD
	[ "$flavour" = static ] || ensure_packages $NEED_HOST
	[ "$TARGET" = x86_64 ] || [ "$flavour" = static ] ||
		die "--host builds run on this machine only; the aarch64 build is the static one (--arch aarch64 build)"
	[ "$TARGET" = x86_64 ] || ensure_packages $NEED_AARCH64
	need clang llvm-strip bpftool make
	build_libs
	[ -n "$BTF" ] || arm64_btf
	gen_files
	case $flavour in
	host) out=$B/host host=1 ;;
	vg) out=$B/vg host=1 san=0 ;;
	esac
	# The test tools (smbgen, benches) feed the binary under test from this machine: built for x86 only.
	targets=("$out/aod" units tools)
	[ "$TARGET" = x86_64 ] || targets=("$out/aod" units)
	[ "$flavour" = vg ] && targets=(units)
	step "make-$flavour" make -j"$JOBS" ${CC:+STATIC_CC="$CC"} ${EXTRA_LIBS:+EXTRA_LIBS="$EXTRA_LIBS"} O="$out" GEN="$GEN" SYSROOT="$SYSROOT" \
		HOST="$host" SAN="$san" BPF_ARCH="$BPF_ARCH" STRIP="${CROSS}strip" ${V:+V=1} "${targets[@]}"
	[ "$flavour" != static ] || say "built $(du -k "$out/aod" | cut -f1) KiB: $out/aod ($TARGET)"
}

# for_arch ARCH CMD...: run CMD for another architecture without disturbing this one's settings.
for_arch() {
	(TARGET=$1 BTF= && shift && set_target && "$@")
}

# dist: build/dist/aod-VERSION-ARCH.tar.zst for each architecture, and SHA256SUMS beside them.
dist() {
	local v arch
	v=$(cat VERSION)
	for arch in x86_64 aarch64; do
		for_arch "$arch" build_all static
	done
	mkdir -p "$B/dist"
	for arch in x86_64 aarch64; do
		for_arch "$arch" dist_one "$v"
	done
	(cd "$B/dist" && sha256sum aod-"$v"-*.tar.zst >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
	say "release tarballs in $B/dist: $(cd "$B/dist" && echo aod-"$v"-*.tar.zst)"
}

# dist_one VERSION: this architecture's tarball (tools/dist.sh says what goes in).
dist_one() {
	step "dist-$TARGET" tools/dist.sh "$1" "$TARGET" "$OUT/aod" "$B/dist"
}

cmd=build
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--host) HOST=1 ;;
	--arch) TARGET=${2:?--arch needs x86_64 or aarch64}; shift ;;
	--arch=*) TARGET=${1#--arch=} ;;
	--btf) BTF=${2:?--btf needs a file}; shift ;;
	--btf=*) BTF=${1#--btf=} ;;
	--sysroot) SYSROOT_ARG=${2:?--sysroot needs a directory}; OWN_SYSROOT=1; shift ;;
	-h|--help|help) usage; exit 0 ;;
	build|run|test|dist|libs|clean) cmd=$1; shift; args=("$@"); break ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
	shift
done
set_target

# The arm64 suite runs in CI (as the fuzz suite does), when asked for, or with AOD_ARM64_TESTS=1.
arm64_tests_wanted() {
	[ "${CI:-}" = true ] || [ "${AOD_ARM64_TESTS:-}" = 1 ] || [[ " ${args[*]} " == *" arm64 "* ]]
}

case $cmd in
clean) rm -rf "$B" ;;
libs) build_libs ;;
build) build_all "$([ "$HOST" = 1 ] && echo host || echo static)" ;;
dist) [ "$TARGET" = x86_64 ] || die "dist builds every architecture; drop --arch"; dist ;;
run)
	[ "$TARGET" = x86_64 ] || die "run starts the binary on this machine; copy build/aarch64/aod to an arm64 host instead"
	build_all "$([ "$HOST" = 1 ] && echo host || echo static)"
	bin=$B/aod
	[ "$HOST" = 1 ] && bin=$B/host/aod
	exec "$bin" run "${args[@]}"
	;;
test)
	[ "$TARGET" = x86_64 ] || die "test runs every suite; the aarch64 one is test/run.sh arm64 (./build.sh test arm64)"
	# Every test: the static binary, plus the unit tests again under ASan/UBSan and under valgrind,
	# plus the aarch64 build that the arm64 suite runs under qemu-user.
	build_all static
	build_all host
	build_all vg
	if arm64_tests_wanted; then
		for_arch aarch64 build_all static
		ensure_packages $NEED_ARM64_TEST
	fi
	ensure_packages $NEED_TEST
	exec bash test/run.sh "${args[@]}"
	;;
esac
