// Control transfer and condition consumers: JMP, Jcc, JrCXZ, LOOPcc, CALL, RET (near and
// far), SETcc, CMOVcc.
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {
namespace {

using ir::Type;

bool is_far(const Lowerer& lw) { return lw.insn().meta.branch_type == ZYDIS_BRANCH_TYPE_FAR; }

u64 relative_target(const Lowerer& lw)
{
    // A 16-bit operand size truncates the new RIP (Intel SDM vol. 2, JMP); outside 64-bit
    // code EIP wraps.
    return lw.wrap_branch_target(lw.d().next_pc() + static_cast<u64>(lw.op(0).imm.value.s));
}

// Jcc/LOOP/JrCXZ: only the taken path can fault (a non-canonical target, or one beyond
// CS's limit: Intel SDM vol. 2, Jcc, #GP(0)).
Lowered conditional_branch(Lowerer& lw, ir::Value cond, u64 taken)
{
    ir::Value faults = lw.branch_target_faults(lw.imm(Type::U64, taken));
    if (faults.is_imm() ? faults.imm_value() != 0 : !faults.is_none())
        lw.ir.trap_if(faults.is_imm() ? cond : lw.ir.and_(cond, faults), vector::GP, true, 0);
    return lw.branch(cond, taken, lw.d().next_pc());
}

// JMP/CALL far: through memory (m16:16/32/64, offset first, selector after it) or, outside
// 64-bit mode, to an immediate pointer (ptr16:16/32).
Lowered lower_far_transfer(Lowerer& lw, bool is_call)
{
    unsigned offset_bytes;
    ir::Value offset, selector;
    if (lw.op(0).type == ZYDIS_OPERAND_TYPE_POINTER) {
        if (lw.code64())
            return lw.raise(vector::UD); // direct far jumps are invalid in 64-bit mode
        offset_bytes = lw.insn().operand_width / 8;
        offset = lw.imm(Type::U64, lw.op(0).ptr.offset);
        selector = lw.imm(Type::U16, lw.op(0).ptr.segment);
    } else if (lw.op(0).type == ZYDIS_OPERAND_TYPE_MEMORY) {
        offset_bytes = lw.op(0).size / 8 - 2;
        ir::Value address = lw.address(0);
        bool stack = lw.is_stack_operand(0);
        offset = lw.ir.zext(Type::U64, lw.load(Lowerer::type_of_bits(offset_bytes * 8), address, stack));
        selector = lw.load(Type::U16, lw.ir.add(address, lw.imm(Type::U64, offset_bytes)), stack);
    } else {
        return lw.raise(vector::UD);
    }
    lw.commit();
    // Low byte: the operand size a CALL pushes at (0 for a JMP); above it the instruction's
    // length, for the return address and a task switch's saved EIP.
    lw.ir.call(helpers::far_jump, lw.ir.zext(Type::U64, selector), offset, lw.imm(Type::U64, (is_call ? offset_bytes : 0) | (u64(lw.insn().length) << 8)));
    lw.ir.exit(ir::ExitReason::Dispatch);
    return Lowered::EndBlock;
}

Lowered lower_jmp(Lowerer& lw)
{
    if (is_far(lw))
        return lower_far_transfer(lw, false);
    if (lw.op(0).type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        u64 target = relative_target(lw);
        return lw.check_branch_target(target) ? lw.jump(target) : lw.raise(vector::GP, 0);
    }
    ir::Value target = lw.ir.zext(Type::U64, lw.read(0));
    lw.check_branch_target(target);
    return lw.jump_indirect(target);
}

Lowered lower_call(Lowerer& lw)
{
    if (is_far(lw))
        return lower_far_transfer(lw, true);
    u64 return_address = lw.d().next_pc();
    if (lw.op(0).type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        u64 target = relative_target(lw);
        if (!lw.check_branch_target(target))
            return lw.raise(vector::GP, 0); // nothing pushed
        lw.push(lw.imm(lw.operand_type(), return_address));
        lw.jump(target);
    } else {
        ir::Value target = lw.ir.zext(Type::U64, lw.read(0)); // read before RSP moves (CALL [rsp])
        lw.check_branch_target(target);
        lw.push(lw.imm(lw.operand_type(), return_address));
        lw.jump_indirect(target);
    }
    lw.ir.mark_call(return_address);
    return Lowered::EndBlock;
}

Lowered lower_ret(Lowerer& lw)
{
    u64 release = lw.insn().operand_count_visible ? lw.op(0).imm.value.u : 0;
    if (is_far(lw)) {
        lw.commit();
        lw.ir.call(helpers::far_return, lw.imm(Type::U64, lw.insn().operand_width / 8), lw.imm(Type::U64, release));
        lw.ir.exit(ir::ExitReason::Dispatch);
        return Lowered::EndBlock;
    }
    Type t = lw.operand_type();
    ir::Value sp = lw.stack_pointer();
    ir::Value target = lw.ir.zext(Type::U64, lw.load(t, lw.stack_address(sp, ir::byte_width(t)), true));
    lw.check_branch_target(target); // RSP not yet moved
    lw.set_stack_pointer(lw.stack_offset(sp, static_cast<i64>(ir::byte_width(t) + release)));
    lw.jump_indirect(target);
    lw.ir.mark_return();
    return Lowered::EndBlock;
}

// Jcc: the condition nibble is in the opcode's low 4 bits (0F 8x or 7x).
Lowered lower_jcc(Lowerer& lw)
{
    u8 cc = lw.insn().opcode & 0xF;
    return conditional_branch(lw, lw.condition(cc), relative_target(lw));
}

// The count register of JrCXZ/LOOP follows the address size (Intel SDM vol. 2, LOOPcc).
Type count_type(const Lowerer& lw) { return Lowerer::type_of_bits(lw.insn().address_width); }

Lowered lower_jrcxz(Lowerer& lw)
{
    ir::Value count = lw.read_gpr(RCX, count_type(lw));
    return conditional_branch(lw, lw.ir.equal(count, lw.imm(count.type(), 0)), relative_target(lw));
}

// LOOP/LOOPE/LOOPNE: decrement the count (no flags), branch while it is not zero (and ZF
// is 1 / 0).
template<int ZfCondition>
Lowered lower_loop(Lowerer& lw)
{
    Type t = count_type(lw);
    ir::Value count = lw.ir.sub(lw.read_gpr(RCX, t), lw.imm(t, 1));
    lw.write_gpr(RCX, count);
    ir::Value not_zero = lw.ir.xor_(lw.ir.equal(count, lw.imm(t, 0)), ir::Builder::bool_imm(true));
    if (ZfCondition >= 0) {
        ir::Value zf = lw.condition(ZfCondition ? static_cast<u8>(ir::Cond::E) : static_cast<u8>(ir::Cond::NE));
        not_zero = lw.ir.and_(not_zero, zf);
    }
    return conditional_branch(lw, not_zero, relative_target(lw));
}

Lowered lower_setcc(Lowerer& lw)
{
    u8 cc = lw.insn().opcode & 0xF;
    lw.write(0, lw.ir.zext(Type::U8, lw.condition(cc)));
    return Lowered::Continue;
}

Lowered lower_cmovcc(Lowerer& lw)
{
    // The source is read (and may fault) whatever the condition; a 32-bit destination
    // is zero-extended even when nothing moves.
    u8 cc = lw.insn().opcode & 0xF;
    Type t = lw.op_type(0);
    ir::Value src = lw.read_as(1, t);
    ir::Value old = lw.read(0);
    lw.write(0, lw.ir.select(lw.condition(cc), src, old));
    return Lowered::Continue;
}

} // namespace

void register_control_flow(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_JMP, lower_jmp);
    t.add(ZYDIS_MNEMONIC_CALL, lower_call);
    t.add(ZYDIS_MNEMONIC_RET, lower_ret);
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB, ZYDIS_MNEMONIC_JZ,
             ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE, ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,
             ZYDIS_MNEMONIC_JNP, ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE })
        t.add(m, lower_jcc);
    t.add(ZYDIS_MNEMONIC_JRCXZ, lower_jrcxz);
    t.add(ZYDIS_MNEMONIC_JECXZ, lower_jrcxz);
    t.add(ZYDIS_MNEMONIC_LOOP, lower_loop<-1>);
    t.add(ZYDIS_MNEMONIC_LOOPE, lower_loop<1>);
    t.add(ZYDIS_MNEMONIC_LOOPNE, lower_loop<0>);
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETZ,
             ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS,
             ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP, ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE,
             ZYDIS_MNEMONIC_SETNLE })
        t.add(m, lower_setcc);
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
             ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE, ZYDIS_MNEMONIC_CMOVS,
             ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP, ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL,
             ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE })
        t.add(m, lower_cmovcc);
}

} // namespace keel::x86
