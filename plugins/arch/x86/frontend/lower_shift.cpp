// Shifts and rotates (Intel SDM vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD/SHRD).
// The count is masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes no
// flags, but a 32-bit destination is still written (and so zero-extended).
#include "plugins/arch/x86/frontend/lower_table.h"

namespace keel::x86 {
namespace {

using ir::Type;

unsigned count_mask(Type t) { return t == Type::U64 ? 63 : 31; }

// The count operand as U8: an immediate (including the implicit 1) or CL.
ir::Value read_count(Lowerer& lw, unsigned index) { return lw.read_as(index, Type::U8); }

template<ir::Opcode Op, u16 FlagsWritten>
Lowered lower_shift(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value value = lw.read(0);
    ir::Value count = read_count(lw, 1);
    if (count.is_imm() && (count.imm_value() & count_mask(t)) == 0) {
        lw.write(0, value);
        return Lowered::Continue;
    }
    // A count that may be 0 must leave the flags as they were: feed them in, and all six
    // come out right. A known non-zero count writes exactly FlagsWritten.
    bool known_nonzero = count.is_imm();
    ir::Value flags_in = known_nonzero ? ir::Value() : lw.flags();
    ir::Value r = lw.ir.shift(Op, value, count, flags_in);
    lw.set_flags(r, known_nonzero ? FlagsWritten : ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

template<ir::Opcode Op>
Lowered lower_rotate_through_carry(Lowerer& lw)
{
    ir::Value r = lw.ir.shift(Op, lw.read(0), read_count(lw, 1), lw.flags());
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

template<ir::Opcode Op>
Lowered lower_double_shift(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value value = lw.read(0);
    ir::Value fill = lw.read(1);
    ir::Value count = read_count(lw, 2);
    if (count.is_imm() && (count.imm_value() & count_mask(t)) == 0) {
        lw.write(0, value);
        return Lowered::Continue;
    }
    ir::Value flags_in = count.is_imm() ? ir::Value() : lw.flags();
    ir::Value r = lw.ir.emit(Op, t, value, fill, count, flags_in);
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

} // namespace

void register_shifts(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_SHL, lower_shift<ir::Opcode::Shl, ir::flag::All>);
    t.add(ZYDIS_MNEMONIC_SHR, lower_shift<ir::Opcode::Shr, ir::flag::All>);
    t.add(ZYDIS_MNEMONIC_SAR, lower_shift<ir::Opcode::Sar, ir::flag::All>);
    // ROL/ROR write only CF and OF.
    t.add(ZYDIS_MNEMONIC_ROL, lower_shift<ir::Opcode::Rol, ir::flag::CF | ir::flag::OF>);
    t.add(ZYDIS_MNEMONIC_ROR, lower_shift<ir::Opcode::Ror, ir::flag::CF | ir::flag::OF>);
    t.add(ZYDIS_MNEMONIC_RCL, lower_rotate_through_carry<ir::Opcode::Rcl>);
    t.add(ZYDIS_MNEMONIC_RCR, lower_rotate_through_carry<ir::Opcode::Rcr>);
    t.add(ZYDIS_MNEMONIC_SHLD, lower_double_shift<ir::Opcode::Shld>);
    t.add(ZYDIS_MNEMONIC_SHRD, lower_double_shift<ir::Opcode::Shrd>);
}

} // namespace keel::x86
