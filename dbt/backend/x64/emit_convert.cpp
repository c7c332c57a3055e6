// Conversions, conditions and selection.
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

// Source and destination registers: the source's own when it dies here, else a new one
// (then one MOVZX/MOVSX/MOV both copies and extends).
static void extension_registers(EmitContext& ctx, u8& src, u8& dst)
{
    ir::Value v = ctx.inst().args[0];
    if (ctx.ra.dies_here(v)) {
        src = dst = ctx.ra.use_scratch(v);
    } else {
        src = ctx.ra.use(v);
        dst = ctx.ra.scratch();
    }
}

// A clean 32-bit value that lives on, zero-extended only to be stored as a whole register
// by the next instruction (a 32-bit guest register write): the store takes the value's own
// register, already zero above bit 31, instead of a copy (`mov [rbp+rsi], rbx` for
// `mov esi, ebx; mov [rbp+rsi], rsi`). The StoreState is then done here.
static bool store_extended_directly(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    if (inst.type != ir::Type::U64 || ctx.ra.last_use(ctx.index) != ctx.index + 1 || ctx.index + 1 >= ctx.block.insts.size())
        return false;
    const ir::Inst& store = ctx.block.insts[ctx.index + 1];
    if (store.op != ir::Opcode::StoreState || store.is_removed() || !store.args[1].is_inst() || store.args[1].index() != ctx.index)
        return false;
    i32 offset = static_cast<i32>(store.args[0].imm_value());
    if (ctx.loop.reg_for(offset) >= 0)
        return false; // a loop slot: the register copy is the store
    ctx.code.mov(qword[rbp + offset], r64(ctx.ra.use(inst.args[0])));
    ctx.emitted_elsewhere[ctx.index + 1] = 1;
    return true;
}

template<>
void emit<ir::Opcode::ZeroExtend>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value v = inst.args[0];
    // A 32-bit value produced by a 32-bit host instruction already has bits 63..32 clear;
    // an 8- or 16-bit load is a MOVZX (and its slow path returns the bytes zero-extended).
    bool narrow_load = (v.type() == ir::Type::U8 || v.type() == ir::Type::U16) && v.is_inst()
        && ctx.block.at(v).op == ir::Opcode::Load;
    bool clean = v.type() == ir::Type::U32 ? v.is_inst() && !ctx.upper_garbage[v.index()] : narrow_load;
    if (clean && ctx.ra.dies_here(v)) {
        // No code: the result is `v`'s register as it is (never result_scratch's narrower
        // slot copy, whose register's upper half is the slot's).
        i32 slot_reg = ctx.slot_destination();
        bool in_slot = slot_reg >= 0 && ctx.ra.take_reserved_scratch(v, static_cast<u8>(slot_reg)) >= 0;
        ctx.ra.define(ctx.index, in_slot ? static_cast<u8>(slot_reg) : ctx.ra.use_scratch(v));
        return;
    }
    if (clean && v.type() == ir::Type::U32 && store_extended_directly(ctx))
        return;
    u8 src, dst;
    extension_registers(ctx, src, dst);
    switch (v.type()) {
    case ir::Type::U1:
    case ir::Type::U8: ctx.code.movzx(r32(dst), r8(src)); break;
    case ir::Type::U16: ctx.code.movzx(r32(dst), r16(src)); break;
    default: ctx.code.mov(r32(dst), r32(src)); break; // a 32-bit write clears bits 63..32
    }
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::SignExtend>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    u8 src, dst;
    extension_registers(ctx, src, dst);
    auto wide = at_least_32(dst, inst.type);
    switch (inst.args[0].type()) {
    case ir::Type::U1:
        ctx.code.movzx(r32(dst), r8(src));
        ctx.code.neg(wide);
        break;
    case ir::Type::U8: ctx.code.movsx(wide, r8(src)); break;
    case ir::Type::U16: ctx.code.movsx(wide, r16(src)); break;
    default: ctx.code.movsxd(r64(dst), r32(src)); break;
    }
    if (inst.type == ir::Type::U16)
        ctx.upper_garbage[ctx.index] = 1;
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::Truncate>(EmitContext& ctx)
{
    // Registers hold values with undefined upper bits, so truncation is free when the
    // source dies here (the result keeps its upper garbage); otherwise one MOV.
    const ir::Inst& inst = ctx.inst();
    ir::Value v = inst.args[0];
    if (inst.type == ir::Type::U1) {
        u8 dst = ctx.ra.use_scratch(v);
        ctx.code.and_(r32(dst), 1);
        ctx.ra.define(ctx.index, dst);
        return;
    }
    if (ctx.ra.dies_here(v)) {
        ctx.upper_garbage[ctx.index] = 1;
        ctx.ra.define(ctx.index, ctx.ra.use_scratch(v));
        return;
    }
    u8 src = ctx.ra.use(v);
    u8 dst = ctx.ra.scratch();
    ctx.code.mov(r32(dst), r32(src)); // clears the upper half: a clean 32-bit value
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::TestCond>(EmitContext& ctx)
{
    if (ctx.lazy_cond[ctx.index])
        return; // fused into its user (a branch or a select), which evaluates it there
    const ir::Inst& inst = ctx.inst();
    ctx.restore_host_flags(inst.args[1]);
    if (inst.args[1].is_inst())
        ctx.flags_after = static_cast<i32>(inst.args[1].index());
    u8 dst = ctx.ra.scratch();
    ctx.code.setcc(static_cast<u8>(inst.args[0].imm_value()), r8(dst));
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::Select>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value cond = inst.args[0];
    u8 dst = ctx.result_scratch(inst.args[2], ctx.slot_destination());
    u8 a = ctx.ra.use(inst.args[1]);
    u8 condition;
    if (cond.is_inst() && ctx.lazy_cond[cond.index()]) {
        condition = ctx.fused_condition(cond);
        ctx.flags_after = static_cast<i32>(ctx.block.at(cond).args[1].index());
    } else {
        u8 c = ctx.ra.use(cond);
        ctx.code.test(r8(c), r8(c));
        condition = cc::NE;
    }
    ctx.code.cmovcc(condition, at_least_32(dst, inst.type), at_least_32(a, inst.type));
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::Equal>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value a = inst.args[0], b = inst.args[1];
    u8 ra = ctx.ra.use(a);
    if (fits_imm32(b))
        ctx.code.cmp(sized(ra, a.type()), imm32_of(b));
    else
        ctx.code.cmp(sized(ra, a.type()), sized(ctx.ra.use(b), a.type()));
    u8 dst = ctx.ra.scratch();
    ctx.code.sete(r8(dst));
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::FlagsToInt>(EmitContext& ctx)
{
    u8 dst = ctx.ra.use_scratch(ctx.inst().args[0]);
    ctx.code.and_(r32(dst), ir::flag::All);
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::IntToFlags>(EmitContext& ctx)
{
    // Keep only the six flags: restore_host_flags() relies on bits 7..1 being clear.
    u8 dst = ctx.ra.use_scratch(ctx.inst().args[0]);
    ctx.code.and_(r32(dst), ir::flag::All);
    ctx.ra.define(ctx.index, dst);
}

} // namespace keel::x64
