#pragma once
// The MMU's strategy for guest-virtual -> guest-physical translation. The architecture
// implements it (x86: the 4-level page walk of Intel SDM vol. 3 ch. 4); on a fault it
// records the guest exception itself and returns false.
#include "dbt/base/types.h"

namespace keel {

struct CpuContext;

enum class Access : u8 { Read = 0, Write = 1, Execute = 2 };

// Extra facts about an access, for architectures that fault differently on them.
namespace access_flag {
constexpr u32 stack = 1; // x86: a non-canonical stack access raises #SS, not #GP
constexpr u32 probe = 2; // only ask: a failed translation records no guest exception
}

struct Translation {
    u64 physical_page;
    bool writable;   // writes may proceed without another walk (x86: W allowed and D already set)
    bool executable;
};

class PageTranslator {
public:
    virtual ~PageTranslator() = default;
    virtual bool translate(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags, Translation& out) = 0;
};

// Tells the MMU which physical pages hold translated code, and is told when they are
// written (self-modifying code). Implemented by the translation cache.
class CodePageTracker {
public:
    virtual ~CodePageTracker() = default;
    virtual bool page_has_code(u64 physical_page) = 0;
    // Invalidates translations overlapping [paddr, paddr+size). Returns true when the
    // block currently executing (ctx.hot.current_block) was among them.
    virtual bool code_written(CpuContext& ctx, u64 paddr, u64 size) = 0;
};

} // namespace keel
