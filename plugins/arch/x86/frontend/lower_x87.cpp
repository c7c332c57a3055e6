// x87 FPU and MMX instructions, run as the same host instruction on the guest's FPU state
// (docs/x87.md). Guest and host are both x86, so the result, including 80-bit rounding,
// the condition codes and the exception flags, is the host FPU's by construction:
//
//   fxrstor64 [rbp + fpu]            the guest's x87/MMX state into the host FPU
//   movdqu xmm0, [rbp + guest xmm]   XMM operands (CVTPI2PS, MOVQ2DQ, ...), RAX for a GPR
//   <the instruction>                ST(i)/MMi as they are; memory as [rbp + vector_temp]
//   movdqu / mov                     written XMM and GPR operands back
//   fxsave64 [rbp + fpu]             the guest's state back
//   fninit                           the host FPU clean again (no pending exception)
//
// Before that, in IR: #NM/#UD from CR0.TS/EM, #MF when an unmasked x87 exception is
// pending (FSW.ES) and the instruction is a waiting one, the guest-memory operand loaded
// through the softMMU into vector_temp (stored back after the host instruction when it
// is written). The host never sees a pending unmasked exception, so it never takes #MF.
#include "dbt/base/log.h"
#include "plugins/arch/x86/frontend/host_insn.h"
#include "plugins/arch/x86/frontend/lower_table.h"

namespace keel::x86 {
namespace {

using ir::Type;

constexpr u64 cr0_mp = 1 << 1, cr0_em = 1 << 2, cr0_ts = 1 << 3;
constexpr u16 fsw_es = 1 << 7; // error summary: an unmasked exception is pending

bool is_mmx_register(const ZydisDecodedOperand& o)
{
    return o.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(o.reg.value) == ZYDIS_REGCLASS_MMX;
}

// The control and non-waiting instructions that do not check for a pending x87 exception
// (Intel SDM vol. 1 §8.6, §8.3.11: the FN- forms).
bool is_non_waiting(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_FNINIT:
    case ZYDIS_MNEMONIC_FNCLEX:
    case ZYDIS_MNEMONIC_FNSTSW:
    case ZYDIS_MNEMONIC_FNSTCW:
    case ZYDIS_MNEMONIC_FNSTENV:
    case ZYDIS_MNEMONIC_FNSAVE:
        return true;
    default:
        return false;
    }
}

// FCMOVcc reads the guest's flags: its condition code (Intel SDM vol. 2, FCMOVcc).
bool fcmov_condition(ZydisMnemonic m, u8& cc)
{
    switch (m) {
    case ZYDIS_MNEMONIC_FCMOVB: cc = 0x2; return true;
    case ZYDIS_MNEMONIC_FCMOVNB: cc = 0x3; return true;
    case ZYDIS_MNEMONIC_FCMOVE: cc = 0x4; return true;
    case ZYDIS_MNEMONIC_FCMOVNE: cc = 0x5; return true;
    case ZYDIS_MNEMONIC_FCMOVBE: cc = 0x6; return true;
    case ZYDIS_MNEMONIC_FCMOVNBE: cc = 0x7; return true;
    case ZYDIS_MNEMONIC_FCMOVU: cc = 0xA; return true;
    case ZYDIS_MNEMONIC_FCMOVNU: cc = 0xB; return true;
    default: return false;
    }
}

bool writes_eflags(ZydisMnemonic m)
{
    return m == ZYDIS_MNEMONIC_FCOMI || m == ZYDIS_MNEMONIC_FCOMIP || m == ZYDIS_MNEMONIC_FUCOMI || m == ZYDIS_MNEMONIC_FUCOMIP;
}

ir::Value not_zero(Lowerer& lw, ir::Value v, Type t)
{
    return lw.ir.xor_(lw.ir.equal(v, lw.imm(t, 0)), ir::Builder::bool_imm(true));
}

// #NM when CR0.TS or CR0.EM is set (x87); MMX: #UD when EM, #NM when TS; WAIT: #NM only
// when both TS and MP are set (Intel SDM vol. 3 §2.5, table 2-2).
void check_cr0(Lowerer& lw, bool mmx, bool wait)
{
    ir::Value cr0 = lw.ir.load_state(Type::U64, offset::cr0);
    if (wait) {
        ir::Value both = lw.ir.and_(cr0, lw.imm(Type::U64, cr0_ts | cr0_mp));
        lw.ir.trap_if(lw.ir.equal(both, lw.imm(Type::U64, cr0_ts | cr0_mp)), vector::NM, false, 0);
        return;
    }
    if (mmx)
        lw.ir.trap_if(not_zero(lw, lw.ir.and_(cr0, lw.imm(Type::U64, cr0_em)), Type::U64), vector::UD, false, 0);
    lw.ir.trap_if(not_zero(lw, lw.ir.and_(cr0, lw.imm(Type::U64, cr0_ts | cr0_em)), Type::U64), vector::NM, false, 0);
}

// #MF before a waiting instruction when FSW.ES says an unmasked exception is pending
// (CR0.NE is 1 in every mode keel runs; the FERR# pin of CR0.NE=0 is not modelled).
void check_pending_exception(Lowerer& lw)
{
    ir::Value fsw = lw.ir.load_state(Type::U16, offset::fpu_status);
    lw.ir.trap_if(not_zero(lw, lw.ir.and_(fsw, lw.imm(Type::U16, fsw_es)), Type::U16), vector::MF, false, 0);
}

// x87 instructions: FISTTP came with SSE3 (Zydis files it under SSE3) but is an x87 store,
// with the x87 rules for CR0.EM (#NM, not #UD).
bool is_x87(const ZydisDecodedInstruction& insn)
{
    return insn.meta.isa_ext == ZYDIS_ISA_EXT_X87 || insn.mnemonic == ZYDIS_MNEMONIC_FISTTP;
}

} // namespace

bool uses_fpu_state(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops)
{
    if (insn.meta.isa_ext == ZYDIS_ISA_EXT_X87 || insn.meta.isa_ext == ZYDIS_ISA_EXT_MMX || is_x87(insn))
        return true;
    for (unsigned i = 0; i < insn.operand_count_visible; ++i)
        if (is_mmx_register(ops[i]))
            return true;
    return false;
}

Lowered lower_x87(Lowerer& lw)
{
    const ZydisDecodedInstruction& insn = lw.insn();
    ZydisMnemonic m = insn.mnemonic;
    bool mmx = !is_x87(insn);
    bool wait = m == ZYDIS_MNEMONIC_FWAIT;
    check_cr0(lw, mmx, wait);
    if (!is_non_waiting(m))
        check_pending_exception(lw);
    if (wait)
        return Lowered::Continue; // nothing pending: WAIT does nothing

    ZydisEncoderRequest request;
    if (!host_request_for(lw, request))
        return Lowered::Unimplemented;

    // The SSE forms with an MMX operand that use MXCSR (CVTPS2PI, CVTPD2PI, CVTPI2PS...) run
    // under the guest's MXCSR as lower_sse's do: the host's saved before FXRSTOR (which
    // loads the image's fixed one), the guest's loaded after it, the host's back before
    // FXSAVE, so the image keeps the host's.
    bool mxcsr = uses_mxcsr(insn);
    HostBytes saves, host_mxcsr, restore_image, guest_mxcsr, prologue, body, mxcsr_after, epilogue, restores;
    if (!restore_image.rbp_operand(true, { 0x0F, 0xAE }, 1, offset::fpu)) // FXRSTOR64
        return Lowered::Unimplemented;
    if (mxcsr && (!save_host_mxcsr(host_mxcsr) || !load_guest_mxcsr(guest_mxcsr) || !mxcsr_out(mxcsr_after)))
        return Lowered::Unimplemented;
    u32 written_xmm = ~0u; // the XMM destination, to put back on an unmasked exception
    unsigned next_xmm = 0;
    i32 memory_operand = -1;
    u32 memory_size = 0;
    bool memory_read = false, memory_written = false;
    for (unsigned i = 0; i < insn.operand_count_visible; ++i) {
        const ZydisDecodedOperand& o = lw.op(i);
        ZydisEncoderOperand& e = request.operands[i];
        bool writes = o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
        if (o.type == ZYDIS_OPERAND_TYPE_REGISTER) {
            ZydisRegisterClass c = ZydisRegisterGetClass(o.reg.value);
            if (c == ZYDIS_REGCLASS_X87 || c == ZYDIS_REGCLASS_MMX)
                continue; // the host's registers hold the guest's after FXRSTOR
            if (c == ZYDIS_REGCLASS_XMM) {
                unsigned guest = static_cast<unsigned>(o.reg.value - ZYDIS_REGISTER_XMM0);
                unsigned host = next_xmm++;
                HostBytes::set_register(e, static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + host));
                if (!prologue.move_xmm(host, offset::xmm(guest), false) || (writes && !epilogue.move_xmm(host, offset::xmm(guest), true)))
                    return Lowered::Unimplemented;
                if (writes)
                    written_xmm = offset::xmm(guest);
                continue;
            }
            if (c == ZYDIS_REGCLASS_GPR16 || c == ZYDIS_REGCLASS_GPR32 || c == ZYDIS_REGCLASS_GPR64) {
                // Through RAX, loaded first (FNSTSW AX writes only AX; a 32-bit write
                // zero-extends RAX as it would the guest's register).
                Gpr g;
                ir::Type t;
                bool high;
                gpr_of(o.reg.value, g, t, high);
                HostBytes::set_register(e, t == Type::U64 ? ZYDIS_REGISTER_RAX : t == Type::U32 ? ZYDIS_REGISTER_EAX : ZYDIS_REGISTER_AX);
                if (!prologue.move_rax(offset::gpr(g), false) || (writes && !epilogue.move_rax(offset::gpr(g), true)))
                    return Lowered::Unimplemented;
                continue;
            }
            return Lowered::Unimplemented;
        }
        if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
            memory_operand = static_cast<i32>(i);
            memory_size = o.size / 8;
            memory_read = o.actions & ZYDIS_OPERAND_ACTION_MASK_READ;
            memory_written = writes;
            HostBytes::set_state(e, offset::vector_temp, static_cast<u16>(memory_size));
            continue;
        }
        if (o.type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return Lowered::Unimplemented;
    }
    for (unsigned i = insn.operand_count_visible; i < lw.d().operands_decoded; ++i) {
        const ZydisDecodedOperand& o = lw.op(i);
        if (o.type != ZYDIS_OPERAND_TYPE_MEMORY)
            continue;
        // MASKMOVQ's [RDI]: read, merged by the mask, written back.
        if (m != ZYDIS_MNEMONIC_MASKMOVQ || !point_rdi_at_vector_temp(saves, prologue, restores))
            return Lowered::Unimplemented;
        memory_operand = static_cast<i32>(i);
        memory_size = o.size / 8;
        memory_read = memory_written = true;
    }
    if (memory_operand >= 0 && (memory_size == 0 || memory_size > sizeof(CpuState::vector_temp)))
        return Lowered::Unimplemented;

    u8 cc = 0;
    bool fcmov = fcmov_condition(m, cc);
    if (fcmov) {
        // cmp byte [rbp + fpu_condition], 0 / fcmovne: moves when the guest's condition held.
        if (!body.rbp_operand(false, { 0x80 }, 7, offset::fpu_condition) || !body.raw({ 0x00 }))
            return Lowered::Unimplemented;
        request.mnemonic = ZYDIS_MNEMONIC_FCMOVNE;
    }
    if (!body.add(request))
        return Lowered::Unimplemented;
    // FXSAVE64, FNINIT. An instruction that writes memory saves to fpu_pending, copied to
    // fpu once its store is through (below).
    bool pending = memory_operand >= 0 && memory_written;
    if (!epilogue.rbp_operand(true, { 0x0F, 0xAE }, 0, pending ? offset::fpu_pending : offset::fpu) || !epilogue.raw({ 0xDB, 0xE3 }))
        return Lowered::Unimplemented;
    HostSequence sequence { &saves, &host_mxcsr, &restore_image, &guest_mxcsr, &prologue, &body, &mxcsr_after, &epilogue, &restores };
    if (!sequence.fits())
        return Lowered::Unimplemented;

    ir::Value address;
    bool stack = false;
    if (memory_operand >= 0) {
        address = lw.address(static_cast<unsigned>(memory_operand));
        stack = lw.is_stack_operand(static_cast<unsigned>(memory_operand));
        // The only 16-byte operands here are CVTPD2PI's and CVTTPD2PI's, legacy SSE2 ones
        // that must be 16-byte aligned (Intel SDM vol. 1 §10.4.1.1): #GP(0) first.
        if (memory_size == 16) {
            ir::Value low_bits = lw.ir.and_(address, lw.imm(Type::U64, 15));
            lw.ir.trap_if(not_zero(lw, low_bits, Type::U64), vector::GP, true, 0);
        }
        if (memory_read)
            load_vector_temp(lw, address, memory_size, stack);
    }
    if (fcmov)
        lw.ir.store_state(offset::fpu_condition, lw.ir.zext(Type::U8, lw.condition(cc)));

    lw.commit();
    ir::Value xmm_before[2];
    if (mxcsr && written_xmm != ~0u)
        for (u32 half = 0; half < 2; ++half)
            xmm_before[half] = lw.ir.load_state(Type::U64, written_xmm + 8 * half);
    ir::Value host = sequence.emit(lw);
    if (writes_eflags(m))
        lw.set_flags(host, ir::flag::All); // ZF PF CF from the compare; OF SF AF cleared
    if (mxcsr) {
        // An XMM destination is put back on an unmasked exception; an MMX one is not
        // (docs/sse.md: not modelled).
        mxcsr_result(lw, [&](ir::Value unmasked) {
            if (written_xmm == ~0u)
                return;
            for (u32 half = 0; half < 2; ++half) {
                u32 at = written_xmm + 8 * half;
                lw.ir.store_state(at, lw.ir.select(unmasked, xmm_before[half], lw.ir.load_state(Type::U64, at)));
            }
        });
    }

    if (pending) {
        // A store that faults leaves the x87 state as it was (Intel SDM vol. 3 §6.5: FSTP
        // neither pops nor sets C1 then). Once it is through, the new state: FCW to FDP
        // and the eight registers (a pop rotates them in the image, which is in stack order).
        store_vector_temp(lw, address, memory_size, stack);
        constexpr u32 registers_end = 32 + 8 * 16;
        for (u32 at = 0; at < registers_end; at += 8)
            if (at < 24 || at >= 32) // not the image's MXCSR (fixed, see CpuState::fpu)
                lw.ir.store_state(offset::fpu + at, lw.ir.load_state(Type::U64, offset::fpu_pending + at));
    }
    return Lowered::Continue;
}

// FXSAVE/FXRSTOR (Intel SDM vol. 2): the 512-byte image of the x87/MMX state (CpuState::fpu),
// MXCSR and the XMM registers, at a 16-byte aligned address (#GP(0) otherwise).
Lowered lower_fxsave_fxrstor(Lowerer& lw)
{
    bool save = lw.insn().mnemonic == ZYDIS_MNEMONIC_FXSAVE || lw.insn().mnemonic == ZYDIS_MNEMONIC_FXSAVE64;
    check_cr0(lw, false, false);
    ir::Value address = lw.address(0);
    bool stack = lw.is_stack_operand(0);
    ir::Value low_bits = lw.ir.and_(address, lw.imm(Type::U64, 15));
    lw.ir.trap_if(not_zero(lw, low_bits, Type::U64), vector::GP, true, 0);
    auto at = [&](u32 offset) { return offset ? lw.ir.add(address, lw.imm(Type::U64, offset)) : address; };
    constexpr u32 x87_bytes = 160, image_bytes = 160 + 16 * 16; // then 96 reserved bytes, untouched
    if (save) {
        for (u32 o = 0; o < image_bytes; o += 8) {
            ir::Value part;
            if (o == 24) // MXCSR and MXCSR_MASK (0xFFFF: every MXCSR bit keel knows is writable)
                part = lw.ir.or_(lw.ir.zext(Type::U64, lw.ir.load_state(Type::U32, offset::mxcsr)), lw.imm(Type::U64, 0xFFFFull << 32));
            else if (o < x87_bytes)
                part = lw.ir.load_state(Type::U64, offset::fpu + o);
            else
                part = lw.ir.load_state(Type::U64, offset::xmm(0) + (o - x87_bytes));
            lw.store(at(o), part, stack);
        }
        return Lowered::Continue;
    }
    // FXRSTOR: everything read (any fault first), MXCSR checked (#GP(0) on a reserved bit),
    // then the state written.
    ir::Value parts[image_bytes / 8];
    for (u32 o = 0; o < image_bytes; o += 8)
        parts[o / 8] = lw.load(Type::U64, at(o), stack);
    ir::Value mxcsr = lw.ir.trunc(Type::U32, parts[3]);
    lw.ir.trap_if(not_zero(lw, lw.ir.and_(mxcsr, lw.imm(Type::U32, 0xFFFF0000u)), Type::U32), vector::GP, true, 0);
    for (u32 o = 0; o < image_bytes; o += 8) {
        if (o == 24)
            lw.ir.store_state(offset::mxcsr, mxcsr);
        else if (o < x87_bytes)
            lw.ir.store_state(offset::fpu + o, parts[o / 8]);
        else
            lw.ir.store_state(offset::xmm(0) + (o - x87_bytes), parts[o / 8]);
    }
    return Lowered::Continue;
}

void register_x87(LowerTable& table)
{
    table.add(ZYDIS_MNEMONIC_FXSAVE, lower_fxsave_fxrstor);
    table.add(ZYDIS_MNEMONIC_FXSAVE64, lower_fxsave_fxrstor);
    table.add(ZYDIS_MNEMONIC_FXRSTOR, lower_fxsave_fxrstor);
    table.add(ZYDIS_MNEMONIC_FXRSTOR64, lower_fxsave_fxrstor);
}

} // namespace keel::x86
