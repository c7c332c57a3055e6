#pragma once
// keel.cfg, the kernel's configuration on the ESP: which guests to run, with how much RAM
// and which command line. Parsed before ExitBootServices, so it never allocates.
//
//   # comment
//   guest  = guests/demo.elf   # repeatable: the guests run one after another, each in a fresh VM
//   bios   = roms/test.rom     # a guest run that starts this firmware at the reset vector (as -bios)
//   memory = 256M              # guest RAM, QEMU -m syntax (default 256M)
//   append = console=ttyS0     # the guest's command line
//   linux_entry = 32           # a Linux kernel's boot protocol entry: 64 (default when it has one) or 32
//   log    = int,unimp         # keel's log items, as the keel command's -d
//   icount = 0                 # deterministic time, as the keel command's -icount shift=N
//   machine = machines/my.cfg  # a machine description on the ESP, or a built-in name (default pc)
//   plugins = plugins          # the ESP folder whose *.so files are loaded as plugins
//   crash_test = page-fault    # fail on purpose after boot (page-fault or verify), for tests
//
// docs/kernel.md describes the file; kernel/boot/boot_config.cpp the exact rules.
#include "dbt/base/result.h"

namespace keel::kernel {

struct BootConfig {
    static constexpr u32 max_guests = 32;
    static constexpr usize max_path = 128;
    static constexpr usize max_append = 1024;

    char guests[max_guests][max_path] {};
    bool guest_is_bios[max_guests] {}; // a bios = line: the file is firmware, not a kernel
    u32 guest_count = 0;
    u64 memory = 256 * MiB;
    char append[max_append] {};
    char initrd[max_path] {}; // a Linux guest's initramfs, a file on the ESP (none when empty)
    bool linux_entry32 = false; // linux_entry = 32: the 32-bit boot protocol entry
    u32 log_mask = 0;
    int icount_shift = -1; // >= 0: guest time counts instructions (docs/virtual-time.md)
    char machine[max_path] = "pc"; // a built-in machine's name or a description file on the ESP
    char plugin_dir[max_path] = "plugins"; // a folder on the ESP: every *.so in it is loaded
    // Makes the kernel fail on purpose after booting, so the tests can check what a host
    // fault prints (tests/boot): a page fault outside every mapped range, or a VERIFY.
    enum class CrashTest : u8 { None, PageFault, Verify } crash_test = CrashTest::None;
};

// `name` names the file in error messages, which also give the line number.
Result<void> parse_boot_config(const char* text, usize length, const char* name, BootConfig& config);

} // namespace keel::kernel
