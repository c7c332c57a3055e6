#include "kernel/mm/heap.h"
#include <new>
#include "dbt/base/assert.h"

namespace keel::kernel {

// One entry per arena page. Only these entries mean anything: the first and last page of
// every free run, the first page of every large run, every page of every span. All other
// entries are zero, and the code below keeps them so as runs are split, merged and given
// back; a stale entry could otherwise make a bad pointer look like a live block.
struct Heap::PageInfo {
    enum Kind : u8 { None = 0, FreeHead, FreeTail, Large, Span };
    u8 kind;
    u8 size_class; // Span
    u16 unused;
    u32 pages;     // FreeHead, FreeTail, Large: the run's length; Span: the page's index in its span
    u32 prev;      // FreeHead: neighbours in the list of free runs (first page + 1; 0: none)
    u32 next;
};

// A freed small object, on its class's free list. The tag (its address scrambled) marks
// it as free: freeing it again, or writing to it while it is free, is caught.
struct Heap::FreeObject {
    FreeObject* next;
    u64 tag;
};

namespace {

constexpr u64 span_size = 64 * KiB;
constexpr u32 span_pages = span_size / Heap::page_size;
constexpr u64 free_tag_key = 0x6b65'656c'6672'6565; // "keelfree"

// 16-byte steps up to 128, then four classes per doubling: at most 25% lost to rounding.
// Every power of two is a class, so a class exists for any alignment up to 2048.
constexpr u16 class_sizes[Heap::class_count] = { 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048 };
static_assert(class_sizes[Heap::class_count - 1] == Heap::largest_small_size);

// The smallest class holding (i * 16) bytes, for i up to 2048 / 16.
struct ClassLookup {
    u8 index[Heap::largest_small_size / 16 + 1];
};
constexpr ClassLookup make_class_lookup()
{
    ClassLookup lookup {};
    u32 c = 0;
    for (u32 i = 0; i <= Heap::largest_small_size / 16; ++i) {
        while (class_sizes[c] < i * 16)
            ++c;
        lookup.index[i] = static_cast<u8>(c);
    }
    return lookup;
}
constexpr ClassLookup class_lookup = make_class_lookup();

u64 free_tag(const void* object) { return reinterpret_cast<u64>(object) ^ free_tag_key; }

} // namespace

Heap::Heap(u8* base, u64 size)
{
    static_assert(sizeof(Heap::PageInfo) == 16);
    VERIFY(reinterpret_cast<uptr>(base) % page_size == 0);
    u64 total_pages = size / page_size;
    u64 map_pages = (total_pages * sizeof(Heap::PageInfo) + page_size - 1) / page_size;
    VERIFY(total_pages > map_pages);
    VERIFY(total_pages - map_pages < no_page);
    m_map = reinterpret_cast<Heap::PageInfo*>(base);
    m_arena = base + map_pages * page_size;
    m_page_count = static_cast<u32>(total_pages - map_pages);
}

void* Heap::allocate(usize size, usize alignment)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        PANIC("kernel heap: allocate(%zu) with alignment %zu, not a power of two", size, alignment);
    if (alignment < 16)
        alignment = 16;

    if (size <= largest_small_size && alignment <= largest_small_size) {
        // Spans are page-aligned and objects sit at multiples of their size, so a class
        // whose size is a multiple of the alignment gives aligned objects.
        u32 c = class_lookup.index[((size < alignment ? alignment : size) + 15) / 16];
        while (class_sizes[c] % alignment != 0)
            ++c;
        void* object = allocate_small(c);
        if (object)
            account_allocation(class_sizes[c]);
        return object;
    }

    if (size > u64(m_page_count) * page_size || alignment > u64(m_page_count) * page_size)
        return nullptr;
    u32 pages = static_cast<u32>((size + page_size - 1) / page_size);
    if (pages == 0)
        pages = 1; // allocate(0, 4096)
    u32 first = allocate_run(pages, alignment);
    if (first == no_page)
        return nullptr;
    m_map[first] = { PageInfo::Large, 0, 0, pages, 0, 0 };
    account_allocation(u64(pages) * page_size);
    return page_address(first);
}

void Heap::free(void* pointer)
{
    if (!pointer)
        return;
    Block block = find_block(pointer, "free");
    if (block.size_class < class_count)
        free_small(pointer, block);
    else
        release_run(block.page, static_cast<u32>(block.size / page_size));
    m_stats.bytes_in_use -= block.size;
    ++m_stats.free_count;
}

usize Heap::allocation_size(void* pointer) const { return find_block(pointer, "allocation_size").size; }

void Heap::account_allocation(usize size)
{
    ++m_stats.allocation_count;
    m_stats.bytes_in_use += size;
    if (m_stats.bytes_in_use > m_stats.peak_bytes_in_use)
        m_stats.peak_bytes_in_use = m_stats.bytes_in_use;
}

// Checks that `pointer` is the start of a live allocation and says what it is; anything
// else is a keel bug and panics, naming the operation.
Heap::Block Heap::find_block(void* pointer, const char* operation) const
{
    u8* address = static_cast<u8*>(pointer);
    if (address < m_arena || address >= page_address(m_page_count))
        PANIC("kernel heap: %s(%p): not a heap pointer", operation, pointer);
    if (address >= page_address(m_top))
        PANIC("kernel heap: %s(%p): not a live allocation (freed, or never allocated)", operation, pointer);
    u32 page = static_cast<u32>((address - m_arena) / page_size);
    const PageInfo& info = m_map[page];
    if (info.kind == PageInfo::Span) {
        u32 first = page - info.pages;
        u32 c = info.size_class;
        usize size = class_sizes[c];
        u64 offset = address - page_address(first);
        bool uncarved = address >= m_carve_next[c] && address < m_carve_end[c];
        if (offset % size != 0 || offset / size >= span_size / size || uncarved)
            PANIC("kernel heap: %s(%p): not the start of a %zu-byte object", operation, pointer, size);
        if (is_free_object(static_cast<const FreeObject*>(pointer)))
            PANIC("kernel heap: %s(%p): a %zu-byte object that is already free (double free?)", operation, pointer,
                size);
        return { first, c, size };
    }
    bool page_start = address == page_address(page);
    if (info.kind == PageInfo::Large && page_start)
        return { page, class_count, u64(info.pages) * page_size };
    if (info.kind == PageInfo::FreeHead && page_start)
        PANIC("kernel heap: %s(%p): already free (double free?)", operation, pointer);
    PANIC("kernel heap: %s(%p): not a live allocation (an interior pointer, or freed)", operation, pointer);
}

// Small objects --------------------------------------------------------------------------

bool Heap::is_free_object(const FreeObject* object) const { return object->tag == free_tag(object); }

void* Heap::allocate_small(u32 c)
{
    usize size = class_sizes[c];
    FreeObject* object = m_free_objects[c];
    if (object) {
        if (!is_free_object(object))
            PANIC("kernel heap: free %zu-byte object at %p was written to (use after free?)", size,
                static_cast<void*>(object));
        FreeObject* next = object->next;
        if (next && (reinterpret_cast<u8*>(next) < m_arena || reinterpret_cast<u8*>(next) >= page_address(m_top)))
            PANIC("kernel heap: free list of %zu-byte objects corrupt at %p (use after free?)", size,
                static_cast<void*>(object));
        m_free_objects[c] = next;
    } else {
        // Carve the class's current span front to back: a fresh span costs only the pages
        // its objects reach.
        if (static_cast<usize>(m_carve_end[c] - m_carve_next[c]) < size) {
            u32 span = allocate_run(span_pages, page_size);
            if (span == no_page)
                return nullptr;
            for (u32 i = 0; i < span_pages; ++i)
                m_map[span + i] = { PageInfo::Span, static_cast<u8>(c), 0, i, 0, 0 };
            m_carve_next[c] = page_address(span);
            m_carve_end[c] = m_carve_next[c] + span_size / size * size;
        }
        object = reinterpret_cast<FreeObject*>(m_carve_next[c]);
        m_carve_next[c] += size;
    }
    object->tag = 0; // whatever was there must not read as "free"
    return object;
}

void Heap::free_small(void* pointer, const Block& block)
{
    auto* object = static_cast<FreeObject*>(pointer);
    object->next = m_free_objects[block.size_class];
    object->tag = free_tag(object);
    m_free_objects[block.size_class] = object;
}

// Page runs ------------------------------------------------------------------------------

u32 Heap::allocate_run(u32 pages, u64 alignment)
{
    // The first page at or after `page` whose address is aligned (alignment <= the arena's
    // size, so this cannot overflow).
    auto aligned = [&](u32 page) -> u64 {
        if (alignment <= page_size)
            return page;
        u64 address = reinterpret_cast<u64>(page_address(page));
        return page + ((alignment - address % alignment) % alignment) / page_size;
    };
    for (u32 run = m_free_runs; run; run = m_map[run - 1].next) {
        u32 first = run - 1;
        u64 start = aligned(first);
        if (start + pages <= u64(first) + m_map[first].pages) {
            carve_run(first, static_cast<u32>(start), pages);
            return static_cast<u32>(start);
        }
    }
    u64 start = aligned(m_top);
    if (start + pages > m_page_count)
        return no_page;
    if (start > m_top)
        insert_free_run(m_top, static_cast<u32>(start - m_top)); // the alignment gap
    m_top = static_cast<u32>(start + pages);
    if (u64(m_top) * page_size > m_stats.reserved_bytes)
        m_stats.reserved_bytes = u64(m_top) * page_size;
    return static_cast<u32>(start);
}

// Takes [first, first + pages) out of the free run starting at `run`; what is left on
// either side stays free.
void Heap::carve_run(u32 run, u32 first, u32 pages)
{
    u32 end = run + m_map[run].pages;
    remove_free_run(run);
    if (first > run)
        insert_free_run(run, first - run);
    if (first + pages < end)
        insert_free_run(first + pages, end - (first + pages));
}

// Frees a run, merging it with free neighbours; a run that ends at the top lowers the top
// instead (so no free run ever ends at the top).
void Heap::release_run(u32 first, u32 pages)
{
    m_map[first] = {};
    u32 end = first + pages;
    if (end < m_top && m_map[end].kind == PageInfo::FreeHead) {
        u32 more = m_map[end].pages;
        remove_free_run(end);
        end += more;
    }
    if (first > 0) {
        const PageInfo& left = m_map[first - 1];
        if (left.kind == PageInfo::FreeTail || left.kind == PageInfo::FreeHead) {
            VERIFY(left.kind == PageInfo::FreeTail || left.pages == 1);
            u32 left_first = first - left.pages;
            VERIFY(m_map[left_first].kind == PageInfo::FreeHead);
            remove_free_run(left_first);
            first = left_first;
        }
    }
    if (end == m_top)
        m_top = first;
    else
        insert_free_run(first, end - first);
}

void Heap::insert_free_run(u32 first, u32 pages)
{
    m_map[first] = { PageInfo::FreeHead, 0, 0, pages, 0, m_free_runs };
    if (pages > 1)
        m_map[first + pages - 1] = { PageInfo::FreeTail, 0, 0, pages, 0, 0 };
    if (m_free_runs)
        m_map[m_free_runs - 1].prev = first + 1;
    m_free_runs = first + 1;
}

// Unlinks a free run and clears its head and tail entries.
void Heap::remove_free_run(u32 first)
{
    PageInfo& info = m_map[first];
    if (info.prev)
        m_map[info.prev - 1].next = info.next;
    else
        m_free_runs = info.next;
    if (info.next)
        m_map[info.next - 1].prev = info.prev;
    m_map[first + info.pages - 1] = {};
    m_map[first] = {};
}

// The kernel's heap ----------------------------------------------------------------------

namespace heap {
namespace {
// Constructed in place by initialize(): it must exist before the global constructors run.
alignas(Heap) u8 g_storage[sizeof(Heap)];
Heap* g_heap = nullptr;
} // namespace

void initialize(u64 base, u64 size)
{
    VERIFY(!g_heap);
    g_heap = new (g_storage) Heap(reinterpret_cast<u8*>(base), size);
}

Heap& kernel_heap()
{
    VERIFY(g_heap);
    return *g_heap;
}
} // namespace heap

} // namespace keel::kernel
