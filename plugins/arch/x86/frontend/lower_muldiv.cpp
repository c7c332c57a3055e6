// MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV (Intel SDM vol. 2).
#include "plugins/arch/x86/frontend/lower_table.h"

namespace keel::x86 {
namespace {

using ir::Type;

// One-operand forms: rDX:rAX (AH:AL for bytes) = rAX * SRC.
template<ir::Opcode Op>
Lowered lower_widening(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value src = lw.read(0);
    ir::Value acc = lw.read_gpr(RAX, t);
    ir::Value lo = lw.ir.emit(Op, t, acc, src);
    ir::Value hi = lw.ir.second_of(lo);
    lw.set_flags(lo, ir::flag::All); // CF, OF defined; SF ZF AF PF undefined (the host's values)
    if (t == Type::U8) {
        lw.write_reg(ZYDIS_REGISTER_AL, lo);
        lw.write_reg(ZYDIS_REGISTER_AH, hi);
    } else {
        lw.write_gpr(RAX, lo);
        lw.write_gpr(RDX, hi);
    }
    return Lowered::Continue;
}

Lowered lower_imul(Lowerer& lw)
{
    if (lw.insn().operand_count_visible == 1)
        return lower_widening<ir::Opcode::SMulWide>(lw);
    // IMUL r, r/m  or  IMUL r, r/m, imm: truncated product.
    Type t = lw.op_type(0);
    ir::Value a = lw.insn().operand_count_visible == 3 ? lw.read(1) : lw.read(0);
    ir::Value b = lw.insn().operand_count_visible == 3 ? lw.read_as(2, t) : lw.read(1);
    ir::Value r = lw.ir.mul(a, b);
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

// DIV/IDIV: rAX = rDX:rAX / SRC, rDX = remainder (AL, AH = AX / SRC for bytes). #DE on a
// zero divisor or a quotient that does not fit; flags undefined (left unchanged).
template<ir::Opcode Op>
Lowered lower_divide(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value divisor = lw.read(0);
    ir::Value hi, lo;
    if (t == Type::U8) {
        hi = lw.read_reg(ZYDIS_REGISTER_AH);
        lo = lw.read_reg(ZYDIS_REGISTER_AL);
    } else {
        hi = lw.read_gpr(RDX, t);
        lo = lw.read_gpr(RAX, t);
    }
    ir::Value quotient = lw.ir.emit(Op, t, hi, lo, divisor);
    ir::Value remainder = lw.ir.second_of(quotient);
    if (t == Type::U8) {
        lw.write_reg(ZYDIS_REGISTER_AL, quotient);
        lw.write_reg(ZYDIS_REGISTER_AH, remainder);
    } else {
        lw.write_gpr(RAX, quotient);
        lw.write_gpr(RDX, remainder);
    }
    return Lowered::Continue;
}

} // namespace

void register_multiply_divide(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_MUL, lower_widening<ir::Opcode::UMulWide>);
    t.add(ZYDIS_MNEMONIC_IMUL, lower_imul);
    t.add(ZYDIS_MNEMONIC_DIV, lower_divide<ir::Opcode::UDiv>);
    t.add(ZYDIS_MNEMONIC_IDIV, lower_divide<ir::Opcode::SDiv>);
}

} // namespace keel::x86
