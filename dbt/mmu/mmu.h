#pragma once
// The softMMU: a software TLB over the guest-physical address space, filled by the
// architecture's page walk. Generated code does the TLB hit inline; everything else
// (misses, MMIO, page-crossing and code-page writes) comes here.
#include "dbt/ir/helper.h"
#include "dbt/mmu/physical_memory.h"
#include "dbt/plugin/page_translator.h"
#include "dbt/runtime/code_pages.h"
#include "dbt/runtime/run_context.h"
#include "dbt/runtime/runtime_hooks.h"

namespace keel {

class Mmu final : public CodePageProtector {
public:
    Mmu(RunContext& ctx, PhysicalMemory& memory, PageTranslator& translator, CodePageTracker& code_pages)
        : m_ctx(ctx), m_memory(memory), m_translator(translator), m_code_pages(code_pages) {}

    PhysicalMemory& memory() { return m_memory; }

    void flush_all(CpuContext& ctx);
    // flush_all, except the entries of global translations (Translation::global).
    void flush_non_global(CpuContext& ctx);
    // Drops the translations of the page holding `vaddr`, whatever the size of the page
    // that mapped it (x86: 4 KiB, 2 MiB or 1 GiB, Intel SDM vol. 3 §4.10.4.1). Inside a
    // range where 2 MiB pages were seen it drops every entry of vaddr's 2 MiB region; inside
    // one where 1 GiB pages were seen, everything: then it returns true.
    bool flush_page(CpuContext& ctx, u64 vaddr);
    // CodePageProtector: a page just received translated code, so every write to it must
    // take the slow path.
    void protect_code_page(u64 physical_page) override;

    // Accesses from C++ (helpers, exception delivery). On a guest fault they return false
    // with the exception recorded by the architecture. size: 1, 2, 4 or 8.
    bool read(CpuContext& ctx, u64 vaddr, unsigned size, u32 mmu_index, u64& value, u32 flags = 0);
    bool write(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags = 0);
    // ArchServices::host_span: direct host access to part of one page of RAM.
    u8* host_span(CpuContext& ctx, u64 vaddr, u64 length, Access access, u32 mmu_index, u32 flags, bool& faulted);
    // Translates a code address (execute access); used by the translator and dispatcher.
    bool translate_code(CpuContext& ctx, u64 vaddr, u32 mmu_index, u64& physical);
    // Whether the TLB holds a global translation (Translation::global) of vaddr's page.
    bool holds_global_translation(u64 vaddr, u32 mmu_index) const;

    // The slow paths behind generated code's loads and stores (RuntimeHooks::load/store,
    // `info` packed as mem_info says). ctx.hot.pc holds the guest instruction,
    // ctx.hot.current_block the running block.
    ir::HelperResult load_slow(CpuContext& ctx, u64 vaddr, u64 info);
    ir::HelperResult store_slow(CpuContext& ctx, u64 vaddr, u64 value, u64 info);
    // RuntimeHooks::store_pointer: the host address of the bytes for a direct write, 0 for
    // none (exit with a fault raised when the page is not writable).
    ir::HelperResult store_pointer(CpuContext& ctx, u64 vaddr, u64 info);

    u64 fills() const { return m_fills; }
    u64 flushes() const { return m_flushes; }
    u64 non_global_flushes() const { return m_non_global_flushes; }

private:
    TlbEntry* fill(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags);
    // Translates one page for `access`, using the TLB when it can. Returns the entry.
    TlbEntry* entry_for(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags);
    u64 read_within_page(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, unsigned size);
    enum class WriteStatus { Done, Restart };
    WriteStatus prepare_write(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, unsigned size, bool allow_restart);
    void write_within_page(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, u64 value, unsigned size);
    bool write_impl(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags, bool allow_restart, bool& restart);

    // The range of virtual addresses covered by large pages the TLB holds, per MMU index
    // (QEMU's tlb large-page tracking), 2 MiB pages and larger ones apart: one large page
    // fills many 4 KiB entries, which a page flush inside the range must find. A 2 MiB
    // page's entries sit at 512 consecutive indexes; a 1 GiB page's anywhere. Empty when
    // mask == 0.
    struct LargePages {
        u64 base = 0;
        u64 mask = 0;
    };
    static constexpr u8 large_page_bits = 21;
    static constexpr u32 large_page_entries = 1u << (large_page_bits - 12);
    void note_large_page(u32 mmu_index, u64 vaddr, u8 page_bits);

    // The entries in use, as (mmu index << index_bits) | index, in two lists, so that
    // flushes and code-page protection touch those only: between two address-space
    // switches a guest fills a few dozen entries of the 131072, and a switch drops only the
    // non-global ones, which are in their own list. An entry is in the list its
    // TlbEntryInfo::list names (a list may still name it after it moved: a visit checks).
    // A list that fills up makes the next visit walk the whole TLB instead.
    struct EntryList {
        static constexpr u32 capacity = tlb::mmu_indexes * tlb::entries;
        u32 items[capacity];
        u32 size = 0;
        bool overflow = true; // nothing is known of a fresh TLB: the first flush walks it all
    };
    void note_in_list(u32 mmu_index, u32 index, bool global);
    // Calls visit(mmu index, index) for every entry the list may hold (all of them after an
    // overflow), then empties it.
    template<typename F> void drain(EntryList& list, F&& visit);
    void invalidate_entry(u32 mmu_index, u32 index);

    RunContext& m_ctx;
    EntryList m_local_entries;
    EntryList m_global_entries;
    LargePages m_large[tlb::mmu_indexes];
    LargePages m_huge[tlb::mmu_indexes];
    PhysicalMemory& m_memory;
    PageTranslator& m_translator;
    CodePageTracker& m_code_pages;
    u64 m_fills = 0;
    u64 m_flushes = 0;
    u64 m_non_global_flushes = 0;
};

inline u32 tlb_index(u64 vaddr) { return static_cast<u32>(vaddr >> 12) & (tlb::entries - 1); }

} // namespace keel
