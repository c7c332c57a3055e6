// Integer arithmetic. Each operation is the x86 instruction of the same name, so when its
// FlagsOf is used the host flags are exactly the guest's (AF and PF included).
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {

using BinaryReg = void (CodeBuffer::*)(const Xbyak::Operand&, const Xbyak::Operand&);
using BinaryImm = void (CodeBuffer::*)(const Xbyak::Operand&, uint32_t);

// dst = a OP b, with b as an immediate when it fits.
void emit_binary(EmitContext& ctx, BinaryReg op_reg, BinaryImm op_imm)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value a = inst.args[0], b = inst.args[1];
    u8 dst = ctx.result_scratch(a, ctx.slot_destination());
    if (fits_imm32(b))
        (ctx.code.*op_imm)(sized(dst, inst.type), imm32_of(b));
    else
        (ctx.code.*op_reg)(sized(dst, inst.type), sized(ctx.ra.use(b), inst.type));
    ctx.ra.define(ctx.index, dst);
}

// Only the flags are wanted (x86 CMP/TEST): no result register.
bool emit_compare_only(EmitContext& ctx, BinaryReg op_reg, BinaryImm op_imm)
{
    if (ctx.value_used[ctx.index])
        return false;
    const ir::Inst& inst = ctx.inst();
    ir::Value a = inst.args[0], b = inst.args[1];
    u8 ra = ctx.ra.use(a);
    if (fits_imm32(b))
        (ctx.code.*op_imm)(sized(ra, inst.type), imm32_of(b));
    else
        (ctx.code.*op_reg)(sized(ra, inst.type), sized(ctx.ra.use(b), inst.type));
    return true;
}

void emit_unary(EmitContext& ctx, void (CodeBuffer::*op)(const Xbyak::Operand&))
{
    const ir::Inst& inst = ctx.inst();
    u8 dst = ctx.result_scratch(inst.args[0], ctx.slot_destination());
    (ctx.code.*op)(sized(dst, inst.type));
    ctx.ra.define(ctx.index, dst);
}

// ADC/SBB: the carry comes from the flags argument.
void emit_with_carry(EmitContext& ctx, BinaryReg op_reg, BinaryImm op_imm)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value a = inst.args[0], b = inst.args[1];
    u8 dst = ctx.ra.use_scratch(a);
    if (fits_imm32(b)) {
        ctx.restore_carry(inst.args[2]);
        (ctx.code.*op_imm)(sized(dst, inst.type), imm32_of(b));
    } else {
        u8 rb = ctx.ra.use(b);
        ctx.restore_carry(inst.args[2]);
        (ctx.code.*op_reg)(sized(dst, inst.type), sized(rb, inst.type));
    }
    ctx.ra.define(ctx.index, dst);
}

// An ADD or SUB (of a constant: `negate`) whose flags nobody wants and whose left operand
// lives on, as one LEA into a fresh register instead of a copy and the operation. 64- and
// 32-bit: a 32-bit LEA writes the low half of the 64-bit sum, zero-extended, which is the
// 32-bit operation's result whatever the registers' upper halves hold.
bool emit_as_lea(EmitContext& ctx, bool negate)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value a = inst.args[0], b = inst.args[1];
    if (ctx.flags_wanted() || (inst.type != ir::Type::U64 && inst.type != ir::Type::U32) || a.is_imm() || ctx.ra.dies_here(a))
        return false;
    i32 displacement = 0;
    if (b.is_imm()) {
        if (!fits_imm32(b))
            return false;
        displacement = static_cast<i32>(imm32_of(b));
        if (negate) {
            if (inst.type == ir::Type::U64 && displacement == -0x7FFFFFFF - 1)
                return false; // its negation does not fit
            displacement = static_cast<i32>(0u - static_cast<u32>(displacement));
        }
    } else if (negate) {
        return false;
    }
    u8 ra = ctx.ra.use(a);
    i32 slot_reg = ctx.slot_destination();
    u8 dst = slot_reg >= 0 && ctx.ra.take_free_reserved(static_cast<u8>(slot_reg)) ? static_cast<u8>(slot_reg) : ctx.ra.scratch();
    Xbyak::RegExp address = b.is_imm() ? r64(ra) + displacement : r64(ra) + r64(ctx.ra.use(b));
    ctx.code.lea(inst.type == ir::Type::U64 ? static_cast<Xbyak::Reg>(r64(dst)) : static_cast<Xbyak::Reg>(r32(dst)), ptr[address]);
    ctx.ra.define(ctx.index, dst);
    return true;
}

} // namespace

template<>
void emit<ir::Opcode::Add>(EmitContext& ctx)
{
    if (emit_as_lea(ctx, false))
        return;
    emit_binary(ctx, &Xbyak::CodeGenerator::add, &Xbyak::CodeGenerator::add);
}

template<>
void emit<ir::Opcode::Sub>(EmitContext& ctx)
{
    if (emit_compare_only(ctx, &Xbyak::CodeGenerator::cmp, &Xbyak::CodeGenerator::cmp))
        return;
    if (emit_as_lea(ctx, true))
        return;
    emit_binary(ctx, &Xbyak::CodeGenerator::sub, &Xbyak::CodeGenerator::sub);
}

template<>
void emit<ir::Opcode::And>(EmitContext& ctx)
{
    if (emit_compare_only(ctx, &CodeBuffer::test_operands, &Xbyak::CodeGenerator::test))
        return;
    emit_binary(ctx, &Xbyak::CodeGenerator::and_, &Xbyak::CodeGenerator::and_);
}

template<>
void emit<ir::Opcode::Or>(EmitContext& ctx) { emit_binary(ctx, &Xbyak::CodeGenerator::or_, &Xbyak::CodeGenerator::or_); }
template<>
void emit<ir::Opcode::Xor>(EmitContext& ctx) { emit_binary(ctx, &Xbyak::CodeGenerator::xor_, &Xbyak::CodeGenerator::xor_); }
template<>
void emit<ir::Opcode::Adc>(EmitContext& ctx) { emit_with_carry(ctx, &Xbyak::CodeGenerator::adc, &Xbyak::CodeGenerator::adc); }
template<>
void emit<ir::Opcode::Sbb>(EmitContext& ctx) { emit_with_carry(ctx, &Xbyak::CodeGenerator::sbb, &Xbyak::CodeGenerator::sbb); }
template<>
void emit<ir::Opcode::Inc>(EmitContext& ctx) { emit_unary(ctx, &Xbyak::CodeGenerator::inc); }
template<>
void emit<ir::Opcode::Dec>(EmitContext& ctx) { emit_unary(ctx, &Xbyak::CodeGenerator::dec); }
template<>
void emit<ir::Opcode::Neg>(EmitContext& ctx) { emit_unary(ctx, &Xbyak::CodeGenerator::neg); }
template<>
void emit<ir::Opcode::Not>(EmitContext& ctx) { emit_unary(ctx, &Xbyak::CodeGenerator::not_); }

template<>
void emit<ir::Opcode::Mul>(EmitContext& ctx)
{
    // IMUL r, r/m[, imm] (no 8-bit form: the x86 frontend never asks for one).
    const ir::Inst& inst = ctx.inst();
    VERIFY(inst.type != ir::Type::U8 && inst.type != ir::Type::U1);
    ir::Value a = inst.args[0], b = inst.args[1];
    if (fits_imm32(b)) {
        u8 ra = ctx.ra.use(a);
        u8 dst = ctx.ra.scratch();
        ctx.code.imul(sized(dst, inst.type), sized(ra, inst.type), static_cast<int>(imm32_of(b)));
        ctx.ra.define(ctx.index, dst);
        return;
    }
    u8 dst = ctx.ra.use_scratch(a);
    ctx.code.imul(sized(dst, inst.type), sized(ctx.ra.use(b), inst.type));
    ctx.ra.define(ctx.index, dst);
}

} // namespace keel::x64
