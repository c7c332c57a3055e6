#pragma once
// Ranges reserved virtually and backed with zeroed frames on first touch: the heap, the
// translation cache and guest RAM in the VM space (kernel/mm/layout.h). The #PF handler
// calls handle_page_fault; everything else is a kernel bug and panics.
#include "dbt/base/types.h"

namespace keel::kernel::demand_paging {

// Registers [base, base + size) (page-aligned). `executable` leaves NX clear.
// False when the table of ranges is full.
bool add_range(u64 base, u64 size, bool executable, const char* name);
// Unregisters the range starting at `base`, unmapping its pages and freeing their frames.
void remove_range(u64 base);

// Backs the page holding `address` if it lies in a registered range and is not yet mapped.
// Returns false when the fault is not one we can satisfy (outside every range, a
// protection fault, or no free frame: `reason` says which).
bool handle_page_fault(u64 address, u64 error_code, const char*& reason);

// The registered range containing `address`, for diagnostics; null if none.
const char* range_name(u64 address);
u64 pages_backed();

// Installs the #PF handler (vector 14) in the IDT.
void install();

} // namespace keel::kernel::demand_paging
