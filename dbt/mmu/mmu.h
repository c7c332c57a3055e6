#pragma once
// The softMMU: a software TLB over the guest-physical address space, filled by the
// architecture's page walk. Generated code does the TLB hit inline; everything else
// (misses, MMIO, page-crossing and code-page writes) comes here.
#include "dbt/engine/cpu_context.h"
#include "dbt/ir/helper.h"
#include "dbt/mmu/page_translator.h"
#include "dbt/mmu/physical_memory.h"

namespace keel {

// Packed `info` argument of the slow paths: size in bytes, MMU index, access flags.
namespace mem_info {
constexpr u64 make(unsigned size, u32 mmu_index, u32 flags) { return size | (u64(mmu_index) << 8) | (u64(flags) << 16); }
constexpr unsigned size(u64 info) { return info & 0xFF; }
constexpr u32 mmu_index(u64 info) { return (info >> 8) & 0xFF; }
constexpr u32 flags(u64 info) { return static_cast<u32>(info >> 16); }
} // namespace mem_info

class Mmu {
public:
    Mmu(PhysicalMemory& memory, PageTranslator& translator, CodePageTracker& code_pages)
        : m_memory(memory), m_translator(translator), m_code_pages(code_pages) {}

    PhysicalMemory& memory() { return m_memory; }

    void flush_all(CpuContext& ctx);
    void flush_page(CpuContext& ctx, u64 vaddr);
    // A page just received translated code: make every write to it take the slow path.
    void protect_code_page(CpuContext& ctx, u64 physical_page);

    // Accesses from C++ (helpers, exception delivery). On a guest fault they return false
    // with the exception recorded by the architecture. size: 1, 2, 4 or 8.
    bool read(CpuContext& ctx, u64 vaddr, unsigned size, u32 mmu_index, u64& value, u32 flags = 0);
    bool write(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags = 0);
    // Translates a code address (execute access); used by the translator and dispatcher.
    bool translate_code(CpuContext& ctx, u64 vaddr, u32 mmu_index, u64& physical);

    // Called from generated code's cold paths (SysV ABI). ctx.hot.pc holds the guest
    // instruction, ctx.hot.current_block the running block.
    static ir::HelperResult load_slow(CpuContext* ctx, u64 vaddr, u64 info);
    static ir::HelperResult store_slow(CpuContext* ctx, u64 vaddr, u64 value, u64 info);

    u64 fills() const { return m_fills; }
    u64 flushes() const { return m_flushes; }

private:
    TlbEntry* fill(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags);
    // Translates one page for `access`, using the TLB when it can. Returns the entry.
    TlbEntry* entry_for(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags);
    u64 read_within_page(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, unsigned size);
    enum class WriteStatus { Done, Restart };
    WriteStatus prepare_write(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, unsigned size, bool allow_restart);
    void write_within_page(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, u64 value, unsigned size);
    bool write_impl(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags, bool allow_restart, bool& restart);

    PhysicalMemory& m_memory;
    PageTranslator& m_translator;
    CodePageTracker& m_code_pages;
    u64 m_fills = 0;
    u64 m_flushes = 0;
};

inline u32 tlb_index(u64 vaddr) { return static_cast<u32>(vaddr >> 12) & (tlb::entries - 1); }

} // namespace keel
