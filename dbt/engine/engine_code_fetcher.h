#pragma once
// Reads guest code for one translation through the MMU, without raising guest faults
// (the frontend decides what an unfetchable instruction means), and records the
// physical pages the block's bytes came from.
#include "dbt/engine/engine.h"

namespace keel {

class EngineCodeFetcher final : public CodeFetcher {
public:
    EngineCodeFetcher(Engine& engine, CpuContext& ctx, u32 mmu_index)
        : m_engine(engine), m_ctx(ctx), m_mmu_index(mmu_index) {}

    usize fetch(u64 vaddr, u8* out, usize length) override;

    u8 page_count() const { return m_page_count; }
    u64 physical_page(u8 i) const { return m_pages[i]; }
    // Some bytes came from MMIO or unassigned space, not RAM or ROM.
    bool read_outside_ram() const { return m_outside_ram; }
    // A fetch stopped at a page that could not be fetched (not present, not executable,
    // or a third page): the block ends before that instruction or raises its #PF, and is
    // only right while the page stays unfetchable, which nothing tracks.
    bool fetch_failed() const { return m_failed; }
    // The bytes fetched so far from the block start, for the in_asm log.
    usize copy_fetched(u8* out, usize capacity) const;

private:
    Engine& m_engine;
    CpuContext& m_ctx;
    u32 m_mmu_index;
    u64 m_virtual_pages[2] = {};
    u64 m_pages[2] = {};
    u8 m_page_count = 0;
    u64 m_first = 0;
    usize m_fetched = 0;
    bool m_outside_ram = false;
    bool m_failed = false;
};

} // namespace keel
