#pragma once
// Loads a Linux kernel, its initramfs and its command line into guest memory as the boot
// protocol asks (Documentation/arch/x86/boot.rst; the layout is in docs/linux.md):
//
//   0x10000  boot_params (the zero page): the setup header, the e820 map, pointers
//   0x20000  the command line
//   0x30000  boot page tables and GDT (the architecture's entry state, 64- or 32-bit)
//   pref_address (or 1 MiB up, aligned)  the protected-mode kernel
//   top of RAM below 4 GiB (and below initrd_addr_max)  the initramfs
#include "dbt/base/result.h"
#include "dbt/base/vector.h"
#include "dbt/mmu/physical_memory.h"
#include "machine/linux/bzimage.h"

namespace keel::machine::linux_boot {

constexpr u64 boot_params_address = 0x10000;
constexpr u64 command_line_address = 0x20000;
constexpr u64 boot_structures_end = 0x40000; // the architecture's tables end below this

struct LinuxFiles {
    const u8* kernel;
    u64 kernel_size;
    const char* kernel_name;
    const u8* initrd = nullptr; // none when null
    u64 initrd_size = 0;
    const char* initrd_name = "";
    const char* command_line = "";
    u64 acpi_rsdp = 0; // boot_params.acpi_rsdp_addr (protocol 2.14); 0: the OS scans for it
    bool entry32 = false; // start through the 32-bit entry even if the kernel has the 64-bit one
};

// One e820 entry (boot.rst "zero page": e820_table, 20 bytes each).
struct E820Entry {
    u64 address, size;
    u32 type;
};
constexpr u32 e820_ram = 1, e820_reserved = 2;
constexpr unsigned e820_max_entries = 128;

// Where things went, for the log and the tests.
struct LinuxLayout {
    u64 kernel_address, kernel_end; // end: kernel_address + init_size
    u64 entry;                       // 64-bit entry: kernel_address + 0x200; 32-bit: kernel_address
    bool entry32;                    // the 32-bit entry (startup_32): asked for, or the only one
    u64 initrd_address, initrd_size;
    Vector<E820Entry> e820;
};

// The e820 map of `memory` exactly: RAM as usable, ROM and MMIO as reserved, adjacent
// entries of one type merged, unassigned space left out.
Vector<E820Entry> build_e820(const PhysicalMemory& memory);

// Writes everything into guest RAM; refuses (naming the file) a kernel or initramfs that
// does not fit below `ram_below_4g`, and a command line longer than the kernel takes.
Result<LinuxLayout> load_linux(PhysicalMemory& memory, u64 ram_below_4g, const LinuxFiles& files);

} // namespace keel::machine::linux_boot
