#pragma once
// The VM address space (upper half, kernel/mm/layout.h): where guest RAM lives in the
// host's address space. Each allocation is a demand-paged range: guest RAM costs frames
// only for the pages the guest (or the loader) touches.
#include "dbt/base/types.h"

namespace keel::kernel::vm_space {

u8* allocate(u64 size); // zeroed on first touch; null when the space or range table is full
void free(u8* memory, u64 size);

} // namespace keel::kernel::vm_space
