#pragma once
// The kernel heap: a general-purpose allocator over one contiguous virtual range (the 8 GiB
// demand-paged range of kernel/mm/layout.h in the kernel; an mmap'd region in the tests).
//
// Shaped for the translator: many small objects (IR, blocks, map nodes) come from
// segregated size classes of 16..2048 bytes carved from 64 KiB spans; anything bigger
// (multi-MiB arrays) is a run of whole pages. Metadata lives out of band in a page map at
// the start of the range (16 bytes per 4 KiB page), so page-aligned allocations cost no
// header page and any pointer can be checked against its page's entry: freeing a foreign,
// interior or already-freed pointer panics.
//
// The range must read as zero where it was never written (fresh demand-paged or mmap'd
// memory): the page map relies on it, and untouched pages are never touched, so an 8 GiB
// heap costs only what is used.
//
// No locking: the kernel runs on one CPU and never allocates from interrupt handlers.
#include "dbt/base/types.h"

namespace keel::kernel {

class Heap {
public:
    Heap(u8* base, u64 size);
    Heap(const Heap&) = delete;
    Heap& operator=(const Heap&) = delete;

    // Alignment: a power of two (smaller than 16 means 16). Null when the range is exhausted.
    void* allocate(usize size, usize alignment = 16);
    void free(void*); // null is ignored
    // The usable size of a live allocation (at least what was asked for).
    usize allocation_size(void*) const;

    struct Stats {
        u64 bytes_in_use;      // sum of allocation_size() over live allocations
        u64 peak_bytes_in_use;
        u64 reserved_bytes;    // high-water mark of the range handed out (spans, runs, gaps)
        u64 allocation_count;  // successful allocate() calls
        u64 free_count;        // free() calls with a non-null pointer
    };
    Stats stats() const { return m_stats; }

    static constexpr u64 page_size = 4096;
    static constexpr usize largest_small_size = 2048;
    static constexpr u32 class_count = 24;

private:
    struct PageInfo;
    struct FreeObject;
    struct Block {
        u32 page;  // the page-map index of the span's or run's first page
        u32 size_class; // small objects; class_count for a run
        usize size;
    };

    u8* page_address(u32 page) const { return m_arena + u64(page) * page_size; }
    Block find_block(void* pointer, const char* operation) const;

    void* allocate_small(u32 size_class);
    void free_small(void* pointer, const Block& block);
    bool is_free_object(const FreeObject* object) const;

    // Page runs: first fit over the free runs, else from the untouched top of the arena.
    u32 allocate_run(u32 pages, u64 alignment); // a page index, or no_page
    void release_run(u32 first, u32 pages);
    void carve_run(u32 run, u32 first, u32 pages);
    void insert_free_run(u32 first, u32 pages);
    void remove_free_run(u32 first);

    void account_allocation(usize size);

    static constexpr u32 no_page = ~0u;

    PageInfo* m_map;    // one entry per arena page
    u8* m_arena;        // first page handed out
    u32 m_page_count;   // pages in the arena
    u32 m_top = 0;      // pages at and above m_top were never handed out (or were given back)
    u32 m_free_runs = 0; // the list of free runs: first page + 1 (0: empty)
    FreeObject* m_free_objects[class_count] = {};
    u8* m_carve_next[class_count] = {}; // the current span of each class, carved front to back
    u8* m_carve_end[class_count] = {};
    Stats m_stats = {};
};

namespace heap {
// Sets up the kernel heap over [base, base + size), once, before anything allocates.
void initialize(u64 base, u64 size);
Heap& kernel_heap();
} // namespace heap

} // namespace keel::kernel
