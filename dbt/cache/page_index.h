#pragma once
// Which translated blocks came from each guest-physical page, with a bitmap of the 64-byte
// chunks they cover, so a guest write to a code page invalidates exactly the blocks whose
// bytes it touches (and writes to data sharing the page stay cheap).
#include "dbt/base/vector.h"
#include "dbt/runtime/translated_block.h"

namespace keel {

constexpr u32 code_chunk_bytes = 64;

struct PageInfo {
    u64 physical_page;
    u64 code_chunks; // bit i: bytes [64i, 64i+64) of the page hold translated code
    Vector<TranslatedBlock*> blocks;
};

class PageIndex {
public:
    PageIndex();
    ~PageIndex();
    PageInfo* find(u64 physical_page) const;
    PageInfo* find_or_create(u64 physical_page);
    void clear();
    u32 page_count() const { return m_count; }

private:
    void grow();
    PageInfo** m_slots = nullptr; // open addressing, linear probing; never deletes
    u32 m_capacity = 0;
    u32 m_count = 0;
    Vector<PageInfo*> m_free; // recycled after clear()
};

// Bitmap of the chunks [offset, offset+size) touches within one page.
inline u64 chunk_mask(u64 offset_in_page, u64 size)
{
    u64 first = offset_in_page / code_chunk_bytes;
    u64 last = (offset_in_page + size - 1) / code_chunk_bytes;
    if (last > 63)
        last = 63;
    u64 bits = last - first + 1;
    return (bits >= 64 ? ~0ull : ((1ull << bits) - 1)) << first;
}

} // namespace keel
