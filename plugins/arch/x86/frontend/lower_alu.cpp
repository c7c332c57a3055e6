// Integer arithmetic and logic. The IR operations carry x86 flag semantics, so each
// instruction is one operation plus its FlagsOf (Intel SDM vol. 1 appendix A lists which
// flags each writes).
#include "plugins/arch/x86/frontend/lower_table.h"

namespace keel::x86 {
namespace {

using ir::Type;

// DEST = DEST op SRC, all six flags.
template<ir::Opcode Op, bool WritesResult>
Lowered lower_binary(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value a = lw.read(0);
    ir::Value b = lw.read_as(1, t);
    ir::Value r = lw.ir.emit(Op, t, a, b);
    lw.set_flags(r, ir::flag::All);
    if (WritesResult)
        lw.write(0, r);
    return Lowered::Continue;
}

// ADC/SBB: the carry in comes from the current flags.
template<ir::Opcode Op>
Lowered lower_with_carry(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value a = lw.read(0);
    ir::Value b = lw.read_as(1, t);
    ir::Value r = lw.ir.emit(Op, t, a, b, lw.flags());
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

// ADCX: ADC that reads and writes CF only (Intel SDM vol. 2, ADCX).
Lowered lower_adcx(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value r = lw.ir.adc(lw.read(0), lw.read_as(1, t), lw.flags());
    lw.set_flags(r, ir::flag::CF);
    lw.write(0, r);
    return Lowered::Continue;
}

// ADOX: the same carry chain through OF (Intel SDM vol. 2, ADOX), so that a multi-precision
// multiply can run two chains at once. OF moves to CF's place in the packed flags for the
// carry in, and the carry out back to OF's (docs/ir.md#flags); no other flag changes.
Lowered lower_adox(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value a = lw.read(0);
    ir::Value b = lw.read_as(1, t);
    ir::Value packed = lw.ir.flags_to_int(lw.flags());
    ir::Value of_in = lw.ir.and_(packed, lw.imm(Type::U16, ir::flag::OF));
    ir::Value carry_in = lw.ir.int_to_flags(lw.ir.shift(ir::Opcode::Shl, of_in, ir::Builder::imm8(8)));
    ir::Value r = lw.ir.adc(a, b, carry_in);
    ir::Value carry_out = lw.ir.and_(lw.ir.flags_to_int(lw.ir.flags_of(r)), lw.imm(Type::U16, ir::flag::CF));
    lw.set_flags_value(lw.ir.int_to_flags(lw.ir.shift(ir::Opcode::Shr, carry_out, ir::Builder::imm8(8))), ir::flag::OF);
    lw.write(0, r);
    return Lowered::Continue;
}

// INC/DEC leave CF alone.
template<ir::Opcode Op>
Lowered lower_inc_dec(Lowerer& lw)
{
    ir::Value r = lw.ir.emit(Op, lw.op_type(0), lw.read(0));
    lw.set_flags(r, ir::flag::AllButCF);
    lw.write(0, r);
    return Lowered::Continue;
}

Lowered lower_neg(Lowerer& lw)
{
    ir::Value r = lw.ir.neg(lw.read(0));
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

Lowered lower_not(Lowerer& lw)
{
    lw.write(0, lw.ir.not_(lw.read(0))); // NOT changes no flags
    return Lowered::Continue;
}

} // namespace

void register_arithmetic(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_ADD, lower_binary<ir::Opcode::Add, true>);
    t.add(ZYDIS_MNEMONIC_SUB, lower_binary<ir::Opcode::Sub, true>);
    t.add(ZYDIS_MNEMONIC_AND, lower_binary<ir::Opcode::And, true>);
    t.add(ZYDIS_MNEMONIC_OR, lower_binary<ir::Opcode::Or, true>);
    t.add(ZYDIS_MNEMONIC_XOR, lower_binary<ir::Opcode::Xor, true>);
    t.add(ZYDIS_MNEMONIC_CMP, lower_binary<ir::Opcode::Sub, false>);
    t.add(ZYDIS_MNEMONIC_TEST, lower_binary<ir::Opcode::And, false>);
    t.add(ZYDIS_MNEMONIC_ADC, lower_with_carry<ir::Opcode::Adc>);
    t.add(ZYDIS_MNEMONIC_SBB, lower_with_carry<ir::Opcode::Sbb>);
    t.add(ZYDIS_MNEMONIC_ADCX, lower_adcx);
    t.add(ZYDIS_MNEMONIC_ADOX, lower_adox);
    t.add(ZYDIS_MNEMONIC_INC, lower_inc_dec<ir::Opcode::Inc>);
    t.add(ZYDIS_MNEMONIC_DEC, lower_inc_dec<ir::Opcode::Dec>);
    t.add(ZYDIS_MNEMONIC_NEG, lower_neg);
    t.add(ZYDIS_MNEMONIC_NOT, lower_not);
}

} // namespace keel::x86
