#include "kernel/plugins/plugin_memory.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/page_tables.h"

namespace keel::kernel {
namespace {
// Plugins are loaded once per boot; their virtual ranges are never reused. A guard page
// separates consecutive plugins.
u64 g_next = layout::plugins_base;
} // namespace

u8* KernelImageMemory::reserve(usize size)
{
    u64 length = (size + layout::page_size - 1) & ~(layout::page_size - 1);
    if (length == 0 || length > layout::plugins_base + layout::plugins_size - g_next)
        return nullptr;
    for (u64 offset = 0; offset < length; offset += layout::page_size) {
        u64 frame = frames::allocate_zeroed();
        if (!frame || !paging::map_page(g_next + offset, frame, paging::writable | paging::no_execute)) {
            if (frame)
                frames::free(frame);
            release(reinterpret_cast<u8*>(g_next), offset);
            return nullptr;
        }
    }
    u8* base = reinterpret_cast<u8*>(g_next);
    g_next += length + layout::page_size;
    return base;
}

void KernelImageMemory::release(u8* base, usize size)
{
    for (u64 offset = 0; offset < size; offset += layout::page_size) {
        if (u64 frame = paging::unmap_page(reinterpret_cast<u64>(base) + offset))
            frames::free(frame);
    }
}

Result<void> KernelImageMemory::protect(u8* address, usize size, bool writable, bool executable)
{
    if (writable && executable)
        return Error::formatted("refusing a writable and executable mapping (W^X)");
    u64 flags = (writable ? paging::writable : 0) | (executable ? 0 : paging::no_execute);
    for (u64 offset = 0; offset < size; offset += layout::page_size) {
        if (!paging::protect_page(reinterpret_cast<u64>(address) + offset, flags))
            return Error::formatted("protecting an unmapped plugin page at %p", address + offset);
    }
    return {};
}

} // namespace keel::kernel
