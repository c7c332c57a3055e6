// Bit tests and scans (Intel SDM vol. 2, BT/BTS/BTR/BTC, BSF/BSR, TZCNT, LZCNT, POPCNT).
#include "plugins/arch/x86/frontend/lower_table.h"

namespace keel::x86 {
namespace {

using ir::Type;

// BT* with a memory operand and a register bit offset address the bit string starting
// at the operand: the offset is signed and may reach far outside it (§ "BT", table 3-2).
// Returns the address of the operand-sized word holding the bit and the in-word index.
void locate_bit(Lowerer& lw, Type t, ir::Value& address, ir::Value& index)
{
    unsigned bits = ir::bit_width(t);
    ir::Value offset = lw.read_as(1, t);
    address = lw.address(0);
    if (lw.op(1).type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        index = lw.imm(t, offset.imm_value() & (bits - 1));
        return;
    }
    unsigned shift = __builtin_ctz(bits);
    ir::Value word = lw.ir.shift(ir::Opcode::Sar, lw.ir.sext(Type::U64, offset), ir::Builder::imm8(shift));
    address = lw.ir.add(address, lw.ir.shift(ir::Opcode::Shl, word, ir::Builder::imm8(__builtin_ctz(bits / 8))));
    index = lw.ir.and_(offset, lw.imm(t, bits - 1));
}

Lowered lower_bt(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value value, index;
    if (lw.op(0).type == ZYDIS_OPERAND_TYPE_MEMORY) {
        ir::Value address;
        locate_bit(lw, t, address, index);
        value = lw.load(t, address, lw.is_stack_operand(0));
    } else {
        value = lw.read(0);
        index = lw.read_as(1, t);
    }
    ir::Value bit = lw.ir.emit(ir::Opcode::Bt, Type::U1, value, index);
    // CF is the bit; ZF is unchanged; OF SF AF PF are undefined: keel leaves them as they
    // were (what current Intel cores do), which keeps the guest deterministic.
    lw.set_flags(bit, ir::flag::CF);
    return Lowered::Continue;
}

template<ir::Opcode Op>
Lowered lower_bit_modify(Lowerer& lw)
{
    Type t = lw.op_type(0);
    if (lw.op(0).type == ZYDIS_OPERAND_TYPE_MEMORY) {
        ir::Value address, index;
        locate_bit(lw, t, address, index);
        ir::Value r = lw.ir.emit(Op, t, lw.load(t, address, lw.is_stack_operand(0)), index);
        lw.set_flags(r, ir::flag::CF);
        lw.store(address, r, lw.is_stack_operand(0));
        return Lowered::Continue;
    }
    ir::Value r = lw.ir.emit(Op, t, lw.read(0), lw.read_as(1, t));
    lw.set_flags(r, ir::flag::CF);
    lw.write(0, r);
    return Lowered::Continue;
}

// BSF/BSR: ZF = (source == 0); the destination is left unchanged then.
template<ir::Opcode Op>
Lowered lower_scan(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value src = lw.read_as(1, t);
    ir::Value old = lw.read(0);
    ir::Value r = lw.ir.emit(Op, t, src, old, lw.flags()); // undefined flags: see lower_count
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

// TZCNT/LZCNT (and BSF/BSR) leave some flags undefined (SDM vol. 2), and CPUs differ: some
// keep them as they were. The host instruction runs with the guest's flags loaded, so the
// guest sees exactly what its CPU, the host, would leave.
template<ir::Opcode Op>
Lowered lower_count(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value r;
    if constexpr (Op == ir::Opcode::Popcnt)
        r = lw.ir.emit(Op, t, lw.read_as(1, t)); // every flag defined
    else
        r = lw.ir.emit(Op, t, lw.read_as(1, t), lw.flags());
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

// BMI1 (Intel SDM vol. 2, ANDN/BEXTR/BLSI/BLSMSK/BLSR): VEX forms, 32 or 64 bits.
Lowered lower_andn(Lowerer& lw)
{
    ir::Value r = lw.ir.emit(ir::Opcode::Andn, lw.op_type(0), lw.read(1), lw.read(2));
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

Lowered lower_bextr(Lowerer& lw)
{
    ir::Value r = lw.ir.emit(ir::Opcode::Bextr, lw.op_type(0), lw.read(1), lw.read(2));
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

template<ir::Opcode Op>
Lowered lower_bls(Lowerer& lw)
{
    ir::Value r = lw.ir.emit(Op, lw.op_type(0), lw.read(1));
    lw.set_flags(r, ir::flag::All);
    lw.write(0, r);
    return Lowered::Continue;
}

} // namespace

void register_bit_operations(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_BT, lower_bt);
    t.add(ZYDIS_MNEMONIC_BTS, lower_bit_modify<ir::Opcode::Bts>);
    t.add(ZYDIS_MNEMONIC_BTR, lower_bit_modify<ir::Opcode::Btr>);
    t.add(ZYDIS_MNEMONIC_BTC, lower_bit_modify<ir::Opcode::Btc>);
    t.add(ZYDIS_MNEMONIC_BSF, lower_scan<ir::Opcode::Bsf>);
    t.add(ZYDIS_MNEMONIC_BSR, lower_scan<ir::Opcode::Bsr>);
    t.add(ZYDIS_MNEMONIC_TZCNT, lower_count<ir::Opcode::Tzcnt>);
    t.add(ZYDIS_MNEMONIC_LZCNT, lower_count<ir::Opcode::Lzcnt>);
    t.add(ZYDIS_MNEMONIC_POPCNT, lower_count<ir::Opcode::Popcnt>);
    t.add(ZYDIS_MNEMONIC_ANDN, lower_andn);
    t.add(ZYDIS_MNEMONIC_BEXTR, lower_bextr);
    t.add(ZYDIS_MNEMONIC_BLSI, lower_bls<ir::Opcode::Blsi>);
    t.add(ZYDIS_MNEMONIC_BLSMSK, lower_bls<ir::Opcode::Blsmsk>);
    t.add(ZYDIS_MNEMONIC_BLSR, lower_bls<ir::Opcode::Blsr>);
}

} // namespace keel::x86
