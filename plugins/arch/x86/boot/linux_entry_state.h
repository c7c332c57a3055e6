#pragma once
// The Linux 64-bit boot protocol entry (Documentation/arch/x86/boot.rst, "64-bit Boot
// Protocol"): long mode with an identity map covering the kernel, boot_params, the command
// line and the initramfs; a GDT whose __BOOT_CS (0x10) is 64-bit code and __BOOT_DS
// (0x18) flat data, every data segment register holding __BOOT_DS; interrupts off;
// RSI = the physical address of boot_params; entry at the 64-bit entry point (the
// protected-mode kernel's load address + 0x200).
#include "dbt/base/result.h"
#include "dbt/plugin/cpu_context.h"

namespace keel::x86 {

// Where the boot page tables (6 pages) and then the GDT go: the low 640 KiB, clear of the
// zero page (0x10000) and the command line (0x20000), as docs/linux.md lays them out.
constexpr u64 linux_boot_page_tables = 0x30000;
constexpr u64 linux_boot_gdt = 0x36000;
// A stack for the entry, below the tables (startup_64 sets up its own before using much).
constexpr u64 linux_boot_stack_top = 0x30000;

Result<void> enter_linux64(CpuContext& ctx, u64 entry, u64 boot_params);
// The 32-bit boot protocol entry (boot.rst, "32-bit Boot Protocol"): flat 32-bit protected
// mode, paging off, __BOOT_CS 0x10 and __BOOT_DS 0x18, ESI = boot_params, at startup_32.
Result<void> enter_linux32(CpuContext& ctx, u64 entry, u64 boot_params);

} // namespace keel::x86
