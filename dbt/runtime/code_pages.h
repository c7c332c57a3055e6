#pragma once
// Who knows which guest-physical pages hold translated code (the translation cache), and
// who must make writes to them slow (the MMU): the two peers meet through these interfaces
// and the engine wires them together.
#include "dbt/base/types.h"

namespace keel {

// Tells the MMU which physical pages hold translated code, and is told when they are
// written (self-modifying code). Implemented by the translation cache.
class CodePageTracker {
public:
    virtual ~CodePageTracker() = default;
    virtual bool page_has_code(u64 physical_page) = 0;
    // Invalidates translations overlapping [paddr, paddr+size). Returns true (and sets
    // hot.smc_hit in the CPU context) when the block currently executing
    // (hot.current_block) was among them.
    virtual bool code_written(u64 paddr, u64 size) = 0;
};

// Makes every write to a physical page take the slow path from now on, because the page
// just received translated code. Implemented by the MMU.
class CodePageProtector {
public:
    virtual ~CodePageProtector() = default;
    virtual void protect_code_page(u64 physical_page) = 0;
};

} // namespace keel
