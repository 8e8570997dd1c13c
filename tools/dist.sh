#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Packs one release tarball: OUTDIR/aod-VERSION-ARCH.tar.zst. ./build.sh dist runs it per architecture.
# usage: tools/dist.sh VERSION ARCH BINARY OUTDIR   (run from the source tree's top)
#
# Inside, aod-VERSION-ARCH/ holds the binary, aod.init, the conf.d file when the tree has one
# (config/aod.confd), the default config, LICENSE, INSTALL and a SHA256SUMS of those files.
# Owner, order and mtime (the last commit's) are fixed, so the same inputs pack to the same bytes.
set -eu
[ $# = 4 ] || { echo "usage: tools/dist.sh VERSION ARCH BINARY OUTDIR" >&2; exit 2; }
v=$1 arch=$2 bin=$3 out=$4
die() { echo "dist.sh: $*" >&2; exit 1; }

# The ELF e_machine field (bytes 18-19, little-endian) must be the architecture named.
case $arch in
x86_64) want=3e00 ;;
aarch64) want=b700 ;;
*) die "unknown architecture '$arch' (x86_64 or aarch64)" ;;
esac
[ -f "$bin" ] || die "no binary at $bin (./build.sh --arch $arch builds it)"
got=$(od -An -tx1 -j18 -N2 "$bin" | tr -d ' \n')
[ "$got" = "$want" ] || die "$bin is not an $arch executable (ELF machine $got); build it with ./build.sh --arch $arch"
for f in aod.init config/aod.yaml LICENSE dist/INSTALL; do
	[ -f "$f" ] || die "missing $f (run from the top of the source tree)"
done

name=aod-$v-$arch
mkdir -p "$out"
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
install -m 0755 "$bin" "$stage/$name/aod"
install -m 0755 aod.init "$stage/$name/aod.init"
install -m 0644 config/aod.yaml "$stage/$name/aod.yaml"
install -m 0644 LICENSE "$stage/$name/LICENSE"
install -m 0644 dist/INSTALL "$stage/$name/INSTALL"
if [ -f config/aod.confd ]; then install -m 0644 config/aod.confd "$stage/$name/aod.confd"; fi
(cd "$stage/$name" && find . -type f ! -name SHA256SUMS | sed 's#^\./##' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
mtime=$(git log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" |
	zstd -19 -q -f -o "$out/$name.tar.zst.part"
mv "$out/$name.tar.zst.part" "$out/$name.tar.zst"
echo "$out/$name.tar.zst"
