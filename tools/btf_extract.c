// SPDX-License-Identifier: GPL-2.0-only
/* Copies the kernel's BTF blob out of a raw kernel Image (arm64 vmlinuz) for bpftool: build-time tool. */
/*
 * usage: btf_extract IMAGE OUT
 *
 * Debian's arm64 kernel package ships the raw Image, not an ELF vmlinux, so there is no .BTF
 * section to ask for. The kernel links the section's bytes unchanged between __start_BTF and
 * __stop_BTF, and a BTF blob is self-describing: a little-endian header (magic 0xeB9F, version 1,
 * hdr_len 24) followed by the type and string sections whose offsets and lengths it gives. The first
 * header whose sections are contiguous and fit in the file is the blob; bpftool then parses it as
 * raw BTF, which is the check that it was.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct btf_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off;
	uint32_t type_len;
	uint32_t str_off;
	uint32_t str_len;
};

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The blob's total size if a plausible BTF header starts at p, else 0. */
static size_t blob_at(const unsigned char *p, size_t left)
{
	struct btf_hdr h;
	uint64_t total;

	if (left < sizeof(h))
		return 0;
	memcpy(&h, p, sizeof(h));
	if (h.magic != 0xeB9F || h.version != 1 || h.flags != 0 || h.hdr_len != sizeof(h))
		return 0;
	if (h.type_off != 0 || h.str_off != h.type_len || h.type_len == 0 || h.str_len == 0)
		return 0;
	total = (uint64_t)h.hdr_len + h.type_len + h.str_len;
	return total <= left ? (size_t)total : 0;
}

int main(int argc, char **argv)
{
	unsigned char *img;
	size_t len, off, n = 0;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: btf_extract IMAGE OUT\n");
		return 2;
	}
	img = slurp(argv[1], &len);
	if (!img) {
		fprintf(stderr, "btf_extract: unable to read %s: %s\n", argv[1], errno ? strerror(errno) : "empty");
		return 1;
	}
	for (off = 0; off + sizeof(struct btf_hdr) <= len; off += 4)	/* the section is 4-aligned */
		if ((n = blob_at(img + off, len - off)))
			break;
	if (!n) {
		fprintf(stderr, "btf_extract: no BTF blob in %s (a compressed image, or a kernel built without "
				"CONFIG_DEBUG_INFO_BTF?)\n", argv[1]);
		return 1;
	}
	out = fopen(argv[2], "wb");
	if (!out || fwrite(img + off, 1, n, out) != n || fclose(out) != 0) {
		fprintf(stderr, "btf_extract: unable to write %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("btf_extract: %zu bytes of BTF at offset %#zx of %s\n", n, off, argv[1]);
	free(img);
	return 0;
}
