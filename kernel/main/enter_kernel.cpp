// From ExitBootServices to a running kernel: physical memory, page tables with the layout
// of kernel/mm/layout.h, stacks, GDT/IDT/TSS, demand paging, the heap and global
// constructors; then kernel_main on the kernel's own stack.
#include "dbt/base/assert.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/idt.h"
#include "kernel/boot/boot_info.h"
#include "kernel/console/serial.h"
#include "kernel/debug/backtrace.h"
#include "kernel/main/kernel_main.h"
#include "kernel/mm/demand_paging.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/page_tables.h"
#include "kernel/runtime/runtime.h"

namespace keel::kernel {
namespace {

u64 identity_map_end(const BootInfo& info)
{
    u64 end = layout::identity_map_minimum;
    for (u32 i = 0; i < info.region_count; ++i) {
        u64 region_end = info.regions[i].base + info.regions[i].size;
        if (region_end > end && region_end <= layout::identity_map_limit)
            end = region_end;
    }
    return end;
}

void map_stack(layout::StackSlot slot)
{
    u64 top = layout::stack_slot_top(slot);
    for (u64 page = top - layout::stack_size(slot); page < top; page += layout::page_size) {
        u64 frame = frames::allocate_zeroed();
        if (!frame || !paging::map_page(page, frame, paging::writable | paging::no_execute))
            PANIC("out of memory for the kernel stacks");
    }
    backtrace::add_stack_bounds(top - layout::stack_size(slot), top);
}

[[noreturn]] void run_on_kernel_stack(BootInfo& info)
{
    u64 top = layout::stack_slot_top(layout::StackSlot::Kernel);
    // RBP = 0 ends the backtrace here; the call leaves RSP 16-byte aligned minus 8, as the
    // SysV ABI expects at a function entry.
    asm volatile("mov %0, %%rsp\n\t"
                 "xor %%ebp, %%ebp\n\t"
                 "call *%1\n\t"
                 "ud2"
                 :
                 : "r"(top), "r"(&kernel_main), "D"(&info)
                 : "memory");
    __builtin_unreachable();
}

} // namespace

void enter_kernel(BootInfo& info)
{
    cpu::cli();
    for (u32 i = 0; i < info.region_count; ++i) {
        if (info.regions[i].kind == MemoryRegion::Kind::Usable)
            frames::add_range(info.regions[i].base, info.regions[i].size);
    }
    if (!paging::initialize(identity_map_end(info)))
        PANIC("out of memory building the kernel's page tables");

    for (u64 slot = 0; slot < static_cast<u64>(layout::StackSlot::Count); ++slot)
        map_stack(static_cast<layout::StackSlot>(slot));
    u64 ist_tops[4] = {
        layout::stack_slot_top(layout::StackSlot::DoubleFault),
        layout::stack_slot_top(layout::StackSlot::PageFault),
        layout::stack_slot_top(layout::StackSlot::NmiMachineCheck),
        layout::stack_slot_top(layout::StackSlot::ExternalInterrupt),
    };
    gdt::initialize(ist_tops);
    idt::initialize();

    demand_paging::add_range(layout::heap_base, layout::heap_size, false, "kernel heap");
    demand_paging::add_range(layout::translation_cache_base, layout::translation_cache_size, true, "translation cache");
    demand_paging::install();

    heap::initialize(layout::heap_base, layout::heap_size);
    runtime::run_global_constructors();
    run_on_kernel_stack(info);
}

} // namespace keel::kernel
