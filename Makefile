# SPDX-License-Identifier: GPL-2.0-only
# Incremental build of the BPF skeletons, aod and its unit tests; ./build.sh drives it (do not call it bare).
#
# Variables set by build.sh:
#   O        output dir (build for the static musl build, build/host for --host)
#   GEN      generated headers (build/gen: vmlinux.h, *.skel.h, config_default.c, version.h)
#   SYSROOT  the third-party static libraries and their headers
#   HOST=1   glibc build against Debian's -dev libraries, with ASan/UBSan (SAN=0: without, for valgrind)
#   BPF_ARCH the kernel architecture the BPF objects read pt_regs for (x86, arm64), as bpf_tracing.h names it
#   STRIP    the target's strip (aarch64-linux-gnu-strip for the arm64 build)

GEN ?= build/gen
O ?= build
SYSROOT ?= build/sysroot
BPF_ARCH ?= x86
STRIP ?= strip
Q := $(if $(V),,@)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(GEN)/%.skel.h,$(BPF_SRCS))
SRCS := $(wildcard src/*.c)
OBJS := $(patsubst src/%.c,$(O)/obj/%.o,$(SRCS)) $(O)/obj/config_default.o
UNIT_SRCS := $(wildcard test/unit/test_*.c)
UNITS := $(patsubst test/unit/%.c,$(O)/test/%,$(UNIT_SRCS))
TOOLS := $(patsubst test/tools/%.c,$(O)/tools/%,$(wildcard test/tools/*.c)) \
	 $(patsubst bench/%.c,$(O)/tools/%,$(wildcard bench/*.c))

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
BASE_CFLAGS := -std=gnu11 -g $(WARN) -D_GNU_SOURCE -Isrc -Ibpf -I$(GEN)

SAN ?= 1
ifeq ($(HOST),1)
CC := gcc
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer $(SANFLAGS) -DAOD_HOST_BUILD
LDFLAGS := $(SANFLAGS)
AOD_LDFLAGS := -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
LIBS := -lbpf -lelf -lz -lzstd -lyaml
else
STATIC_CC ?= musl-gcc
CC := $(STATIC_CC)
# -Os keeps the release binary under its 1.5 MB budget; the per-event path (decode, detection,
# histograms, the replay loop and the daemon's event handler) keeps -O2 for the replay throughput target (bench/replay_throughput.sh).
OPT := -Os
CFLAGS = $(BASE_CFLAGS) $(OPT) -isystem $(SYSROOT)/include -ffunction-sections -fdata-sections
LDFLAGS := -static -L$(SYSROOT)/lib -Wl,--gc-sections
# the startup heap (src/startup_heap.c)
AOD_LDFLAGS := -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=free
LIBS := -lbpf -lelf -lz -lzstd -lyaml $(EXTRA_LIBS)
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(GEN) -Ibpf -I$(SYSROOT)/include/bpf/.. -Wall -Werror \
	-Wno-unused-function -Wno-unused-variable

.PHONY: all skels units tools
all: $(O)/aod
skels: $(SKELS)
units: $(UNITS)
tools: $(TOOLS)

$(O)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h $(GEN)/vmlinux.h
	@mkdir -p $(@D)
	@echo "  BPF     $<"
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)llvm-strip -g $@.tmp
	$(Q)mv $@.tmp $@

$(GEN)/%.skel.h: $(O)/bpf/%.bpf.o tools/skel_zstd.sh
	@echo "  SKEL    $@"
	$(Q)bpftool gen skeleton $< name $(subst -,_,$*)_bpf > $@.raw
	$(Q)tools/skel_zstd.sh $< $@.raw $@ $(subst -,_,$*)_bpf

ifneq ($(HOST),1)
$(addprefix $(O)/obj/,detect.o record.o replay.o daemon.o hist.o): OPT := -O2
endif

$(O)/obj/%.o: src/%.c $(SKELS) $(GEN)/version.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(O)/obj/config_default.o: $(GEN)/config_default.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(O)/aod.unstripped: $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $(AOD_LDFLAGS) $(OBJS) $(LIBS) -o $@

$(O)/aod: $(O)/aod.unstripped
ifeq ($(HOST),1)
	$(Q)cp $< $@
else
	$(Q)$(STRIP) -s -R .comment -o $@ $<
endif

$(O)/test/%: test/unit/%.c $(SKELS) $(GEN)/version.h $(GEN)/config_default.c src/*.h src/*.c bpf/*.h test/unit/check.h
	@mkdir -p $(@D)
	@echo "  TEST    $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

$(O)/tools/%: test/tools/%.c bpf/events.h src/record.c src/record.h src/io.c src/io.h src/family.c src/family.h
	@mkdir -p $(@D)
	@echo "  TOOL    $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@

$(O)/tools/%: bench/%.c
	@mkdir -p $(@D)
	@echo "  TOOL    $<"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@

-include $(wildcard $(O)/obj/*.d)
.SECONDARY:
