// BlockCache and PageIndex on their own, with block descriptors made by hand (no code is
// run): lookup keys, the 64-byte chunk maps, exact invalidation on writes (including a
// block straddling two non-contiguous physical pages), the running-block report for
// self-modifying code, the lookup cache, and flush. Part of ctest unit.cache.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>
#include "dbt/cache/block_cache.h"

using namespace keel;

namespace {

struct ContextDeleter {
    void operator()(RunContext* c) const
    {
        c->~RunContext();
        ::operator delete(c, std::align_val_t(64));
    }
};
std::unique_ptr<RunContext, ContextDeleter> make_context()
{
    return std::unique_ptr<RunContext, ContextDeleter>(new (::operator new(sizeof(RunContext), std::align_val_t(64))) RunContext());
}

// Stands in for the backend: records what the cache asks to patch.
struct RecordingPatcher final : ExitPatcher {
    bool chain_exit(ExitSlot&, const u8*) override { ++chained; return true; }
    void unchain_exit(ExitSlot&) override { ++unchained; }
    unsigned chained = 0, unchained = 0;
};

// A cached block of `size` guest bytes at physical `ppc` (second page `page2` if it
// crosses into one), with a fake host-code address so lookup-cache entries can name it.
TranslatedBlock* add_block(BlockCache& cache, u64 pc, u64 ppc, u32 size, u32 mode = 0, u64 page2 = 0)
{
    static u8 fake_code[256];
    static unsigned next = 0;
    TranslatedBlock* b = cache.allocate();
    b->pc = pc;
    b->linear_pc = pc;
    b->physical_pc = ppc;
    b->mode = mode;
    b->guest_size = size;
    b->physical_pages[0] = ppc & guest_page_mask;
    b->page_count = 1;
    if (page2) {
        b->physical_pages[1] = page2;
        b->page_count = 2;
    }
    b->findable = true;
    b->code = fake_code + (next++ % 256);
    cache.insert(b);
    return b;
}

// A cache whose empty lookup-cache entries point at `miss_stub` (the backend's miss path).
struct LookupCacheFixture {
    std::unique_ptr<RunContext, ContextDeleter> ctx = make_context();
    RecordingPatcher patcher;
    BlockCache cache { *ctx, patcher };
    static inline const u8 miss_stub = 0;
    LookupCacheFixture() { cache.set_empty_jump_target(&miss_stub); }
};

} // namespace

TEST_CASE("chunk_mask: which 64-byte chunks of a page a range touches", "[cache]")
{
    CHECK(chunk_mask(0, 1) == 0x1);
    CHECK(chunk_mask(63, 1) == 0x1);
    CHECK(chunk_mask(63, 2) == 0x3);    // crosses into chunk 1
    CHECK(chunk_mask(64, 64) == 0x2);
    CHECK(chunk_mask(0x100, 0x20) == 0x10);
    CHECK(chunk_mask(0, 4096) == ~0ull);
    CHECK(chunk_mask(4095, 1) == 1ull << 63);
    CHECK(chunk_mask(4000, 500) == (3ull << 62)); // clipped at the page end
    CHECK(chunk_mask(128, 8 * 64) == 0xFFull << 2);
}

TEST_CASE("PageIndex: find, create, grow, clear and reuse", "[cache]")
{
    PageIndex index;
    CHECK(index.find(0x1000) == nullptr);
    PageInfo* a = index.find_or_create(0x1000);
    REQUIRE(a != nullptr);
    CHECK(a->physical_page == 0x1000);
    CHECK(a->code_chunks == 0);
    CHECK(a->blocks.is_empty());
    CHECK(index.find_or_create(0x1000) == a);
    CHECK(index.find(0x1000) == a);
    CHECK(index.page_count() == 1);

    // Far more pages than the initial table holds: it grows and keeps every entry.
    for (u64 p = 0; p < 5000; ++p)
        index.find_or_create(0x100000000ull + p * guest_page_size)->code_chunks = p;
    CHECK(index.page_count() == 5001);
    bool all_found = true;
    for (u64 p = 0; p < 5000; ++p) {
        PageInfo* info = index.find(0x100000000ull + p * guest_page_size);
        all_found &= info != nullptr && info->code_chunks == p;
    }
    CHECK(all_found);
    CHECK(index.find(0x1000) == a);
    CHECK(index.find(0x2000) == nullptr);

    a->code_chunks = 0xFF;
    index.clear();
    CHECK(index.page_count() == 0);
    CHECK(index.find(0x1000) == nullptr);
    PageInfo* again = index.find_or_create(0x1000);
    CHECK(again->code_chunks == 0); // a recycled entry starts empty
    CHECK(again->blocks.is_empty());
}

TEST_CASE("BlockCache: blocks are found by physical pc, virtual pc and mode", "[cache]")
{
    auto ctx = make_context();
    RecordingPatcher patcher;
    BlockCache cache(*ctx, patcher);
    TranslatedBlock* b = add_block(cache, 0x401000, 0x5000, 16, 0x1c);
    CHECK(cache.lookup(0x5000, 0x401000, 0x1c) == b);
    CHECK(cache.lookup(0x5000, 0x401000, 0x1d) == nullptr); // other mode
    CHECK(cache.lookup(0x5000, 0x801000, 0x1c) == nullptr); // an alias at another virtual pc
    CHECK(cache.lookup(0x5001, 0x401000, 0x1c) == nullptr);
    CHECK(b->valid);
    CHECK(cache.stats().live_blocks == 1);
    CHECK(cache.code_page_count() == 1);
    CHECK(cache.page_has_code(0x5000));
    CHECK(cache.page_has_code(0x5FFF)); // any address in the page
    CHECK_FALSE(cache.page_has_code(0x6000));

    // A one-off block (SMC restart) is valid but nothing can find it.
    TranslatedBlock* once = cache.allocate();
    once->pc = 0x401100;
    once->physical_pc = 0x5100;
    once->page_count = 1;
    once->physical_pages[0] = 0x5000;
    once->findable = false;
    cache.insert(once);
    CHECK(once->valid);
    CHECK(cache.lookup(0x5100, 0x401100, 0) == nullptr);
    CHECK(cache.stats().live_blocks == 1);
}

TEST_CASE("BlockCache: a write invalidates exactly the blocks whose bytes it touches", "[cache]")
{
    auto ctx = make_context();
    RecordingPatcher patcher;
    BlockCache cache(*ctx, patcher);
    TranslatedBlock* a = add_block(cache, 0x1100, 0x1100, 0x20); // [0x1100, 0x1120)
    TranslatedBlock* b = add_block(cache, 0x1800, 0x1800, 0x10); // [0x1800, 0x1810)
    TranslatedBlock* c = add_block(cache, 0x1118, 0x1118, 0x10); // overlaps a's tail

    CHECK_FALSE(cache.code_written(0x1400, 8)); // no code in that chunk
    CHECK(cache.stats().invalidated == 0);
    // The chunk a and c share, but past both blocks' bytes: nothing is invalidated.
    CHECK_FALSE(cache.code_written(0x1130, 4));
    CHECK(a->valid);
    CHECK(c->valid);
    CHECK(cache.stats().invalidated == 0);

    CHECK_FALSE(cache.code_written(0x111C, 2)); // a and c both hold 0x111C
    CHECK_FALSE(a->valid);
    CHECK_FALSE(c->valid);
    CHECK(b->valid);
    CHECK(cache.stats().invalidated == 2);
    CHECK(cache.lookup(0x1100, 0x1100, 0) == nullptr);
    CHECK(cache.lookup(0x1800, 0x1800, 0) == b);
    CHECK(cache.page_has_code(0x1000)); // b remains

    // The block running when the write happens is reported (the store restarts alone).
    ctx->cpu.hot.current_block = reinterpret_cast<u64>(b);
    ctx->cpu.hot.smc_hit = 0;
    CHECK(cache.code_written(0x180F, 1));
    CHECK(ctx->cpu.hot.smc_hit == 1);
    CHECK_FALSE(b->valid);
    CHECK_FALSE(cache.page_has_code(0x1000));
    CHECK(cache.stats().live_blocks == 0);
}

TEST_CASE("BlockCache: a block straddling two physical pages", "[cache]")
{
    auto ctx = make_context();
    RecordingPatcher patcher;
    BlockCache cache(*ctx, patcher);
    // 0x10 bytes at the end of page 0x7000 and 0x10 at the start of page 0x3000 (the
    // virtual pages are contiguous, the physical ones are not).
    TranslatedBlock* s = add_block(cache, 0x400FF0, 0x7FF0, 0x20, 0, 0x3000);
    CHECK(cache.page_has_code(0x7000));
    CHECK(cache.page_has_code(0x3000));
    CHECK_FALSE(cache.code_written(0x3010, 4)); // just past its bytes on the second page
    CHECK(s->valid);
    CHECK_FALSE(cache.code_written(0x7FE0, 0x10)); // just before them on the first
    CHECK(s->valid);
    cache.code_written(0x300F, 1);
    CHECK_FALSE(s->valid);
    CHECK_FALSE(cache.page_has_code(0x3000));
    CHECK_FALSE(cache.page_has_code(0x7000));
}

TEST_CASE("BlockCache: the lookup cache forgets invalidated blocks; flush forgets everything", "[cache]")
{
    LookupCacheFixture f;
    auto& ctx = f.ctx;
    BlockCache& cache = f.cache;
    const u8& miss_stub = LookupCacheFixture::miss_stub;
    TranslatedBlock* a = add_block(cache, 0x2000, 0x2000, 8);
    TranslatedBlock* b = add_block(cache, 0x3000, 0x3000, 8);
    cache.remember_jump_target(a);
    cache.remember_jump_target(b);
    JumpCacheEntry& ea = ctx->jump_cache[jump_cache_index(0x2000)];
    JumpCacheEntry& eb = ctx->jump_cache[jump_cache_index(0x3000)];
    CHECK(ea.linear_pc == 0x2000);
    CHECK(ea.code == a->code);

    cache.invalidate(a);
    CHECK(ea.linear_pc == ~0ull);
    CHECK(ea.code == &miss_stub);
    CHECK(eb.code == b->code);
    cache.invalidate(a); // twice: no effect
    CHECK(cache.stats().invalidated == 1);

    cache.flush();
    CHECK(cache.lookup(0x3000, 0x3000, 0) == nullptr);
    CHECK(eb.linear_pc == ~0ull);
    CHECK(cache.stats().live_blocks == 0);
    CHECK(cache.stats().flushes == 1);
    CHECK(cache.code_page_count() == 0);
    CHECK_FALSE(cache.code_written(0x3000, 8));
    // Descriptors are handed out again from the start.
    TranslatedBlock* fresh = cache.allocate();
    CHECK(fresh == a);
    CHECK_FALSE(fresh->valid);
    CHECK(fresh->pc == 0);
}

// The lookup cache matches on (linear pc, mode), so that a mode change needs no clearing;
// a page flush clears it only when it may hold a block in that 2 MiB region.
TEST_CASE("BlockCache: lookup-cache entries carry the mode; page flushes elsewhere keep them", "[cache]")
{
    LookupCacheFixture f;
    auto& ctx = f.ctx;
    BlockCache& cache = f.cache;
    const u8& miss_stub = LookupCacheFixture::miss_stub;
    TranslatedBlock* a = add_block(cache, 0x402000, 0x2000, 8, 0x1c);
    cache.remember_jump_target(a);
    JumpCacheEntry& e = ctx->jump_cache[jump_cache_index(0x402000)];
    CHECK(e.linear_pc == 0x402000);
    CHECK(e.mode == 0x1c);
    CHECK(e.code == a->code);

    cache.forget_jump_targets_near(0x7FF000); // another 2 MiB region
    CHECK(e.code == a->code);
    u64 clears = cache.stats().jump_cache_clears;
    cache.forget_jump_targets_near(0x5FF000); // the block's region
    CHECK(e.linear_pc == ~0ull);
    CHECK(e.code == &miss_stub);
    CHECK(cache.stats().jump_cache_clears == clears + 1);

    // After a clear, the remembered entries are found again and cleared again.
    cache.remember_jump_target(a);
    CHECK(e.code == a->code);
    cache.clear_jump_cache();
    CHECK(e.code == &miss_stub);
}

// A page flush forgets the entries of its 2 MiB region and of the page before a region it
// starts (a block there may straddle into it), and keeps every other entry, global or not:
// clearing the whole cache emptied the kernel's entries at each INVLPG of user code.
TEST_CASE("BlockCache: a page flush forgets only the lookup-cache entries its mapping may have changed", "[cache]")
{
    LookupCacheFixture f;
    auto& ctx = f.ctx;
    BlockCache& cache = f.cache;
    TranslatedBlock* user = add_block(cache, 0x402000, 0x2000, 8, 0x1c);
    TranslatedBlock* kernel = add_block(cache, 0xFFFFFFFF81000000ull, 0x100000, 8, 0x1c);
    TranslatedBlock* straddling = add_block(cache, 0x5FFFF8, 0x5FF8, 16, 0x1c, 0x6000); // ends in 0x600000's page
    cache.remember_jump_target(user);
    cache.remember_jump_target(kernel, true);
    cache.remember_jump_target(straddling);
    JumpCacheEntry& u = ctx->jump_cache[jump_cache_index(0x402000)];
    JumpCacheEntry& k = ctx->jump_cache[jump_cache_index(0xFFFFFFFF81000000ull)];
    JumpCacheEntry& s = ctx->jump_cache[jump_cache_index(0x5FFFF8)];

    cache.forget_jump_targets_near(0x600000); // the next region's first page
    CHECK(s.linear_pc == ~0ull);
    CHECK(u.code == user->code);
    CHECK(k.code == kernel->code);

    cache.forget_jump_targets_near(0x5FF000); // the user block's region
    CHECK(u.linear_pc == ~0ull);
    CHECK(k.code == kernel->code);

    cache.forget_jump_targets_near(0xFFFFFFFF811FF000ull); // the kernel block's region
    CHECK(k.linear_pc == ~0ull);
}

// An address-space switch that keeps global translations (MOV CR3) keeps the lookup-cache
// entries of blocks on global pages and drops the others; a slot that held a global block
// and then a non-global one is dropped too.
TEST_CASE("BlockCache: clear_non_global_jump_targets keeps blocks on global pages only", "[cache]")
{
    LookupCacheFixture f;
    auto& ctx = f.ctx;
    BlockCache& cache = f.cache;
    const u8& miss_stub = LookupCacheFixture::miss_stub;
    cache.clear_jump_cache();
    TranslatedBlock* kernel = add_block(cache, 0x2000, 0x2000, 8);
    TranslatedBlock* user = add_block(cache, 0x3000, 0x3000, 8);
    cache.remember_jump_target(kernel, true);
    cache.remember_jump_target(user, false);
    JumpCacheEntry& ek = ctx->jump_cache[jump_cache_index(0x2000)];
    JumpCacheEntry& eu = ctx->jump_cache[jump_cache_index(0x3000)];
    cache.clear_non_global_jump_targets();
    CHECK(ek.code == kernel->code);
    CHECK(eu.code == &miss_stub);

    // The global block's slot now gets a non-global block with the same index: the first
    // page above 0x2000 whose start hashes to the same slot.
    u64 same_slot = 0x3000;
    while (jump_cache_index(same_slot) != jump_cache_index(0x2000))
        same_slot += 0x1000;
    TranslatedBlock* alias = add_block(cache, same_slot, 0x4000, 8);
    REQUIRE(jump_cache_index(alias->linear_pc) == jump_cache_index(0x2000));
    cache.remember_jump_target(alias, false);
    cache.clear_non_global_jump_targets();
    CHECK(ek.code == &miss_stub);

    cache.remember_jump_target(kernel, true);
    cache.clear_jump_cache();
    CHECK(ek.code == &miss_stub);
}

namespace {
// Hands out `chunks` zeroed regions for block descriptors, then refuses (the UEFI kernel's
// demand-paged ranges run out).
struct LimitedStorage final : HostServices {
    explicit LimitedStorage(unsigned chunks) : left(chunks) {}
    u8* allocate_zeroed(u64 size) override
    {
        if (left == 0)
            return nullptr;
        --left;
        u8* memory = static_cast<u8*>(std::calloc(1, size));
        given.push_back({ memory, size });
        return memory;
    }
    // Whether [p, p + size) lies inside one of the chunks handed out.
    bool holds(const void* p, u64 size) const
    {
        auto* b = static_cast<const u8*>(p);
        for (auto [base, length] : given) {
            if (b >= base && b + size <= base + length)
                return true;
        }
        return false;
    }
    std::vector<std::pair<u8*, u64>> given;
    void free_zeroed(u8* memory, u64) override { std::free(memory); }
    CodeRegion code_region() override { return {}; }
    u64 monotonic_ns() override { return 0; }
    unsigned left;
};
// A BlockCache whose descriptors come from `chunks` chunks of LimitedStorage.
struct CacheOnStorage {
    explicit CacheOnStorage(unsigned chunks) : storage(chunks), cache(*ctx, patcher, &storage) {}
    std::unique_ptr<RunContext, ContextDeleter> ctx = make_context();
    RecordingPatcher patcher;
    LimitedStorage storage;
    BlockCache cache;
};
} // namespace

// Engine::translate flushes when allocate() says no and retries: the flush frees every
// descriptor, so the storage it already has serves again.
TEST_CASE("BlockCache: out of descriptor storage, allocate says so, and a flush makes room", "[cache]")
{
    CacheOnStorage c(1);
    BlockCache& cache = c.cache;
    TranslatedBlock* first = cache.allocate();
    REQUIRE(first != nullptr);
    u64 handed_out = 1;
    while (cache.allocate())
        ++handed_out;
    CHECK(handed_out == 32 * MiB / sizeof(TranslatedBlock)); // one chunk's worth
    CHECK(cache.allocate() == nullptr);
    cache.flush();
    TranslatedBlock* again = cache.allocate();
    CHECK(again == first);
    CHECK_FALSE(again->valid); // a fresh descriptor
}

// Descriptors take the room of their used exits only: trim() moves the next descriptor
// right behind the latest one's last exit, which keeps its contents.
TEST_CASE("BlockCache: trim gives back the unused exit slots of the latest descriptor", "[cache]")
{
    CacheOnStorage c(2);
    BlockCache& cache = c.cache;
    LimitedStorage& storage = c.storage;
    TranslatedBlock* first = cache.allocate();
    REQUIRE(first != nullptr);
    first->exit_count = 1;
    first->exits[0].target_pc = 0x1234;
    cache.trim(first);
    TranslatedBlock* second = cache.allocate();
    REQUIRE(second != nullptr);
    CHECK(reinterpret_cast<u8*>(second) == reinterpret_cast<u8*>(first) + translated_block_size(1));
    CHECK(reinterpret_cast<u8*>(second) >= reinterpret_cast<u8*>(&first->exits[1]));
    CHECK(first->exits[0].target_pc == 0x1234);
    CHECK(reinterpret_cast<uptr>(second) % alignof(TranslatedBlock) == 0);
    // Only the latest descriptor shrinks: trimming an older one changes nothing.
    TranslatedBlock* third = cache.allocate();
    cache.trim(second);
    TranslatedBlock* fourth = cache.allocate();
    CHECK(reinterpret_cast<u8*>(fourth) == reinterpret_cast<u8*>(third) + sizeof(TranslatedBlock));
    // A descriptor never straddles a chunk: when the rest of one cannot hold the largest,
    // the next comes from a new chunk.
    u64 handed_out = 4;
    bool all_inside = true;
    while (TranslatedBlock* b = cache.allocate()) {
        all_inside &= storage.holds(b, sizeof(TranslatedBlock));
        ++handed_out;
    }
    CHECK(all_inside);
    CHECK(storage.given.size() == 2);
    // The first chunk: one descriptor trimmed to one exit, then full-size ones.
    CHECK(handed_out == 1 + (32 * MiB - translated_block_size(1)) / sizeof(TranslatedBlock) + 32 * MiB / sizeof(TranslatedBlock));
}
