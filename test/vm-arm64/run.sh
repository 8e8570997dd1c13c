#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots Debian's arm64 cloud kernel under qemu-system-aarch64 (TCG) with build/aarch64/aod and checks it there.
#
# usage: test/vm-arm64/run.sh      AOD=path (default build/aarch64/aod). Prints one ok / not ok / skip line per case.
#
# A reduced arm64 guest: busybox, aod and the cifs modules in an initramfs, no SMB server. It proves on a
# real arm64 kernel what qemu-user cannot: the arm64 BPF objects load and attach (aod probes, aod monitor),
# aod trace reads the right registers and names the arm64 syscalls (an openat of a marker file by cat),
# and with cifs loaded the SMB tracepoint and kprobe methods (arm64 pt_regs) load and attach.
# The SMB latency and error scenarios stay in the x86 guest (test/vm). Results come back on the console.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VM=$ROOT/build/vm-arm64
AOD=${AOD:-$ROOT/build/aarch64/aod}
CONSOLE=$VM/console.log
CASES=(boot version probes monitor trace smb)

unavailable() {
	local c
	for c in "${CASES[@]}"; do echo "skip - $c: $1"; done
	exit 0
}
for t in qemu-system-aarch64 cpio apt-get dpkg-deb timeout; do
	command -v "$t" >/dev/null || unavailable "$t not installed (apt-get install -y qemu-system-arm cpio)"
done
[ -x "$AOD" ] || unavailable "no aarch64 binary at $AOD (./build.sh --arch aarch64)"
dpkg --print-foreign-architectures | grep -qx arm64 ||
	unavailable "apt does not know arm64 packages (dpkg --add-architecture arm64 && apt-get update; ./build.sh --arch aarch64 does it)"

# fetch PKG: the arm64 .deb, downloaded once into build/vm-arm64/debs.
fetch() {
	local f
	f=$(ls "$VM/debs/$1"_*_arm64.deb 2>/dev/null | head -n1)
	if [ -z "$f" ]; then
		(cd "$VM/debs" && apt-get download "$1:arm64" >/dev/null 2>&1) || return 1
		f=$(ls "$VM/debs/$1"_*_arm64.deb | head -n1)
	fi
	echo "$f"
}

mkdir -p "$VM/debs"
kpkg=$(apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n1)
[ -n "$kpkg" ] || unavailable "no linux-image-cloud-arm64:arm64 in apt's lists (apt-get update)"
kdeb=$(fetch "$kpkg") || unavailable "apt-get download $kpkg:arm64 failed"
bdeb=$(fetch busybox-static) || unavailable "apt-get download busybox-static:arm64 failed"

rm -rf "$VM/root" "$VM/x"
mkdir -p "$VM/root"/{bin,dev,proc,sys,tmp,etc} "$VM/x"
# cifs and what it needs, in load order (the package has no modules.dep: depmod runs at install).
MODS="netfs fscache cifs_arc4 cifs_md4 dns_resolver cifs"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$VM/x" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/fs/*' \
	'./lib/modules/*/kernel/net/dns_resolver/*'
cp "$VM/x"/boot/vmlinuz-* "$VM/Image"
mkdir -p "$VM/root/lib/modules"
for m in $MODS; do
	f=$(find "$VM/x/lib/modules" -name "$m.ko" | head -n1)
	[ -n "$f" ] || unavailable "$kpkg has no $m.ko"
	cp "$f" "$VM/root/lib/modules/"
done
dpkg-deb -x "$bdeb" "$VM/x"
cp "$VM/x/bin/busybox" "$VM/root/bin/busybox"
cp "$AOD" "$VM/root/bin/aod"
echo "aod arm64 marker" >"$VM/root/etc/aodvm-marker"
cat >"$VM/root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
sec() { echo "AODVM-BEGIN $1"; shift; "$@" 2>&1; echo "AODVM-END rc=$?"; }
echo "AODVM-BEGIN boot"; uname -m; uname -r; echo "AODVM-END rc=0"
sec version aod version
sec probes aod probes
sec monitor aod monitor --duration 3 --no-histogram
( sleep 2; for i in 1 2 3 4 5; do cat /etc/aodvm-marker >/dev/null; sleep 0.2; done ) &
sec trace aod trace syscall,file --duration 5 --comm cat -o /tmp/trace.jsonl
echo "AODVM-BEGIN tracefile"; grep aodvm-marker /tmp/trace.jsonl | head -n 3; echo "AODVM-END rc=0"
for m in MODS; do insmod /lib/modules/$m.ko || echo "insmod $m failed"; done
sec smb aod probes
echo "AODVM-DONE"
poweroff -f
EOF
sed -i "s/for m in MODS;/for m in $MODS;/" "$VM/root/init"
chmod 755 "$VM/root/init"
(cd "$VM/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM/initramfs.cpio.gz"

start=$(date +%s)
timeout 600 qemu-system-aarch64 -M virt -cpu max -m 1024 -smp 2 -nographic -no-reboot -nic none \
	-kernel "$VM/Image" -initrd "$VM/initramfs.cpio.gz" -append "console=ttyAMA0 panic=-1 quiet rdinit=/init" \
	>"$CONSOLE" 2>&1 </dev/null
qrc=$?
echo "# arm64 guest ($kpkg) ran $(($(date +%s) - start)) s, qemu exit $qrc"
tr -d '\r' <"$CONSOLE" >"$CONSOLE.txt"

# section NAME: the console lines between AODVM-BEGIN NAME and its AODVM-END, into $VM/NAME.out.
section() {
	awk -v n="$1" '$0 == "AODVM-BEGIN " n {on = 1; next} on && /^AODVM-END rc=/ {print; exit} on' "$CONSOLE.txt" >"$VM/$1.out"
}
# check CASE REGEX WHAT: ok when the section ends with rc=0 and has a line matching REGEX.
check() {
	local c=$1 re=$2 what=$3
	section "$c"
	if grep -qx 'AODVM-END rc=0' "$VM/$c.out" && grep -Eq -- "$re" "$VM/$c.out"; then echo "ok - $c: $what"
	else echo "not ok - $c: $what"; tail -n 15 "$VM/$c.out" | sed 's/^/#   /'; [ -s "$VM/$c.out" ] || tail -n 15 "$CONSOLE.txt" | sed 's/^/#   /'; fi
}
check boot '^aarch64$' "the guest is an arm64 kernel"
check version '^arch aarch64$' "aod version names aarch64"
check probes '^sched +(tp_btf|raw_tp) ' "aod probes loads the arm64 objects: sched attaches"
section probes
grep -E '^kernel BTF +yes' "$VM/probes.out" >/dev/null && echo "ok - probes: kernel BTF found" || echo "not ok - probes: kernel BTF found"
check monitor 'sched +lost 0 \+ 0' "aod monitor runs 3 s with sched attached and nothing lost"
check trace 'events \(syscall [1-9]' "aod trace syscall,file records syscalls"
section tracefile
if grep -q '"syscall": "openat", "path": "/etc/aodvm-marker"' "$VM/tracefile.out"; then
	echo "ok - trace: cat's openat of the marker, named and with its path (arm64 numbers and registers)"
else
	echo "not ok - trace: cat's openat of the marker, named and with its path (arm64 numbers and registers)"
	sed 's/^/#   /' "$VM/tracefile.out" | head -n 5
fi
check smb '^module BTF +yes' "with cifs loaded: module BTF found"
check smb '^smb +(tp_btf|tracepoint|raw_tp) ' "with cifs loaded: smb attaches by tracepoint"
check smb '^smb\.tracepoint +usable' "smb tracepoint method loads and attaches"
check smb '^smb\.kprobe +usable' "smb kprobe method (arm64 pt_regs) loads and attaches"
grep -E '^smb\.fentry' "$VM/smb.out" | sed 's/^/# /'
