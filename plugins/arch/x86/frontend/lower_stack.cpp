// PUSH, POP, ENTER, LEAVE, PUSHF, POPF (Intel SDM vol. 2). In 64-bit mode the stack
// pointer is RSP and pushes are 8 bytes, or 2 with an operand-size prefix; elsewhere it is
// ESP or SP by SS.B and pushes are the operand size (Lowerer::stack_type).
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {
namespace {

using ir::Type;

bool is_segment(const ZydisDecodedOperand& o)
{
    return o.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(o.reg.value) == ZYDIS_REGCLASS_SEGMENT;
}

Lowered lower_push(Lowerer& lw)
{
    Type t = lw.operand_type();
    if (is_segment(lw.op(0))) {
        ir::Value selector = lw.ir.load_state(Type::U16, offset::segment_selector(segment_index(lw.op(0).reg.value)));
        lw.push(lw.ir.zext(t, selector));
        return Lowered::Continue;
    }
    // The value is read before RSP moves: PUSH RSP pushes the old RSP.
    lw.push(lw.read_as(0, t));
    return Lowered::Continue;
}

Lowered lower_pop(Lowerer& lw)
{
    Type t = lw.operand_type();
    ir::Value sp = lw.stack_pointer();
    ir::Value value = lw.load(t, lw.stack_address(sp, ir::byte_width(t)), true);
    ir::Value new_sp = lw.stack_offset(sp, ir::byte_width(t));
    if (is_segment(lw.op(0))) {
        lw.set_stack_pointer(new_sp);
        lw.commit();
        lw.ir.call(helpers::load_segment, lw.imm(Type::U64, segment_index(lw.op(0).reg.value) | (u64(lw.insn().length) << 8)), lw.ir.zext(Type::U64, value));
        return lw.end_block_after();
    }
    // An RSP-based destination address uses the incremented RSP (Intel SDM vol. 2, POP);
    // POP RSP: the popped value wins over the increment (the later write).
    lw.set_stack_pointer(new_sp);
    lw.write(0, value);
    return Lowered::Continue;
}

Lowered lower_leave(Lowerer& lw)
{
    // RSP = RBP; RBP = pop(), at the stack pointer's width (Intel SDM vol. 2, LEAVE).
    Type t = lw.operand_type();
    ir::Value frame = lw.read_gpr(RBP, lw.stack_type());
    ir::Value saved = lw.load(t, lw.stack_address(frame, ir::byte_width(t)), true);
    lw.set_stack_pointer(lw.stack_offset(frame, ir::byte_width(t)));
    if (t == Type::U16)
        lw.write_reg(ZYDIS_REGISTER_BP, saved);
    else
        lw.write_gpr(RBP, saved);
    return Lowered::Continue;
}

Lowered lower_enter(Lowerer& lw)
{
    // ENTER size, level (Intel SDM vol. 2, ENTER): frame pointers at the stack's width.
    Type t = lw.operand_type();
    i64 width = ir::byte_width(t);
    u64 size = lw.op(0).imm.value.u & 0xFFFF;
    unsigned level = lw.op(1).imm.value.u & 31;
    ir::Value sp = lw.stack_pointer();
    ir::Value bp = lw.read_gpr(RBP, lw.stack_type());
    ir::Value top = lw.stack_offset(sp, -width);
    lw.store(lw.stack_address(top, static_cast<unsigned>(width)), lw.ir.trunc(t, lw.read_gpr(RBP)), true);
    ir::Value frame_temp = top;
    for (unsigned i = 1; i < level; ++i) {
        ir::Value from = lw.stack_offset(bp, -static_cast<i64>(i) * width);
        ir::Value link = lw.load(t, lw.stack_address(from, static_cast<unsigned>(width)), true);
        top = lw.stack_offset(top, -width);
        lw.store(lw.stack_address(top, static_cast<unsigned>(width)), link, true);
    }
    if (level > 0) {
        top = lw.stack_offset(top, -width);
        lw.store(lw.stack_address(top, static_cast<unsigned>(width)), lw.ir.trunc(t, lw.ir.zext(Type::U64, frame_temp)), true);
    }
    ir::Value new_sp = lw.stack_offset(top, -static_cast<i64>(size));
    if (t == Type::U16)
        lw.write_reg(ZYDIS_REGISTER_BP, lw.ir.trunc(Type::U16, frame_temp));
    else
        lw.write_gpr(RBP, lw.ir.zext(Type::U64, frame_temp));
    lw.set_stack_pointer(new_sp);
    return Lowered::Continue;
}

// RFLAGS as the program sees it: the stored system bits plus the status flags.
ir::Value compose_rflags(Lowerer& lw)
{
    ir::Value packed = lw.ir.zext(Type::U64, lw.ir.flags_to_int(lw.flags()));
    // packed: bits 15..8 = RFLAGS 7..0, bit 0 = OF (dbt/ir/flags.h).
    ir::Value low = lw.ir.and_(lw.ir.shift(ir::Opcode::Shr, packed, ir::Builder::imm8(8)), lw.imm(Type::U64, 0xD5));
    ir::Value of = lw.ir.shift(ir::Opcode::Shl, lw.ir.and_(packed, lw.imm(Type::U64, 1)), ir::Builder::imm8(11));
    ir::Value system = lw.ir.and_(lw.read_rflags_sys(), lw.imm(Type::U64, ~(rflags::status | rflags::RF | rflags::VM)));
    return lw.ir.or_(lw.ir.or_(system, low), of);
}

Lowered lower_pushf(Lowerer& lw)
{
    Type t = lw.operand_type();
    // In virtual-8086 mode PUSHF with IOPL < 3 is a #GP(0) to the monitor (no VME).
    if (lw.mode() & mode::virtual8086) {
        lw.commit();
        lw.ir.call(helpers::iopl3_check);
    }
    lw.push(lw.ir.trunc(t, compose_rflags(lw)));
    return Lowered::Continue;
}

Lowered lower_popf(Lowerer& lw)
{
    // Which bits may change depends on CPL and IOPL: the helper applies the rules; IF
    // or TF may have changed, so the block ends.
    Type t = lw.operand_type();
    ir::Value value = lw.pop(t);
    lw.commit();
    lw.ir.call(helpers::popf, lw.ir.zext(Type::U64, value), lw.imm(Type::U64, ir::byte_width(t)));
    return lw.end_block_after();
}

} // namespace

void register_stack(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_PUSH, lower_push);
    t.add(ZYDIS_MNEMONIC_POP, lower_pop);
    t.add(ZYDIS_MNEMONIC_LEAVE, lower_leave);
    t.add(ZYDIS_MNEMONIC_ENTER, lower_enter);
    t.add(ZYDIS_MNEMONIC_PUSHF, lower_pushf);
    t.add(ZYDIS_MNEMONIC_PUSHFD, lower_pushf);
    t.add(ZYDIS_MNEMONIC_PUSHFQ, lower_pushf);
    t.add(ZYDIS_MNEMONIC_POPF, lower_popf);
    t.add(ZYDIS_MNEMONIC_POPFD, lower_popf);
    t.add(ZYDIS_MNEMONIC_POPFQ, lower_popf);
}

} // namespace keel::x86
