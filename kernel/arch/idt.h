#pragma once
// keel's IDT (Intel SDM vol. 3 §6.10-6.14): 256 interrupt gates into kernel/arch/isr_stubs.S,
// and a registry of C++ handlers that keel_interrupt_dispatch calls. A vector with no
// handler, or whose handler declines it, is a kernel panic with the CPU state.
#include "dbt/base/types.h"

namespace keel::kernel {
struct InterruptFrame;
}

namespace keel::kernel::idt {

// Returns true when it handled the interrupt; IRETQ then resumes the (possibly modified)
// frame. Runs with interrupts disabled, on the stack gdt.h's IST assignment gives the
// vector; it must be built -mgeneral-regs-only (the interrupted code's SSE registers are
// not saved).
using InterruptHandler = bool (*)(InterruptFrame& frame, void* context);

constexpr u32 vector_count = 256;
constexpr u8 first_external_vector = 32; // 0-31 are reserved for exceptions (§6.2)

// Fills the IDT and loads IDTR. After gdt::initialize; handlers may be registered before
// or after.
void initialize();

// Registers (or, with nullptr, removes) the handler for a vector. One handler per vector.
void set_handler(u8 vector, InterruptHandler handler, void* context);

// "#PF page fault" for the exceptions (SDM vol. 3 table 6-1), "external interrupt" above.
const char* vector_name(u64 vector);

// Whether the CPU pushes an error code for this vector (§6.13; 21 #CP, and AMD's 29 #VC
// and 30 #SX). For the others the stub pushes 0.
constexpr bool has_error_code(u64 vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30;
}

} // namespace keel::kernel::idt
