# consign: offline batch signing with split custody (see README.md).
# Messages are bounded on purpose, so -Wformat-truncation is off.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
BUILD ?= build
VECTORS ?= $(abspath ../shared/vectors)
FUZZ_SECONDS ?= 60
BENCH_RECORDS ?= 100000
V ?= 0
Q = $(if $(filter 1,$(V)),,@)

PKGS = libsodium libzip libcbor sqlite3 libcrypto p11-kit-1 jansson
# the firmware (make firmware): the cross compiler, newlib, the emulator, and
# what building Debian's libsodium source package takes
FW_DEBIAN_PKGS = gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm dpkg-dev autoconf \
	automake libtool
DEBIAN_PKGS = build-essential clang pkg-config libsodium-dev libzip-dev libcbor-dev \
	libsqlite3-dev libssl-dev libjansson-dev libclang-rt-14-dev jq scdoc zip unzip python3 \
	python3-jsonschema postgresql valgrind time strace libp11-kit-dev softhsm2 \
	$(FW_DEBIAN_PKGS)

CC_KIND := $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)),clang,gcc)
WARN = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wvla \
	-Wno-format-nonliteral $(if $(filter clang,$(CC_KIND)),,-Wno-format-truncation)
HARDEN = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ALL_CPPFLAGS = -Ilib -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CPPFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARN) $(HARDEN) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)
LDLIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

LIB_SRC = $(sort $(wildcard lib/*/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
DEVSIM_SRC = $(sort $(wildcard examples/device-sim/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))

LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ = $(CMD_SRC:%.c=$(BUILD)/%.o)
DEVSIM_OBJ = $(DEVSIM_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
PROGS = $(BUILD)/consign $(if $(DEVSIM_SRC),$(BUILD)/consign-devsim)

.PHONY: deps-check-test deps-install all check check-sanitize check-thread test-bins deps deps-check install clean demo bench fuzz man firmware firmware-report

all: deps-check $(PROGS) $(BUILD)/libconsign.a

$(BUILD)/libconsign.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(Q)$(AR) rcs $@ $(LIB_OBJ)

$(BUILD)/consign: $(CMD_OBJ) $(BUILD)/libconsign.a
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libconsign.a $(LDLIBS)

$(BUILD)/consign-devsim: $(DEVSIM_OBJ) $(BUILD)/libconsign.a
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(DEVSIM_OBJ) $(BUILD)/libconsign.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h $(BUILD)/libconsign.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libconsign.a $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libconsign.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libconsign.a $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

test-bins: all $(UNIT_BIN) $(TOOL_BIN)
# the unit tests, tools and bench programs share headers (tests/unit/t.h,
# tests/tools/*.h, tests/bench/bench.h): rebuild each when one it includes changes
-include $(wildcard $(BUILD)/tests/*.d $(BUILD)/tools/*.d $(BUILD)/bench/*.d)

# The whole suite; the last line is "N passed, N failed".
check: deps-check-test test-bins firmware
	@BUILD=$(BUILD) VECTORS=$(VECTORS) tests/run

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
# Any report fails: a distinct exit status (never one of consign's own 0-3),
# leaks included, the first error ends the program.
SAN_OPTIONS = ASAN_OPTIONS=exitcode=86:halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=exitcode=86:halt_on_error=1:print_stacktrace=1
check-sanitize:
	$(SAN_OPTIONS) $(MAKE) BUILD=build-san CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" check

# The verifier's threads under ThreadSanitizer: the tests that verify and
# export with several threads (the reading thread, the workers and the
# in-order hashing share blocks under one lock). Any report fails with 86.
# ASLR is off (setarch -R): clang 14's TSan runtime sometimes crashes at
# start on this kernel's randomized address layout.
THREAD_TESTS = verify_threads verify_checks verify_duplicates release_cloud hostile_export office_reader
check-thread: deps-check-test
	$(MAKE) BUILD=build-tsan CC=clang CFLAGS="-O1 -g -fsanitize=thread" \
		LDFLAGS="-fsanitize=thread" test-bins
	TSAN_OPTIONS=exitcode=86:halt_on_error=1 BUILD=build-tsan VECTORS=$(VECTORS) \
		setarch $$(uname -m) -R tests/run $(THREAD_TESTS)

# Installs the Debian packages when run as root; otherwise prints the command.
deps:
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(DEBIAN_PKGS); \
	else \
		echo "consign needs Debian packages; as root run:"; \
		echo "  apt-get update && apt-get install -y $(DEBIAN_PKGS)"; \
	fi

# The build needs the libraries; the tests and the demo also need the tools
# (and PostgreSQL's server for the CI import test). Missing ones are installed
# when running as root, otherwise the exact command is printed.
TEST_TOOLS = jq python3 scdoc valgrind strace clang zip unzip softhsm2-util arm-none-eabi-gcc \
	qemu-system-arm dpkg-source autoreconf libtoolize
deps-check:
	@if ! pkg-config --exists $(PKGS) 2>/dev/null; then $(MAKE) --no-print-directory deps-install; fi

deps-check-test:
	@missing=; for t in $(TEST_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	pkg-config --exists $(PKGS) 2>/dev/null || missing="$$missing libraries"; \
	if [ -n "$$missing" ]; then echo "missing:$$missing"; $(MAKE) --no-print-directory deps-install; fi

deps-install:
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory deps; else \
		echo "missing dependencies; as root run:"; \
		echo "  apt-get update && apt-get install -y $(DEBIAN_PKGS)"; exit 1; fi

# The man pages are part of what is installed: without scdoc, install stops
# and names the package.
install: all man
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/

# The whole story on a built-in example, narrated (examples/demo/demo.sh):
# keys, policy, order, 1,000 simulated devices, batch, release, ledger, the
# cloud's import, and two refusals. DEMO_DIR=DIR keeps every file in DIR;
# without it they go to a new temporary directory, named at the end.
# TOKENS=1 keeps the custodians' keys in SoftHSM2 tokens instead of files.
DEMO_DIR ?=
TOKENS ?= 0
# With qemu-system-arm installed one line is an emulated board (make firmware).
demo: deps-check-test all $(BUILD)/tools/mkattest $(BUILD)/tools/mkbatch $(if $(shell command -v qemu-system-arm 2>/dev/null),firmware)
	@BUILD=$(BUILD) TOKENS=$(TOKENS) examples/demo/demo.sh $(DEMO_DIR)

# Man pages: man/*.scd (scdoc) into $(BUILD)/man. all builds them when scdoc
# is installed and carries on without them when it is not; make man insists.
SCDOC ?= scdoc
SCDOC_FOUND := $(shell command -v $(SCDOC) 2>/dev/null)
MAN_SRC = $(sort $(wildcard man/*.scd))
MAN_PAGES = $(MAN_SRC:man/%.scd=$(BUILD)/man/%)
all: $(if $(SCDOC_FOUND),$(MAN_PAGES))
man: $(MAN_PAGES)
# A page is dated by its source's last commit (its mtime outside git), not by
# the day it is built, so the same source gives the same page on any day.
$(BUILD)/man/%: man/%.scd Makefile
	@mkdir -p $(@D)
	@command -v $(SCDOC) >/dev/null || { echo "scdoc is not installed; as root run: apt-get install -y scdoc"; exit 1; }
	$(Q)e=$$(git log -1 --format=%ct -- $< 2>/dev/null); \
	SOURCE_DATE_EPOCH=$${e:-$$(stat -c %Y $<)} $(SCDOC) <$< >$@.tmp && mv $@.tmp $@

# libFuzzer harnesses (tests/fuzz/*.c), each built with ASan and UBSan and run
# for FUZZ_SECONDS by tests/fuzz/run, from seeds made by tests/fuzz/tools/
# mkseeds plus the regression inputs kept in tests/fuzz/regress/. The library
# is compiled once into build-fuzz/libconsign-fuzz.a, not once per harness.
FUZZ_SRC = $(sort $(wildcard tests/fuzz/*.c))
FUZZ_CC = clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -g -O1 $(FUZZ_SAN) -Wall -Wextra -Werror
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=build-fuzz/%.o)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)

build-fuzz/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build-fuzz/libconsign-fuzz.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_LIB_OBJ)

build-fuzz/tools/mkseeds: tests/fuzz/tools/mkseeds.c build-fuzz/libconsign-fuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< build-fuzz/libconsign-fuzz.a $(LDLIBS)

build-fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) build-fuzz/libconsign-fuzz.a
	$(FUZZ_CC) $(ALL_CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		build-fuzz/libconsign-fuzz.a $(LDLIBS)

fuzz: deps-check $(FUZZ_BIN) build-fuzz/tools/mkseeds
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_BIN)

-include $(FUZZ_LIB_OBJ:.o=.d)
# the replay programs include the harnesses, the attestation tests and tools
# the TEST maker's PKI (tests/tools/testpki.h): rebuild them when those change
-include $(wildcard $(BUILD)/tests/fuzzreplay_*.d $(BUILD)/tests/attest_*.d $(BUILD)/tools/mkattest.d)

# ---- bench (issue 7) -------------------------------------------------------
# make bench [BENCH_RECORDS=1000000] [BENCH_REPEAT=N] [BENCH_ZIP=0]: fully
# valid synthetic batches (tests/tools/mkbatch), then the raw cryptographic
# limit (tests/bench/limit.c), consign verify on one and on all cores, export
# and verify --deep of a release, station seal of a journal, peak RSS and the
# records entry stored or deflated; "name value" lines from tests/bench/run.
# Measured and printed, never asserted; the default run takes a few minutes.
BENCH_REPEAT ?= 3
BENCH_ZIP ?= 1
BENCH_SRC = $(sort $(wildcard tests/bench/*.c))
BENCH_BIN = $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libconsign.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libconsign.a $(LDLIBS)

bench: all $(TOOL_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) BENCH_RECORDS=$(BENCH_RECORDS) BENCH_REPEAT=$(BENCH_REPEAT) \
		BENCH_ZIP=$(BENCH_ZIP) tests/bench/run

clean:
	rm -rf build build-san build-fuzz build-clang build-tsan

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(DEVSIM_OBJ:.o=.d)

# ---- firmware (issue 19) ----------------------------------------------------
# make firmware [FW_ANCHOR=anchor.h] [FW_OUT=DIR]: the device agent on QEMU's
# mps2-an385 board (Cortex-M3), examples/firmware/. Freestanding (no heap, no
# stdio, no constructors), linked with -nostartfiles against Debian's
# libsodium built from its source package and newlib's string functions
# alone (examples/firmware/deps.sh, cached in build/firmware), so any heap or
# printf in the kept code fails the link; check-map.sh then checks the map
# file. FW_ANCHOR is the trust anchor compiled in (consign policy anchor).
# make firmware-report prints the flash, RAM, stack and instruction figures.
FW_BUILD = build/firmware
FW_OUT ?= $(FW_BUILD)
FW_ANCHOR ?= manifests/golden/anchor.h
FW_CC = arm-none-eabi-gcc
FW_ARCH = -mcpu=cortex-m3 -mthumb
FW_BAUD = 115200
FW_CPPFLAGS = -Ilib -Iexamples/firmware -I$(FW_BUILD)/sodium/include -DFW_BAUD=$(FW_BAUD)u
FW_CFLAGS = -std=gnu11 -Os -g -ffreestanding -ffunction-sections -fdata-sections $(FW_ARCH) \
	$(WARN) -MMD -MP
FW_LIB_SRC = lib/device/agent.c lib/device/wire.c lib/format/artifact.c lib/format/cbor.c \
	lib/format/cose.c lib/crypto/sig.c lib/crypto/port_sodium.c lib/util/buf.c lib/util/err.c \
	lib/util/fmt.c
FW_BOARD_SRC = examples/firmware/startup.c examples/firmware/main.c examples/firmware/hal_mps2.c \
	examples/firmware/uart_cmsdk.c examples/firmware/semihost.c
FW_OBJ = $(patsubst %.c,$(FW_BUILD)/obj/%.o,$(FW_LIB_SRC) $(FW_BOARD_SRC))
FW_STAMP = $(FW_BUILD)/sodium/built
FW_LIBS = $(FW_BUILD)/sodium/lib/libsodium.a $(FW_BUILD)/libnewlib-string.a -lgcc
FW_IMAGE = $(FW_OUT)/consign-fw.elf
FW_BENCH = $(FW_OUT)/consign-fw-bench.elf
FW_BENCH_OBJ = $(filter-out %/main.o,$(FW_OBJ)) $(FW_BUILD)/obj/examples/firmware/bench.o

firmware: $(FW_IMAGE) $(FW_BENCH)

$(FW_STAMP): examples/firmware/deps.sh
	$(Q)nice examples/firmware/deps.sh $(FW_BUILD) $(FW_ARCH)

$(FW_BUILD)/obj/%.o: %.c | $(FW_STAMP)
	@mkdir -p $(@D)
	$(Q)nice $(FW_CC) $(FW_CPPFLAGS) $(FW_CFLAGS) -c -o $@ $<

$(FW_OUT)/anchor.o: examples/firmware/anchor.c $(FW_ANCHOR) | $(FW_STAMP)
	@mkdir -p $(@D)
	$(Q)$(FW_CC) $(FW_CPPFLAGS) $(FW_CFLAGS) -DFW_ANCHOR='"$(abspath $(FW_ANCHOR))"' -c -o $@ $<

$(FW_IMAGE): $(FW_OBJ) $(FW_OUT)/anchor.o examples/firmware/mps2.ld examples/firmware/check-map.sh
	$(Q)$(FW_CC) $(FW_ARCH) -nostartfiles -nodefaultlibs -T examples/firmware/mps2.ld \
		-Wl,--gc-sections -Wl,-Map=$(FW_OUT)/consign-fw.map -o $@ $(FW_OBJ) \
		$(FW_OUT)/anchor.o $(FW_LIBS)
	$(Q)examples/firmware/check-map.sh $@ $(FW_OUT)/consign-fw.map || { rm -f $@; exit 1; }

# the crypto port's cost per call, for make firmware-report (no anchor, no agent)
$(FW_BENCH): $(FW_BENCH_OBJ) examples/firmware/mps2.ld
	$(Q)$(FW_CC) $(FW_ARCH) -nostartfiles -nodefaultlibs -T examples/firmware/mps2.ld \
		-Wl,--gc-sections -o $@ $(FW_BENCH_OBJ) $(FW_LIBS)

# The figures of examples/firmware/README.md: flash and RAM from the map file,
# stack and instructions per step from the emulator under -icount.
firmware-report: firmware all
	@BUILD=$(BUILD) examples/firmware/report.sh

-include $(FW_OBJ:.o=.d) $(FW_BUILD)/obj/examples/firmware/bench.d
