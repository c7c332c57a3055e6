#pragma once
// Far CALL and JMP through a call gate (helpers_far.cpp's far_jump hands them over).
#include "dbt/ir/helper.h"
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86::helpers {

// The selector names a call gate (a 16- or 32-bit one in legacy protected mode, a 64-bit
// one in IA-32e mode). `return_rip`: the next instruction's, pushed by a CALL.
ir::HelperResult transfer_through_call_gate(CpuContext& ctx, u16 gate_selector, bool call, u64 return_rip);

} // namespace keel::x86::helpers
