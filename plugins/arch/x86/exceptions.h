#pragma once
// Raising guest exceptions, and delivering them (and interrupts) through the 64-bit IDT
// (Intel SDM vol. 3 ch. 6: §6.12 handlers, §6.14 64-bit mode, §6.15 table 6-5 for
// double faults).
#include "dbt/plugin/arch.h"
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

// Records a fault at the current instruction (ctx.hot.pc): the pushed RIP is that
// instruction. Returns false so callers can `return raise_fault(...)`.
bool raise_fault(CpuContext& ctx, u8 vector);
bool raise_fault(CpuContext& ctx, u8 vector, u32 error_code);
bool raise_page_fault(CpuContext& ctx, u64 address, u32 error_code);
// INT n / INT3 / INTO: delivered with `next_rip` pushed, gate DPL checked against CPL.
void raise_software_interrupt(CpuContext& ctx, u8 vector, u64 next_rip);

DeliveryResult deliver_pending_event(CpuContext& ctx);

// An instruction set IF that was clear (STI, IRET): asks for the dispatcher, which delivers
// external interrupts, when one may be waiting. Generated code otherwise goes on without
// it: one that arrives later asks for the exit itself, as it does whenever IF is set.
void interrupts_enabled(CpuContext& ctx);

// Page-fault error code bits (Intel SDM vol. 3 §4.7).
namespace pf_error {
constexpr u32 present = 1 << 0, write = 1 << 1, user = 1 << 2, reserved = 1 << 3, fetch = 1 << 4;
}

} // namespace keel::x86
