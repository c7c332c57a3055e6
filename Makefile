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
	@scripts/setup-deps.sh build kernel

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=$(BUILDTYPE)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: all
	@scripts/setup-deps.sh bench
	cmake --build $(BUILD) --target bench-run
	bench/boot/boot_time.sh $(BUILD)

# Boots the UEFI kernel in QEMU/OVMF with a guest: the demo, or GUEST=file [MEM=256M]
# [APPEND="..."]. uefi-image/run.sh builds the ESP image and maps QEMU's status.
GUEST  ?=
MEM    ?= 256M
APPEND ?=
run: all
	@uefi-image/run.sh $(BUILD) "$(GUEST)" "$(MEM)" "$(APPEND)"

clean:
	rm -rf $(BUILD)
