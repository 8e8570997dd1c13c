#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Unpack Debian packages into a private tree for tests, without installing them on the host.
#
# usage: test/tools/debroot.sh NAME PKG...
#   prints the tree's path (build/debs/root-NAME); exit 77 with the reason on stderr when apt cannot fetch them.
#
# Why not apt-get install: openrc's postinst adds every sysv service of the host to its runlevels and
# its /etc/init.d/{agetty,cgroups,rc,rcS} would become units on a systemd host at the next boot;
# prometheus' postinst starts a server on :9090. The tests need only the binaries, so the debs are
# fetched with `apt-get download` (cached in build/debs, re-fetched only when the archive's candidate
# version changes) and unpacked with `dpkg-deb -x`. .ci/run calls this once so a fetch failure fails CI.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEBS=${AOD_DEBS_DIR:-$ROOT/build/debs}
skip() { echo "debroot: $*" >&2; exit 77; }

[ $# -ge 2 ] || { echo "usage: test/tools/debroot.sh NAME PKG..." >&2; exit 2; }
name=$1
shift
for t in apt-get apt-cache dpkg-deb sha256sum; do
	command -v "$t" >/dev/null || skip "$t not installed (a Debian host is needed)"
done
mkdir -p "$DEBS" || skip "cannot create $DEBS"

files=()
for p in "$@"; do
	v=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')
	[ -n "$v" ] && [ "$v" != "(none)" ] || skip "package $p has no candidate version (apt-get update?)"
	f=$(ls "$DEBS/${p}_${v//:/%3a}_"*.deb 2>/dev/null | head -n1)
	if [ -z "$f" ]; then
		(cd "$DEBS" && apt-get download -qq "$p" >"$DEBS/apt-download-$p.log" 2>&1) ||
			skip "apt-get download $p failed: $(tail -n 2 "$DEBS/apt-download-$p.log")"
		rm -f "$DEBS/apt-download-$p.log"
		f=$(ls "$DEBS/${p}_${v//:/%3a}_"*.deb 2>/dev/null | head -n1)
		[ -n "$f" ] || skip "apt-get download $p left no deb in $DEBS"
	fi
	files+=("$f")
done

tree=$DEBS/root-$name
stamp=$(sha256sum "${files[@]}" | sha256sum | cut -c1-16)
if [ "$(cat "$tree.stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	for f in "${files[@]}"; do dpkg-deb -x "$f" "$tree" || skip "dpkg-deb -x $f failed"; done
	echo "$stamp" >"$tree.stamp"
fi
echo "$tree"
