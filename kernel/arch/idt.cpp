#include "kernel/arch/idt.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/interrupt_frame.h"
#include "kernel/debug/panic.h"

// The stub addresses (kernel/arch/isr_stubs.S), relocated by gnu-efi at load time.
extern "C" [[gnu::visibility("hidden")]] const keel::u64 keel_isr_stub_table[keel::kernel::idt::vector_count];

namespace keel::kernel::idt {
namespace {

// A 64-bit interrupt gate (SDM vol. 3 §6.14.1, figure 6-8).
struct [[gnu::packed]] Gate {
    u16 offset_low;
    u16 selector;
    u8 ist;        // bits 0-2: IST slot, 0 = current stack
    u8 attributes; // P, DPL, type
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
};
static_assert(sizeof(Gate) == 16);

struct [[gnu::packed]] DescriptorTablePointer {
    u16 limit;
    u64 base;
};

constexpr u8 gate_present = 0x80;
constexpr u8 gate_type_interrupt = 0xE; // clears IF on entry, unlike a trap gate (0xF)

struct Registration {
    InterruptHandler handler;
    void* context;
};

alignas(16) Gate g_idt[vector_count];
Registration g_handlers[vector_count];

// gdt.h explains the choice of stacks.
u8 ist_for(u32 vector)
{
    switch (vector) {
    case 2: return gdt::ist_nmi_machine_check; // NMI
    case 8: return gdt::ist_double_fault;
    case 14: return gdt::ist_page_fault;
    case 18: return gdt::ist_nmi_machine_check; // #MC
    default: return vector >= first_external_vector ? gdt::ist_external_interrupt : gdt::ist_none;
    }
}

// SDM vol. 3 table 6-1; 28-30 as defined by AMD (APM vol. 2 §8.2).
constexpr const char* exception_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI non-maskable interrupt",
    "#BP breakpoint",
    "#OF overflow",
    "#BR BOUND range exceeded",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack-segment fault",
    "#GP general protection",
    "#PF page fault",
    "reserved (15)",
    "#MF x87 floating-point error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD floating-point exception",
    "#VE virtualization exception",
    "#CP control protection exception",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security exception",
    "reserved (31)",
};

} // namespace

void initialize()
{
    for (u32 vector = 0; vector < vector_count; ++vector) {
        u64 stub = keel_isr_stub_table[vector];
        Gate& gate = g_idt[vector];
        gate.offset_low = static_cast<u16>(stub);
        gate.selector = gdt::kernel_code_selector;
        gate.ist = ist_for(vector);
        gate.attributes = gate_present | gate_type_interrupt; // DPL 0: INT n from ring 3 is a #GP
        gate.offset_mid = static_cast<u16>(stub >> 16);
        gate.offset_high = static_cast<u32>(stub >> 32);
        gate.reserved = 0;
    }
    DescriptorTablePointer idtr { sizeof(g_idt) - 1, reinterpret_cast<u64>(&g_idt[0]) };
    asm volatile("lidt %0" ::"m"(idtr) : "memory");
}

void set_handler(u8 vector, InterruptHandler handler, void* context)
{
    // The dispatcher reads the pair with interrupts disabled; keep an interrupt between the
    // two stores from seeing the new handler with the old context.
    u64 flags;
    asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    g_handlers[vector] = { handler, context };
    if (flags & (1u << 9))
        asm volatile("sti" ::: "memory");
}

const char* vector_name(u64 vector)
{
    if (vector < 32)
        return exception_names[vector];
    return vector < vector_count ? "external interrupt" : "invalid vector";
}

} // namespace keel::kernel::idt

// Called by the common stub path with the frame it built (interrupts disabled).
extern "C" [[gnu::visibility("hidden")]] void keel_interrupt_dispatch(keel::kernel::InterruptFrame* frame)
{
    using namespace keel::kernel;
    if (frame->vector >= idt::vector_count)
        panic_with_frame(*frame, "interrupt stub pushed an invalid vector");
    const idt::Registration& registration = idt::g_handlers[frame->vector];
    if (!registration.handler)
        panic_with_frame(*frame, frame->vector < idt::first_external_vector ? "unhandled exception" : "unexpected interrupt");
    if (!registration.handler(*frame, registration.context))
        panic_with_frame(*frame, "the vector's handler could not handle it");
}
