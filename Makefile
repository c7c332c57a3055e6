# Thin wrapper over CMake. Every target first installs what is missing (Debian packages),
# so a fresh Debian 12 needs nothing by hand. See README.md.
BUILD     ?= build
BUILDTYPE ?= RelWithDebInfo
JOBS      ?= $(shell nproc)
CMAKE_GEN := $(if $(shell command -v ninja 2>/dev/null),-G Ninja,)

.PHONY: all deps configure test sanitize bench stress run clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/setup-deps.sh build kernel

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=$(BUILDTYPE)

# The public ISA suites' pass counts are printed after ctest's summary (docs/testing.md).
test: all
	cd $(BUILD) && rm -f suites/report-*.txt && { ctest --output-on-failure -j $(JOBS); status=$$?; \
	  cat suites/report-*.txt 2>/dev/null; exit $$status; }

# The hosted parts built with ASan+LSan+UBSan in their own folder, and every ctest suite
# except the QEMU boot tests run there; any sanitizer report fails it
# (docs/testing.md#sanitizers, suppressions with reasons in tests/sanitize/).
SANITIZE_BUILD ?= build-sanitize
sanitize: deps
	@test -f $(SANITIZE_BUILD)/CMakeCache.txt || cmake -S . -B $(SANITIZE_BUILD) $(CMAKE_GEN) \
	  -DCMAKE_BUILD_TYPE=$(BUILDTYPE) -DKEEL_SANITIZE=ON -DKEEL_BUILD_KERNEL=OFF -DKEEL_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	rm -rf $(SANITIZE_BUILD)/sanitizer-logs && mkdir -p $(SANITIZE_BUILD)/sanitizer-logs
	cd $(SANITIZE_BUILD) && ctest --output-on-failure -j $(JOBS) -LE boot; \
	  status=$$?; $(CURDIR)/tests/sanitize/check_logs.sh sanitizer-logs || status=1; exit $$status

# The differential tester at scale (docs/testing.md#the-differential-tester): CASES random
# cases (default 10 million) over every form, on every core; SEED repeats a run.
CASES ?= 10000000
SEED  ?=
stress: all
	tests/diff/stress.sh $(BUILD)/bin/keel-diff $(CASES) $(SEED)

# Each benchmark writes $(BUILD)/bench/NAME.json; the previous run's are kept as
# NAME.prev.json and bench-compare prints every figure's change.
BENCH_JSON := exec coldcode translate linux_exec linux_boot
bench: all
	@scripts/setup-deps.sh bench
	@mkdir -p $(BUILD)/bench && cd $(BUILD)/bench && for f in $(BENCH_JSON); do \
	  if [ -f $$f.json ]; then mv $$f.json $$f.prev.json; else rm -f $$f.prev.json; fi; done
	cmake --build $(BUILD) --target bench-exec
	cmake --build $(BUILD) --target bench-coldcode
	cmake --build $(BUILD) --target bench-translate
	cmake --build $(BUILD) --target bench-linux-exec
	bench/boot/boot_time.sh $(BUILD)
	bench/boot/linux_boot.sh $(BUILD)
	$(BUILD)/bin/bench-compare $(BUILD)/bench

# Boots the UEFI kernel in QEMU/OVMF with a guest: Debian's kernel and a busybox shell
# (build/linux), or GUEST=file [INITRD=file] [MEM=256M] [APPEND="..."] (a bzImage, a
# Multiboot kernel or an ELF test guest), or BIOS=file (firmware from the reset vector, as
# keel -bios; docs/bios.md). uefi-image/run.sh builds the ESP image and maps QEMU's status.
GUEST  ?=
INITRD ?=
MEM    ?= 256M
APPEND ?=
BIOS   ?=
run: all
	@uefi-image/run.sh $(BUILD) "$(GUEST)" "$(MEM)" "$(APPEND)" "$(INITRD)" "$(BIOS)"

clean:
	rm -rf $(BUILD)
