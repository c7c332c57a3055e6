#pragma once
// Puts the CPU and the top of guest RAM into the test-guest entry state of
// docs/test-guest-entry-state.md: long mode, identity-mapped low 4 GiB, flat GDT.
#include "dbt/plugin/cpu_context.h"
#include "dbt/base/result.h"

namespace keel::x86 {

constexpr u64 test_entry_reserved_bytes = 7 * 4096; // GDT, PML4, PDPT, 4 page directories

// Where the reserved area starts (also the initial RSP); guest images must end below it.
inline u64 test_entry_area(u64 ram_size) { return ram_size - test_entry_reserved_bytes; }

Result<void> setup_test_entry_state(CpuContext& ctx, u64 entry);

// The control registers of the entry state: IA-32e paging with the given PML4, protected
// mode, write protection, NX enabled, SSE state enabled (CR4.OSFXSR/OSXMMEXCPT).
void set_long_mode_control_registers(CpuContext& ctx, u64 pml4);

} // namespace keel::x86
