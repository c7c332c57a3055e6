#pragma once
// The software TLB's layout, shared by the C++ MMU and the generated fast path.
//
// Generated code checks a guest access inline: index the entry by the virtual page number,
// compare the page of the access's LAST byte with the entry's tag (so an access that
// crosses a page never matches), and on a match add `addend` to the virtual address to get
// the host address. Any low bit set in a tag forces the slow path: an invalid entry, a
// page holding translated code (writes must invalidate it), or MMIO.
#include "dbt/base/types.h"
#include "dbt/plugin/page_translator.h" // guest_page_size

namespace keel {

namespace tlb {
constexpr u32 index_bits = 16; // 65536 entries: 256 MiB of 4-KiB pages per MMU index
constexpr u32 entries = 1u << index_bits;
constexpr u32 mmu_indexes = 2;        // 0: supervisor accesses, 1: user accesses (CPL 3)
constexpr u64 invalid = 1;            // tag bit: no translation
constexpr u64 not_dirty = 2;          // write tag bit: the page holds translated code
constexpr u64 io = 4;                 // tag bit: MMIO or unassigned, never a direct access
} // namespace tlb

struct TlbEntry {
    u64 read_tag;   // page-aligned virtual address, or with tlb:: bits set
    u64 write_tag;
    u64 exec_tag;
    u64 addend;     // host address = guest virtual address + addend
};
static_assert(sizeof(TlbEntry) == 32, "the generated fast path scales the index by 32");

// What the MMU remembers about each entry, kept out of the hot array.
struct TlbEntryInfo {
    u64 physical_page; // guest-physical address of the page
    bool global;       // Translation::global: kept by Mmu::flush_non_global
    enum : u8 { in_no_list, in_local_list, in_global_list };
    u8 list;           // which of the MMU's entry lists holds it (Mmu::EntryList)
};

struct SoftTlb {
    TlbEntry entries[tlb::mmu_indexes][tlb::entries];
    TlbEntryInfo info[tlb::mmu_indexes][tlb::entries];
};

} // namespace keel
