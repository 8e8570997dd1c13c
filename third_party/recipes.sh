# SPDX-License-Identifier: GPL-2.0-only
# Recipes that build the pinned third-party sources as static musl libraries into $SYSROOT.
# Sourced by build.sh, which sets SRC (unpacked source dir), SYSROOT, CC, AR, RANLIB, JOBS, the logging
# helpers and, when cross-compiling, CROSS_HOST (e.g. aarch64-linux-gnu) and REALGCC (its gcc).

# Every library is compiled with one function and one object per section, so the link's --gc-sections
# drops what aod never calls (libbpf's and libelf's unused API, zstd's dictionary builder): the release
# binary has a 1.5 MB budget. A change here (or in a recipe) rebuilds that library: build.sh stamps each
# with its recipe's text.
LIB_CFLAGS="-O2 -ffunction-sections -fdata-sections"

# musl-gcc has only libc headers; libbpf and elfutils need the kernel UAPI ones beside them.
# recipe_uapi ARCH: linux/ and asm-generic/ are the same for every architecture (this machine's
# linux-libc-dev, for both builds); asm/ is the target's (linux-libc-dev-arm64-cross for aarch64).
recipe_uapi() {
	local asm=/usr/include/x86_64-linux-gnu/asm
	[ "$1" = x86_64 ] || asm=/usr/$1-linux-gnu/include/asm
	mkdir -p "$SYSROOT/include"
	cp -r /usr/include/linux /usr/include/asm-generic "$SYSROOT/include/"
	rm -rf "$SYSROOT/include/asm"
	cp -r "$asm" "$SYSROOT/include/asm"
}

# Cross builds only: musl from its Debian source, with the cross gcc ($REALGCC), installed into
# $SYSROOT with musl's own musl-gcc wrapper ($SYSROOT/bin/musl-gcc), which is then $CC for the rest.
recipe_musl() {
	cd "$SRC"
	CC="$REALGCC" CROSS_COMPILE="$CROSS_HOST-" ./configure --target="$CROSS_HOST" --prefix="$SYSROOT" \
		--bindir="$SYSROOT/bin" --syslibdir="$SYSROOT/lib" --disable-shared --enable-wrapper=gcc >/dev/null
	make -j"$JOBS"
	make install
	cp VERSION "$SYSROOT/lib/musl.version"
}

recipe_zlib() {
	cd "$SRC"
	CC="$CC" AR="$AR" RANLIB="$RANLIB" CFLAGS="$LIB_CFLAGS -fno-semantic-interposition" ./configure --static --prefix="$SYSROOT" >/dev/null
	make -j"$JOBS" libz.a
	make install-libs install-headers 2>/dev/null || { cp libz.a "$SYSROOT/lib/"; cp zlib.h zconf.h "$SYSROOT/include/"; }
}

recipe_libzstd() {
	cd "$SRC"
	# Compression only is needed, but the library is small; legacy formats and threads are left out.
	make -C lib -j"$JOBS" libzstd.a CC="$CC" AR="$AR" ZSTD_LEGACY_SUPPORT=0 CFLAGS="$LIB_CFLAGS"
	cp lib/libzstd.a "$SYSROOT/lib/"
	cp lib/zstd.h lib/zstd_errors.h lib/zdict.h "$SYSROOT/include/"
}

recipe_libyaml() {
	# Debian's tarball ships CMake, not configure; the library is five files, so compile them directly.
	local v=0.2.5 o=$SRC/obj
	mkdir -p "$o"
	for f in api dumper emitter loader parser reader scanner writer; do
		$CC $LIB_CFLAGS -I"$SRC/include" -DYAML_DECLARE_STATIC \
			-DYAML_VERSION_MAJOR=0 -DYAML_VERSION_MINOR=2 -DYAML_VERSION_PATCH=5 \
			-DYAML_VERSION_STRING="\"$v\"" -c "$SRC/src/$f.c" -o "$o/$f.o"
	done
	"$AR" rcs "$SYSROOT/lib/libyaml.a" "$o"/*.o
	cp "$SRC/include/yaml.h" "$SYSROOT/include/"
}

recipe_elfutils() {
	cd "$SRC"
	# configure insists on argp, obstack and fts, which only the elfutils tools use; libelf needs none.
	ac_cv_search_argp_parse="none required" ac_cv_search__obstack_free="none required" \
	ac_cv_search_fts_close="none required" ac_cv_func_fts_close=yes \
	CC="$CC" CFLAGS="$LIB_CFLAGS -I$SYSROOT/include -Wno-error" LDFLAGS="-L$SYSROOT/lib" \
		./configure --disable-debuginfod --disable-libdebuginfod --disable-nls \
		--without-bzlib --without-lzma --without-zstd --disable-demangler \
		--disable-symbol-versioning --prefix="$SYSROOT" ${CROSS_HOST:+--host="$CROSS_HOST"} >/dev/null
	make -C lib -j"$JOBS"
	make -C libelf -j"$JOBS" libelf.a
	cp libelf/libelf.a "$SYSROOT/lib/"
	cp libelf/libelf.h libelf/gelf.h libelf/nlist.h "$SYSROOT/include/"
	mkdir -p "$SYSROOT/include"
	cp version.h "$SYSROOT/include/elfutils-version.h" 2>/dev/null || true
}

recipe_libbpf() {
	cd "$SRC/src"
	mkdir -p "$SRC/obj"
	# libbpf's default CFLAGS carry -Werror, which trips on musl's NGROUPS_MAX redefinition.
	make -j"$JOBS" BUILD_STATIC_ONLY=1 CC="$CC" AR="$AR" CFLAGS="$LIB_CFLAGS -Wall" \
		EXTRA_CFLAGS="-I$SYSROOT/include" OBJDIR="$SRC/obj" \
		DESTDIR="$SYSROOT" PREFIX=/ LIBDIR=/lib INCLUDEDIR=/include install >/dev/null
}
