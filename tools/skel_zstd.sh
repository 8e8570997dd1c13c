#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Rewrites a bpftool skeleton so it embeds its BPF object zstd-compressed (BTF strings compress ~6x):
# the whole binary must stay under 1.5 MB. usage: skel_zstd.sh OBJ SKEL_IN SKEL_OUT NAME
set -eu
obj=$1 in=$2 out=$3 name=$4
raw=$(wc -c <"$obj")
{
	echo "#include \"bpfobj.h\""
	echo "static const unsigned char ${name}__zst[] = {"
	zstd -19 -q -c "$obj" | od -An -v -tx1 | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
	echo "};"
	awk -v fn="${name}__elf_bytes" -v raw="$raw" '
		$0 == "static inline const void *" fn "(size_t *sz)" && !done {
			print $0
			print "{"
			print "\tstatic void *obj;"
			print ""
			print "\treturn bpfobj_inflate(&obj, " fn "_z(), sizeof(" substr(fn, 1, length(fn) - 11) "__zst), " raw ", sz);"
			print "}"
			skip = 1
			done = 1
			next
		}
		skip && $0 == "}" { skip = 0; next }
		!skip { print }
	' "$in" | sed -e "s/${name}__elf_bytes_z()/${name}__zst/"
} >"$out.tmp"
grep -q "bpfobj_inflate" "$out.tmp" || { echo "skel_zstd.sh: no ${name}__elf_bytes in $in (bpftool output changed?)" >&2; exit 1; }
mv "$out.tmp" "$out"
