#pragma once
// The translation cache's bookkeeping: blocks keyed by (guest-physical pc, mode bits),
// direct chaining between them, the indirect-branch lookup cache, and invalidation when
// the guest writes to a page holding translated code. The host code itself lives in the
// code region the backend emits into; flush() forgets every block so it can be refilled.
#include "dbt/cache/page_index.h"
#include "dbt/runtime/code_pages.h"
#include "dbt/runtime/exit_patcher.h"
#include "dbt/runtime/run_context.h"

namespace keel {

struct BlockCacheStats {
    u64 translated = 0;
    u64 invalidated = 0;
    u64 flushes = 0;
    u64 chained = 0;
    u64 unchained = 0;
    u64 live_blocks = 0;
};

class BlockCache final : public CodePageTracker {
public:
    BlockCache(RunContext& ctx, ExitPatcher& patcher);
    ~BlockCache() override;
    // Told when a page first receives code (the MMU, so stores to it reach code_written()).
    void set_code_page_protector(CodePageProtector* protector) { m_protector = protector; }

    TranslatedBlock* lookup(u64 physical_pc, u64 pc, u32 mode) const;
    // A zeroed descriptor for a block about to be emitted.
    TranslatedBlock* allocate();
    // Makes a fully emitted block findable and registers its code pages.
    void insert(TranslatedBlock* block);
    // Chains `exit` to `target` (patches the exit's jump to enter the target directly).
    void link(ExitSlot* exit, TranslatedBlock* target);
    void invalidate(TranslatedBlock* block);
    // Forgets every block (the caller resets the code region).
    void flush();

    // Indirect-branch lookup cache in the CPU context (linear pc -> host code). It is
    // valid for the current mode and address mapping only: clear it when they change.
    void remember_jump_target(TranslatedBlock* block);
    void clear_jump_cache();
    // Where an empty lookup-cache entry points: the lookup stub's miss path, so that even
    // a (never expected) tag match on an empty entry is harmless.
    void set_empty_jump_target(const void* code) { m_empty_jump_target = code; clear_jump_cache(); }

    // CodePageTracker.
    bool page_has_code(u64 physical_page) override;
    bool code_written(u64 paddr, u64 size) override;

    const BlockCacheStats& stats() const { return m_stats; }
    u32 code_page_count() const { return m_pages.page_count(); }

private:
    void unlink_incoming(TranslatedBlock* block);
    void unlink_outgoing(TranslatedBlock* block);
    void remove_from_hash(TranslatedBlock* block);

    RunContext& m_ctx;
    ExitPatcher& m_patcher;
    CodePageProtector* m_protector = nullptr;
    static constexpr u32 bucket_count = 1 << 16;
    TranslatedBlock** m_buckets;
    PageIndex m_pages;
    Vector<TranslatedBlock*> m_chunks; // storage, 1024 descriptors each
    u32 m_used = 0;                    // descriptors handed out since the last flush
    BlockCacheStats m_stats;
    const void* m_empty_jump_target = nullptr;
};

} // namespace keel
