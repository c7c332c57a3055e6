#pragma once
// The translation cache's bookkeeping: blocks keyed by (guest-physical pc, mode bits),
// direct chaining between them, the indirect-branch lookup cache, and invalidation when
// the guest writes to a page holding translated code. The host code itself lives in the
// code region the backend emits into; flush() forgets every block so it can be refilled.
#include "dbt/cache/page_index.h"
#include "dbt/runtime/code_pages.h"
#include "dbt/runtime/exit_patcher.h"
#include "dbt/runtime/host_services.h"
#include "dbt/runtime/run_context.h"

namespace keel {

struct BlockCacheStats {
    u64 translated = 0;
    u64 invalidated = 0;
    u64 flushes = 0; // whole-cache flushes; the engine reads it as a generation (exits named before one are gone)
    u64 chained = 0;
    u64 unchained = 0;
    u64 live_blocks = 0;
    u64 jump_cache_clears = 0; // the whole indirect-branch lookup cache dropped
};

class BlockCache final : public CodePageTracker {
public:
    // Descriptors come from `storage` in 32 MiB chunks backed as touched, which the keel
    // command offers to huge pages (first touches of heap memory were some 7,500 host page
    // faults in a Linux boot's 70,000 blocks, dear on some hosts); without one (unit tests),
    // from the heap.
    BlockCache(RunContext& ctx, ExitPatcher& patcher, HostServices* storage = nullptr);
    ~BlockCache() override;
    // Told when a page first receives code (the MMU, so stores to it reach code_written()).
    void set_code_page_protector(CodePageProtector* protector) { m_protector = protector; }

    TranslatedBlock* lookup(u64 physical_pc, u64 pc, u32 mode) const;
    // A zeroed descriptor for a block about to be emitted; null when the host has no memory
    // for more (flush() frees them all).
    TranslatedBlock* allocate();
    // Gives back the exit slots past `block->exit_count` once the block is emitted (the
    // latest descriptor only): descriptors take a fifth of the room, so a Linux boot's
    // 70,000 touch about 8 MB instead of 30.
    void trim(TranslatedBlock* block);
    // Makes a fully emitted block findable and registers its code pages.
    void insert(TranslatedBlock* block);
    // Chains `exit` to `target` (patches the exit's jump to enter the target directly).
    void link(ExitSlot* exit, TranslatedBlock* target);
    void invalidate(TranslatedBlock* block);
    // Forgets every block (the caller resets the code region).
    void flush();

    // Indirect-branch lookup cache in the CPU context ((linear pc, mode) -> host code). It
    // is valid for the current address mapping and code base only: clear it when they
    // change.
    // `global`: every page of the block is mapped by a global translation, so an address-
    // space switch that keeps those (clear_non_global_jump_targets) keeps its entry too.
    void remember_jump_target(TranslatedBlock* block, bool global = false);
    void clear_jump_cache();
    void clear_non_global_jump_targets();
    // The mapping of `linear` changed (a page flush): forget the lookup-cache entries of
    // blocks in its 2 MiB region (the largest page a page flush can leave partly mapped)
    // and of blocks that may straddle into it. A summary of the regions the cache holds
    // answers most calls without touching it.
    void forget_jump_targets_near(u64 linear);
    // Where an empty lookup-cache entry points: the lookup stub's miss path, so that even
    // a (never expected) tag match on an empty entry is harmless.
    void set_empty_jump_target(const void* code)
    {
        m_empty_jump_target = code;
        m_jump_cache_unknown = true; // every entry, empty ones too, gets the new target
        clear_jump_cache();
    }

    // CodePageTracker.
    bool page_has_code(u64 physical_page) override;
    bool code_written(u64 paddr, u64 size) override;

    const BlockCacheStats& stats() const { return m_stats; }
    u32 code_page_count() const { return m_pages.page_count(); }

private:
    void unlink_incoming(TranslatedBlock* block);
    void unlink_outgoing(TranslatedBlock* block);
    void remove_from_hash(TranslatedBlock* block);
    static u32 jump_region_bit(u64 linear) { return static_cast<u32>((linear >> 21) ^ (linear >> 33)) & (jump_region_bits - 1); }

    RunContext& m_ctx;
    ExitPatcher& m_patcher;
    CodePageProtector* m_protector = nullptr;
    static constexpr u32 bucket_count = 1 << 16;
    TranslatedBlock** m_buckets;
    PageIndex m_pages;
    HostServices* m_storage;
    Vector<u8*> m_chunks;          // storage, chunk_bytes each, filled in order since the last flush
    u32 m_chunk = 0;               // the chunk descriptors come from now
    u64 m_chunk_used = 0;          // bytes of it handed out
    TranslatedBlock* m_last = nullptr; // the latest descriptor, while trim() may shrink it
    BlockCacheStats m_stats;
    const void* m_empty_jump_target = nullptr;
    // Which 2 MiB regions of linear addresses (hashed) the lookup cache may hold blocks in;
    // reset with the cache.
    static constexpr u32 jump_region_bits = 1024;
    u64 m_jump_regions[jump_region_bits / 64] = {};
    // The lookup-cache entries written since they were last cleared, in two lists (blocks
    // on global pages and the others), so that a clear rewrites those only, and an
    // address-space switch only the non-global ones. m_jump_slot_lists says which lists
    // name a slot (a slot is in each list at most once; a list may name a slot that has
    // moved on: clearing it again is harmless).
    struct JumpList {
        u16 slots[jump_cache_entries];
        u32 size = 0;
    };
    enum : u8 { in_local_list = 1, in_global_list = 2 };
    void clear_jump_list(JumpList& list, u8 bit);
    JumpList m_local_jumps;
    JumpList m_global_jumps;
    u8 m_jump_slot_lists[jump_cache_entries] = {};
    bool m_jump_cache_unknown = true; // a fresh cache (or a new empty target) is cleared whole
};

} // namespace keel
