// Instructions that exist only outside 64-bit mode (Intel SDM vol. 2; in 64-bit mode their
// opcodes are invalid or mean something else, and Zydis' 64-bit decoder never yields
// them): PUSHA/POPA, the BCD adjustments DAA/DAS/AAA/AAS/AAM/AAD, BOUND, INTO, SALC, ARPL,
// and LDS/LES (with LSS/LFS/LGS, which 64-bit mode has too).
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {
namespace {

using ir::Type;

constexpr Gpr pusha_order[8] = { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

// PUSHA/PUSHAD: AX..DI (EAX..EDI), SP as it was before the first push.
Lowered lower_pusha(Lowerer& lw)
{
    Type t = lw.operand_type();
    i64 width = ir::byte_width(t);
    ir::Value sp = lw.stack_pointer();
    ir::Value top = sp;
    for (Gpr g : pusha_order) {
        top = lw.stack_offset(top, -width);
        lw.store(lw.stack_address(top, static_cast<unsigned>(width)), lw.read_gpr(g, t), true);
    }
    lw.set_stack_pointer(top);
    return Lowered::Continue;
}

// POPA/POPAD: DI..AX in reverse, the saved SP skipped.
Lowered lower_popa(Lowerer& lw)
{
    Type t = lw.operand_type();
    i64 width = ir::byte_width(t);
    ir::Value sp = lw.stack_pointer();
    ir::Value values[8];
    for (int i = 7; i >= 0; --i) {
        ir::Value at = lw.stack_offset(sp, (7 - i) * width);
        values[i] = lw.load(t, lw.stack_address(at, static_cast<unsigned>(width)), true);
    }
    for (int i = 7; i >= 0; --i) {
        if (pusha_order[i] != RSP)
            lw.write_gpr(pusha_order[i], values[i]);
    }
    lw.set_stack_pointer(lw.stack_offset(sp, 8 * width));
    return Lowered::Continue;
}

template<helpers::BcdOp Op>
Lowered lower_bcd(Lowerer& lw)
{
    u64 imm = (Op == helpers::BcdOp::Aam || Op == helpers::BcdOp::Aad) ? lw.op(0).imm.value.u & 0xFF : 0;
    ir::Value ax = lw.ir.zext(Type::U64, lw.read_gpr(RAX, Type::U16));
    ir::Value flags = lw.ir.zext(Type::U64, lw.ir.flags_to_int(lw.flags()));
    lw.commit();
    ir::Value r = lw.ir.call(helpers::bcd_adjust, lw.imm(Type::U64, static_cast<u64>(Op) | imm << 8), ax, flags);
    lw.write_gpr(RAX, lw.ir.trunc(Type::U16, r));
    ir::Value packed = lw.ir.trunc(Type::U16, lw.ir.shift(ir::Opcode::Shr, r, ir::Builder::imm8(16)));
    lw.set_flags_value(lw.ir.int_to_flags(packed), ir::flag::All);
    return Lowered::Continue;
}

// The two values at memory operand 1, of types `first` and `second`, one after the other
// (BOUND's bounds, a far pointer's offset and selector). False when operand 1 is a register:
// these forms are invalid then (#UD).
bool load_pair(Lowerer& lw, Type first, Type second, ir::Value& a, ir::Value& b)
{
    if (lw.op(1).type != ZYDIS_OPERAND_TYPE_MEMORY)
        return false;
    ir::Value address = lw.address(1);
    bool stack = lw.is_stack_operand(1);
    a = lw.load(first, address, stack);
    b = lw.load(second, lw.ir.add(address, lw.imm(Type::U64, ir::byte_width(first))), stack);
    return true;
}

// BOUND r, m: the pair of signed bounds at m; #BR (a fault) outside them.
Lowered lower_bound(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value lower, upper;
    if (!load_pair(lw, t, t, lower, upper))
        return lw.raise(vector::UD);
    lw.commit();
    lw.ir.call(helpers::bound, lw.ir.sext(Type::U64, lw.read(0)), lw.ir.sext(Type::U64, lower), lw.ir.sext(Type::U64, upper));
    return Lowered::Continue;
}

Lowered lower_into(Lowerer& lw)
{
    ir::Value of = lw.ir.zext(Type::U64, lw.condition(static_cast<u8>(ir::Cond::O)));
    lw.commit();
    lw.ir.call(helpers::into, lw.imm(Type::U64, lw.d().next_pc()), of);
    return Lowered::Continue;
}

// SALC: AL = CF ? 0xFF : 0 (undocumented in the SDM, decoded by Zydis; flags unchanged).
Lowered lower_salc(Lowerer& lw)
{
    ir::Value cf = lw.condition(static_cast<u8>(ir::Cond::B));
    lw.write_reg(ZYDIS_REGISTER_AL, lw.ir.select(cf, lw.imm(Type::U8, 0xFF), lw.imm(Type::U8, 0)));
    return Lowered::Continue;
}

// ARPL r/m16, r16: raises the destination selector's RPL to the source's; ZF says whether
// it did (the other flags are unchanged).
Lowered lower_arpl(Lowerer& lw)
{
    if (!(lw.mode() & mode::protected_mode) || (lw.mode() & mode::virtual8086))
        return lw.raise(vector::UD); // not recognised in real-address or virtual-8086 mode
    ir::Value dst = lw.read_as(0, Type::U16);
    ir::Value src = lw.read_as(1, Type::U16);
    ir::Value dst_rpl = lw.ir.and_(dst, lw.imm(Type::U16, 3));
    ir::Value src_rpl = lw.ir.and_(src, lw.imm(Type::U16, 3));
    ir::Value raise = lw.ir.test_cond(ir::Cond::B, lw.ir.flags_of(lw.ir.sub(dst_rpl, src_rpl))); // dst.RPL < src.RPL
    ir::Value raised = lw.ir.or_(lw.ir.and_(dst, lw.imm(Type::U16, 0xFFFC)), src_rpl);
    lw.write(0, lw.ir.select(raise, raised, dst));
    // ZF = raise; a partial flags store leaves every other flag as it was.
    ir::Value zf = lw.ir.select(raise, lw.imm(Type::U16, ir::flag::ZF), lw.imm(Type::U16, 0));
    lw.set_flags_value(lw.ir.int_to_flags(zf), ir::flag::ZF);
    return Lowered::Continue;
}

// LDS/LES/LSS/LFS/LGS r, m16:16/32/64: the offset into r, the selector into the segment
// register (which may fault first: then r is unchanged).
template<SegmentIndex Seg>
Lowered lower_load_far_pointer(Lowerer& lw)
{
    ir::Value offset, selector;
    if (!load_pair(lw, lw.op_type(0), Type::U16, offset, selector))
        return lw.raise(vector::UD);
    lw.commit();
    lw.ir.call(helpers::load_segment, lw.imm(Type::U64, Seg | (u64(lw.insn().length) << 8)), lw.ir.zext(Type::U64, selector));
    lw.write(0, offset);
    return lw.end_block_after();
}

} // namespace

void register_legacy(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_PUSHA, lower_pusha);
    t.add(ZYDIS_MNEMONIC_PUSHAD, lower_pusha);
    t.add(ZYDIS_MNEMONIC_POPA, lower_popa);
    t.add(ZYDIS_MNEMONIC_POPAD, lower_popa);
    t.add(ZYDIS_MNEMONIC_DAA, lower_bcd<helpers::BcdOp::Daa>);
    t.add(ZYDIS_MNEMONIC_DAS, lower_bcd<helpers::BcdOp::Das>);
    t.add(ZYDIS_MNEMONIC_AAA, lower_bcd<helpers::BcdOp::Aaa>);
    t.add(ZYDIS_MNEMONIC_AAS, lower_bcd<helpers::BcdOp::Aas>);
    t.add(ZYDIS_MNEMONIC_AAM, lower_bcd<helpers::BcdOp::Aam>);
    t.add(ZYDIS_MNEMONIC_AAD, lower_bcd<helpers::BcdOp::Aad>);
    t.add(ZYDIS_MNEMONIC_BOUND, lower_bound);
    t.add(ZYDIS_MNEMONIC_INTO, lower_into);
    t.add(ZYDIS_MNEMONIC_SALC, lower_salc);
    t.add(ZYDIS_MNEMONIC_ARPL, lower_arpl);
    t.add(ZYDIS_MNEMONIC_LDS, lower_load_far_pointer<DS>);
    t.add(ZYDIS_MNEMONIC_LES, lower_load_far_pointer<ES>);
    t.add(ZYDIS_MNEMONIC_LSS, lower_load_far_pointer<SS>);
    t.add(ZYDIS_MNEMONIC_LFS, lower_load_far_pointer<FS>);
    t.add(ZYDIS_MNEMONIC_LGS, lower_load_far_pointer<GS>);
}

} // namespace keel::x86
