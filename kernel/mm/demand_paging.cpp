#include "kernel/mm/demand_paging.h"
#include "dbt/base/format.h"
#include "kernel/arch/idt.h"
#include "kernel/arch/interrupt_frame.h"
#include "kernel/debug/panic.h"
#include "kernel/arch/cpu.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/page_tables.h"

namespace keel::kernel::demand_paging {
namespace {

struct Range {
    u64 base;
    u64 size;
    bool executable;
    const char* name;
};
constexpr u32 max_ranges = 16;
Range g_ranges[max_ranges];
u32 g_count = 0;
u64 g_backed = 0;

const Range* find(u64 address)
{
    for (u32 i = 0; i < g_count; ++i) {
        if (layout::in_range(address, g_ranges[i].base, g_ranges[i].size))
            return &g_ranges[i];
    }
    return nullptr;
}

// #PF error code bits (Intel SDM vol. 3 §4.7).
constexpr u64 pf_present = 1u << 0;

bool on_page_fault(InterruptFrame& frame, void*)
{
    u64 address = cpu::read_cr2();
    const char* reason = nullptr;
    if (handle_page_fault(address, frame.error_code, reason))
        return true;
    char message[160];
    format(message, sizeof(message), "page fault at 0x%llx: %s", static_cast<unsigned long long>(address), reason);
    panic_with_frame(frame, message);
}

} // namespace

bool add_range(u64 base, u64 size, bool executable, const char* name)
{
    if (g_count == max_ranges)
        return false;
    g_ranges[g_count++] = { base, size, executable, name };
    return true;
}

void remove_range(u64 base)
{
    for (u32 i = 0; i < g_count; ++i) {
        if (g_ranges[i].base != base)
            continue;
        for (u64 page = base; page < base + g_ranges[i].size; page += layout::page_size) {
            if (u64 frame = paging::unmap_page(page)) {
                frames::free(frame);
                --g_backed;
            }
        }
        g_ranges[i] = g_ranges[--g_count];
        return;
    }
}

bool handle_page_fault(u64 address, u64 error_code, const char*& reason)
{
    const Range* range = find(address);
    if (!range) {
        u64 slot_base = layout::stacks_base;
        bool stack_guard = address >= slot_base && address < layout::heap_base;
        reason = stack_guard ? "kernel stack overflow (guard area)" : "not in any mapped or demand-paged range";
        return false;
    }
    if (error_code & pf_present) {
        reason = "protection violation on a mapped page";
        return false;
    }
    u64 frame = frames::allocate_zeroed();
    if (!frame) {
        reason = "out of physical memory";
        return false;
    }
    u64 flags = paging::writable | (range->executable ? 0 : paging::no_execute);
    if (!paging::map_page(address & ~(layout::page_size - 1), frame, flags)) {
        frames::free(frame);
        reason = "out of physical memory for page tables";
        return false;
    }
    ++g_backed;
    return true;
}

const char* range_name(u64 address)
{
    const Range* range = find(address);
    return range ? range->name : nullptr;
}

u64 pages_backed() { return g_backed; }

void install() { idt::set_handler(14, on_page_fault, nullptr); }

} // namespace keel::kernel::demand_paging
