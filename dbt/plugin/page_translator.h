#pragma once
// The MMU's strategy for guest-virtual -> guest-physical translation. The architecture
// implements it (x86: the 4-level page walk of Intel SDM vol. 3 ch. 4); on a fault it
// records the guest exception itself and returns false.
#include "dbt/base/types.h"

namespace keel {

struct CpuContext;

// The granule of the engine's TLB and code-page tracking. An architecture with larger
// pages reports them through Translation::page_bits.
constexpr u64 guest_page_size = 4096;
constexpr u64 guest_page_mask = ~(guest_page_size - 1);

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
    // log2 of the size of the page the translation came from (x86: 12, 21 or 30), so that
    // invalidating any address inside a large page drops every TLB entry it filled.
    u8 page_bits = 12;
    // A global translation (x86: G in the leaf entry with CR4.PGE, Intel SDM vol. 3
    // §4.10.2.4) survives ArchServices::flush_tlb_non_global.
    bool global = false;
};

class PageTranslator {
public:
    virtual ~PageTranslator() = default;
    virtual bool translate(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags, Translation& out) = 0;
};

} // namespace keel
