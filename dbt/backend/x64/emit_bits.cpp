// Bit tests and scans, population count, byte swap (x86 BT*/BSF/BSR/TZCNT/LZCNT/POPCNT/
// BSWAP; keel requires a host with LZCNT, BMI1 and POPCNT, checked at start-up).
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {

using BitReg = void (CodeBuffer::*)(const Xbyak::Operand&, const Xbyak::Reg&);
using BitImm = void (CodeBuffer::*)(const Xbyak::Operand&, uint8_t);

void emit_bit_modify(EmitContext& ctx, BitReg op_reg, BitImm op_imm)
{
    const ir::Inst& inst = ctx.inst();
    VERIFY(inst.type != ir::Type::U8 && inst.type != ir::Type::U1);
    ir::Value index = inst.args[1];
    u8 dst = ctx.ra.use_scratch(inst.args[0]);
    if (index.is_imm())
        (ctx.code.*op_imm)(sized(dst, inst.type), static_cast<u8>(index.imm_value()));
    else
        (ctx.code.*op_reg)(sized(dst, inst.type), sized(ctx.ra.use(index), inst.type));
    ctx.ra.define(ctx.index, dst);
}

using ScanOp = void (CodeBuffer::*)(const Xbyak::Reg&, const Xbyak::Operand&);

// The flags before, in args[flags_arg], go into the host flags first when the result's
// flags are wanted: the flags the SDM leaves undefined are then what the host CPU leaves
// (kept, on CPUs that keep them), as on the guest's CPU.
void restore_flags_before(EmitContext& ctx, unsigned flags_arg)
{
    ir::Value flags_in = ctx.inst().args[flags_arg];
    if (!flags_in.is_none() && ctx.flags_wanted())
        ctx.restore_host_flags(flags_in);
}

void emit_count(EmitContext& ctx, ScanOp op)
{
    const ir::Inst& inst = ctx.inst();
    VERIFY(inst.type != ir::Type::U8 && inst.type != ir::Type::U1);
    u8 src = ctx.ra.use(inst.args[0]);
    u8 dst = ctx.ra.scratch();
    restore_flags_before(ctx, 1);
    (ctx.code.*op)(sized(dst, inst.type), sized(src, inst.type));
    ctx.ra.define(ctx.index, dst);
}

// BSF/BSR leave the destination unchanged for a zero source (what Intel and AMD do;
// Intel documents it as undefined): start from the old value in args[1].
void emit_scan(EmitContext& ctx, ScanOp op)
{
    const ir::Inst& inst = ctx.inst();
    VERIFY(inst.type != ir::Type::U8 && inst.type != ir::Type::U1);
    u8 src = ctx.ra.use(inst.args[0]);
    u8 dst = ctx.ra.use_scratch(inst.args[1]);
    restore_flags_before(ctx, 2);
    (ctx.code.*op)(sized(dst, inst.type), sized(src, inst.type));
    ctx.upper_garbage[ctx.index] = 1; // a zero source leaves the destination as the CPU likes
    ctx.ra.define(ctx.index, dst);
}

} // namespace

template<>
void emit<ir::Opcode::Bt>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value value = inst.args[0], index = inst.args[1];
    ir::Type t = value.type();
    VERIFY(t != ir::Type::U8 && t != ir::Type::U1);
    u8 v = ctx.ra.use(value);
    if (index.is_imm())
        ctx.code.bt(sized(v, t), static_cast<u8>(index.imm_value()));
    else
        ctx.code.bt(sized(v, t), sized(ctx.ra.use(index), t));
    if (ctx.value_used[ctx.index]) {
        u8 dst = ctx.ra.scratch();
        ctx.code.setc(r8(dst));
        ctx.ra.define(ctx.index, dst);
    }
}

template<>
void emit<ir::Opcode::Bts>(EmitContext& ctx) { emit_bit_modify(ctx, &Xbyak::CodeGenerator::bts, &Xbyak::CodeGenerator::bts); }
template<>
void emit<ir::Opcode::Btr>(EmitContext& ctx) { emit_bit_modify(ctx, &Xbyak::CodeGenerator::btr, &Xbyak::CodeGenerator::btr); }
template<>
void emit<ir::Opcode::Btc>(EmitContext& ctx) { emit_bit_modify(ctx, &Xbyak::CodeGenerator::btc, &Xbyak::CodeGenerator::btc); }
template<>
void emit<ir::Opcode::Bsf>(EmitContext& ctx) { emit_scan(ctx, &Xbyak::CodeGenerator::bsf); }
template<>
void emit<ir::Opcode::Bsr>(EmitContext& ctx) { emit_scan(ctx, &Xbyak::CodeGenerator::bsr); }
template<>
void emit<ir::Opcode::Tzcnt>(EmitContext& ctx) { emit_count(ctx, &Xbyak::CodeGenerator::tzcnt); }
template<>
void emit<ir::Opcode::Lzcnt>(EmitContext& ctx) { emit_count(ctx, &Xbyak::CodeGenerator::lzcnt); }
template<>
void emit<ir::Opcode::Popcnt>(EmitContext& ctx) { emit_count(ctx, &Xbyak::CodeGenerator::popcnt); }

template<>
void emit<ir::Opcode::Bswap>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    u8 dst = ctx.ra.use_scratch(inst.args[0]);
    if (inst.type == ir::Type::U64)
        ctx.code.bswap(r64(dst));
    else
        ctx.code.bswap(r32(dst));
    ctx.ra.define(ctx.index, dst);
}

// BMI1: VEX-encoded three-operand forms, 32/64-bit only.
static Xbyak::Reg32e reg32e(u8 r, ir::Type t)
{
    VERIFY(t == ir::Type::U32 || t == ir::Type::U64);
    return Xbyak::Reg32e(r, t == ir::Type::U64 ? 64 : 32);
}

template<>
void emit<ir::Opcode::Andn>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    u8 a = ctx.ra.use(inst.args[0]);
    u8 b = ctx.ra.use(inst.args[1]);
    u8 dst = ctx.ra.scratch();
    ctx.code.andn(reg32e(dst, inst.type), reg32e(a, inst.type), sized(b, inst.type));
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::Bextr>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    u8 a = ctx.ra.use(inst.args[0]);
    u8 control = ctx.ra.use(inst.args[1]);
    u8 dst = ctx.ra.scratch();
    ctx.code.bextr(reg32e(dst, inst.type), sized(a, inst.type), reg32e(control, inst.type));
    ctx.ra.define(ctx.index, dst);
}

namespace {
using BlsOp = void (Xbyak::CodeGenerator::*)(const Xbyak::Reg32e&, const Xbyak::Operand&);
void emit_bls(EmitContext& ctx, BlsOp op)
{
    const ir::Inst& inst = ctx.inst();
    u8 src = ctx.ra.use(inst.args[0]);
    u8 dst = ctx.ra.scratch();
    (ctx.code.*op)(reg32e(dst, inst.type), sized(src, inst.type));
    ctx.ra.define(ctx.index, dst);
}
} // namespace

template<>
void emit<ir::Opcode::Blsi>(EmitContext& ctx) { emit_bls(ctx, &Xbyak::CodeGenerator::blsi); }
template<>
void emit<ir::Opcode::Blsmsk>(EmitContext& ctx) { emit_bls(ctx, &Xbyak::CodeGenerator::blsmsk); }
template<>
void emit<ir::Opcode::Blsr>(EmitContext& ctx) { emit_bls(ctx, &Xbyak::CodeGenerator::blsr); }

} // namespace keel::x64
