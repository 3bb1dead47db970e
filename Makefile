# offtap — build, test, benchmark and demo. Every target installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ASSEMBLY_SOURCES := $(shell find assembly -name '*.ts' -not -path '*/__tests__/*')
HOST_TESTS := $(shell find test/host -name '*.test.ts' | sort)
INSTALLED := node_modules/.offtap-installed

.PHONY: help install build test test-assembly test-host typecheck bench demo clean

help:
	@echo "make demo    build the firmware and run it on the desktop simulator"
	@echo "make test    build and run every test suite (AssemblyScript and host)"
	@echo "make bench   build and run the benchmarks (prints a table, writes build/bench.json)"
	@echo "make build   build build/offtap.wasm and build/selftest.wasm"

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

build: build/offtap.wasm build/selftest.wasm

typecheck: $(INSTALLED)
	npx tsc -p tsconfig.json

test-assembly: $(INSTALLED)
	npx asp --config as-pect.config.js --no-logo

test-host: build
	node --import tsx --test --test-reporter=spec $(HOST_TESTS)

test: typecheck test-assembly test-host

# Optional WASM3 figures: OFFTAP_WASM3=/path/to/wasm3 make bench (or BENCH_ARGS=--wasm3=PATH).
bench: build
	node --import tsx tools/bench/main.ts $(BENCH_ARGS)

demo: build
	node bin/offtap.mjs demo

clean:
	rm -rf build
