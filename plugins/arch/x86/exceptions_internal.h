#pragma once
// Event delivery per mode, for deliver_pending_event (exceptions.cpp), which handles the
// faults that delivering an event raises (double fault, triple fault).
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

// The last step of every delivery: RFLAGS.TF, NT, RF and VM cleared (and IF through an
// interrupt gate), RIP at the handler, the interrupt shadow over (Intel SDM vol. 3 §6.12.1).
void enter_handler(CpuContext& ctx, bool interrupt_gate, u64 target);

// Each delivers `ev` and returns true, or records the fault delivering it raised and
// returns false (deliver_pending_event turns that into #DF or a triple fault).
// Legacy protected mode: 8-byte IDT gates (exceptions_protected.cpp).
bool deliver_protected_mode(CpuContext& ctx, const PendingEvent& ev);
// Real-address mode: the interrupt vector table (exceptions_real.cpp).
bool deliver_real_mode(CpuContext& ctx, const PendingEvent& ev);

} // namespace keel::x86
