#include "kernel/mm/frame_allocator.h"
#include "dbt/base/assert.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/zero_page.h"

namespace keel::kernel::frames {
namespace {

// Untouched memory is handed out from the ranges front to back (a bump pointer per
// range); freed frames go onto a stack threaded through the frames themselves.
struct Range {
    u64 next;
    u64 end;
};
constexpr u32 max_ranges = 256;
Range g_ranges[max_ranges];
u32 g_range_count = 0;
u32 g_current = 0;
u64 g_free_list = 0;
u64 g_total = 0;
u64 g_free = 0;

} // namespace

void add_range(u64 base, u64 size)
{
    u64 begin = (base + layout::page_size - 1) & ~(layout::page_size - 1);
    u64 end = (base + size) & ~(layout::page_size - 1);
    if (begin < MiB)
        begin = MiB; // leave real-mode memory (and frame 0, our "none" value) alone
    if (end <= begin)
        return;
    if (g_range_count == max_ranges)
        return; // the firmware's map is fragmented beyond reason; use what we have
    g_ranges[g_range_count++] = { begin, end };
    g_total += end - begin;
    g_free += end - begin;
}

u64 allocate()
{
    if (g_free_list) {
        u64 frame = g_free_list;
        g_free_list = *reinterpret_cast<u64*>(frame);
        g_free -= layout::page_size;
        return frame;
    }
    while (g_current < g_range_count) {
        Range& r = g_ranges[g_current];
        if (r.next < r.end) {
            u64 frame = r.next;
            r.next += layout::page_size;
            g_free -= layout::page_size;
            return frame;
        }
        ++g_current;
    }
    return 0;
}

u64 allocate_zeroed()
{
    u64 frame = allocate();
    if (frame)
        zero_page(frame);
    return frame;
}

void free(u64 frame)
{
    VERIFY(frame && (frame & (layout::page_size - 1)) == 0);
    *reinterpret_cast<u64*>(frame) = g_free_list;
    g_free_list = frame;
    g_free += layout::page_size;
}

u64 total_bytes() { return g_total; }
u64 free_bytes() { return g_free; }

} // namespace keel::kernel::frames
