#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots the test/vm guest under QEMU once, brings its results disk back and checks every scenario of a suite on the host.
#
# usage: test/vm/run.sh [--arch amd64|arm64] [--suite smb|nfs|bench] [--only a,b,c] [--update-fixture] [--keep]
#                       [--append WORDS] [--timeout SECONDS] [--icount]
#   AOD=path (default build/aod, must be static).  Prints one ok / not ok / skip line per scenario.
#   --arch arm64      the same guest built from Debian's arm64 packages (mkinitramfs.sh --arch arm64) with
#                     build/aarch64/aod, booted under qemu-system-aarch64 -M virt (TCG); files under build/vm-arm64.
#                     Without --only it runs every smb scenario the arm64 guest supports (verify.py --scenarios).
#   --suite           smb (default: Samba and cifs, checked by verify.py) or nfs (the kernel NFS server and the
#                     v3/v4.2 client, checked by verify_nfs.py); each suite boots its own guest.  bench is
#                     bench/smb_cost.sh's guest (not CI): it only brings build/vm/results-bench back
#   --only            run some guest scenarios only (late probes health ioerr trace quiet latency-tracepoint
#                     latency-fentry latency-kprobe single errors emergency stall outage release crash capture
#                     capture-trace capture-ring aodv2 sockconn; nfs: nfs-outage nfs-sockconn ...); the other cases
#                     then say skip
#   --update-fixture  copy the recorded stream of latency-tracepoint to test/fixtures/smb-latency.rec; the nfs suite:
#                     nfs-latency-tracepoint's to test/fixtures/nfs-latency.rec, with the tables that name its
#                     mounts (test/fixtures/names/nfs-latency-*.txt) and its bundles' counts (nfs-latency.live)
#   --keep            keep build/vm/results from an earlier run and check it again without booting
#   --append          more words for the guest's kernel command line (the bench suite's aodvm.secs=N ...)
#   --timeout         seconds the guest may run (default 420; the smb suite 720: its capture scenarios wait for
#                     30 s watch windows; arm64 1200)
#   --icount          the guest's clock counts the instructions it runs (QEMU -icount shift=3,sleep=off: 8 ns
#                     each, idle time skipped), not the host's time: the same guest work takes the same guest
#                     time however busy the host is (bench/smb_cost.sh ICOUNT=1). One vCPU: with two, the
#                     6.1 guest hangs bringing up the second CPU under -icount
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ONLY='' UPDATE=0 KEEP=0 SUITE=smb ARCH=amd64 MORE='' TIMEOUT='' ICOUNT=0
USAGE="usage: test/vm/run.sh [--arch amd64|arm64] [--suite smb|nfs|bench] [--only a,b,c] [--update-fixture] [--keep] [--append WORDS] [--timeout S] [--icount]"

while [ $# -gt 0 ]; do
	case $1 in
	--arch) ARCH=$2; shift ;;
	--suite) SUITE=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--update-fixture) UPDATE=1 ;;
	--keep) KEEP=1 ;;
	--append) MORE=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--icount) ICOUNT=1 ;;
	*) echo "$USAGE" >&2; exit 2 ;;
	esac
	shift
done
# What differs by architecture is the emulator, the console, the binary and where the files go; the initramfs
# recipe, the guest's /init and the checks are the same. The cases an architecture leaves out, and why, are
# verify.py's NOT_ON.
case $ARCH in
amd64|x86_64)
	ARCH=amd64 VM=$ROOT/build/vm AOD=${AOD:-$ROOT/build/aod} UNAME=x86_64 QEMU=qemu-system-x86_64 TTY=ttyS0
	QEMU_ARGS=(-accel tcg -cpu max) HOSTRUN=() ;;
arm64|aarch64)
	# The host side runs the aarch64 aod too (verify.py's replay case): under qemu-user.
	ARCH=arm64 VM=$ROOT/build/vm-arm64 AOD=${AOD:-$ROOT/build/aarch64/aod} UNAME=aarch64 QEMU=qemu-system-aarch64
	TTY=ttyAMA0 QEMU_ARGS=(-M virt -cpu max) TIMEOUT=${TIMEOUT:-1200} HOSTRUN=(qemu-aarch64-static)
	[ "$SUITE" = smb ] || { echo "test/vm/run.sh: the arm64 guest runs the smb suite only" >&2; exit 2; }
	[ -n "$ONLY" ] || ONLY=$(python3 "$ROOT/test/vm/verify.py" --arch "$UNAME" --scenarios) ;;
*) echo "test/vm/run.sh: --arch is amd64 or arm64, not '$ARCH'" >&2; exit 2 ;;
esac
RES=$VM/results
CONSOLE=$VM/console.log
case $SUITE in
smb) CASES=(boot late probes health ioerr trace quiet latency-tracepoint latency-fentry latency-kprobe replay single errors
	    emergency stall outage sockconn release crash capture capture-trace capture-ring aodv2)
     VERIFY=verify.py ;;
nfs) CASES=(nfs-boot nfs-late nfs-latency-tracepoint nfs-latency-fentry nfs-latency-kprobe nfs-replay nfs-probes nfs-outage
	    nfs-sockconn)
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

for t in "$QEMU" "${HOSTRUN[@]}" timeout tar zstd python3; do
	command -v "$t" >/dev/null || unavailable "$t not installed (apt-get install -y qemu-system-x86 qemu-system-arm qemu-user-static busybox-static cpio kmod zstd python3)"
done
[ -x "$AOD" ] || unavailable "no aod binary at $AOD (run ./build.sh$([ "$ARCH" = arm64 ] && echo ' --arch aarch64'))"

if [ "$KEEP" = 0 ]; then
	mkdir -p "$VM"
	"$ROOT/test/vm/mkinitramfs.sh" --arch "$ARCH" "$AOD" 2>"$VM/mkinitramfs.log"
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
	APPEND="console=$TTY panic=-1 quiet aodvm.suite=$SUITE"
	[ -n "$ONLY" ] && APPEND="$APPEND aodvm.only=$ONLY"
	[ -n "$MORE" ] && APPEND="$APPEND $MORE"
	# KVM is not used: on some hosts it fails with MSR errors and hangs QEMU, so TCG under a timeout it is.
	# The SMB suite's capture scenarios wait for 30 s watch windows: its guest gets longer.
	[ -n "$TIMEOUT" ] || { TIMEOUT=420; [ "$SUITE" = smb ] && TIMEOUT=720; }
	SMP=2
	[ "$ICOUNT" = 1 ] && QEMU_ARGS+=(-icount shift=3,sleep=off) SMP=1
	start=$(date +%s)
	timeout "$TIMEOUT" "$QEMU" "${QEMU_ARGS[@]}" -m 1024 -smp "$SMP" -nographic -no-reboot -nic none \
		-kernel "$VM/vmlinuz" -initrd "$VM/initramfs.cpio.gz" -append "$APPEND" \
		-drive file="$IMG",format=raw,if=none,id=results -device virtio-blk-pci,drive=results >"$CONSOLE" 2>&1 </dev/null
	qrc=$?
	echo "# $ARCH guest ran $(($(date +%s) - start)) s, qemu exit $qrc$([ "$qrc" = 124 ] && echo " (killed by the $TIMEOUT s timeout)")"
	mkdir -p "$RES"
	tar -xf "$IMG" -C "$RES" 2>"$VM/untar-$SUITE.log" || true
fi

# The bench suite has no checks here: bench/smb_cost.sh reads its results.
if [ -z "$VERIFY" ]; then
	grep -q 'AODVM done' "$CONSOLE" || { echo "# the guest did not finish (see $CONSOLE)"; exit 1; }
	exit 0
fi
args=(--results "$RES" --console "$CONSOLE" --aod "${HOSTRUN[*]}${HOSTRUN:+ }$AOD" --root "$ROOT")
[ -n "$ONLY" ] && args+=(--only "$ONLY")
[ "$SUITE" = smb ] && args+=(--arch "$UNAME")
python3 "$ROOT/test/vm/$VERIFY" "${args[@]}"
vrc=$?

REC=$RES/latency-tracepoint/smb-latency.rec
[ "$SUITE" = nfs ] && REC=$RES/nfs-latency-tracepoint/nfs.rec
if [ "$UPDATE" = 1 ] && [ "$SUITE" = smb ]; then
	if [ -s "$REC" ]; then
		mkdir -p "$ROOT/test/fixtures"
		install -m 644 "$REC" "$ROOT/test/fixtures/smb-latency.rec"
		echo "# fixture: test/fixtures/smb-latency.rec ($(stat -c %s "$REC") bytes)"
	else
		echo "# fixture: no recorded stream in $REC"
	fi
elif [ "$UPDATE" = 1 ]; then
	# The NFS stream goes with the client's tables that name its rpc clients (test/cli/nfs-fixture.test rebuilds
	# them for AOD_SHARES_ROOT) and with what the guest's own bundles counted; only from a run whose checks passed.
	F=$ROOT/test/fixtures
	if [ "$vrc" != 0 ] || [ ! -s "$REC" ]; then
		echo "# fixture: not updated (checks exit $vrc, stream $REC $([ -s "$REC" ] && echo present || echo missing))"
	else
		install -m 644 "$REC" "$F/nfs-latency.rec"
		for t in mountstats sunrpc-clients sunrpc-xprts; do
			install -m 644 "$(dirname "$REC")/$t.txt" "$F/names/nfs-latency-$t.txt"
		done
		python3 "$ROOT/test/vm/verify_nfs.py" --live-counts "$(dirname "$REC")" >"$F/nfs-latency.live"
		echo "# fixture: test/fixtures/nfs-latency.rec ($(stat -c %s "$REC") bytes; the guest's bundles counted" \
		     "$(cat "$F/nfs-latency.live")), test/fixtures/names/nfs-latency-*.txt"
	fi
fi
exit $vrc
