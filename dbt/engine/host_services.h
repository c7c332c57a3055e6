#pragma once
// What the engine needs from its host (the kernel, or a Linux process).
#include "dbt/base/types.h"

namespace keel {

struct CodeRegion {
    u8* base;
    usize size;
};

class HostServices {
public:
    virtual ~HostServices() = default;
    // Zeroed, page-aligned memory to back guest RAM; null when it cannot be had.
    virtual u8* allocate_guest_memory(u64 size) = 0;
    virtual void free_guest_memory(u8* memory, u64 size) = 0;
    // The translation cache: one region, readable, writable and executable for its whole
    // life (no per-block protection changes).
    virtual CodeRegion code_region() = 0;
    virtual u64 monotonic_ns() = 0;
    // A block was translated (profilers' JIT symbol maps); optional.
    virtual void block_translated(u64 guest_pc, const u8* host_code, usize host_size) { (void)guest_pc, (void)host_code, (void)host_size; }
};

} // namespace keel
