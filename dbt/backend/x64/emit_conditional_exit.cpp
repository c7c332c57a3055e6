// Conditional ways out of the middle of a block, both through its cold code: TrapIf
// raises a guest exception, ExitIf (a side exit) continues at another guest pc
// (docs/backend.md#side-exits).
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

namespace {

// The shape both share: (condition, constant). Nothing for a constant false condition, an
// unconditional jump for a constant true one; otherwise `jump_if(cond)` emits the test and
// returns the site of its jcc's rel32.
template<typename JumpIf>
void branch_to_cold_path(EmitContext& ctx, ColdPath::Kind kind, JumpIf&& jump_if)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value cond = inst.args[0];
    if (cond.is_imm() && !cond.imm_value())
        return;
    ColdPath cold {};
    cold.kind = kind;
    cold.value_imm = inst.args[1].imm_value();
    cold.guest_pc = ctx.guest_pc();
    cold.entry_site = cond.is_imm() ? ctx.code.jmp_rel32_placeholder() : jump_if(cond);
    cold.resume = ctx.code.cursor();
    ctx.cold.append(cold);
}

// A U1 condition computed into a register.
u8* jump_if_set(EmitContext& ctx, ir::Value cond)
{
    u8 c = ctx.ra.use(cond);
    ctx.code.test(r8(c), r8(c));
    return ctx.code.jcc_rel32_placeholder(cc::NE);
}

} // namespace

template<>
void emit<ir::Opcode::TrapIf>(EmitContext& ctx)
{
    branch_to_cold_path(ctx, ColdPath::Kind::Raise, [&](ir::Value cond) {
        if (!ctx.emitted_elsewhere[cond.index()])
            return jump_if_set(ctx, cond);
        // The compare is fused in (BlockEmitter::analyze): [Xor(] Equal(a, b) [, 1)], with a
        // possibly And(x, mask) against b = 0.
        bool negated = ctx.block.at(cond).op == ir::Opcode::Xor;
        const ir::Inst& equal = negated ? ctx.block.at(ctx.block.at(cond).args[0]) : ctx.block.at(cond);
        ir::Value a = equal.args[0], b = equal.args[1];
        ir::Type type = a.type();
        if (a.is_inst() && ctx.emitted_elsewhere[a.index()]) {
            const ir::Inst& masked = ctx.block.at(a);
            ctx.code.test(sized(ctx.ra.use(masked.args[0]), type), imm32_of(masked.args[1]));
        } else if (b.is_imm() && b.imm_value() == 0) {
            u8 ra = ctx.ra.use(a);
            ctx.code.test(sized(ra, type), sized(ra, type));
        } else if (fits_imm32(b)) {
            ctx.code.cmp(sized(ctx.ra.use(a), type), imm32_of(b));
        } else {
            u8 ra = ctx.ra.use(a);
            ctx.code.cmp(sized(ra, type), sized(ctx.ra.use(b), type));
        }
        return ctx.code.jcc_rel32_placeholder(negated ? cc::NE : cc::E);
    });
}

template<>
void emit<ir::Opcode::ExitIf>(EmitContext& ctx)
{
    // The exit's path (BlockEmitter::emit_cold_path) writes back the loop slots and the
    // state writes deferred past it, then leaves through a chainable exit.
    branch_to_cold_path(ctx, ColdPath::Kind::Exit, [&](ir::Value cond) {
        if (!ctx.lazy_cond[cond.index()])
            return jump_if_set(ctx, cond);
        // A TestCond of host flags still standing (BlockEmitter::analyze): the jcc reads them.
        u8* site = ctx.code.jcc_rel32_placeholder(ctx.fused_condition(cond));
        ctx.flags_after = static_cast<i32>(ctx.block.at(cond).args[1].index());
        return site;
    });
}

} // namespace keel::x64
