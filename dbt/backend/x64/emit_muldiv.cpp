// Widening multiply and division: x86 MUL/IMUL/DIV/IDIV with their fixed RDX:RAX
// operands. Division checks for #DE before dividing (the host must never fault); the
// cases it cannot decide inline go to a helper (divide_helpers.cpp).
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {

void emit_mul_wide(EmitContext& ctx, bool is_signed)
{
    const ir::Inst& inst = ctx.inst();
    i32 second = ctx.find_pseudo(ctx.index, ir::Opcode::SecondOf);
    ctx.ra.scratch_fixed(RDX);
    u8 b = ctx.ra.use(inst.args[1]);
    u8 a = ctx.ra.use(inst.args[0]);
    u8 lo = ctx.ra.scratch();
    if (inst.type == ir::Type::U8) {
        // AX = AL * r/m8: low half in AL, high half in AH.
        ctx.code.mov(eax, r32(a));
        if (is_signed)
            ctx.code.imul(r8(b));
        else
            ctx.code.mul(r8(b));
        ctx.code.movzx(r32(lo), al);
        ctx.code.movzx(edx, ah);
    } else {
        ctx.code.mov(rax, r64(a));
        if (is_signed)
            ctx.code.imul(sized(b, inst.type));
        else
            ctx.code.mul(sized(b, inst.type));
        ctx.code.mov(r64(lo), rax);
    }
    ctx.ra.define(ctx.index, lo);
    if (second >= 0)
        ctx.ra.define(static_cast<u32>(second), RDX);
}

} // namespace

template<>
void emit<ir::Opcode::UMulWide>(EmitContext& ctx) { emit_mul_wide(ctx, false); }
template<>
void emit<ir::Opcode::SMulWide>(EmitContext& ctx) { emit_mul_wide(ctx, true); }

namespace {

void emit_divide(EmitContext& ctx, bool is_signed)
{
    const ir::Inst& inst = ctx.inst();
    i32 second = ctx.find_pseudo(ctx.index, ir::Opcode::SecondOf);
    ir::Type t = inst.type;
    ctx.ra.scratch_fixed(RDX);
    u8 divisor = ctx.ra.use(inst.args[2]);
    u8 hi = ctx.ra.use(inst.args[0]);
    u8 lo = ctx.ra.use(inst.args[1]);
    u8 quotient = ctx.ra.scratch();

    ColdPath cold {};
    cold.kind = ColdPath::Kind::Divide;
    cold.size = static_cast<u8>(ir::byte_width(t));
    cold.is_signed = is_signed;
    cold.hi_reg = hi;
    cold.lo_reg = lo;
    cold.divisor_reg = divisor;
    cold.result_reg = quotient;
    cold.guest_pc = ctx.guest_pc();

    if (t == ir::Type::U8) {
        // AX / r8 leaves the remainder in AH: rare enough to leave to the helper.
        cold.entry_site = ctx.code.jmp_rel32_placeholder();
    } else if (!is_signed) {
        // hi >= divisor (unsigned) covers both a zero divisor and a quotient overflow.
        ctx.code.cmp(sized(hi, t), sized(divisor, t));
        cold.entry_site = ctx.code.jcc_rel32_placeholder(cc::AE);
        ctx.code.mov(rdx, r64(hi));
        ctx.code.mov(rax, r64(lo));
        ctx.code.div(sized(divisor, t));
    } else {
        // Inline only when the dividend is lo sign-extended, the divisor is neither 0 nor
        // -1: then the quotient always fits. Everything else is exact in the helper.
        ctx.code.mov(rax, r64(lo));
        if (t == ir::Type::U64)
            ctx.code.cqo();
        else if (t == ir::Type::U32)
            ctx.code.cdq();
        else
            ctx.code.cwd();
        ctx.code.cmp(sized(RDX, t), sized(hi, t));
        u8* not_simple = ctx.code.jcc_rel32_placeholder(cc::NE);
        ctx.code.lea(rax, ptr[r64(divisor) + 1]);
        ctx.code.test(sized(RAX, t), static_cast<u32>(~1u)); // divisor + 1 in {0, 1}: divisor is -1 or 0
        u8* awkward = ctx.code.jcc_rel32_placeholder(cc::E);
        ctx.code.mov(rax, r64(lo));
        ctx.code.idiv(sized(divisor, t));
        u8* done = ctx.code.jmp_rel32_placeholder();
        // Both rare cases share one cold path.
        const u8* to_cold = ctx.code.cursor();
        cold.entry_site = ctx.code.jmp_rel32_placeholder();
        CodeBuffer::bind(not_simple, to_cold);
        CodeBuffer::bind(awkward, to_cold);
        CodeBuffer::bind(done, ctx.code.cursor());
    }
    if (t != ir::Type::U8)
        ctx.code.mov(r64(quotient), rax);
    cold.resume = ctx.code.cursor();
    ctx.cold.append(cold);
    ctx.ra.define(ctx.index, quotient);
    if (second >= 0)
        ctx.ra.define(static_cast<u32>(second), RDX);
}

} // namespace

template<>
void emit<ir::Opcode::UDiv>(EmitContext& ctx) { emit_divide(ctx, false); }
template<>
void emit<ir::Opcode::SDiv>(EmitContext& ctx) { emit_divide(ctx, true); }

} // namespace keel::x64
