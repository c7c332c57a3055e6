#pragma once
// A flat 64-bit entry state that boot paths share: a GDT with a 64-bit code and a data
// descriptor, an identity map of the low 4 GiB in 2 MiB pages, long mode on, interrupts
// off. The test-guest entry (test_entry_state.h) and the Linux 64-bit boot protocol entry
// (linux_entry_state.h) differ only in where the tables go, the selectors and the
// registers the entry point receives.
#include "dbt/base/result.h"
#include "dbt/plugin/cpu_context.h"

namespace keel::x86 {

struct LongModeEntry {
    u64 gdt;             // guest-physical; (data_selector / 8 + 1) descriptors
    u16 code_selector;   // a 64-bit code descriptor (L=1) at this index; the slots below are null
    u16 data_selector;   // a flat read/write data descriptor; DS, ES, SS, FS, GS hold it
    u64 page_tables;     // guest-physical, 6 pages: PML4, PDPT, 4 page directories
    u64 entry;           // RIP
    u64 rsp = 0, rsi = 0; // every other general register is 0
};

// Bytes the page tables take at LongModeEntry::page_tables.
constexpr u64 long_mode_page_table_bytes = 6 * 4096;

// Writes the GDT and the page tables through ctx.services and sets the CPU state.
Result<void> enter_long_mode(CpuContext& ctx, const LongModeEntry& layout);

// The control registers of that state: IA-32e paging with the given PML4, protected mode,
// write protection, NX enabled, SSE state enabled (CR4.OSFXSR/OSXMMEXCPT).
void set_long_mode_control_registers(CpuContext& ctx, u64 pml4);

} // namespace keel::x86
