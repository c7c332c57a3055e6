#pragma once
// keel's GDT and TSS (Intel SDM vol. 3 §3.4.5, §7.7): a flat 64-bit kernel code and data
// segment, and a 64-bit TSS whose only use is the interrupt stack table (§6.14.5): the
// exceptions that must not run on a possibly broken stack get stacks of their own.
#include "dbt/base/types.h"

namespace keel::kernel::gdt {

constexpr u16 kernel_code_selector = 0x08;
constexpr u16 kernel_data_selector = 0x10;
constexpr u16 tss_selector = 0x18;

// IST slots (the IDT gate's 3-bit IST field; 0 = stay on the current stack). Each slot
// has its own stack so that, say, a #PF inside a timer handler does not overwrite the
// timer's frame. The order matches ist_stack_tops below and layout::StackSlot.
enum Ist : u8 {
    ist_none = 0,
    ist_double_fault = 1,       // #DF: the kernel stack may be what overflowed
    ist_page_fault = 2,         // #PF: a kernel stack overflow hits the guard area
    ist_nmi_machine_check = 3,  // NMI, #MC: can arrive anywhere, even mid-stack-switch
    ist_external_interrupt = 4, // vectors 32-255 (LAPIC timer, spurious)
};
constexpr u32 ist_count = 4;

// Builds the GDT and TSS, loads GDTR, reloads CS and the data segment registers, and
// loads TR. ist_stack_tops[i] is the top (highest address, 16-byte aligned) of the stack
// for IST slot i + 1; each at least layout::interrupt_stack_size long. Call once, with
// interrupts disabled, before idt::initialize (the gates use kernel_code_selector).
void initialize(const u64 (&ist_stack_tops)[ist_count]);

} // namespace keel::kernel::gdt
