// Shifts and rotates: the x86 instructions themselves, so count masking, the count-0
// "flags unchanged" rule and the flag results (Intel SDM vol. 2, SAL/SAR/SHL/SHR,
// RCL/RCR/ROL/ROR, SHLD, SHRD) are the host's.
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {

using ShiftImm = void (CodeBuffer::*)(const Xbyak::Operand&, int);
using ShiftCl = void (CodeBuffer::*)(const Xbyak::Operand&, const Xbyak::Reg8&);

bool count_is_nonzero_constant(const ir::Inst& inst)
{
    if (!inst.args[1].is_imm())
        return false;
    unsigned mask = inst.type == ir::Type::U64 ? 63 : 31;
    return (inst.args[1].imm_value() & mask) != 0;
}

// Shift-like operation with the count in args[1] and flags-in in args[flags_arg].
// `needs_carry`: RCL/RCR read CF even with a non-zero count.
void emit_shift(EmitContext& ctx, ShiftImm op_imm, ShiftCl op_cl, unsigned flags_arg, bool needs_carry)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value flags_in = inst.args[flags_arg];
    // With a count that may be 0, the flags the guest sees are the old ones: load them
    // into the host flags first. RCL/RCR always read CF. Flags passed in are always
    // restored when wanted: ROL/ROR keep SF ZF AF PF even for a non-zero count (which may
    // be a constant only after folding).
    bool restore = !flags_in.is_none() && (needs_carry || ctx.flags_wanted());
    if (inst.args[1].is_imm()) {
        u8 dst = ctx.ra.use_scratch(inst.args[0]);
        if (restore)
            ctx.restore_host_flags(flags_in);
        (ctx.code.*op_imm)(sized(dst, inst.type), static_cast<int>(inst.args[1].imm_value() & 0xFF));
        if (!count_is_nonzero_constant(inst))
            ctx.upper_garbage[ctx.index] = 1; // a count of 0 may leave bits 63..32 as they were
        ctx.ra.define(ctx.index, dst);
        return;
    }
    ctx.ra.scratch_fixed(RCX);
    u8 count = ctx.ra.use(inst.args[1]);
    u8 dst = ctx.ra.use_scratch(inst.args[0]);
    ctx.code.mov(ecx, r32(count));
    if (restore)
        ctx.restore_host_flags(flags_in);
    (ctx.code.*op_cl)(sized(dst, inst.type), cl);
    // With a count of 0 in CL, whether bits 63..32 of a 32-bit destination are cleared
    // differs between CPUs: do not rely on it.
    ctx.upper_garbage[ctx.index] = 1;
    ctx.ra.define(ctx.index, dst);
}

using DoubleImm = void (CodeBuffer::*)(const Xbyak::Operand&, const Xbyak::Reg&, uint8_t);
using DoubleCl = void (CodeBuffer::*)(const Xbyak::Operand&, const Xbyak::Reg&, const Xbyak::Reg8&);

void emit_double_shift(EmitContext& ctx, DoubleImm op_imm, DoubleCl op_cl)
{
    const ir::Inst& inst = ctx.inst();
    VERIFY(inst.type != ir::Type::U8);
    ir::Value flags_in = inst.args[3];
    bool count_nonzero = inst.args[2].is_imm() && (inst.args[2].imm_value() & (inst.type == ir::Type::U64 ? 63 : 31)) != 0;
    bool restore = !flags_in.is_none() && ctx.flags_wanted() && !count_nonzero;
    if (inst.args[2].is_imm()) {
        u8 src = ctx.ra.use(inst.args[1]);
        u8 dst = ctx.ra.use_scratch(inst.args[0]);
        if (restore)
            ctx.restore_host_flags(flags_in);
        (ctx.code.*op_imm)(sized(dst, inst.type), sized(src, inst.type), static_cast<u8>(inst.args[2].imm_value()));
        ctx.ra.define(ctx.index, dst);
        return;
    }
    ctx.ra.scratch_fixed(RCX);
    u8 count = ctx.ra.use(inst.args[2]);
    u8 src = ctx.ra.use(inst.args[1]);
    u8 dst = ctx.ra.use_scratch(inst.args[0]);
    ctx.code.mov(ecx, r32(count));
    if (restore)
        ctx.restore_host_flags(flags_in);
    (ctx.code.*op_cl)(sized(dst, inst.type), sized(src, inst.type), cl);
    ctx.upper_garbage[ctx.index] = 1;
    ctx.ra.define(ctx.index, dst);
}

} // namespace

template<>
void emit<ir::Opcode::Shl>(EmitContext& ctx) { emit_shift(ctx, &Xbyak::CodeGenerator::shl, &Xbyak::CodeGenerator::shl, 2, false); }
template<>
void emit<ir::Opcode::Shr>(EmitContext& ctx) { emit_shift(ctx, &Xbyak::CodeGenerator::shr, &Xbyak::CodeGenerator::shr, 2, false); }
template<>
void emit<ir::Opcode::Sar>(EmitContext& ctx) { emit_shift(ctx, &Xbyak::CodeGenerator::sar, &Xbyak::CodeGenerator::sar, 2, false); }
template<>
void emit<ir::Opcode::Rol>(EmitContext& ctx) { emit_shift(ctx, &Xbyak::CodeGenerator::rol, &Xbyak::CodeGenerator::rol, 2, false); }
template<>
void emit<ir::Opcode::Ror>(EmitContext& ctx) { emit_shift(ctx, &Xbyak::CodeGenerator::ror, &Xbyak::CodeGenerator::ror, 2, false); }
template<>
void emit<ir::Opcode::Rcl>(EmitContext& ctx) { emit_shift(ctx, &Xbyak::CodeGenerator::rcl, &Xbyak::CodeGenerator::rcl, 2, true); }
template<>
void emit<ir::Opcode::Rcr>(EmitContext& ctx) { emit_shift(ctx, &Xbyak::CodeGenerator::rcr, &Xbyak::CodeGenerator::rcr, 2, true); }
template<>
void emit<ir::Opcode::Shld>(EmitContext& ctx) { emit_double_shift(ctx, &Xbyak::CodeGenerator::shld, &Xbyak::CodeGenerator::shld); }
template<>
void emit<ir::Opcode::Shrd>(EmitContext& ctx) { emit_double_shift(ctx, &Xbyak::CodeGenerator::shrd, &Xbyak::CodeGenerator::shrd); }

} // namespace keel::x64
