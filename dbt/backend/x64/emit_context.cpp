#include "dbt/backend/x64/emit_context.h"

namespace keel::x64 {

using namespace Xbyak::util;

i32 EmitContext::find_pseudo(u32 producer, ir::Opcode op) const
{
    for (u32 i = producer + 1; i < block.insts.size(); ++i) {
        const ir::Inst& next = block.insts[i];
        if (next.is_removed())
            continue;
        if (!next.has(ir::attr::Pseudo) || !next.args[0].is_inst() || next.args[0].index() != producer)
            return -1;
        if (next.op == op)
            return static_cast<i32>(i);
    }
    return -1;
}

namespace {
// The next instruction after `from` that is neither removed nor a pseudo-op of `producer`
// (its FlagsOf), or the block's size.
u32 next_emitting(const ir::Block& block, u32 from, u32 producer)
{
    u32 i = from + 1;
    while (i < block.insts.size()) {
        const ir::Inst& next = block.insts[i];
        bool own_pseudo = next.has(ir::attr::Pseudo) && next.args[0].is_inst() && next.args[0].index() == producer;
        if (!next.is_removed() && !own_pseudo)
            break;
        ++i;
    }
    return i;
}

// A StoreState of value `v` to a loop slot at `at`: the slot's register, or -1.
i32 loop_store_of(const EmitContext& ctx, u32 at, u32 v)
{
    if (at >= ctx.block.insts.size())
        return -1;
    const ir::Inst& store = ctx.block.insts[at];
    if (store.op != ir::Opcode::StoreState || !store.args[1].is_inst() || store.args[1].index() != v)
        return -1;
    return ctx.loop.reg_for(static_cast<i32>(store.args[0].imm_value()));
}
} // namespace

bool EmitContext::slot_stored_in(i32 offset, u32 first, u32 last) const
{
    for (u32 i = first; i <= last && i < block.insts.size(); ++i) {
        const ir::Inst& other = block.insts[i];
        if (other.op == ir::Opcode::StoreState && !other.is_removed() && static_cast<i32>(other.args[0].imm_value()) == offset)
            return true;
    }
    return false;
}

i32 EmitContext::slot_destination() const
{
    if (!loop.active())
        return -1;
    const ir::Inst& inst = block.insts[index];
    u32 next = next_emitting(block, index, index);
    u32 store = next, stored = index;
    i32 reg = loop_store_of(*this, next, index);
    if (reg < 0 && inst.type == ir::Type::U32 && next < block.insts.size()) {
        const ir::Inst& extend = block.insts[next];
        if (extend.op == ir::Opcode::ZeroExtend && extend.type == ir::Type::U64 && extend.args[0].is_inst() && extend.args[0].index() == index
            && ra.last_use(index) == next) {
            store = next_emitting(block, next, next);
            stored = next;
            reg = loop_store_of(*this, store, next);
        }
    }
    if (reg < 0)
        return -1;
    // The slot's register must keep the result until its last use.
    i32 offset = static_cast<i32>(block.insts[store].args[0].imm_value());
    return slot_stored_in(offset, store + 1, ra.last_use(stored)) ? -1 : reg;
}

u8 EmitContext::result_scratch(ir::Value v, i32 slot_reg)
{
    if (slot_reg < 0)
        return ra.use_scratch(v);
    u8 reg = static_cast<u8>(slot_reg);
    if (ra.take_reserved_scratch(v, reg) >= 0)
        return reg;
    // `v` is a narrower copy of this very slot (LoadState.u32 copies the register), dying
    // here, and the slot is unchanged since: the register already holds what the operation
    // starts from (`sub r12d, 1` instead of `mov ebx, r12d; sub ebx, 1; mov r12, rbx`).
    if (v.is_inst() && ra.dies_here(v) && inst().args[1] != v) {
        const ir::Inst& load = block.at(v);
        i32 offset = load.op == ir::Opcode::LoadState ? static_cast<i32>(load.args[0].imm_value()) : -1;
        if (offset >= 0 && loop.reg_for(offset) == slot_reg && (v.type() == ir::Type::U32 || v.type() == ir::Type::U64)
            && !slot_stored_in(offset, v.index() + 1, index - 1) && ra.take_free_reserved(reg))
            return reg;
    }
    return ra.use_scratch(v);
}

void EmitContext::restore_host_flags(ir::Value flags)
{
    if (flags.is_inst() && host_flags == static_cast<i32>(flags.index()))
        return;
    // The packed word is EFLAGS[7:0] in bits 15..8 and OF in bit 0 (ir/flags.h):
    // ADD AL,0x7F overflows exactly when AL is 1, and SAHF loads SF ZF AF PF CF from AH.
    if (flags.is_imm())
        code.mov(eax, static_cast<u32>(flags.imm_value()));
    else
        code.mov(eax, r32(ra.use(flags)));
    code.add(al, 0x7F);
    code.sahf();
}

void EmitContext::restore_carry(ir::Value flags)
{
    if (flags.is_inst() && host_flags == static_cast<i32>(flags.index()))
        return;
    if (flags.is_imm()) {
        if (flags.imm_value() & ir::flag::CF)
            code.stc();
        else
            code.clc();
        return;
    }
    code.bt(r32(ra.use(flags)), 8);
}

u8 EmitContext::fused_condition(ir::Value test_cond)
{
    const ir::Inst& tc = block.at(test_cond);
    restore_host_flags(tc.args[1]);
    return static_cast<u8>(tc.args[0].imm_value());
}

void EmitContext::store_guest_pc(u64 pc)
{
    i64 s = static_cast<i64>(pc);
    if (s == static_cast<i32>(s))
        code.mov(qword[rbp + ctx_offset::pc], static_cast<i32>(s));
    else {
        code.mov(rax, pc);
        code.mov(qword[rbp + ctx_offset::pc], rax);
    }
}

void EmitContext::jump_to_helper_exit(u8 condition)
{
    helper_exit_sites.append(code.jcc_rel32_placeholder(condition));
}

} // namespace keel::x64
