#pragma once
// Loads a Multiboot (version 1) kernel as a Multiboot boot loader does (the Multiboot
// Specification 0.6.96, "Boot information format" and "Machine state"): the image from
// its ELF32 program headers or, with header flag 16, from the header's address fields
// (the a.out kludge); the -initrd file as a module; and the boot information structure
// with the memory map, the command line and the module list:
//
//   0x8f00  the GDT the architecture's entry state loads (0x08 code, 0x10 data, flat)
//   0x9000  the multiboot information structure, the memory map, the module list
//   0xa000  strings: the command line, the module's string, the boot loader's name
//   the kernel where its headers say (at or above 1 MiB), modules page-aligned after it
#include "dbt/base/result.h"
#include "dbt/mmu/physical_memory.h"

namespace keel::machine::multiboot {

constexpr u32 header_magic = 0x1BADB002;     // in the image's first 8 KiB, 4-byte aligned
constexpr u32 bootloader_magic = 0x2BADB002; // EAX at the kernel's entry
constexpr u64 gdt_address = 0x8F00;
constexpr u64 info_address = 0x9000;
constexpr u64 strings_address = 0xA000;
constexpr u64 strings_end = 0x10000;

// Whether `image` has a Multiboot header with a valid checksum.
bool has_header(const u8* image, u64 size);

// A boot module: its bytes and the string the kernel gets with it (QEMU passes the
// -initrd item whole: the file name and any arguments after it).
struct MultibootModule {
    const u8* data;
    u64 size;
    const char* string;
};

struct MultibootFiles {
    const u8* kernel;
    u64 kernel_size;
    const char* kernel_name;
    const MultibootModule* modules = nullptr; // -initrd FILE[,FILE...], in order
    usize module_count = 0;
    const char* command_line = "";
};
// The most modules the information structure's module list has room for.
constexpr usize max_modules = 32;

struct MultibootLayout {
    u64 entry;
    u64 kernel_start, kernel_end; // physical, end exclusive (bss included)
    u64 module_address; // the first module's (0: none)
};

// Writes everything into guest RAM; refuses (naming the file) an image whose header asks
// for what keel does not provide (a video mode), that is neither ELF32 nor has address
// fields, or that does not fit in RAM below `ram_below_4g`.
Result<MultibootLayout> load_multiboot(PhysicalMemory& memory, u64 ram_below_4g, const MultibootFiles& files);

} // namespace keel::machine::multiboot
