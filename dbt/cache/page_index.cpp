#include "dbt/cache/page_index.h"

namespace keel {
namespace {
u32 hash_page(u64 page, u32 capacity) { return static_cast<u32>((page >> 12) * 0x9E3779B97F4A7C15ull >> 40) & (capacity - 1); }
} // namespace

PageIndex::PageIndex()
{
    m_capacity = 1024;
    m_slots = new PageInfo*[m_capacity]();
}

PageIndex::~PageIndex()
{
    clear();
    for (PageInfo* p : m_free)
        delete p;
    delete[] m_slots;
}

PageInfo* PageIndex::find(u64 physical_page) const
{
    for (u32 i = hash_page(physical_page, m_capacity);; i = (i + 1) & (m_capacity - 1)) {
        PageInfo* p = m_slots[i];
        if (!p)
            return nullptr;
        if (p->physical_page == physical_page)
            return p;
    }
}

PageInfo* PageIndex::find_or_create(u64 physical_page)
{
    if (PageInfo* p = find(physical_page))
        return p;
    if ((m_count + 1) * 2 > m_capacity)
        grow();
    PageInfo* p = m_free.is_empty() ? new PageInfo : m_free.take_last();
    p->physical_page = physical_page;
    p->code_chunks = 0;
    p->blocks.clear();
    u32 i = hash_page(physical_page, m_capacity);
    while (m_slots[i])
        i = (i + 1) & (m_capacity - 1);
    m_slots[i] = p;
    ++m_count;
    return p;
}

void PageIndex::grow()
{
    PageInfo** old = m_slots;
    u32 old_capacity = m_capacity;
    m_capacity *= 2;
    m_slots = new PageInfo*[m_capacity]();
    for (u32 i = 0; i < old_capacity; ++i) {
        if (PageInfo* p = old[i]) {
            u32 j = hash_page(p->physical_page, m_capacity);
            while (m_slots[j])
                j = (j + 1) & (m_capacity - 1);
            m_slots[j] = p;
        }
    }
    delete[] old;
}

void PageIndex::clear()
{
    for (u32 i = 0; i < m_capacity; ++i) {
        if (m_slots[i]) {
            m_free.append(m_slots[i]);
            m_slots[i] = nullptr;
        }
    }
    m_count = 0;
}

} // namespace keel
