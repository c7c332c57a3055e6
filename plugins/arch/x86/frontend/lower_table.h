#pragma once
// Lowering functions by Zydis mnemonic. Each lower_*.cpp registers its category.
#include "plugins/arch/x86/frontend/lowerer.h"

namespace keel::x86 {

using LowerFunction = Lowered (*)(Lowerer&);

struct LowerTable {
    LowerFunction functions[ZYDIS_MNEMONIC_MAX_VALUE + 1];
    void add(ZydisMnemonic m, LowerFunction f) { functions[m] = f; }
};

void register_data_movement(LowerTable& table);
void register_arithmetic(LowerTable& table);
void register_shifts(LowerTable& table);
void register_multiply_divide(LowerTable& table);
void register_bit_operations(LowerTable& table);
void register_control_flow(LowerTable& table);
void register_stack(LowerTable& table);
void register_flag_operations(LowerTable& table);
void register_strings(LowerTable& table);
void register_system(LowerTable& table);
void register_x87(LowerTable& table); // FXSAVE/FXRSTOR
void register_legacy(LowerTable& table); // instructions only outside 64-bit mode

const LowerTable& lower_table();

// MOV to or from CR0/CR2/CR3/CR4/CR8 (lower_system.cpp; MOV shares the mnemonic).
Lowered lower_mov_control_register(Lowerer& lw);
// MOV to or from DR0-DR7 (lower_system.cpp).
Lowered lower_mov_debug_register(Lowerer& lw);

// SSE/SSE2 (lower_sse.cpp): every such instruction without a lowering of its own.
bool is_sse_instruction(const ZydisDecodedInstruction& insn);
Lowered lower_sse(Lowerer& lw);
// Writes the guest XMM registers an SSE instruction left only in host registers
// (Lowerer::XmmCache::dirty) to the state: before anything else that may read the state
// or leave the block (another instruction, a fault, the block's end).
void flush_deferred_xmm(Lowerer& lw);

// x87 and MMX (lower_x87.cpp), SSE forms with an MMX operand included: run on the host
// with the guest's FPU state loaded (docs/x87.md).
bool uses_fpu_state(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops);
Lowered lower_x87(Lowerer& lw);

} // namespace keel::x86
