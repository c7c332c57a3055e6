#pragma once
// The kernel's own 4-level page tables (Intel SDM vol. 3 §4.5): physical memory
// identity-mapped with large pages, everything else mapped 4 KiB at a time on demand.
#include "dbt/base/types.h"

namespace keel::kernel::paging {

// Page-table entry bits (Intel SDM vol. 3 §4.5, tables 4-15 to 4-20).
constexpr u64 present = 1ull << 0, writable = 1ull << 1, large_page = 1ull << 7, no_execute = 1ull << 63;
constexpr u64 address_mask = 0x000F'FFFF'FFFF'F000ull;

// Builds tables identity-mapping [0, identity_end) (1 GiB pages when the CPU has them,
// else 2 MiB), enables EFER.NXE and switches CR3 to them. The frame allocator must be
// ready. Returns false when frames run out.
bool initialize(u64 identity_end);

// Maps one 4 KiB page; false when a table frame cannot be had. `flags` from the above.
bool map_page(u64 virtual_address, u64 physical_address, u64 flags);
// Removes a 4 KiB mapping and invalidates it; returns the frame it mapped, or 0.
u64 unmap_page(u64 virtual_address);
// Changes the flags of a 4 KiB mapping (keeping its frame) and invalidates it.
bool protect_page(u64 virtual_address, u64 flags);
// The frame a 4 KiB mapping points at, or 0 when not mapped at 4 KiB granularity.
u64 lookup_page(u64 virtual_address);

u64 identity_end();
u64 table_bytes(); // memory used by page tables so far
bool has_1gib_pages();

} // namespace keel::kernel::paging
