# Thin wrapper over CMake. Every target first installs what is missing (Debian packages),
# so a fresh Debian 12 needs nothing by hand. See README.md.
BUILD     ?= build
BUILDTYPE ?= RelWithDebInfo
JOBS      ?= $(shell nproc)
CMAKE_GEN := $(if $(shell command -v ninja 2>/dev/null),-G Ninja,)

.PHONY: all deps configure test bench run clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/setup-deps.sh build

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=$(BUILDTYPE)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: all
	@scripts/setup-deps.sh bench
	cmake --build $(BUILD) --target bench-run

# For now the demo runs in the hosted keel; the UEFI boot replaces it (issue 3).
# The demo ends by writing 0 to the debug-exit port, which is exit status (0 << 1) | 1 = 1:
# that is success here.
run: all
	@$(BUILD)/bin/keel -kernel $(BUILD)/guests/demo.elf; status=$$?; \
	  if [ $$status -ne 1 ]; then echo "keel exited with status $$status"; exit $$status; fi

clean:
	rm -rf $(BUILD)
