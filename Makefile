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
BPF_FAMILIES := owner state retrans drops sockmem resets console snapshot
# user/<stage>/*.c: cmd, agent, collect, engine, output (docs/ARCHITECTURE.md)
USER_SRCS    := $(wildcard user/*/*.c)
USER_DIRS    := $(patsubst %/,%,$(sort $(dir $(USER_SRCS))))
UNIT_SRCS    := $(wildcard tests/unit/*.c)

BPF_OBJS  := $(patsubst %,$(OUT)/bpf/%.bpf.o,$(BPF_FAMILIES))
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUT)/user/cmd/main.o,$(USER_OBJS))
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
NCURSES_LIBS  = $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw) # the live view

BPF_ARCH   := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Wextra -Werror \
	      -Wno-unused-parameter -Wno-missing-field-initializers \
	      -Iinclude -Iinclude/vmlinux/$(ARCH) -Ibpf
CFLAGS     ?= -O2 -g
USER_CFLAGS = $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	      -Iinclude $(addprefix -I,$(USER_DIRS)) -I$(OUT) $(LIBBPF_CFLAGS) $(EXTRA_CFLAGS)
# Each object lists the headers it read in a .d file beside it (-MMD; -MP: a
# removed header is no error), so a change rebuilds exactly what includes it.
DEPFLAGS    = -MMD -MP
LDLIBS_ALL  = $(LIBBPF_LIBS) $(NCURSES_LIBS) -lm $(EXTRA_LDFLAGS)

.PHONY: all deps test unit unit-asan fuzz fuzz-build lint run check install clean bench
all: $(BIN)

# Install build and test dependencies when a tool is missing (fresh machine).
$(OUT)/.deps:
	$(Q)mkdir -p $(OUT)
	$(Q)if ! command -v $(CLANG) >/dev/null || ! command -v $(BPFTOOL) >/dev/null || \
	     ! command -v pkg-config >/dev/null || ! pkg-config --exists libbpf || ! pkg-config --exists ncursesw || \
	     ! command -v nft >/dev/null || ! command -v jq >/dev/null || \
	     ! test -e "$$($(CLANG) -print-file-name=libclang_rt.fuzzer-$(ARCH).a)"; then \
		scripts/install-deps.sh; fi
	$(Q)touch $@
deps: $(OUT)/.deps

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c Makefile | $(OUT)/.deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

# All families linked into one object: one load, shared maps.
$(OUT)/tcptriage.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUT)/tcptriage.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcptriage_bpf > $@

# The skeleton comes first: .d files only exist after a first build.  The
# Makefile holds the flags: a change to it rebuilds every object.
$(OUT)/user/%.o: user/%.c $(SKEL) Makefile | $(OUT)/.deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BIN): $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_ALL) -o $@

$(OUT)/unit/%.o: tests/unit/%.c $(SKEL) Makefile | $(OUT)/.deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_ALL) -o $@

$(OUT)/ttload: tests/tools/ttload.c | $(OUT)/.deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@

unit: $(OUT)/unit-tests
	$(Q)$(OUT)/unit-tests

# The unit tests once more under ASan + UBSan (+ LeakSanitizer), built by clang
# (runtime: libclang-rt-14-dev). Any report aborts the run: -fno-sanitize-recover.
SAN_FLAGS     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_OUT      := $(OUT)/asan
ASAN_LIB_OBJS := $(patsubst $(OUT)/user/%,$(ASAN_OUT)/user/%,$(LIB_OBJS))
ASAN_UNIT_OBJS := $(patsubst $(OUT)/unit/%,$(ASAN_OUT)/unit/%,$(UNIT_OBJS))

$(ASAN_OUT)/user/%.o: user/%.c $(SKEL) Makefile | $(OUT)/.deps
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(USER_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(ASAN_OUT)/unit/%.o: tests/unit/%.c $(SKEL) Makefile | $(OUT)/.deps
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(USER_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(ASAN_OUT)/unit-tests: $(ASAN_UNIT_OBJS) $(ASAN_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CLANG) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS_ALL) -o $@

unit-asan: $(ASAN_OUT)/unit-tests
	$(Q)$(ASAN_OUT)/unit-tests

# libFuzzer targets, one per parser: tests/fuzz/fuzz_<target>.c. The parsers
# are built with coverage instrumentation; tests/fuzz/run.sh runs each for
# FUZZ_SECONDS from its seed corpus tests/fuzz/corpus/<target>/.
FUZZ_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OUT      := $(OUT)/fuzz
FUZZ_SECONDS  ?= 60
FUZZ_BINS     := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_SRCS := user/collect/procfs.c user/collect/procfs_counters.c user/collect/procfs_sockstat.c \
		 user/engine/console.c user/agent/records.c user/output/json.c
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_OUT)/user/%.o,$(FUZZ_LIB_SRCS)) $(FUZZ_OUT)/lib/json_valid.o
.SECONDARY: $(FUZZ_LIB_OBJS) # shared by every target: keep them

$(FUZZ_OUT)/user/%.o: user/%.c Makefile | $(OUT)/.deps
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(USER_CFLAGS) $(FUZZ_FLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/lib/%.o: tests/unit/%.c Makefile | $(OUT)/.deps
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(USER_CFLAGS) $(FUZZ_FLAGS) $(DEPFLAGS) -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(USER_CFLAGS) -Itests/unit $(FUZZ_FLAGS) -fsanitize=fuzzer $< \
		$(FUZZ_LIB_OBJS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

# Static analysis: clang-tidy (checks in .clang-tidy) and cppcheck over user/
# and tests/tools; clean, or each suppression justified where it is made.
lint: $(SKEL)
	$(Q)OUT=$(OUT) LINT_CFLAGS="-std=gnu11 -D_GNU_SOURCE -Iinclude $(addprefix -I,$(USER_DIRS)) \
		-isystem $(OUT) $(LIBBPF_CFLAGS)" scripts/lint.sh

# Unit tests (no root) then integration tests against the real kernel (root).
test: $(BIN) $(OUT)/unit-tests $(ASAN_OUT)/unit-tests $(FUZZ_BINS) $(OUT)/ttload
	$(Q)tests/run.sh

# The main job: the live view of this host (q quits; DURATION=S quits after S seconds).
run: $(BIN)
	$(Q)$(BIN) top $(if $(DURATION),--duration $(DURATION))

check: $(BIN)
	$(Q)$(BIN) check

# Benchmarks (`make bench`, never part of `make test`): the floor (empty
# programs on the agent's hooks + one-operation variants) with its own loader,
# and a rate-controlled event generator; scripts/bench.sh drives them.
BENCH_OUT := $(OUT)/bench
BENCH_BPF := $(patsubst bench/%.bpf.c,$(BENCH_OUT)/%.bpf.o,$(wildcard bench/*.bpf.c))

$(BENCH_OUT)/%.bpf.o: bench/%.bpf.c | $(OUT)/.deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_OUT)/floor.skel.h: $(BENCH_BPF)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen object $(BENCH_OUT)/floor.o $^
	$(Q)$(BPFTOOL) gen skeleton $(BENCH_OUT)/floor.o name floor_bpf > $@

# The agent's user/ modules as an archive: the bench tools link only what they use.
$(BENCH_OUT)/libtt.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BENCH_OUT)/floor: bench/floor.c $(BENCH_OUT)/floor.skel.h $(BENCH_OUT)/libtt.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -I$(BENCH_OUT) $< $(BENCH_OUT)/libtt.a $(LDLIBS_ALL) -o $@

# The load tools: one C file each, linked with the agent's modules they use.
BENCH_TOOLS := $(BENCH_OUT)/rategen $(BENCH_OUT)/syscost
$(BENCH_TOOLS): $(BENCH_OUT)/%: bench/%.c $(BENCH_OUT)/libtt.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(BENCH_OUT)/libtt.a $(LDLIBS_ALL) -o $@

bench: $(BIN) $(OUT)/ttload $(BENCH_OUT)/floor $(BENCH_TOOLS)
	$(Q)scripts/bench.sh

# Soak (`make soak`, never part of `make test`): `tcptriage run` for SOAK_SECONDS
# under churn and faults, RSS/fds/CPU/map occupancy sampled every 10 s into
# build/soak/samples.csv, summary bench/soak.md; exit 1 on growth, a full map,
# invalid JSON or a dead agent. SOAK_SECONDS=60 is a smoke run.
SOAK_SECONDS ?= 600
.PHONY: soak
soak: $(BIN) $(OUT)/ttload
	$(Q)SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh

# Kernel matrix (`make kmatrix`, never part of `make test`): Debian's kernel packages
# fetched into a cache and booted under qemu, `check` in every attach mode and the
# integration tests in each guest; writes tests/kernels/results.md (scripts/kmatrix/).
.PHONY: kmatrix
kmatrix: $(BIN) $(OUT)/ttload
	$(Q)scripts/kmatrix/run.sh

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/tcptriage
	install -D -m 0644 docs/tcptriage.8 $(DESTDIR)$(PREFIX)/share/man/man8/tcptriage.8

clean:
	rm -rf $(OUT)

# Header dependencies of every object built so far (see DEPFLAGS).
-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
