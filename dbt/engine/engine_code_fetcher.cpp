#include "dbt/engine/engine_code_fetcher.h"
#include "dbt/base/string.h"

namespace keel {

usize EngineCodeFetcher::fetch(u64 vaddr, u8* out, usize length)
{
    if (m_fetched == 0)
        m_first = vaddr;
    usize done = 0;
    while (done < length) {
        u64 va = vaddr + done;
        u64 vpage = va & guest_page_mask;
        u64 ppage = 0;
        bool known = false;
        for (u8 i = 0; i < m_page_count; ++i) {
            if (m_virtual_pages[i] == vpage) {
                ppage = m_pages[i];
                known = true;
            }
        }
        if (!known) {
            Translation t;
            if (m_page_count == 2 // a block spans at most two pages
                || !m_engine.arch().translate(m_ctx, va, Access::Execute, m_mmu_index, access_flag::probe, t)) {
                m_failed = true;
                break;
            }
            ppage = t.physical_page;
            m_virtual_pages[m_page_count] = vpage;
            m_pages[m_page_count++] = ppage;
        }
        usize chunk = guest_page_size - (va & ~guest_page_mask);
        if (chunk > length - done)
            chunk = length - done;
        u64 physical = ppage | (va & ~guest_page_mask);
        if (u8* host = m_engine.memory().host_pointer(physical, chunk, false)) {
            copy_memory(out + done, host, chunk);
        } else {
            // Code outside RAM and ROM: a device's MMIO answers the fetch, unassigned
            // space reads all-ones (which x86 decodes as FF FF: #UD), as on a PC. The
            // bytes can change behind the translator's back, so such a block must not be
            // found again (Engine::translate); a device may see its bytes read more than
            // once, as QEMU's execution from MMIO does.
            for (usize i = 0; i < chunk; ++i)
                out[done + i] = static_cast<u8>(m_engine.memory().read(physical + i, 1));
            m_outside_ram = true;
        }
        done += chunk;
    }
    if (vaddr + done > m_first + m_fetched)
        m_fetched = vaddr + done - m_first;
    return done;
}

usize EngineCodeFetcher::copy_fetched(u8* out, usize capacity) const
{
    usize n = m_fetched < capacity ? m_fetched : capacity;
    EngineCodeFetcher* self = const_cast<EngineCodeFetcher*>(this);
    u64 saved = self->m_fetched;
    usize got = self->fetch(m_first, out, n);
    self->m_fetched = saved;
    return got;
}

} // namespace keel
