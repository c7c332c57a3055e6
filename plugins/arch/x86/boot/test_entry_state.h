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

} // namespace keel::x86
