# tcptriage — build, test, install.  `make V=1` shows the commands.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

OUT      ?= build
ARCH     ?= $(shell uname -m)
PREFIX   ?= /usr/local
DESTDIR  ?=
CLANG    ?= clang
CC       ?= cc
BPFTOOL  ?= bpftool

# One list of BPF signal families: bpf/<family>.bpf.c each.
BPF_FAMILIES := owner state syscalls retrans drops sockmem resets console snapshot
USER_SRCS    := $(wildcard user/*.c)
UNIT_SRCS    := $(wildcard tests/unit/*.c)

BPF_OBJS  := $(patsubst %,$(OUT)/bpf/%.bpf.o,$(BPF_FAMILIES))
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUT)/unit/%.o,$(UNIT_SRCS))
SKEL      := $(OUT)/tcptriage.skel.h
BIN       := $(OUT)/tcptriage

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Deferred: pkg-config may only exist once the deps step has run.
LIBBPF_CFLAGS = $(shell pkg-config --cflags libbpf)
LIBBPF_LIBS   = $(shell pkg-config --libs libbpf) -lelf -lz

BPF_ARCH   := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Wextra -Werror \
	      -Wno-unused-parameter -Wno-missing-field-initializers \
	      -Iinclude -Iinclude/vmlinux/$(ARCH) -Ibpf
CFLAGS     ?= -O2 -g
USER_CFLAGS = $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	      -Iinclude -Iuser -I$(OUT) $(LIBBPF_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_ALL  = $(LIBBPF_LIBS) -lm $(EXTRA_LDFLAGS)

.PHONY: all deps test unit run check install clean bench
all: $(BIN)

# Install build and test dependencies when a tool is missing (fresh machine).
$(OUT)/.deps:
	$(Q)mkdir -p $(OUT)
	$(Q)if ! command -v $(CLANG) >/dev/null || ! command -v $(BPFTOOL) >/dev/null || \
	     ! command -v pkg-config >/dev/null || ! pkg-config --exists libbpf || \
	     ! command -v nft >/dev/null || ! command -v jq >/dev/null; then \
		scripts/install-deps.sh; fi
	$(Q)touch $@
deps: $(OUT)/.deps

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/common.bpf.h $(wildcard include/*.h) | $(OUT)/.deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# All families linked into one object: one load, shared maps.
$(OUT)/tcptriage.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUT)/tcptriage.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcptriage_bpf > $@

$(OUT)/user/%.o: user/%.c $(wildcard user/*.h) $(wildcard include/*.h) $(SKEL) | $(OUT)/.deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(BIN): $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_ALL) -o $@

$(OUT)/unit/%.o: tests/unit/%.c $(wildcard tests/unit/*.h) $(wildcard user/*.h) | $(OUT)/.deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_ALL) -o $@

$(OUT)/ttload: tests/tools/ttload.c | $(OUT)/.deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@

unit: $(OUT)/unit-tests
	$(Q)$(OUT)/unit-tests

# Unit tests (no root) then integration tests against the real kernel (root).
test: $(BIN) $(OUT)/unit-tests $(OUT)/ttload
	$(Q)tests/run.sh

# The main job: watch this host and report (the live view replaces this later).
run: $(BIN)
	$(Q)$(BIN) diagnose --duration $(or $(DURATION),30)

check: $(BIN)
	$(Q)$(BIN) check

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/tcptriage

clean:
	rm -rf $(OUT)
