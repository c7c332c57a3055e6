// Direct flag manipulation: LAHF, SAHF, CLC, STC, CMC, CLD, STD, CLI, STI.
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {
namespace {

using ir::Type;

Lowered lower_lahf(Lowerer& lw)
{
    // AH = SF:ZF:0:AF:0:PF:1:CF (Intel SDM vol. 2, LAHF).
    ir::Value packed = lw.ir.flags_to_int(lw.flags());
    ir::Value ah = lw.ir.or_(lw.ir.trunc(Type::U8, lw.ir.shift(ir::Opcode::Shr, packed, ir::Builder::imm8(8))), lw.imm(Type::U8, 2));
    lw.write_reg(ZYDIS_REGISTER_AH, ah);
    return Lowered::Continue;
}

Lowered lower_sahf(Lowerer& lw)
{
    // SF ZF AF PF CF = AH; OF unchanged.
    ir::Value ah = lw.ir.zext(Type::U16, lw.read_reg(ZYDIS_REGISTER_AH));
    ir::Value packed = lw.ir.shift(ir::Opcode::Shl, ah, ir::Builder::imm8(8));
    lw.set_flags_value(lw.ir.int_to_flags(packed), ir::flag::All & ~ir::flag::OF);
    return Lowered::Continue;
}

// CLC/STC/CMC as AND/OR/XOR on the packed flags word, writing only CF.
template<ir::Opcode Op, u16 Operand>
Lowered lower_carry(Lowerer& lw)
{
    ir::Value packed = lw.ir.flags_to_int(lw.flags());
    ir::Value changed = lw.ir.emit(Op, Type::U16, packed, lw.imm(Type::U16, Operand));
    lw.set_flags_value(lw.ir.int_to_flags(changed), ir::flag::CF);
    return Lowered::Continue;
}

template<bool Set>
Lowered lower_direction(Lowerer& lw)
{
    ir::Value flags = lw.read_rflags_sys();
    ir::Value changed = Set ? lw.ir.or_(flags, lw.imm(Type::U64, rflags::DF)) : lw.ir.and_(flags, lw.imm(Type::U64, ~rflags::DF));
    lw.ir.store_state(offset::rflags, changed);
    return Lowered::Continue;
}

Lowered lower_cli(Lowerer& lw)
{
    lw.commit();
    lw.ir.call(helpers::cli); // IOPL check (#GP) in the helper
    return Lowered::Continue;
}

Lowered lower_sti(Lowerer& lw)
{
    // Interrupts become deliverable after the NEXT instruction (the STI shadow, Intel SDM
    // vol. 3 §6.8.3), which the helper records. The block takes that instruction too and
    // then ends through the lookup thunk, which returns to the dispatcher to deliver what
    // is pending when the helper found something and set exit_request: `sti; nop; cli`
    // opens a one-instruction window that a block running on to the CLI would close.
    lw.commit();
    lw.ir.call(helpers::sti, lw.imm(Type::U64, lw.d().next_pc()));
    return Lowered::EndAfterNext;
}

} // namespace

void register_flag_operations(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_LAHF, lower_lahf);
    t.add(ZYDIS_MNEMONIC_SAHF, lower_sahf);
    t.add(ZYDIS_MNEMONIC_CLC, lower_carry<ir::Opcode::And, static_cast<u16>(~ir::flag::CF)>);
    t.add(ZYDIS_MNEMONIC_STC, lower_carry<ir::Opcode::Or, ir::flag::CF>);
    t.add(ZYDIS_MNEMONIC_CMC, lower_carry<ir::Opcode::Xor, ir::flag::CF>);
    t.add(ZYDIS_MNEMONIC_CLD, lower_direction<false>);
    t.add(ZYDIS_MNEMONIC_STD, lower_direction<true>);
    t.add(ZYDIS_MNEMONIC_CLI, lower_cli);
    t.add(ZYDIS_MNEMONIC_STI, lower_sti);
}

} // namespace keel::x86
