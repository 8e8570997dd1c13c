#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the QEMU guest for test/vm from Debian packages alone: kernel, busybox, Samba, cifs-utils, the kernel NFS
# server's userland (nfs-kernel-server, nfs-common, rpcbind), iproute2, the captures aod runs (tcpdump, trace-cmd), aod;
# for amd64 or, from Debian's arm64 packages, for arm64.
#
# usage: test/vm/mkinitramfs.sh [--arch amd64|arm64] [AOD_BINARY]
#   --arch  the guest's Debian architecture (default: the host's; x86_64 and aarch64 are accepted too).
#           A foreign one needs `dpkg --add-architecture ARCH` with apt's lists updated (./build.sh --arch
#           aarch64 does it for arm64) and qemu-user-static, which runs the guest's busybox and dynamic loader.
#   Writes build/vm/vmlinuz and build/vm/initramfs.cpio.gz (arm64 on an amd64 host: build/vm-arm64/); both are
#   cached and rebuilt when an input changes.
#   Exit 0: built or up to date. Exit 77: a package or tool cannot be had (the caller reports a skip; the reason
#   is the last line on stderr). Other non-zero: a real failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
[ "${1:-}" = --arch ] && { ARCH=${2:?--arch needs amd64 or arm64}; shift 2; }
case $ARCH in
x86_64|amd64) ARCH=amd64 ;;
aarch64|arm64) ARCH=arm64 ;;
*) echo "mkinitramfs: --arch is amd64 or arm64, not '$ARCH'" >&2; exit 2 ;;
esac
skip() { echo "mkinitramfs: $*" >&2; exit 77; }
die() { echo "mkinitramfs: $*" >&2; exit 1; }

# What differs by architecture: apt's package qualifier, the multiarch directory, the kernel metapackage and
# how the guest's own binaries (busybox --list, the dynamic loader's --list) run on this host. The package
# lists below are the same for every architecture.
NATIVE=$(dpkg --print-architecture 2>/dev/null || echo amd64)
case $ARCH in
amd64) ARCH_LIB=x86_64-linux-gnu QEMU=qemu-x86_64-static ;;
arm64) ARCH_LIB=aarch64-linux-gnu QEMU=qemu-aarch64-static ;;
esac
if [ "$ARCH" = "$NATIVE" ]; then
	VM=$ROOT/build/vm AOD_BIN=${1:-$ROOT/build/aod} Q='' RUN=()
else
	VM=$ROOT/build/vm-$ARCH AOD_BIN=${1:-$ROOT/build/aarch64/aod} Q=:$ARCH RUN=("$QEMU")
	command -v "$QEMU" >/dev/null || skip "$QEMU not installed (apt-get install -y qemu-user-static)"
	dpkg --print-foreign-architectures | grep -qx "$ARCH" ||
		skip "apt does not know $ARCH packages (dpkg --add-architecture $ARCH && apt-get update; ./build.sh --arch aarch64 does it)"
fi
DEBS=$VM/debs
PKGROOT=$VM/root-pkgs
KROOT=$VM/root-kernel
STAGE=$VM/root-stage
OUT=$VM/initramfs.cpio.gz

for t in apt-get apt-cache dpkg-deb depmod modprobe modinfo cpio gzip readelf; do
	command -v "$t" >/dev/null || skip "$t not installed (apt-get install -y cpio kmod dpkg apt binutils)"
done
[ -x "$AOD_BIN" ] || skip "no aod binary at $AOD_BIN (run ./build.sh first)"
if file -b "$AOD_BIN" 2>/dev/null | grep -q dynamic; then
	die "$AOD_BIN is dynamically linked; the guest has no musl: use the static build/aod"
fi

# The kernel package is named by its ABI, which the archive changes; the metapackage says which one is current.
resolve_kernel() {
	apt-cache depends "linux-image-cloud-$ARCH$Q" 2>/dev/null |
		awk -v a="$ARCH" '$0 ~ "Depends: linux-image-[0-9].*-cloud-" a { sub(/:.*/, "", $2); print $2; exit }'
}
KPKG=$(resolve_kernel)
if [ -z "$KPKG" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	KPKG=$(resolve_kernel)
fi
[ -n "$KPKG" ] || skip "apt cannot resolve linux-image-cloud-$ARCH (no package lists?)"
KVER=${KPKG#linux-image-}

# Userland: the programs the guest runs, and the shared libraries of their recursive dependencies.
# Only library packages (and zlib1g) are taken from the closure: perl, python and the maintainer-script
# tools that samba also depends on are never executed in the guest. Packages are named to apt as it names them:
# for a foreign architecture with its qualifier ("libc6:arm64"), except those of architecture all, which apt lists
# bare and only bare (libtirpc-common); for the native one bare, and the "libc6:arm64" apt also lists (another
# architecture is enabled for the cross build) are not wanted.
TOP=(samba samba-libs samba-common-bin cifs-utils iproute2 nfs-kernel-server nfs-common rpcbind)
# The rolling captures of the capture scenarios (conf/capture*.yaml): aod runs these binaries.
TOP+=(tcpdump trace-cmd)
lib_closure() {
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
		--no-enhances "${TOP[@]/%/$Q}" 2>/dev/null | grep -v '^ ' | grep -E '^(lib|zlib1g(:|$))' |
		grep -vE '^lib(python|perl|debian-installer|file-find|number-compare|text-glob|pam-runtime|semanage-common)' |
		awk -v q="$Q" '{ n[$0] = 1 }
			END { for (p in n) if (q == "" ? index(p, ":") == 0 : substr(p, length(p) - length(q) + 1) == q ||
				(index(p, ":") == 0 && !((p q) in n))) print p }' | sort
}
mapfile -t LIBS < <(lib_closure)
[ ${#LIBS[@]} -gt 10 ] || skip "apt cannot resolve the dependencies of ${TOP[*]} for $ARCH"
USERPKGS=(busybox-static "${TOP[@]}")
USERPKGS=("${USERPKGS[@]/%/$Q}" "${LIBS[@]}")
PKGS=("$KPKG$Q" "${USERPKGS[@]}")

mkdir -p "$DEBS"
# apt-get download fetches the candidate version; a deb of that exact version already in the cache is kept.
declare -A VER
deb_of() {
	local f
	for f in "$DEBS/${1%:*}_${VER[$1]}_"*.deb; do [ -f "$f" ] && { echo "$f"; return 0; }; done
	return 0
}
want_debs() {
	local p v missing=()
	# One apt-cache call for every package: each call reloads the whole cache (seconds on a busy machine).
	while read -r p v; do VER[$p]=$v; done < <(apt-cache policy "${PKGS[@]}" 2>/dev/null |
		awk '/^[^ ]/ { sub(/:$/, "", $1); p = $1 } /^  Candidate:/ { print p, $2 }')
	for p in "${PKGS[@]}"; do
		v=${VER[$p]:-}
		if [ -z "$v" ] || [ "$v" = "(none)" ]; then skip "package $p has no candidate version"; fi
		VER[$p]=${v//:/%3a}
		[ -n "$(deb_of "$p")" ] || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "mkinitramfs: downloading ${#missing[@]} packages into $DEBS" >&2
		(cd "$DEBS" && apt-get download -qq "${missing[@]}" >"$VM/apt-download.log" 2>&1) ||
			{ tail -n 5 "$VM/apt-download.log" >&2; skip "apt-get download failed for: ${missing[*]}"; }
	fi
}
want_debs

# A stamp file holds the inputs' fingerprint; a tree is rebuilt only when it changes.
fingerprint() { sha256sum "$@" 2>/dev/null | sha256sum | cut -c1-16; }

KDEB=$(deb_of "$KPKG$Q")
[ -n "$KDEB" ] || die "no deb for $KPKG in $DEBS"
if [ "$(cat "$KROOT.stamp" 2>/dev/null)" != "$(fingerprint "$KDEB")" ]; then
	rm -rf "$KROOT"
	mkdir -p "$KROOT"
	dpkg-deb -x "$KDEB" "$KROOT"
	fingerprint "$KDEB" >"$KROOT.stamp"
fi
cp "$KROOT/boot/vmlinuz-$KVER" "$VM/vmlinuz"

USERDEBS=()
for p in "${USERPKGS[@]}"; do
	d=$(deb_of "$p")
	[ -n "$d" ] || die "no deb for $p in $DEBS"
	USERDEBS+=("$d")
done
if [ "$(cat "$PKGROOT.stamp" 2>/dev/null)" != "$(fingerprint "${USERDEBS[@]}")" ]; then
	rm -rf "$PKGROOT"
	mkdir -p "$PKGROOT"
	for d in "${USERDEBS[@]}"; do dpkg-deb -x "$d" "$PKGROOT"; done
	fingerprint "${USERDEBS[@]}" >"$PKGROOT.stamp"
fi

# Everything the initramfs is made of; when none of it changed, the cached cpio is current.
# The bench suite's storm program (bench/fsstorm.c), built static beside aod; the CI suites run without it.
FSSTORM=$(dirname "$AOD_BIN")/tools/fsstorm
[ -x "$FSSTORM" ] && ! file -b "$FSSTORM" 2>/dev/null | grep -q dynamic || FSSTORM=
AODV2=$ROOT/test/fixtures/config/aodv2_newest.yaml
INPUTS=("$0" "$ROOT/test/vm/init" "$ROOT"/test/vm/conf/*.yaml "$ROOT/config/aod.yaml" "$AODV2" "$AOD_BIN" "$KROOT.stamp"
	"$PKGROOT.stamp" ${FSSTORM:+"$FSSTORM"})
STAMP=$(fingerprint "${INPUTS[@]}")
if [ -s "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$STAMP" ]; then
	echo "mkinitramfs: $OUT is current ($KVER)" >&2
	exit 0
fi
echo "mkinitramfs: building $OUT for $KVER" >&2

rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib64,etc,proc,sys,dev,tmp,run,mnt,out,srv}
mkdir -p "$STAGE"/{var/lib/samba/private,var/cache/samba,var/log/samba,run/samba,etc/samba,etc/aod}
mkdir -p "$STAGE"/{var/lib/nfs/v4recovery,var/lib/nfs/rpc_pipefs,run/rpcbind}

# busybox first; the real tc, ip and mount.cifs are installed after it so they are what the paths hold.
cp "$PKGROOT/bin/busybox" "$STAGE/bin/busybox"
for a in $("${RUN[@]}" "$STAGE/bin/busybox" --list); do
	[ -e "$STAGE/bin/$a" ] || ln -s busybox "$STAGE/bin/$a"
done

# Copy a file to the same path in the stage, following symlinks so the guest gets the real bytes.
put() {
	local src=$1 dst=$2
	mkdir -p "$STAGE/$(dirname "$dst")"
	cp -L "$src" "$STAGE/$dst"
}

# Programs: from the unpacked packages, found wherever the package put them (/sbin or /usr/sbin). A symlink is
# followed inside the unpacked tree: iproute2's /sbin/ip -> /bin/ip followed by cp -L would copy the host's ip.
find_prog() {
	local n=$1 d f t hops
	for d in usr/sbin sbin usr/bin bin; do
		f=$PKGROOT/$d/$n
		hops=0
		while [ -L "$f" ] && [ $hops -lt 8 ]; do
			t=$(readlink "$f")
			case $t in /*) f=$PKGROOT$t ;; *) f=$(dirname "$f")/$t ;; esac
			hops=$((hops + 1))
		done
		[ -f "$f" ] && [ -x "$f" ] && { echo "$f"; return; }
	done
	die "program $n not found in the unpacked packages"
}
PROGS=(smbd smbpasswd mount.cifs tc ip rpc.nfsd rpc.mountd exportfs mount.nfs rpcbind tcpdump trace-cmd)
for n in "${PROGS[@]}"; do put "$(find_prog "$n")" "/usr/sbin/$n"; done

# Shared libraries: the closure the guest's own dynamic loader lists (what ldd does, but with the loader of the
# guest's architecture, under qemu-user when that is foreign), resolved inside the unpacked tree (samba's private
# libraries too).
INTERP=$(readelf -l "$STAGE/usr/sbin/smbd" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ -n "$INTERP" ] || die "smbd names no program interpreter (readelf -l)"
LDSO=$PKGROOT/lib/$ARCH_LIB/$(basename "$INTERP")
[ -x "$LDSO" ] || die "no dynamic loader $LDSO in the unpacked packages"
LIBPATH=$PKGROOT/usr/lib/$ARCH_LIB:$PKGROOT/lib/$ARCH_LIB:$PKGROOT/usr/lib/$ARCH_LIB/samba
closure() {
	local n
	for n in "${PROGS[@]}"; do
		"${RUN[@]}" "$LDSO" --list --library-path "$LIBPATH" "$STAGE/usr/sbin/$n" || die "$LDSO --list $n failed"
	done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $2 == "=>" && $3 == "not" { print "MISSING " $1 }' | sort -u
}
closure >"$VM/libs.txt" || die "listing the libraries of ${PROGS[*]} failed"
while read -r lib; do
	case $lib in
	MISSING\ *) die "library ${lib#MISSING } not found in the unpacked packages" ;;
	"$PKGROOT"/*) put "$lib" "${lib#"$PKGROOT"}" ;;
	*) die "library $lib resolved outside the unpacked packages; add its package to the closure" ;;
	esac
done <"$VM/libs.txt"
put "$LDSO" "$INTERP"
# smbd dlopens its process-model, auth and gensec modules, which no loader lists: take samba's private dir whole.
cp -a "$PKGROOT/usr/lib/$ARCH_LIB/samba/." "$STAGE/usr/lib/$ARCH_LIB/samba/"
# rpcbind, mountd and mount.nfs find their transports in libtirpc's /etc/netconfig.
put "$PKGROOT/etc/netconfig" /etc/netconfig
# smbd stats its codepage and data directories at start.
[ -d "$PKGROOT/usr/share/samba" ] && cp -a "$PKGROOT/usr/share/samba" "$STAGE/usr/share/"

# Kernel modules, as ordered insmod lists the guest's /init loads (busybox modprobe knows no softdeps):
#   base: the results disk (virtio_blk), netem, the crypto cifs asks for by softdep or at mount time
#         (cmac(aes), gcm, ccm, ...), and tcp_diag (netlink INET_DIAG for TCP: the tcp_conns action); loaded at boot.
#   cifs: cifs and its modules.dep dependencies; loaded by the late-module scenario while aod watches.
#   nfsd: the kernel NFS server (and sunrpc, lockd, ...), loaded when an NFS scenario is to run.
#   nfs, nfsv4: the NFS client, v3 first and v4 after it, loaded by nfs-late while aod watches.
depmod -b "$KROOT" "$KVER"
KM=lib/modules/$KVER
mkdir -p "$STAGE/$KM" "$STAGE/etc/aodvm"
softdeps=$(modinfo -b "$KROOT" -k "$KVER" -F softdep cifs | tr ' ' '\n' | grep -vE '^(pre|post):$|^$' | sort -u)
modlist() {
	local group=$1 n line
	shift
	: >"$STAGE/etc/aodvm/$group.modules"
	for n in "$@"; do
		# A name the kernel has built in, or that no module provides (cifs's "aead2", "nls"), needs nothing.
		{ modprobe -d "$KROOT" -S "$KVER" --show-depends "$n" 2>/dev/null || true; } | while read -r verb path _; do
			[ "$verb" = insmod ] || continue
			line=/${path#"$KROOT"/}
			grep -qxF "$line" "$STAGE/etc/aodvm/$group.modules" && continue
			echo "$line" >>"$STAGE/etc/aodvm/$group.modules"
			put "$path" "$line"
		done
	done
	[ -s "$STAGE/etc/aodvm/$group.modules" ] || die "no modules found for $group ($*)"
}
# shellcheck disable=SC2086 # one softdep name per word
modlist base virtio_pci virtio_blk sch_netem $softdeps ctr ghash-generic cbc tcp_diag
modlist cifs cifs
grep -q '/cifs.ko$' "$STAGE/etc/aodvm/cifs.modules" || die "cifs.ko not in $KPKG"
modlist nfsd nfsd
modlist nfs nfs nfsv3
modlist nfsv4 nfsv4
cp "$KROOT/$KM"/modules.{order,builtin,builtin.modinfo} "$STAGE/$KM/" 2>/dev/null || true
# modules.alias of this subset, so the kernel's own request_module (busybox modprobe) finds crypto-* too.
depmod -b "$STAGE" "$KVER"

# Users: root, nobody/nogroup (smbd needs them) and the SMB user "aod".
cat >"$STAGE/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
aod:x:1000:1000:aod:/tmp:/bin/sh
_rpc:x:100:65534::/run/rpcbind:/bin/false
statd:x:101:65534::/var/lib/nfs:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$STAGE/etc/group" <<'EOF'
root:x:0:
aod:x:1000:
nogroup:x:65534:
EOF
# rpc.nfsd resolves "nfs" and mount.nfs "tcp" by name (netbase's files, reduced to what they ask).
printf 'ip 0 IP\nicmp 1 ICMP\ntcp 6 TCP\nudp 17 UDP\n' >"$STAGE/etc/protocols"
printf 'sunrpc 111/tcp portmapper\nsunrpc 111/udp portmapper\nnfs 2049/tcp\nnfs 2049/udp\n' >"$STAGE/etc/services"
echo "aodvm" >"$STAGE/etc/hostname"
printf '127.0.0.1 localhost aodvm\n' >"$STAGE/etc/hosts"

cp "$AOD_BIN" "$STAGE/usr/sbin/aod"
[ -z "$FSSTORM" ] || cp "$FSSTORM" "$STAGE/usr/bin/fsstorm"
cp "$ROOT"/test/vm/conf/*.yaml "$STAGE/etc/aod/"
# The embedded default config as shipped, its output directory set by /init: the outage scenario runs under it.
sed 's|^aod_output_dir: .*|aod_output_dir: @OUT@|' "$ROOT/config/aod.yaml" >"$STAGE/etc/aod/default.yaml"
# AODv2's newest shipped config, captures included, as it is (the aodv2 scenario).
cp "$AODV2" "$STAGE/etc/aod/aodv2.yaml"
cp "$ROOT/test/vm/init" "$STAGE/init"
chmod 755 "$STAGE/init" "$STAGE/usr/sbin/aod"

(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$STAMP" >"$OUT.stamp"
echo "mkinitramfs: $OUT $(du -h "$OUT" | cut -f1) ($KVER)" >&2
