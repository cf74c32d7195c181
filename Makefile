# Two commands do everything on a fresh machine: `make run` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

FUZZ_DIR ?= build-fuzz
FUZZERS = fuzz_text_parser fuzz_openmetrics_parser fuzz_promql_parser fuzz_rule_file fuzz_chunk fuzz_template \
  fuzz_postable_alerts fuzz_http_response fuzz_bus_body
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build test run clean fuzz fuzz-build fuzz-smoke

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The fuzz smoke runs first so that ctest's summary is the last thing printed.
test: build fuzz-smoke
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300 $(CTEST_ARGS)

# libFuzzer + ASan/UBSan (clang) over every parser of untrusted input, corpora in testdata/fuzz.
fuzz-build: deps
	@test -f $(FUZZ_DIR)/build.ninja || cmake -S . -B $(FUZZ_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DVIGIL_FUZZ=ON
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZERS)

# A short run of each fuzzer (part of `make test`); `make fuzz` runs longer.
fuzz-smoke: FUZZ_SECONDS = 10
fuzz-smoke fuzz: fuzz-build
	@for f in $(FUZZERS); do \
	  corpus=testdata/fuzz/$${f#fuzz_}; work=$$(mktemp -d); \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_DIR)/bin/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $$work $$corpus \
	    > $$work.log 2>&1 || { tail -50 $$work.log; exit 1; }; \
	  rm -rf $$work $$work.log; \
	done

run: build
	$(BUILD_DIR)/bin/vigil up --config examples/phase5/mesh.yml

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_DIR)
