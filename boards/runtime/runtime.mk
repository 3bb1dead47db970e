# The board runtime in C (boards/runtime/): unit tests under ASan + UBSan against a fake
# HAL and a fake WASM runtime (make test-runtime, part of make test), and the POSIX reader
# build/offtap-reader linked with a WASM3 checkout the user provides (make runtime
# WASM3_SRC=DIR). WASM3 is never vendored, fetched or committed.
RT_DIR := boards/runtime
RT_CC ?= gcc
RT_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -g
RT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
RT_CORE_SRC := $(wildcard $(RT_DIR)/core/*.c) $(wildcard $(RT_DIR)/drivers/pn532/*.c)
RT_HEADERS := $(wildcard $(RT_DIR)/*.h $(RT_DIR)/core/*.h $(RT_DIR)/drivers/pn532/*.h)
RT_TEST_SRC := $(wildcard $(RT_DIR)/test/*.c)
RT_POSIX_SRC := $(wildcard $(RT_DIR)/ports/posix/*.c)
RT_BOARD ?= esp32-gate-pn532
RT_RELEASE_KEY ?= test/vectors/image/release-key.json
WASM3_SRC ?=
RT_WASM3_SKIP := %/m3_api_uvwasi.c %/m3_api_tracer.c %/m3_api_meta_wasi.c %/m3_api_wasi.c \
  %/m3_api_libc.c
RT_WASM3_C = $(filter-out $(RT_WASM3_SKIP),$(wildcard $(abspath $(WASM3_SRC))/source/*.c))
RT_NEED_WASM3 = test -n "$(WASM3_SRC)" || { echo "make $@: WASM3_SRC is not set \
  (give a wasm3 checkout: make $@ WASM3_SRC=DIR)"; exit 2; }; \
  test -f "$(WASM3_SRC)/source/wasm3.h" || { echo "make $@: $(WASM3_SRC)/source/wasm3.h \
  not found (WASM3_SRC must be a wasm3 checkout)"; exit 2; }

.PHONY: runtime-deps test-runtime runtime runtime-e2e runtime-footprint

# gcc and Debian's libsodium-dev (Ed25519 and SHA-256 for the boot checks).
runtime-deps:
	@command -v $(RT_CC) >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq gcc >/dev/null; }
	@test -f /usr/include/sodium.h \
	  || { apt-get update -qq && apt-get install -y -qq libsodium-dev >/dev/null; }

build/runtime-tests: $(RT_CORE_SRC) $(RT_TEST_SRC) $(RT_HEADERS) $(RT_DIR)/test/fake.h \
  $(RT_DIR)/test/test.h | runtime-deps
	@mkdir -p build
	$(RT_CC) $(RT_CFLAGS) $(RT_SAN) -O1 -o $@ $(RT_CORE_SRC) $(RT_TEST_SRC) -lsodium

test-runtime: build/runtime-tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  build/runtime-tests test/vectors/image

# The board's constants (id, mode, partitions, memory budget, trusted release key) come
# from its profile; a board whose NFC front end has no driver is refused there.
build/runtime/board.h: boards/$(RT_BOARD).json tools/runtime/board-header.ts $(INSTALLED)
	@mkdir -p build/runtime
	node --import tsx tools/runtime/board-header.ts --board $(RT_BOARD) \
	  --release-key $(RT_RELEASE_KEY) --out $@

# Our sources with every warning an error; WASM3's own sources as they come (-w): they
# are the user's checkout, not ours to change.
runtime: build/runtime/board.h $(RT_CORE_SRC) $(RT_POSIX_SRC) $(RT_DIR)/vm/vm_wasm3.c \
  | runtime-deps
	@$(RT_NEED_WASM3)
	@rm -rf build/runtime/obj build/runtime/wasm3
	@mkdir -p build/runtime/obj build/runtime/wasm3
	cd build/runtime/obj && $(RT_CC) $(RT_CFLAGS) -O2 -D_DEFAULT_SOURCE -I.. \
	  -isystem $(abspath $(WASM3_SRC))/source -c \
	  $(abspath $(RT_CORE_SRC) $(RT_POSIX_SRC) $(RT_DIR)/vm/vm_wasm3.c)
	cd build/runtime/wasm3 && $(RT_CC) -std=gnu11 -O2 -g -w -c $(RT_WASM3_C)
	$(RT_CC) -o build/offtap-reader build/runtime/obj/*.o build/runtime/wasm3/*.o -lsodium -lm

# End to end with WASM3: the real firmware from a signed image, taps through the PN532
# emulator against the simulator's decisions, kill -9 and reboot, export and
# acknowledgement, QA vectors over the console (test/host/runtime-e2e.test.ts).
runtime-e2e: runtime build
	@command -v socat >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq socat >/dev/null; }
	WASM3_SRC=$(WASM3_SRC) node --import tsx --test --test-reporter=spec \
	  test/host/runtime-e2e.test.ts

# The interpreter's footprint for build/offtap.wasm: built -m32 (Debian's gcc-multilib)
# with the configuration WASM3 picks for an ESP32 (m3_config_platforms.h: 1 KiB code
# pages, 256-slot function stacks, no cascaded opcodes), the estimate to hold against a
# board profile's memory.heapBytes; and as the 64-bit desktop reader builds it.
RT_WASM3_ESP32_CONFIG := -Dd_m3CodePageAlignSize=1024 -Dd_m3MaxFunctionStackHeight=256 \
  -Dd_m3CascadedOpcodes=0 -Dd_m3VerboseErrorMessages=0 -Dd_m3MaxConstantTableSize=64 \
  -Dd_m3MaxNativeStack=0
runtime-footprint: build/offtap.wasm tools/runtime/wasm3-footprint.c
	@$(RT_NEED_WASM3)
	@echo 'int main(void){return 0;}' | $(RT_CC) -m32 -x c - -o /dev/null 2>/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq gcc-multilib >/dev/null; }
	@mkdir -p build/runtime
	@$(RT_CC) -m32 $(RT_WASM3_ESP32_CONFIG) -std=gnu11 -O2 -w -isystem $(WASM3_SRC)/source \
	  -o build/runtime/wasm3-footprint-esp32 tools/runtime/wasm3-footprint.c $(RT_WASM3_C) -lm
	@$(RT_CC) -std=gnu11 -O2 -w -isystem $(WASM3_SRC)/source \
	  -o build/runtime/wasm3-footprint-desktop tools/runtime/wasm3-footprint.c $(RT_WASM3_C) -lm
	@printf 'esp32 config, 32-bit:  '
	@build/runtime/wasm3-footprint-esp32 build/offtap.wasm 32768
	@printf 'desktop reader, 64-bit: '
	@build/runtime/wasm3-footprint-desktop build/offtap.wasm 32768
