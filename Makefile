# Thin driver over CMake. `make` installs missing dependencies and builds
# into build/ (binaries in build/bin/); `make test` builds a sanitized tree
# in build/asan/ and runs every Criterion test through CTest, then the
# libFuzzer targets (tests/fuzz) for FUZZ_TEST_SECONDS each from a clang
# tree in build/fuzz/. `make fuzz` runs them FUZZ_SECONDS each.
# `make package` builds the .deb in build/pkg/ (prefix /usr);
# `make test-package` installs it in a clean Debian 12 root and runs both
# daemons there as their systemd units do (tests/deploy/package-test.sh).

BUILD      ?= build
ASAN_BUILD ?= build/asan
TSAN_BUILD ?= build/tsan
FUZZ_BUILD ?= build/fuzz
PKG_BUILD  ?= build/pkg
# The package test's Debian root, its cached base and logs.
PKG_TEST_DIR ?= build/pkgtest
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR   ?= demo-data
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 5
# Empty: every target (ingest query csvin catalog config text web).
FUZZ_TARGETS      ?=

.PHONY: all deps deps-test deps-package build test test-tsan demo bench \
	fuzz fuzz-build fuzz-corpus package test-package clean

all: build

deps:
	@sh deploy/install-deps.sh

deps-test:
	@sh deploy/install-deps.sh --test

deps-package:
	@sh deploy/install-deps.sh --package

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHRSS_TESTS=ON
	cmake --build $(BUILD) -j $(JOBS)

test: deps-test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHRSS_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory fuzz-build
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS)

# The collector's integration tests once more, against daemons built with
# ThreadSanitizer (tests/tsan.sh): the ingest loop, the query thread and
# the ZAP handler share the store.
test-tsan: deps-test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHRSS_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHRSS_TSAN=ON \
	  -DHRSS_TESTS=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	sh tests/tsan.sh $(ASAN_BUILD) $(TSAN_BUILD)

# The fuzz targets, built by clang with libFuzzer, ASan and UBSan (only
# them: the daemons are not built in this tree).
fuzz-build: deps-test
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DHRSS_FUZZ=ON -DHRSS_TESTS=OFF \
	  -DHRSS_FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target hrss_fuzz

# Each target FUZZ_SECONDS on its corpus (new inputs kept in
# $(FUZZ_BUILD)/fuzz-work/corpus/, crashes in .../artifacts/); fails on
# any crash, leak or timeout.
fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_BUILD)/bin $(FUZZ_BUILD)/fuzz-work \
	  $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Rewrite the committed seed corpora (tests/fuzz/gen_corpus.c).
fuzz-corpus: fuzz-build
	$(FUZZ_BUILD)/bin/fuzz_gen_corpus . tests/fuzz/corpus

# The whole system on this machine: a collector, 103 agents, five years of
# figures, then the plan's progress. KEEP=1 leaves the collector running.
demo: build
	sh deploy/demo.sh $(DEMO_DIR)

# The .deb: a release build for /usr, without the tests, stripped by
# CPack; the package is $(PKG_BUILD)/hrss_VERSION-1_ARCH.deb. Built with
# Debian's flags as dpkg-buildpackage would pass them (dpkg-buildflags,
# all hardening on: _FORTIFY_SOURCE=2, -fstack-protector-strong,
# -z relro -z now), which lintian checks (make test-package).
PKG_FLAGS = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get
package: deps-package
	cmake -S . -B $(PKG_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_INSTALL_PREFIX=/usr -DHRSS_TESTS=OFF \
	  -DCMAKE_C_FLAGS="$$($(PKG_FLAGS) CPPFLAGS) $$($(PKG_FLAGS) CFLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="$$($(PKG_FLAGS) LDFLAGS)"
	cmake --build $(PKG_BUILD) -j $(JOBS)
	rm -f $(PKG_BUILD)/hrss_*.deb
	cd $(PKG_BUILD) && cpack -G DEB

# The package in a clean Debian 12 root (debootstrap, cached in
# $(PKG_TEST_DIR)): installed with dpkg and apt-get, both daemons run as
# their units run them, one figure delivered end to end. Needs root.
test-package: package
	sh tests/deploy/package-test.sh $(PKG_BUILD)/hrss_*.deb $(PKG_TEST_DIR)

# Issue 10's benchmark suite on the release build (bench/run.sh; see
# BENCHMARKS.md): builds only the programs it runs, then each benchmark
# within its own time limit, and a summary table of every figure, its
# baseline, ratio and target. Bounded; nothing left behind.
# BENCH_ONLY="ingest scale" runs some; BENCH_QUICK=1 is a smoke test.
BENCH_TARGETS = hrss-collector hrss-agent hrssctl bench_store bench_ingest \
	bench_peer bench_scale bench_asof bench_agent
bench: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHRSS_TESTS=ON
	cmake --build $(BUILD) -j $(JOBS) --target $(BENCH_TARGETS)
	sh bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
