#pragma once
// Flat 32-bit protected mode with paging off, the state the Multiboot specification and
// the Linux 32-bit boot protocol start a kernel in: a GDT in guest RAM with a flat 32-bit
// execute/read code descriptor and a flat read/write data descriptor, CS holding the
// first and DS, ES, FS, GS, SS the second, EFLAGS.IF clear, no IDT, no TSS.
//
// Multiboot (Specification 0.6.96 §3.2, "Machine state"): EAX the boot loader's magic, EBX
// the information structure; GDTR, IDTR and ESP are left undefined by the specification,
// keel (as QEMU) loads code at 0x08 and data at 0x10.
// Linux (Documentation/arch/x86/boot.rst, "32-bit Boot Protocol"): __BOOT_CS 0x10 and
// __BOOT_DS 0x18, ESI = boot_params, EBP, EDI and EBX zero.
#include "dbt/base/result.h"
#include "dbt/plugin/cpu_context.h"

namespace keel::x86 {

struct ProtectedModeEntry {
    u64 gdt;           // where the descriptors go (slots 1-7 by the selectors)
    u16 code_selector; // multiples of 8, distinct, below 0x40
    u16 data_selector;
    u64 entry;
    u32 eax, ebx, esi, esp;
};

// A stack for the Multiboot entry, below the GDT it loads (the kernel sets up its own).
constexpr u64 multiboot_stack_top = 0x8000;

Result<void> enter_protected_mode(CpuContext& ctx, const ProtectedModeEntry& layout);
Result<void> enter_multiboot(CpuContext& ctx, u64 entry, u64 gdt, u32 eax, u32 ebx);

} // namespace keel::x86
