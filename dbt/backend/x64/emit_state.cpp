// Guest state in the CPU context, addressed from RBP (docs/backend.md#context).
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {
Xbyak::Address state(i32 offset, ir::Type type)
{
    switch (type) {
    case ir::Type::U1:
    case ir::Type::U8: return byte[rbp + offset];
    case ir::Type::U16: return word[rbp + offset];
    case ir::Type::U32: return dword[rbp + offset];
    default: return qword[rbp + offset];
    }
}

// LoadState of a loop slot (loop_registers.h): a register copy, or no code at all.
void load_loop_slot(EmitContext& ctx, u8 slot_reg, i32 offset)
{
    const ir::Inst& inst = ctx.inst();
    // The value may be the slot's register itself when nothing stores to the slot before
    // the value's last use.
    if (inst.type == ir::Type::U64 && !ctx.ra.holds_value(slot_reg) && !ctx.slot_stored_in(offset, ctx.index + 1, ctx.ra.last_use(ctx.index))) {
        ctx.ra.define(ctx.index, slot_reg);
        return;
    }
    u8 dst = ctx.ra.scratch();
    switch (inst.type) {
    case ir::Type::U1:
    case ir::Type::U8: ctx.code.movzx(r32(dst), r8(slot_reg)); break;
    case ir::Type::U16: ctx.code.movzx(r32(dst), r16(slot_reg)); break;
    case ir::Type::U32: ctx.code.mov(r32(dst), r32(slot_reg)); break;
    default: ctx.code.mov(r64(dst), r64(slot_reg)); break;
    }
    ctx.ra.define(ctx.index, dst);
}

// StoreState of a loop slot: always all 8 bytes (plan_loop_registers).
void store_loop_slot(EmitContext& ctx, u8 slot_reg, ir::Value v)
{
    if (v.is_imm()) {
        ctx.code.mov(r64(slot_reg), v.imm_value()); // MOV: the host flags survive
        return;
    }
    u8 src = ctx.ra.use(v);
    if (src != slot_reg)
        ctx.code.mov(r64(slot_reg), r64(src));
}
} // namespace

template<>
void emit<ir::Opcode::LoadState>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    i32 offset = static_cast<i32>(inst.args[0].imm_value());
    if (i32 slot_reg = ctx.loop.reg_for(offset); slot_reg >= 0)
        return load_loop_slot(ctx, static_cast<u8>(slot_reg), offset);
    u8 dst = ctx.ra.scratch();
    switch (inst.type) {
    case ir::Type::U1:
    case ir::Type::U8: ctx.code.movzx(r32(dst), byte[rbp + offset]); break;
    case ir::Type::U16: ctx.code.movzx(r32(dst), word[rbp + offset]); break;
    case ir::Type::U32: ctx.code.mov(r32(dst), dword[rbp + offset]); break;
    default: ctx.code.mov(r64(dst), qword[rbp + offset]); break;
    }
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::StoreState>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    i32 offset = static_cast<i32>(inst.args[0].imm_value());
    ir::Value v = inst.args[1];
    if (i32 slot_reg = ctx.loop.reg_for(offset); slot_reg >= 0)
        return store_loop_slot(ctx, static_cast<u8>(slot_reg), v);
    if (fits_imm32(v)) {
        ctx.code.mov(state(offset, v.type()), imm64_of(v));
        return;
    }
    if (v.is_imm()) {
        ctx.code.mov(rax, v.imm_value());
        ctx.code.mov(qword[rbp + offset], rax);
        return;
    }
    ctx.code.mov(state(offset, v.type()), sized(ctx.ra.use(v), v.type()));
}

template<>
void emit<ir::Opcode::LoadFlags>(EmitContext& ctx)
{
    u8 dst = ctx.ra.scratch();
    ctx.code.movzx(r32(dst), word[rbp + ctx_offset::flags]);
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::StoreFlags>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value f = inst.args[0];
    u16 mask = static_cast<u16>(inst.args[1].imm_value());
    if (mask == ir::flag::All) {
        if (ctx.flags_direct[ctx.index])
            return; // stored by its FlagsOf
        if (f.is_imm())
            ctx.code.mov(word[rbp + ctx_offset::flags], static_cast<u16>(f.imm_value()));
        else
            ctx.code.mov(word[rbp + ctx_offset::flags], r16(ctx.ra.use(f)));
        return; // MOV: host flags unchanged
    }
    // Partial update: merge the written flags into the stored word.
    u8 tmp = ctx.ra.use_scratch(f);
    ctx.code.and_(r32(tmp), mask);
    ctx.code.movzx(eax, word[rbp + ctx_offset::flags]);
    ctx.code.and_(eax, static_cast<u16>(~mask));
    ctx.code.or_(eax, r32(tmp));
    ctx.code.mov(word[rbp + ctx_offset::flags], ax);
}

} // namespace keel::x64
