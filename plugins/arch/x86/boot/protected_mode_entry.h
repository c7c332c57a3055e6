#pragma once
// The Multiboot machine state (Multiboot Specification 0.6.96 §3.2, "Machine state"):
// 32-bit protected mode with paging off, CS a flat 32-bit execute/read code segment, DS,
// ES, FS, GS and SS flat 32-bit read/write data segments, A20 on, EFLAGS.IF and VM clear,
// EAX the boot loader's magic and EBX the information structure's physical address. The
// specification leaves GDTR, IDTR and ESP undefined; keel, as QEMU does, loads a GDT with
// the code segment at 0x08 and the data segment at 0x10 and leaves the IDT empty.
#include "dbt/base/result.h"
#include "dbt/plugin/cpu_context.h"

namespace keel::x86 {

// A stack below the GDT the entry state loads (the kernel sets up its own).
constexpr u64 multiboot_stack_top = 0x8000;

Result<void> enter_multiboot(CpuContext& ctx, u64 entry, u64 gdt, u32 eax, u32 ebx);

} // namespace keel::x86
