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
