#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots the test/vm guest under QEMU once, brings its results disk back and checks every scenario of a suite on the host.
#
# usage: test/vm/run.sh [--suite smb|nfs|bench] [--only a,b,c] [--update-fixture] [--keep] [--append WORDS]
#                       [--timeout SECONDS]
#   AOD=path (default build/aod, must be static).  Prints one ok / not ok / skip line per scenario.
#   --suite           smb (default: Samba and cifs, checked by verify.py) or nfs (the kernel NFS server and the
#                     v3/v4.2 client, checked by verify_nfs.py); each suite boots its own guest.  bench is
#                     bench/smb_cost.sh's guest (not CI): it only brings build/vm/results-bench back
#   --only            run some guest scenarios only (late probes health quiet latency-tracepoint latency-fentry
#                     latency-kprobe single errors emergency stall release crash capture capture-trace capture-ring
#                     aodv2);
#                     the other cases then say skip
#   --update-fixture  copy the recorded stream of latency-tracepoint to test/fixtures/smb-latency.rec
#   --keep            keep build/vm/results from an earlier run and check it again without booting
#   --append          more words for the guest's kernel command line (the bench suite's aodvm.secs=N ...)
#   --timeout         seconds the guest may run (default 420; the smb suite 720: its capture scenarios wait for
#                     30 s watch windows)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VM=$ROOT/build/vm
AOD=${AOD:-$ROOT/build/aod}
RES=$VM/results
CONSOLE=$VM/console.log
ONLY='' UPDATE=0 KEEP=0 SUITE=smb MORE='' TIMEOUT=
USAGE="usage: test/vm/run.sh [--suite smb|nfs|bench] [--only a,b,c] [--update-fixture] [--keep] [--append WORDS] [--timeout S]"

while [ $# -gt 0 ]; do
	case $1 in
	--suite) SUITE=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--update-fixture) UPDATE=1 ;;
	--keep) KEEP=1 ;;
	--append) MORE=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	*) echo "$USAGE" >&2; exit 2 ;;
	esac
	shift
done
case $SUITE in
smb) CASES=(boot late probes health quiet latency-tracepoint latency-fentry latency-kprobe replay single errors emergency
	    release crash capture capture-trace capture-ring aodv2)
     VERIFY=verify.py ;;
nfs) CASES=(nfs-boot nfs-late nfs-latency-tracepoint nfs-latency-fentry nfs-latency-kprobe nfs-probes)
     VERIFY=verify_nfs.py RES=$VM/results-nfs CONSOLE=$VM/console-nfs.log ;;
bench) CASES=(bench bench-bpf bench-rate)
       VERIFY='' RES=$VM/results-bench CONSOLE=$VM/console-bench.log ;;
*) echo "test/vm/run.sh: --suite is smb, nfs or bench, not '$SUITE'" >&2; exit 2 ;;
esac
IMG=$VM/results-$SUITE.img

# Without the tools, every case says why; on CI the suite must run, so there a missing tool is a failure.
all_cases() {
	local verdict=$1 why=$2 c
	for c in "${CASES[@]}"; do
		if [ "$verdict" = skip ]; then echo "skip - $c: $why"; else echo "not ok - $c"; echo "#   $why"; fi
	done
}
unavailable() {
	if [ "${CI:-}" = true ]; then all_cases fail "$1 (CI must run the VM suite)"; exit 1; fi
	all_cases skip "$1"
	exit 0
}

for t in qemu-system-x86_64 timeout tar zstd python3; do
	command -v "$t" >/dev/null || unavailable "$t not installed (apt-get install -y qemu-system-x86 busybox-static cpio kmod zstd python3)"
done
[ -x "$AOD" ] || unavailable "no aod binary at $AOD (run ./build.sh)"

if [ "$KEEP" = 0 ]; then
	mkdir -p "$VM"
	"$ROOT/test/vm/mkinitramfs.sh" "$AOD" 2>"$VM/mkinitramfs.log"
	rc=$?
	if [ "$rc" = 77 ]; then unavailable "$(tail -n1 "$VM/mkinitramfs.log")"; fi
	if [ "$rc" != 0 ]; then
		all_cases fail "building the guest failed (exit $rc):"
		tail -n 20 "$VM/mkinitramfs.log" | sed 's/^/#   /'
		exit 1
	fi

	# The results disk: the guest writes a tar stream onto the raw device, the host's tar reads it back.
	rm -rf "$RES" "$IMG"
	truncate -s 256M "$IMG"
	APPEND="console=ttyS0 panic=-1 quiet aodvm.suite=$SUITE"
	[ -n "$ONLY" ] && APPEND="$APPEND aodvm.only=$ONLY"
	[ -n "$MORE" ] && APPEND="$APPEND $MORE"
	# KVM is not used: on some hosts it fails with MSR errors and hangs QEMU, so TCG under a timeout it is.
	# The SMB suite's capture scenarios wait for 30 s watch windows: its guest gets longer.
	[ -n "$TIMEOUT" ] || { TIMEOUT=420; [ "$SUITE" = smb ] && TIMEOUT=720; }
	start=$(date +%s)
	timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 -nographic -no-reboot -nic none \
		-kernel "$VM/vmlinuz" -initrd "$VM/initramfs.cpio.gz" -append "$APPEND" \
		-drive file="$IMG",format=raw,if=virtio >"$CONSOLE" 2>&1 </dev/null
	qrc=$?
	echo "# guest ran $(($(date +%s) - start)) s, qemu exit $qrc$([ "$qrc" = 124 ] && echo " (killed by the $TIMEOUT s timeout)")"
	mkdir -p "$RES"
	tar -xf "$IMG" -C "$RES" 2>"$VM/untar-$SUITE.log" || true
fi

# The bench suite has no checks here: bench/smb_cost.sh reads its results.
if [ -z "$VERIFY" ]; then
	grep -q 'AODVM done' "$CONSOLE" || { echo "# the guest did not finish (see $CONSOLE)"; exit 1; }
	exit 0
fi
args=(--results "$RES" --console "$CONSOLE" --aod "$AOD" --root "$ROOT")
[ -n "$ONLY" ] && args+=(--only "$ONLY")
python3 "$ROOT/test/vm/$VERIFY" "${args[@]}"
vrc=$?

REC=$RES/latency-tracepoint/smb-latency.rec
if [ "$UPDATE" = 1 ]; then
	if [ -s "$REC" ]; then
		mkdir -p "$ROOT/test/fixtures"
		install -m 644 "$REC" "$ROOT/test/fixtures/smb-latency.rec"
		echo "# fixture: test/fixtures/smb-latency.rec ($(stat -c %s "$REC") bytes)"
	else
		echo "# fixture: no recorded stream in $REC"
	fi
fi
exit $vrc
