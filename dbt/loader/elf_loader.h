#pragma once
// Loads an ELF64 executable (ET_EXEC, EM_X86_64) into guest-physical memory at its
// PT_LOAD physical addresses (docs/test-guest-entry-state.md).
#include "dbt/base/result.h"
#include "dbt/mmu/physical_memory.h"

namespace keel {

struct LoadedImage {
    u64 entry;
    u64 lowest;   // lowest physical address loaded
    u64 highest;  // one past the highest
};

// `name` is only used in error messages. Segments must end at or below `limit`.
Result<LoadedImage> load_elf_executable(const u8* data, u64 size, const char* name, PhysicalMemory& memory, u64 limit);

} // namespace keel
