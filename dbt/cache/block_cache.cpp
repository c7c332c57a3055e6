#include "dbt/cache/block_cache.h"
#include "dbt/base/log.h"
#include "dbt/base/string.h"

namespace keel {
namespace {
// Backed as touched, so a large chunk costs only what is used; the kernel's demand-paged
// ranges are few (kernel/mm/demand_paging.cpp), so chunks are large: a Linux boot fits one.
constexpr u64 chunk_bytes = 32 * MiB;

u32 hash_key(u64 physical_pc, u32 mode)
{
    u64 h = (physical_pc ^ (u64(mode) << 48)) * 0x9E3779B97F4A7C15ull;
    return static_cast<u32>(h >> 48);
}
} // namespace

BlockCache::BlockCache(RunContext& ctx, ExitPatcher& patcher, HostServices* storage)
    : m_ctx(ctx), m_patcher(patcher), m_storage(storage)
{
    m_buckets = new TranslatedBlock*[bucket_count]();
    clear_jump_cache();
}

BlockCache::~BlockCache()
{
    for (u8* chunk : m_chunks) {
        if (m_storage)
            m_storage->free_zeroed(chunk, chunk_bytes);
        else
            ::operator delete(chunk);
    }
    delete[] m_buckets;
}

TranslatedBlock* BlockCache::lookup(u64 physical_pc, u64 pc, u32 mode) const
{
    // The virtual pc is part of the key: a block embeds guest virtual addresses (return
    // addresses, RIP-relative operands), so an alias of the same physical code at another
    // virtual address needs its own translation.
    for (TranslatedBlock* b = m_buckets[hash_key(physical_pc, mode) & (bucket_count - 1)]; b; b = b->hash_next) {
        if (b->physical_pc == physical_pc && b->mode == mode && b->pc == pc)
            return b;
    }
    return nullptr;
}

TranslatedBlock* BlockCache::allocate()
{
    // Room for the largest descriptor; trim() gives back the exits the block does not use.
    if (m_chunk_used + sizeof(TranslatedBlock) > chunk_bytes) {
        ++m_chunk;
        m_chunk_used = 0;
    }
    if (m_chunk == m_chunks.size()) {
        void* storage = m_storage ? m_storage->allocate_zeroed(chunk_bytes) : ::operator new(chunk_bytes);
        if (!storage)
            return nullptr; // the host has no more: the engine flushes, which frees every descriptor
        m_chunks.append(static_cast<u8*>(storage));
    }
    auto* b = new (m_chunks[m_chunk] + m_chunk_used) TranslatedBlock {};
    m_chunk_used += sizeof(TranslatedBlock);
    m_last = b;
    return b;
}

void BlockCache::trim(TranslatedBlock* block)
{
    if (block != m_last)
        return; // only the latest descriptor can give room back
    m_chunk_used = static_cast<u64>(reinterpret_cast<u8*>(block) - m_chunks[m_chunk]) + translated_block_size(block->exit_count);
    m_last = nullptr;
}

void BlockCache::insert(TranslatedBlock* block)
{
    block->valid = true;
    ++m_stats.translated;
    if (!block->findable)
        return;
    ++m_stats.live_blocks;
    TranslatedBlock*& head = m_buckets[hash_key(block->physical_pc, block->mode) & (bucket_count - 1)];
    block->hash_next = head;
    head = block;

    // Register the code bytes on their page(s); the first block on a page write-protects
    // it in the TLB so guest stores to it reach code_written().
    u64 start = block->physical_pc;
    u64 remaining = block->guest_size ? block->guest_size : 1;
    for (u8 i = 0; i < block->page_count; ++i) {
        u64 page = block->physical_pages[i];
        u64 offset = i == 0 ? start - page : 0;
        u64 bytes = guest_page_size - offset < remaining ? guest_page_size - offset : remaining;
        remaining -= bytes;
        PageInfo* info = m_pages.find_or_create(page);
        bool first = info->blocks.is_empty();
        info->blocks.append(block);
        info->code_chunks |= chunk_mask(offset, bytes);
        if (first && m_protector)
            m_protector->protect_code_page(page);
    }
}

void BlockCache::link(ExitSlot* exit, TranslatedBlock* target)
{
    if (exit->linked == target || !target->valid || !exit->owner->valid)
        return;
    if (exit->linked)
        return; // already chained elsewhere; keep the first link
    if (!m_patcher.chain_exit(*exit, target->code))
        return; // out of rel32 range: stays unchained
    exit->linked = target;
    exit->next_incoming = target->incoming;
    target->incoming = exit;
    ++m_stats.chained;
    KEEL_LOG(Cache, "cache: chain 0x%llx -> 0x%llx\n", (unsigned long long)exit->owner->pc, (unsigned long long)target->pc);
}

void BlockCache::unlink_incoming(TranslatedBlock* block)
{
    for (ExitSlot* e = block->incoming; e;) {
        ExitSlot* next = e->next_incoming;
        m_patcher.unchain_exit(*e);
        e->linked = nullptr;
        e->next_incoming = nullptr;
        ++m_stats.unchained;
        e = next;
    }
    block->incoming = nullptr;
}

void BlockCache::unlink_outgoing(TranslatedBlock* block)
{
    for (u8 i = 0; i < block->exit_count; ++i) {
        ExitSlot* e = &block->exits[i];
        TranslatedBlock* target = e->linked;
        if (!target)
            continue;
        for (ExitSlot** p = &target->incoming; *p; p = &(*p)->next_incoming) {
            if (*p == e) {
                *p = e->next_incoming;
                break;
            }
        }
        m_patcher.unchain_exit(*e);
        e->linked = nullptr;
        e->next_incoming = nullptr;
    }
}

void BlockCache::remove_from_hash(TranslatedBlock* block)
{
    for (TranslatedBlock** p = &m_buckets[hash_key(block->physical_pc, block->mode) & (bucket_count - 1)]; *p; p = &(*p)->hash_next) {
        if (*p == block) {
            *p = block->hash_next;
            return;
        }
    }
}

void BlockCache::invalidate(TranslatedBlock* block)
{
    if (!block->valid)
        return;
    // The block's code stays in place until the next flush: it may be running right now
    // (a store inside it hit its own page); nothing can enter it any more.
    block->valid = false;
    ++m_stats.invalidated;
    if (!block->findable)
        return;
    --m_stats.live_blocks;
    remove_from_hash(block);
    unlink_incoming(block);
    unlink_outgoing(block);
    JumpCacheEntry& jc = m_ctx.jump_cache[jump_cache_index(block->linear_pc)];
    if (jc.code == block->code)
        jc = { ~0ull, 0, 0, m_empty_jump_target, 0 };
    for (u8 i = 0; i < block->page_count; ++i) {
        PageInfo* info = m_pages.find(block->physical_pages[i]);
        if (!info)
            continue;
        for (usize k = 0; k < info->blocks.size(); ++k) {
            if (info->blocks[k] == block) {
                info->blocks.remove_unordered(k);
                break;
            }
        }
    }
    KEEL_LOG(Cache, "cache: invalidate block 0x%llx (phys 0x%llx)\n", (unsigned long long)block->pc, (unsigned long long)block->physical_pc);
}

void BlockCache::flush()
{
    for (u32 i = 0; i < bucket_count; ++i)
        m_buckets[i] = nullptr;
    m_pages.clear();
    m_chunk = 0;
    m_chunk_used = 0;
    m_last = nullptr;
    m_stats.live_blocks = 0;
    ++m_stats.flushes;
    clear_jump_cache();
    KEEL_LOG(Cache, "cache: flush\n");
}

void BlockCache::remember_jump_target(TranslatedBlock* block, bool global)
{
    static_assert(jump_cache_entries <= 0x10000, "the lists hold 16-bit slots");
    u32 index = jump_cache_index(block->linear_pc);
    u8 bit = global ? in_global_list : in_local_list;
    if (!(m_jump_slot_lists[index] & bit)) {
        JumpList& list = global ? m_global_jumps : m_local_jumps;
        list.slots[list.size++] = static_cast<u16>(index); // at most once each: never full
        m_jump_slot_lists[index] |= bit;
    }
    m_ctx.jump_cache[index] = { block->linear_pc, block->mode, 0, block->code, 0 };
    u32 region = jump_region_bit(block->linear_pc);
    m_jump_regions[region / 64] |= 1ull << (region % 64);
}

void BlockCache::clear_jump_list(JumpList& list, u8 bit)
{
    for (u32 k = 0; k < list.size; ++k) {
        u16 slot = list.slots[k];
        m_ctx.jump_cache[slot] = { ~0ull, 0, 0, m_empty_jump_target, 0 };
        m_jump_slot_lists[slot] &= static_cast<u8>(~bit);
    }
    list.size = 0;
}

void BlockCache::clear_jump_cache()
{
    ++m_stats.jump_cache_clears;
    if (m_jump_cache_unknown) {
        for (JumpCacheEntry& e : m_ctx.jump_cache)
            e = { ~0ull, 0, 0, m_empty_jump_target, 0 };
        for (u8& lists : m_jump_slot_lists)
            lists = 0;
        m_local_jumps.size = m_global_jumps.size = 0;
        m_jump_cache_unknown = false;
    } else {
        clear_jump_list(m_local_jumps, in_local_list);
        clear_jump_list(m_global_jumps, in_global_list);
    }
    for (u64& w : m_jump_regions)
        w = 0;
}

void BlockCache::clear_non_global_jump_targets()
{
    if (m_jump_cache_unknown) {
        clear_jump_cache();
        return;
    }
    ++m_stats.jump_cache_clears;
    // A slot in both lists holds whichever block came last: clearing it is the safe side.
    clear_jump_list(m_local_jumps, in_local_list);
}

void BlockCache::forget_jump_targets_near(u64 linear)
{
    constexpr u64 region_size = 2 * MiB;
    u64 page = linear & guest_page_mask;
    // A block's last instruction may straddle into the next page: when `linear`'s page
    // starts its region, the blocks of the page before it (another region) depend on it.
    bool region_start = (page & (region_size - 1)) == 0;
    auto holds = [&](u64 address) {
        u32 bit = jump_region_bit(address);
        return (m_jump_regions[bit / 64] >> (bit % 64)) & 1;
    };
    if (!holds(linear) && !(region_start && holds(page - 1)))
        return;
    if (m_jump_cache_unknown) {
        clear_jump_cache();
        return;
    }
    // Only the entries of those blocks: clearing the whole cache here (a user page's
    // INVLPG whose region hashes like a kernel one, a munmap of user code) emptied the
    // kernel's entries too, each refilled by a return to the dispatcher (in a Linux boot,
    // some 130,000 after 120 such flushes).
    ++m_stats.jump_cache_clears;
    u64 region = linear / region_size;
    auto stale = [&](u64 pc) { return pc / region_size == region || (region_start && pc >= page - guest_page_size && pc < page); };
    JumpList* lists[] = { &m_local_jumps, &m_global_jumps };
    for (JumpList* list : lists) {
        for (u32 k = 0; k < list->size; ++k) {
            JumpCacheEntry& e = m_ctx.jump_cache[list->slots[k]];
            if (e.linear_pc != ~0ull && stale(e.linear_pc))
                e = { ~0ull, 0, 0, m_empty_jump_target, 0 };
        }
    }
}

bool BlockCache::page_has_code(u64 physical_page)
{
    PageInfo* info = m_pages.find(physical_page & guest_page_mask);
    return info && !info->blocks.is_empty();
}

bool BlockCache::code_written(u64 paddr, u64 size)
{
    u64 page = paddr & guest_page_mask;
    PageInfo* info = m_pages.find(page);
    if (!info || !(info->code_chunks & chunk_mask(paddr - page, size)))
        return false;
    auto* current = reinterpret_cast<TranslatedBlock*>(m_ctx.cpu.hot.current_block);
    bool hit_current = false;
    // Invalidate every block whose bytes overlap the write; rebuild the chunk map from
    // the blocks that remain.
    for (usize k = 0; k < info->blocks.size();) {
        TranslatedBlock* b = info->blocks[k];
        u64 b_start = b->physical_pc, b_end = b->physical_pc + (b->guest_size ? b->guest_size : 1);
        bool overlaps;
        if (b->page_count == 1 || b->physical_pages[0] == page)
            overlaps = paddr < b_end && b_start < paddr + size;
        else // second page of a straddling block: its bytes there start at the page start
            overlaps = paddr < page + (b_end - b->physical_pages[0] - guest_page_size);
        if (overlaps) {
            hit_current |= b == current;
            invalidate(b); // removes it from info->blocks (swap with last)
        } else {
            ++k;
        }
    }
    if (hit_current)
        m_ctx.cpu.hot.smc_hit = 1;
    info->code_chunks = 0;
    for (TranslatedBlock* b : info->blocks) {
        if (b->physical_pages[0] == page) {
            u64 off = b->physical_pc - page;
            u64 len = b->guest_size ? b->guest_size : 1;
            info->code_chunks |= chunk_mask(off, off + len > guest_page_size ? guest_page_size - off : len);
        } else {
            info->code_chunks |= chunk_mask(0, b->physical_pc + b->guest_size - b->physical_pages[0] - guest_page_size);
        }
    }
    return hit_current;
}

} // namespace keel
