#include "dbt/mmu/mmu.h"
#include "dbt/base/log.h"
#include "dbt/base/string.h"

namespace keel {
namespace {

// Fixed-size copies (a variable-size memcpy becomes a library call).
u64 load_host(const void* p, unsigned size)
{
    switch (size) {
    case 1: return *static_cast<const u8*>(p);
    case 2: { u16 v; __builtin_memcpy(&v, p, 2); return v; }
    case 4: { u32 v; __builtin_memcpy(&v, p, 4); return v; }
    default: { u64 v; __builtin_memcpy(&v, p, 8); return v; }
    }
}

void store_host(void* p, u64 value, unsigned size)
{
    switch (size) {
    case 1: *static_cast<u8*>(p) = static_cast<u8>(value); break;
    case 2: { u16 v = static_cast<u16>(value); __builtin_memcpy(p, &v, 2); break; }
    case 4: { u32 v = static_cast<u32>(value); __builtin_memcpy(p, &v, 4); break; }
    default: __builtin_memcpy(p, &value, 8); break;
    }
}

u64 tag_of(const TlbEntry& e, Access access)
{
    return access == Access::Read ? e.read_tag : access == Access::Write ? e.write_tag : e.exec_tag;
}

} // namespace

static_assert((u64(tlb::mmu_indexes) << tlb::index_bits) <= 0x100000000ull, "the entry lists hold 32-bit entry numbers");

void Mmu::note_in_list(u32 mmu_index, u32 index, bool global)
{
    TlbEntryInfo& info = m_ctx.tlb.info[mmu_index][index];
    u8 wanted = global ? TlbEntryInfo::in_global_list : TlbEntryInfo::in_local_list;
    if (info.list == wanted)
        return;
    info.list = wanted;
    EntryList& list = global ? m_global_entries : m_local_entries;
    if (list.size == EntryList::capacity) {
        list.overflow = true;
        return;
    }
    list.items[list.size++] = static_cast<u32>((mmu_index << tlb::index_bits) | index);
}

template<typename F>
void Mmu::drain(EntryList& list, F&& visit)
{
    if (list.overflow) {
        for (u32 m = 0; m < tlb::mmu_indexes; ++m)
            for (u32 i = 0; i < tlb::entries; ++i)
                visit(m, i);
    } else {
        for (u32 k = 0; k < list.size; ++k)
            visit(list.items[k] >> tlb::index_bits, list.items[k] & (tlb::entries - 1));
    }
    list.size = 0;
    list.overflow = false;
}

void Mmu::invalidate_entry(u32 mmu_index, u32 index)
{
    m_ctx.tlb.entries[mmu_index][index] = { tlb::invalid, tlb::invalid, tlb::invalid, 0 };
    m_ctx.tlb.info[mmu_index][index].list = TlbEntryInfo::in_no_list;
}

void Mmu::flush_all(CpuContext&)
{
    auto visit = [&](u32 m, u32 i) { invalidate_entry(m, i); };
    drain(m_local_entries, visit);
    drain(m_global_entries, visit);
    for (u32 m = 0; m < tlb::mmu_indexes; ++m) {
        m_large[m] = {};
        m_huge[m] = {};
    }
    ++m_flushes;
    KEEL_LOG(Mmu, "mmu: TLB flush\n");
}

void Mmu::flush_non_global(CpuContext&)
{
    // Only the local list: global entries stay, untouched. The large-page ranges stay as
    // they are: a superset of what the TLB still holds is fine.
    bool walked_all = m_local_entries.overflow;
    drain(m_local_entries, [&](u32 m, u32 i) {
        TlbEntryInfo& info = m_ctx.tlb.info[m][i];
        if (info.list == TlbEntryInfo::in_local_list || (walked_all && !info.global))
            invalidate_entry(m, i);
    });
    ++m_non_global_flushes;
    KEEL_LOG(Mmu, "mmu: TLB flush (global entries kept)\n");
}

namespace {

bool maps_page(const TlbEntry& e, u64 page)
{
    return (e.read_tag & guest_page_mask) == page || (e.write_tag & guest_page_mask) == page || (e.exec_tag & guest_page_mask) == page;
}

bool in_range(u64 vaddr, u64 base, u64 mask) { return mask && (vaddr & mask) == base; }

} // namespace

bool Mmu::flush_page(CpuContext& ctx, u64 vaddr)
{
    // A 1 GiB page fills entries all over the TLB: drop everything.
    for (u32 m = 0; m < tlb::mmu_indexes; ++m) {
        if (in_range(vaddr, m_huge[m].base, m_huge[m].mask)) {
            KEEL_LOG(Mmu, "mmu: flush page 0x%llx inside a 1 GiB page: TLB flush\n", (unsigned long long)vaddr);
            flush_all(ctx);
            return true;
        }
    }
    u64 page = vaddr & guest_page_mask;
    for (u32 m = 0; m < tlb::mmu_indexes; ++m) {
        if (in_range(vaddr, m_large[m].base, m_large[m].mask)) {
            // A 2 MiB page holding vaddr filled its 4 KiB entries at 512 consecutive
            // indexes (the TLB has a multiple of 512): drop every entry of that window that
            // lies in vaddr's 2 MiB region, whatever size its own page was.
            static_assert(tlb::entries % large_page_entries == 0);
            // (fill() always sets read_tag, so it tells whether an entry is in use.)
            constexpr u64 region_mask = ~(large_page_entries * guest_page_size - 1);
            u64 region = vaddr & region_mask;
            u32 first = tlb_index(region);
            for (u32 i = first; i < first + large_page_entries; ++i) {
                TlbEntry& e = m_ctx.tlb.entries[m][i];
                if (!(e.read_tag & tlb::invalid) && (e.read_tag & region_mask) == region)
                    e = { tlb::invalid, tlb::invalid, tlb::invalid, 0 };
            }
            continue;
        }
        TlbEntry& e = m_ctx.tlb.entries[m][tlb_index(vaddr)];
        if (maps_page(e, page))
            e = { tlb::invalid, tlb::invalid, tlb::invalid, 0 };
    }
    KEEL_LOG(Mmu, "mmu: flush page 0x%llx\n", (unsigned long long)page);
    return false;
}

void Mmu::note_large_page(u32 mmu_index, u64 vaddr, u8 page_bits)
{
    // Grow the tracked range to the smallest aligned block covering it and the new page.
    LargePages& l = page_bits > large_page_bits ? m_huge[mmu_index] : m_large[mmu_index];
    u64 mask = ~((1ull << page_bits) - 1);
    if (!l.mask) {
        l = { vaddr & mask, mask };
        return;
    }
    if (mask > l.mask)
        mask = l.mask;
    while (((vaddr ^ l.base) & mask) != 0)
        mask <<= 1;
    l = { l.base & mask, mask };
}

void Mmu::protect_code_page(u64 physical_page)
{
    auto protect = [&](u32 m, u32 i) {
        TlbEntry& e = m_ctx.tlb.entries[m][i];
        if (!(e.write_tag & tlb::invalid) && m_ctx.tlb.info[m][i].physical_page == physical_page)
            e.write_tag |= tlb::not_dirty;
    };
    for (EntryList* list : { &m_local_entries, &m_global_entries }) {
        if (list->overflow) {
            for (u32 m = 0; m < tlb::mmu_indexes; ++m)
                for (u32 i = 0; i < tlb::entries; ++i)
                    protect(m, i);
            return; // every entry seen
        }
        for (u32 k = 0; k < list->size; ++k)
            protect(list->items[k] >> tlb::index_bits, list->items[k] & (tlb::entries - 1));
    }
}

TlbEntry* Mmu::fill(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags)
{
    Translation t;
    if (!m_translator.translate(ctx, vaddr, access, mmu_index, flags, t))
        return nullptr;
    ++m_fills;
    if (t.page_bits > 12)
        note_large_page(mmu_index, vaddr, t.page_bits);
    u64 vpage = vaddr & guest_page_mask;
    u32 index = tlb_index(vaddr);
    TlbEntry& e = m_ctx.tlb.entries[mmu_index][index];
    m_ctx.tlb.info[mmu_index][index].physical_page = t.physical_page;
    m_ctx.tlb.info[mmu_index][index].global = t.global;
    note_in_list(mmu_index, index, t.global);

    const MemoryRegion* region = m_memory.find(t.physical_page);
    bool direct = region && region->kind != RegionKind::Mmio && t.physical_page + guest_page_size <= region->end();
    e.read_tag = direct ? vpage : vpage | tlb::io;
    e.exec_tag = t.executable ? e.read_tag : tlb::invalid;
    if (!t.writable)
        e.write_tag = tlb::invalid;
    else if (!direct || region->kind == RegionKind::Rom)
        e.write_tag = vpage | tlb::io;
    else
        e.write_tag = vpage | (m_code_pages.page_has_code(t.physical_page) ? tlb::not_dirty : 0);
    e.addend = direct ? reinterpret_cast<u64>(region->host + (t.physical_page - region->base)) - vpage : 0;
    KEEL_LOG(Mmu, "mmu: fill %s 0x%llx -> 0x%llx (mmu %u%s%s)\n", access == Access::Write ? "write" : access == Access::Read ? "read" : "exec",
        (unsigned long long)vpage, (unsigned long long)t.physical_page, mmu_index, t.writable ? ", writable" : "", t.executable ? ", exec" : "");
    return &e;
}

TlbEntry* Mmu::entry_for(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags)
{
    TlbEntry& e = m_ctx.tlb.entries[mmu_index][tlb_index(vaddr)];
    if ((tag_of(e, access) & (guest_page_mask | tlb::invalid)) == (vaddr & guest_page_mask))
        return &e;
    return fill(ctx, vaddr, access, mmu_index, flags);
}

u64 Mmu::read_within_page(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, unsigned size)
{
    if (!(e->read_tag & tlb::io))
        return load_host(reinterpret_cast<const void*>(vaddr + e->addend), size);
    u64 paddr = m_ctx.tlb.info[mmu_index][e - m_ctx.tlb.entries[mmu_index]].physical_page | (vaddr & ~guest_page_mask);
    return m_memory.read(paddr, size);
}

Mmu::WriteStatus Mmu::prepare_write(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, unsigned size, bool allow_restart)
{
    if (!(e->write_tag & tlb::not_dirty) || (e->write_tag & tlb::io))
        return WriteStatus::Done;
    u64 ppage = m_ctx.tlb.info[mmu_index][e - m_ctx.tlb.entries[mmu_index]].physical_page;
    bool hit_current = m_code_pages.code_written(ppage | (vaddr & ~guest_page_mask), size);
    if (hit_current && allow_restart)
        return WriteStatus::Restart; // nothing written: the instruction runs again alone
    if (!m_code_pages.page_has_code(ppage))
        e->write_tag &= ~tlb::not_dirty;
    return WriteStatus::Done;
}

void Mmu::write_within_page(CpuContext& ctx, TlbEntry* e, u32 mmu_index, u64 vaddr, u64 value, unsigned size)
{
    if (e->write_tag & tlb::io) {
        u64 ppage = m_ctx.tlb.info[mmu_index][e - m_ctx.tlb.entries[mmu_index]].physical_page;
        m_memory.write(ppage | (vaddr & ~guest_page_mask), value, size);
        return;
    }
    store_host(reinterpret_cast<void*>(vaddr + e->addend), value, size);
}

u8* Mmu::host_span(CpuContext& ctx, u64 vaddr, u64 length, Access access, u32 mmu_index, u32 flags, bool& faulted)
{
    faulted = false;
    if (length == 0 || ((vaddr ^ (vaddr + length - 1)) & guest_page_mask))
        return nullptr;
    TlbEntry* e = entry_for(ctx, vaddr, access, mmu_index, flags);
    if (!e) {
        faulted = true;
        return nullptr;
    }
    // MMIO, and for writes ROM and pages with translated code (tlb::not_dirty), go the
    // slow way, which knows what to do with them.
    if (tag_of(*e, access) & (tlb::io | tlb::not_dirty | tlb::invalid))
        return nullptr;
    return reinterpret_cast<u8*>(vaddr + e->addend);
}

bool Mmu::read(CpuContext& ctx, u64 vaddr, unsigned size, u32 mmu_index, u64& value, u32 flags)
{
    u64 last = vaddr + size - 1;
    if ((vaddr ^ last) & guest_page_mask) {
        // Crosses a page: both halves must translate before anything is read.
        unsigned first_size = static_cast<unsigned>(guest_page_size - (vaddr & ~guest_page_mask));
        TlbEntry* a = entry_for(ctx, vaddr, Access::Read, mmu_index, flags);
        if (!a)
            return false;
        // A fault on the second page reports its first byte in CR2, as the CPU does.
        TlbEntry* b = entry_for(ctx, last & guest_page_mask, Access::Read, mmu_index, flags);
        if (!b)
            return false;
        a = entry_for(ctx, vaddr, Access::Read, mmu_index, flags); // b may have evicted a
        u64 lo = 0, hi = 0;
        for (unsigned i = 0; i < first_size; ++i)
            lo |= read_within_page(ctx, a, mmu_index, vaddr + i, 1) << (8 * i);
        for (unsigned i = first_size; i < size; ++i)
            hi |= read_within_page(ctx, b, mmu_index, vaddr + i, 1) << (8 * (i - first_size));
        value = lo | (hi << (8 * first_size));
        return true;
    }
    TlbEntry* e = entry_for(ctx, vaddr, Access::Read, mmu_index, flags);
    if (!e)
        return false;
    value = read_within_page(ctx, e, mmu_index, vaddr, size);
    return true;
}

bool Mmu::write_impl(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags, bool allow_restart, bool& restart)
{
    restart = false;
    u64 last = vaddr + size - 1;
    if (!((vaddr ^ last) & guest_page_mask)) {
        TlbEntry* e = entry_for(ctx, vaddr, Access::Write, mmu_index, flags);
        if (!e)
            return false;
        if (prepare_write(ctx, e, mmu_index, vaddr, size, allow_restart) == WriteStatus::Restart) {
            restart = true;
            return true;
        }
        write_within_page(ctx, e, mmu_index, vaddr, value, size);
        return true;
    }
    // Crosses a page: both pages must be writable before any byte is written (no partial
    // stores when the second half faults), and code on either must be invalidated first.
    unsigned first_size = static_cast<unsigned>(guest_page_size - (vaddr & ~guest_page_mask));
    u64 second = last & guest_page_mask; // a fault there reports the page's first byte
    if (!entry_for(ctx, vaddr, Access::Write, mmu_index, flags) || !entry_for(ctx, second, Access::Write, mmu_index, flags))
        return false;
    TlbEntry* a = entry_for(ctx, vaddr, Access::Write, mmu_index, flags);
    TlbEntry* b = entry_for(ctx, second, Access::Write, mmu_index, flags);
    if (!a || !b)
        return false;
    if (prepare_write(ctx, a, mmu_index, vaddr, first_size, allow_restart) == WriteStatus::Restart
        || prepare_write(ctx, b, mmu_index, last & guest_page_mask, size - first_size, allow_restart) == WriteStatus::Restart) {
        restart = true;
        return true;
    }
    for (unsigned i = 0; i < size; ++i)
        write_within_page(ctx, i < first_size ? a : b, mmu_index, vaddr + i, (value >> (8 * i)) & 0xFF, 1);
    return true;
}

ir::HelperResult Mmu::store_pointer(CpuContext& ctx, u64 vaddr, u64 info)
{
    unsigned size = mem_info::size(info);
    if ((vaddr ^ (vaddr + size - 1)) & guest_page_mask)
        return ir::helper_continue(0); // crosses a page: store() checks both before writing
    TlbEntry* e = entry_for(ctx, vaddr, Access::Write, mem_info::mmu_index(info), mem_info::flags(info));
    if (!e)
        return ir::helper_exit(); // not writable: the fault is raised
    // A write tag equal to the page: plain RAM, writable, without translated code.
    if (e->write_tag != (vaddr & guest_page_mask))
        return ir::helper_continue(0);
    return ir::helper_continue(vaddr + e->addend);
}

bool Mmu::write(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags)
{
    bool restart;
    return write_impl(ctx, vaddr, value, size, mmu_index, flags, false, restart);
}

bool Mmu::translate_code(CpuContext& ctx, u64 vaddr, u32 mmu_index, u64& physical)
{
    TlbEntry* e = entry_for(ctx, vaddr, Access::Execute, mmu_index, 0);
    if (!e)
        return false;
    physical = m_ctx.tlb.info[mmu_index][e - m_ctx.tlb.entries[mmu_index]].physical_page | (vaddr & ~guest_page_mask);
    return true;
}

bool Mmu::holds_global_translation(u64 vaddr, u32 mmu_index) const
{
    u32 index = tlb_index(vaddr);
    const TlbEntry& e = m_ctx.tlb.entries[mmu_index][index];
    return !(e.read_tag & tlb::invalid) && (e.read_tag & guest_page_mask) == (vaddr & guest_page_mask)
        && m_ctx.tlb.info[mmu_index][index].global;
}

ir::HelperResult Mmu::load_slow(CpuContext& ctx, u64 vaddr, u64 info)
{
    u64 value;
    if (!read(ctx, vaddr, mem_info::size(info), mem_info::mmu_index(info), value, mem_info::flags(info)))
        return ir::helper_exit();
    return ir::helper_continue(value);
}

ir::HelperResult Mmu::store_slow(CpuContext& ctx, u64 vaddr, u64 value, u64 info)
{
    bool restart;
    if (!write_impl(ctx, vaddr, value, mem_info::size(info), mem_info::mmu_index(info), mem_info::flags(info), true, restart))
        return ir::helper_exit();
    if (restart) {
        // The store would modify the block that is running. Leave it with pc at this
        // instruction; the dispatcher runs the instruction again as a one-instruction
        // block that nothing can find, so the rest of the stale block never executes.
        run_context(ctx).smc_single_step = 1;
        KEEL_LOG(Cache, "cache: store to running block at pc 0x%llx, restarting the instruction alone\n", (unsigned long long)ctx.hot.pc);
        return ir::helper_exit();
    }
    return ir::helper_continue();
}

} // namespace keel
