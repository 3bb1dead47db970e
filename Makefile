# offtap — build, test, benchmark and demo. Every target installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ASSEMBLY_SOURCES := $(shell find assembly -name '*.ts' -not -path '*/__tests__/*')
HOST_TESTS := $(shell find test/host -name '*.test.ts' | sort)
INSTALLED := node_modules/.offtap-installed

.PHONY: help install build test test-deps pg-deps test-assembly test-host typecheck bench demo \
	clean bench-device xtensa-deps bench-faults

help:
	@echo "make demo    build the firmware and run it on the desktop simulator"
	@echo "make test    build and run every test suite (AssemblyScript and host)"
	@echo "make bench   build and run the benchmarks (prints a table, writes build/bench.json)"
	@echo "make bench-device WASM3_SRC=DIR   instructions per operation under WASM3 on an"
	@echo "             emulated Xtensa core (writes build/bench-device.json)"
	@echo "make bench-faults  12,000 power-cut runs, every flash fault kind (build/bench-faults*.json)"
	@echo "make build   build build/offtap.wasm, build/selftest.wasm and build/taprunner.wasm"
	@echo "make test-runtime   the board runtime's C unit tests (ASan + UBSan)"
	@echo "make runtime WASM3_SRC=DIR   build build/offtap-reader (POSIX board runtime)"

$(INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(INSTALLED)

# A firmware that does not fit the device profile (features, size, memory, imports) is not
# a build: it is moved aside to build/offtap.rejected.wasm and make fails.
build/offtap.wasm: $(INSTALLED) asconfig.json $(ASSEMBLY_SOURCES) boards/wasm3-profile.json tools/check-profile.ts $(wildcard tools/profile/*.ts)
	npx asc assembly/index.ts --target release
	@node --import tsx tools/check-profile.ts build/offtap.wasm --kind firmware \
	  || { mv -f build/offtap.wasm build/offtap.rejected.wasm; exit 1; }

build/selftest.wasm: $(INSTALLED) asconfig.json $(ASSEMBLY_SOURCES) boards/wasm3-profile.json tools/check-profile.ts $(wildcard tools/profile/*.ts)
	npx asc assembly/selftest.ts --target selftest
	@node --import tsx tools/check-profile.ts build/selftest.wasm --kind selftest \
	  || { mv -f build/selftest.wasm build/selftest.rejected.wasm; exit 1; }

# The tap runner: the firmware's reader and ledger on a scripted board, a WASI command
# (docs/TAPRUNNER.md). Same import rules as the selftest: WASI functions only.
build/taprunner.wasm: $(INSTALLED) asconfig.json $(ASSEMBLY_SOURCES) boards/wasm3-profile.json tools/check-profile.ts $(wildcard tools/profile/*.ts)
	npx asc assembly/taprunner.ts --target taprunner
	@node --import tsx tools/check-profile.ts build/taprunner.wasm --kind taprunner \
	  || { mv -f build/taprunner.wasm build/taprunner.rejected.wasm; exit 1; }

build: build/offtap.wasm build/selftest.wasm build/taprunner.wasm

typecheck: $(INSTALLED)
	npx tsc -p tsconfig.json

test-assembly: $(INSTALLED)
	npx asp --config as-pect.config.js --no-logo

# The dashboard tests drive Debian's chromium (tools/ci/install-chromium.sh installs it when missing).
# The clearing tests run against PGlite and a throwaway PostgreSQL server (tools/db/test-server.sh),
# started for this run and stopped afterwards, whatever the outcome.
pg-deps:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

test-deps: pg-deps runtime-deps
	@bash tools/ci/install-chromium.sh
	@# The flasher's end-to-end tests link two pseudo-terminals with socat (host/serial/pty.ts).
	@command -v socat >/dev/null || { apt-get update -qq && apt-get install -y -qq socat >/dev/null; }
	@# libnfc's own tools (nfc-list, nfc-poll, nfc-emulate-forum-tag4) check the PN532 emulator.
	@command -v nfc-list >/dev/null && command -v nfc-emulate-forum-tag4 >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq libnfc-bin libnfc-examples >/dev/null; }
	@# The durability tests trace an ingest's fsync calls with strace (test/host/durability.test.ts).
	@command -v strace >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }
	@# Payout files are validated against the ISO 20022 and EPC schemas with xmllint
	@# (test/host/payout-xsd.test.ts).
	@command -v xmllint >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq libxml2-utils >/dev/null; }

test-host: build test-deps
	@set -e; eval "$$(tools/db/test-server.sh start 2>/dev/null)"; \
	  test -n "$$DATABASE_URL" || { echo "could not start the PostgreSQL test server (tools/db/test-server.sh start)"; exit 1; }; \
	  export DATABASE_URL; \
	  trap 'tools/db/test-server.sh stop "$$OFFTAP_PG_DIR"' EXIT; \
	  echo "PostgreSQL test server: $$DATABASE_URL"; \
	  node --import tsx --test --test-reporter=spec $(HOST_TESTS)

test: typecheck test-assembly test-runtime test-host

include boards/runtime/runtime.mk

# Optional WASM3 figures: OFFTAP_WASM3=/path/to/wasm3 make bench (or BENCH_ARGS=--wasm3=PATH).
# Clearing ingest is measured on PGlite and on a throwaway PostgreSQL server started for the run.
bench: build pg-deps
	@set -e; eval "$$(tools/db/test-server.sh start 2>/dev/null)"; export DATABASE_URL; \
	  trap 'test -z "$$OFFTAP_PG_DIR" || tools/db/test-server.sh stop "$$OFFTAP_PG_DIR"' EXIT; \
	  node --import tsx tools/bench/main.ts $(BENCH_ARGS)

# The device-cost benchmark (tools/xtensa/README.md): WASM3 from the user's checkout
# (WASM3_SRC=DIR, never fetched) on QEMU's Xtensa lx106 core, instructions counted.
xtensa-deps:
	@command -v xtensa-lx106-elf-gcc >/dev/null && test -f /usr/lib/xtensa-lx106-elf/picolibc.specs \
	  && command -v qemu-system-xtensa >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq gcc-xtensa-lx106 \
	       picolibc-xtensa-lx106-elf qemu-system-misc >/dev/null; }

bench-device: build xtensa-deps
	@test -n "$(WASM3_SRC)" || { echo "make bench-device needs WASM3_SRC=DIR:" \
	  "a checkout of the public wasm3 repository (nothing fetches it)"; exit 2; }
	node --import tsx tools/xtensa/bench-device.ts --wasm3-src "$(WASM3_SRC)" $(BENCH_ARGS)

# The power-cut campaign at scale: >= 10,000 runs over every NOR fault kind of the flash
# model (docs/LEDGER.md, "Fault model"), figures per fault kind. Takes several minutes;
# FAULT_ARGS passes options (e.g. FAULT_ARGS="--runs 20000" or "--firmware FILE").
bench-faults: build
	node --import tsx tools/bench/faults.ts $(FAULT_ARGS)
	node --import tsx tools/bench/faults.ts --workload fill --runs 2000 $(FAULT_ARGS)

demo: build
	node bin/offtap.mjs demo

clean:
	rm -rf build
