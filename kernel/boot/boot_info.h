#pragma once
// What the UEFI boot stage hands the kernel: everything it read from the ESP and the
// firmware's memory map, in memory that stays valid after ExitBootServices (EfiLoaderData).
#include "kernel/boot/boot_config.h"

namespace keel::kernel {

struct LoadedFile {
    const u8* data = nullptr;
    u64 size = 0;
    char error[160] {}; // why it could not be read; empty when it was
};

// One firmware memory-map entry, reduced to what the kernel uses.
struct MemoryRegion {
    enum class Kind : u8 { Usable, BootServices, Loader, Runtime, Acpi, Mmio, Reserved };
    u64 base = 0;
    u64 size = 0;
    Kind kind = Kind::Reserved;
};

struct BootInfo {
    static constexpr u32 max_regions = 512;

    BootConfig config;
    LoadedFile guests[BootConfig::max_guests];
    LoadedFile symbols; // keel.sym, optional
    LoadedFile machine; // the machine description named by keel.cfg, unless a built-in one
    LoadedFile initrd;  // keel.cfg's initrd, if it names one

    static constexpr u32 max_plugins = 32;
    char plugin_names[max_plugins][BootConfig::max_path] {};
    LoadedFile plugins[max_plugins];
    u32 plugin_count = 0;

    u64 image_base = 0; // where UEFI loaded keel (the ELF's address 0), for gdb and symbols
    u64 image_size = 0;
    const char* firmware_vendor = "";
    u32 firmware_revision = 0;

    MemoryRegion regions[max_regions];
    u32 region_count = 0;
    u64 boot_started_tsc = 0;
};

// The kernel after ExitBootServices (kernel/main/enter_kernel.cpp).
[[noreturn]] void enter_kernel(BootInfo& info);

} // namespace keel::kernel
