# Thin driver over CMake. `make` installs missing dependencies and builds
# into build/ (binaries in build/bin/); `make test` builds a sanitized tree
# in build/asan/ and runs every Criterion test through CTest.

BUILD      ?= build
ASAN_BUILD ?= build/asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR   ?= demo-data

.PHONY: all deps build test demo bench clean

all: build

deps:
	@sh deploy/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHRSS_TESTS=ON
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHRSS_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole system on this machine: a collector, 101 agents, five years of
# figures, then the plan's progress. KEEP=1 leaves the collector running.
demo: build
	sh deploy/demo.sh $(DEMO_DIR)

# Measurements on the release build (bounded; nothing left behind).
bench: build
	$(BUILD)/bin/bench_store

clean:
	rm -rf $(BUILD)
