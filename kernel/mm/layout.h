#pragma once
// keel's host virtual memory layout (../shared/ARCHITECTURE.md, "Kernel memory layout").
// Every address the kernel uses is derived from the constants here.
//
//   0x0000_0000_0000 ...        physical memory, identity-mapped: the kernel image where
//                               UEFI loaded it, firmware tables, MMIO (LAPIC, ...)
//   0x7ff0_0000_0000 + 16 GiB   plugins (architecture, devices), mapped W^X page by page
//   0x7ffb_0000_0000 ...        kernel and interrupt stacks, with unmapped guard space
//   0x7ffc_0000_0000 + 8 GiB    kernel heap, reserved virtually, backed on demand
//   0x7ffe_0000_0000 + 8 GiB    translation cache (generated host code), backed on demand
//   0xffff_8000_0000_0000 ...   VM address space: guest RAM as the engine maps it
//
// "Backed on demand": the ranges have no page-table entries until first touched; the
// #PF handler (kernel/mm/demand_paging.cpp) maps a zeroed frame there, so reserving 8 GiB
// costs nothing until it is used.
#include "dbt/base/types.h"

namespace keel::kernel::layout {

constexpr u64 page_size = 4096;
constexpr u64 large_page_size = 2 * MiB;

// The identity map covers physical memory up to the highest address in the firmware's
// memory map, and at least the 32-bit space (MMIO: LAPIC at 0xFEE00000, IOAPIC, flash).
constexpr u64 identity_map_minimum = 4 * GiB;
// Upper bound for the identity map: a 4-level table's lower half is 128 TiB, and the
// heap begins just below its end.
constexpr u64 identity_map_limit = 0x7ff0'0000'0000;

constexpr u64 plugins_base = 0x7ff0'0000'0000;
constexpr u64 plugins_size = 16 * GiB;

constexpr u64 heap_base = 0x7ffc'0000'0000;
constexpr u64 heap_size = 8 * GiB;

constexpr u64 translation_cache_base = 0x7ffe'0000'0000;
constexpr u64 translation_cache_size = 8 * GiB;

constexpr u64 vm_space_base = 0xffff'8000'0000'0000;
constexpr u64 vm_space_size = 64 * TiB;

// The kernel's stacks, just below the heap: the kernel stack (replacing the firmware's
// after ExitBootServices) and the TSS interrupt stacks. Each sits at the top of its own
// 2 MiB slot and is mapped eagerly; the rest of the slot stays unmapped, so an overflow is
// a #PF outside every demand-paged range, reported as such (the #PF handler runs on its
// own IST stack).
constexpr u64 stacks_base = 0x7ffb'0000'0000;
constexpr u64 stack_slot_size = 2 * MiB;
constexpr u64 kernel_stack_size = 1 * MiB;
constexpr u64 interrupt_stack_size = 64 * KiB;
enum class StackSlot : u64 { Kernel = 0, DoubleFault, PageFault, NmiMachineCheck, ExternalInterrupt, Count };
constexpr u64 stack_slot_top(StackSlot slot) { return stacks_base + (static_cast<u64>(slot) + 1) * stack_slot_size; }
constexpr u64 stack_size(StackSlot slot) { return slot == StackSlot::Kernel ? kernel_stack_size : interrupt_stack_size; }

static_assert(stacks_base + static_cast<u64>(StackSlot::Count) * stack_slot_size <= heap_base);
static_assert(heap_base + heap_size <= translation_cache_base);
static_assert(translation_cache_base + translation_cache_size <= 0x8000'0000'0000, "lower half ends at 128 TiB");
static_assert(identity_map_limit <= plugins_base && plugins_base + plugins_size <= stacks_base);

constexpr bool in_range(u64 address, u64 base, u64 size) { return address >= base && address - base < size; }
constexpr bool in_heap(u64 address) { return in_range(address, heap_base, heap_size); }
constexpr bool in_translation_cache(u64 address) { return in_range(address, translation_cache_base, translation_cache_size); }
constexpr bool in_vm_space(u64 address) { return in_range(address, vm_space_base, vm_space_size); }

} // namespace keel::kernel::layout
