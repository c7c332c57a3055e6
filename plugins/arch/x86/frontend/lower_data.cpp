// Data movement: MOV and its extending forms, LEA, XCHG, XADD, CMPXCHG, BSWAP, the
// accumulator sign extensions, and the instructions that do nothing keel can observe.
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {
namespace {

using ir::Type;

bool is_segment_register(const ZydisDecodedOperand& o)
{
    return o.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(o.reg.value) == ZYDIS_REGCLASS_SEGMENT;
}

Lowered lower_mov_to_segment(Lowerer& lw)
{
    SegmentIndex seg = segment_index(lw.op(0).reg.value);
    if (seg == CS)
        return lw.raise(vector::UD); // MOV CS is invalid (Intel SDM vol. 2, MOV)
    ir::Value selector = lw.read_as(1, Type::U16);
    lw.commit();
    lw.ir.call(helpers::load_segment, lw.imm(Type::U64, seg | (u64(lw.insn().length) << 8)), lw.ir.zext(Type::U64, selector));
    // A new SS inhibits interrupts for one instruction, and a new segment may change
    // what later code computes: end the block here.
    return lw.end_block_after();
}

Lowered lower_mov(Lowerer& lw)
{
    const ZydisDecodedOperand& dst = lw.op(0);
    const ZydisDecodedOperand& src = lw.op(1);
    if (is_segment_register(dst))
        return lower_mov_to_segment(lw);
    if (is_segment_register(src)) {
        ir::Value selector = lw.ir.load_state(Type::U16, offset::segment_selector(segment_index(src.reg.value)));
        // To a register the selector is zero-extended; to memory 16 bits are written.
        lw.write(0, dst.type == ZYDIS_OPERAND_TYPE_REGISTER ? lw.ir.zext(lw.op_type(0), selector) : selector);
        return Lowered::Continue;
    }
    if ((dst.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(dst.reg.value) == ZYDIS_REGCLASS_CONTROL)
        || (src.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(src.reg.value) == ZYDIS_REGCLASS_CONTROL))
        return lower_mov_control_register(lw);
    if ((dst.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(dst.reg.value) == ZYDIS_REGCLASS_DEBUG)
        || (src.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(src.reg.value) == ZYDIS_REGCLASS_DEBUG))
        return lower_mov_debug_register(lw);
    if (dst.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(dst.reg.value) != ZYDIS_REGCLASS_GPR8
        && ZydisRegisterGetClass(dst.reg.value) != ZYDIS_REGCLASS_GPR16 && ZydisRegisterGetClass(dst.reg.value) != ZYDIS_REGCLASS_GPR32
        && ZydisRegisterGetClass(dst.reg.value) != ZYDIS_REGCLASS_GPR64)
        return Lowered::Unimplemented; // debug registers
    if (src.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(src.reg.value) == ZYDIS_REGCLASS_DEBUG)
        return Lowered::Unimplemented;
    lw.write(0, lw.read_as(1, lw.op_type(0)));
    return Lowered::Continue;
}

Lowered lower_movzx(Lowerer& lw)
{
    lw.write(0, lw.ir.zext(lw.op_type(0), lw.read(1)));
    return Lowered::Continue;
}

Lowered lower_movsx(Lowerer& lw)
{
    lw.write(0, lw.ir.sext(lw.op_type(0), lw.read(1)));
    return Lowered::Continue;
}

Lowered lower_lea(Lowerer& lw)
{
    // Computed at the narrower of the destination's and the address's widths: a 32-bit
    // destination of a 64-bit address (`lea r8d, [r9+rax]`) takes the registers' low halves,
    // which the block usually has already, instead of reloading the 64-bit registers.
    // A 16-bit address size computes and wraps at 16 bits, zero-extended into a wider
    // destination (Intel SDM vol. 2, LEA: operand size 32, address size 16).
    ir::Type t = lw.op_type(0);
    ir::Type at = Lowerer::type_of_bits(lw.insn().address_width);
    if (ir::bit_width(t) < ir::bit_width(at))
        at = t;
    ir::Value address = lw.effective_address(lw.op(1).mem, at);
    lw.write(0, at == t ? address : lw.ir.zext(t, address));
    return Lowered::Continue;
}

Lowered lower_xchg(Lowerer& lw)
{
    // With a memory operand XCHG is locked; one virtual CPU makes that trivially true.
    ir::Value a = lw.read(0), b = lw.read(1);
    if (lw.op(0).type == ZYDIS_OPERAND_TYPE_MEMORY) {
        lw.write(0, b);
        lw.write(1, a);
    } else {
        lw.write(1, a);
        lw.write(0, b);
    }
    return Lowered::Continue;
}

Lowered lower_xadd(Lowerer& lw)
{
    // TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (Intel SDM vol. 2, XADD).
    ir::Value dest = lw.read(0), src = lw.read(1);
    ir::Value sum = lw.ir.add(dest, src);
    lw.set_flags(sum, ir::flag::All);
    if (lw.op(0).type == ZYDIS_OPERAND_TYPE_MEMORY) {
        lw.write(0, sum);
        lw.write(1, dest);
    } else {
        lw.write(1, dest);
        lw.write(0, sum);
    }
    return Lowered::Continue;
}

Lowered lower_cmpxchg(Lowerer& lw)
{
    // Compare the accumulator with DEST (flags as CMP); equal: DEST = SRC, else the
    // accumulator = DEST. A memory DEST is always written (Intel SDM vol. 2, CMPXCHG).
    // With 32-bit operands only a register actually written is zero-extended.
    Type t = lw.op_type(0);
    ir::Value dest = lw.read(0), src = lw.read(1);
    ir::Value acc = lw.read_gpr(RAX, t);
    ir::Value diff = lw.ir.sub(acc, dest);
    ir::Value flags = lw.ir.flags_of(diff);
    ir::Value equal = lw.ir.test_cond(ir::Cond::E, flags);
    lw.set_flags_value(flags, ir::flag::All);
    bool memory = lw.op(0).type == ZYDIS_OPERAND_TYPE_MEMORY;
    if (memory)
        lw.write(0, lw.ir.select(equal, src, dest));
    if (t == Type::U32) {
        lw.write_gpr(RAX, lw.ir.select(equal, lw.read_gpr(RAX), lw.ir.zext(Type::U64, dest)));
        if (!memory) {
            Gpr dst_gpr;
            Type dt;
            bool high;
            gpr_of(lw.op(0).reg.value, dst_gpr, dt, high);
            lw.write_gpr(dst_gpr, lw.ir.select(equal, lw.ir.zext(Type::U64, src), lw.read_gpr(dst_gpr)));
        }
        return Lowered::Continue;
    }
    // Accumulator first: when DEST is the accumulator itself, DEST = SRC must win.
    lw.write_gpr(RAX, lw.ir.select(equal, acc, dest));
    if (!memory)
        lw.write(0, lw.ir.select(equal, src, dest));
    return Lowered::Continue;
}

Lowered lower_cmpxchg_wide(Lowerer& lw)
{
    // CMPXCHG8B/16B: whole in a helper (alignment check, two-register compare).
    ir::Value address = lw.address(0);
    lw.commit();
    lw.ir.call(helpers::cmpxchg16b, address,
        lw.imm(Type::U64, (lw.op(0).size / 8) | (u64(lw.insn().length) << 8) | (u64(lw.is_stack_operand(0)) << 16)));
    return Lowered::Continue;
}

Lowered lower_bswap(Lowerer& lw)
{
    Type t = lw.op_type(0);
    if (t == Type::U16) {
        lw.write(0, lw.imm(Type::U16, 0)); // undefined by Intel; hardware clears the word
        return Lowered::Continue;
    }
    lw.write(0, lw.ir.emit(ir::Opcode::Bswap, t, lw.read(0)));
    return Lowered::Continue;
}

Lowered lower_widen_accumulator(Lowerer& lw)
{
    // CBW/CWDE/CDQE: rAX = sign-extend(half of rAX).
    Type t = lw.operand_type();
    Type half = t == Type::U64 ? Type::U32 : t == Type::U32 ? Type::U16 : Type::U8;
    lw.write_gpr(RAX, lw.ir.sext(t, lw.read_gpr(RAX, half)));
    return Lowered::Continue;
}

Lowered lower_sign_into_rdx(Lowerer& lw)
{
    // CWD/CDQ/CQO: rDX = sign of rAX.
    Type t = lw.operand_type();
    ir::Value sign = lw.ir.shift(ir::Opcode::Sar, lw.read_gpr(RAX, t), ir::Builder::imm8(ir::bit_width(t) - 1));
    lw.write_gpr(RDX, sign);
    return Lowered::Continue;
}

Lowered lower_xlat(Lowerer& lw)
{
    ir::Value address = lw.ir.add(lw.read_gpr(RBX), lw.ir.zext(Type::U64, lw.read_gpr(RAX, Type::U8)));
    if (lw.insn().address_width == 32)
        address = lw.ir.zext(Type::U64, lw.ir.trunc(Type::U32, address));
    lw.write_gpr(RAX, lw.load(Type::U8, address));
    return Lowered::Continue;
}

Lowered lower_nothing(Lowerer&) { return Lowered::Continue; }

// CLFLUSH (and CLFLUSHOPT): keel has no caches to flush, but the instruction "is subject
// to all permission checking and faults associated with a byte load" (Intel SDM vol. 2,
// CLFLUSH), so it reads the byte and drops it. On MMIO that read reaches the device, which
// hardware does not do; no guest keel runs flushes device memory.
Lowered lower_clflush(Lowerer& lw)
{
    lw.read_as(0, Type::U8);
    return Lowered::Continue;
}

Lowered lower_privileged_nothing(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return lw.raise(vector::GP, 0);
    return Lowered::Continue;
}

} // namespace

void register_data_movement(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_MOV, lower_mov);
    t.add(ZYDIS_MNEMONIC_MOVZX, lower_movzx);
    t.add(ZYDIS_MNEMONIC_MOVSX, lower_movsx);
    t.add(ZYDIS_MNEMONIC_MOVSXD, lower_movsx);
    t.add(ZYDIS_MNEMONIC_LEA, lower_lea);
    t.add(ZYDIS_MNEMONIC_XCHG, lower_xchg);
    t.add(ZYDIS_MNEMONIC_XADD, lower_xadd);
    t.add(ZYDIS_MNEMONIC_CMPXCHG, lower_cmpxchg);
    t.add(ZYDIS_MNEMONIC_CMPXCHG8B, lower_cmpxchg_wide);
    t.add(ZYDIS_MNEMONIC_CMPXCHG16B, lower_cmpxchg_wide);
    t.add(ZYDIS_MNEMONIC_BSWAP, lower_bswap);
    t.add(ZYDIS_MNEMONIC_CBW, lower_widen_accumulator);
    t.add(ZYDIS_MNEMONIC_CWDE, lower_widen_accumulator);
    t.add(ZYDIS_MNEMONIC_CDQE, lower_widen_accumulator);
    t.add(ZYDIS_MNEMONIC_CWD, lower_sign_into_rdx);
    t.add(ZYDIS_MNEMONIC_CDQ, lower_sign_into_rdx);
    t.add(ZYDIS_MNEMONIC_CQO, lower_sign_into_rdx);
    t.add(ZYDIS_MNEMONIC_XLAT, lower_xlat);
    // No architectural effect keel models: hints, fences, prefetches (which never fault).
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_NOP, ZYDIS_MNEMONIC_ENDBR64, ZYDIS_MNEMONIC_ENDBR32, ZYDIS_MNEMONIC_PAUSE,
             ZYDIS_MNEMONIC_LFENCE, ZYDIS_MNEMONIC_MFENCE, ZYDIS_MNEMONIC_SFENCE, ZYDIS_MNEMONIC_PREFETCH,
             ZYDIS_MNEMONIC_PREFETCHNTA, ZYDIS_MNEMONIC_PREFETCHT0, ZYDIS_MNEMONIC_PREFETCHT1, ZYDIS_MNEMONIC_PREFETCHT2,
             ZYDIS_MNEMONIC_PREFETCHW })
        t.add(m, lower_nothing);
    t.add(ZYDIS_MNEMONIC_CLFLUSH, lower_clflush);
    t.add(ZYDIS_MNEMONIC_CLFLUSHOPT, lower_clflush);
    t.add(ZYDIS_MNEMONIC_WBINVD, lower_privileged_nothing);
    t.add(ZYDIS_MNEMONIC_INVD, lower_privileged_nothing);
}

} // namespace keel::x86
