// SSE and SSE2 (legacy encoding), run as the same host instruction: guest and host are
// both x86-64, so the frontend re-encodes each instruction with Zydis' encoder to work on
// the guest's XMM registers in the CPU context (docs/sse.md):
//
//   movdqu xmm0, [rbp + guest xmm N]      for each XMM operand, in order
//   <the instruction on xmm0/xmm1/xmm2, [rbp + ...] or rax>
//   movdqu [rbp + guest xmm N], xmm0      for each XMM operand it writes
//   mov [rbp + guest gpr], rax            for a general-register destination
//
// A guest-memory operand goes through the softMMU into CpuState::vector_temp (loads
// before, stores after the instruction), with the 16-byte alignment rule of legacy SSE.
// An instruction that uses MXCSR runs with the guest's (rounding, DAZ, FTZ), every
// exception masked on the host; its flags reach the guest's MXCSR after, and an exception
// the guest left unmasked raises #XM with the destination left as it was.
#include "dbt/base/log.h"
#include "plugins/arch/x86/frontend/host_insn.h"
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/host_cpu.h"

namespace keel::x86 {
namespace {

using ir::Type;

bool is_xmm(const ZydisDecodedOperand& o) { return o.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(o.reg.value) == ZYDIS_REGCLASS_XMM; }

bool is_gpr(const ZydisDecodedOperand& o)
{
    if (o.type != ZYDIS_OPERAND_TYPE_REGISTER)
        return false;
    ZydisRegisterClass c = ZydisRegisterGetClass(o.reg.value);
    return c == ZYDIS_REGCLASS_GPR8 || c == ZYDIS_REGCLASS_GPR16 || c == ZYDIS_REGCLASS_GPR32 || c == ZYDIS_REGCLASS_GPR64;
}

// The host register of the guest's register's width that stands for it: host RAX, RCX,
// RDX or RBX (`host` 0 to 3), AH/CH/DH/BH for a high-byte register.
ZydisRegister host_gpr(unsigned host, ir::Type type, bool high)
{
    switch (type) {
    case Type::U8: return static_cast<ZydisRegister>((high ? ZYDIS_REGISTER_AH : ZYDIS_REGISTER_AL) + host);
    case Type::U16: return static_cast<ZydisRegister>(ZYDIS_REGISTER_AX + host);
    case Type::U32: return static_cast<ZydisRegister>(ZYDIS_REGISTER_EAX + host);
    default: return static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + host);
    }
}

// Legacy SSE instructions fault on a misaligned 16-byte memory operand, except these
// (Intel SDM vol. 1 §10.4.1.1, vol. 2 §2.4 table 2-21's note, and each instruction's page).
bool needs_alignment(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOVUPS:
    case ZYDIS_MNEMONIC_MOVUPD:
    case ZYDIS_MNEMONIC_MOVDQU:
    case ZYDIS_MNEMONIC_LDDQU:
    case ZYDIS_MNEMONIC_PCMPESTRI:
    case ZYDIS_MNEMONIC_PCMPESTRM:
    case ZYDIS_MNEMONIC_PCMPISTRI:
    case ZYDIS_MNEMONIC_PCMPISTRM:
    case ZYDIS_MNEMONIC_MASKMOVDQU:
        return false;
    default:
        return true;
    }
}

// COMISS/UCOMISS, PTEST, PCMPxSTRx, CRC32 (no flags)...: what Zydis says the instruction
// writes in RFLAGS, taken from the host's flags after it.
bool writes_flags(const ZydisDecodedInstruction& insn)
{
    const ZydisAccessedFlags* f = insn.cpu_flags;
    return f && (f->modified | f->set_0 | f->set_1 | f->undefined) != 0;
}

// LDMXCSR/STMXCSR: the control word lives in the state (docs/sse.md: what is modelled).
Lowered lower_mxcsr(Lowerer& lw)
{
    ir::Value address = lw.address(0);
    if (lw.insn().mnemonic == ZYDIS_MNEMONIC_STMXCSR) {
        lw.store(address, lw.ir.load_state(Type::U32, offset::mxcsr), lw.is_stack_operand(0));
        return Lowered::Continue;
    }
    ir::Value value = lw.load(Type::U32, address, lw.is_stack_operand(0));
    // Reserved bits set: #GP(0) (MXCSR_MASK is 0xFFFF).
    ir::Value reserved = lw.ir.and_(value, lw.imm(Type::U32, 0xFFFF0000u));
    lw.ir.trap_if(lw.ir.xor_(lw.ir.equal(reserved, lw.imm(Type::U32, 0)), ir::Builder::bool_imm(true)), vector::GP, true, 0);
    lw.ir.store_state(offset::mxcsr, value);
    return Lowered::Continue;
}

} // namespace

bool is_sse_instruction(const ZydisDecodedInstruction& insn)
{
    // Host instructions the host may lack: only where CPUID advertises them (host_cpu.h).
    if (insn.meta.isa_set == ZYDIS_ISA_SET_BMI2) // VEX-encoded general-register instructions
        return insn.encoding == ZYDIS_INSTRUCTION_ENCODING_VEX && host_cpu().bmi2;
    if (insn.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
        return false;
    switch (insn.meta.isa_set) {
    case ZYDIS_ISA_SET_AES:
        return host_cpu().aes;
    case ZYDIS_ISA_SET_PCLMULQDQ:
        return host_cpu().pclmulqdq;
    case ZYDIS_ISA_SET_MOVBE:
        return host_cpu().movbe;
    case ZYDIS_ISA_SET_SSE:
    case ZYDIS_ISA_SET_SSE2:
    case ZYDIS_ISA_SET_SSEMXCSR: // LDMXCSR, STMXCSR
    case ZYDIS_ISA_SET_SSE3:     // not MONITOR/MWAIT (ISA set MONITOR); FISTTP is lower_x87's
    case ZYDIS_ISA_SET_SSSE3:    // the MMX-register forms are SSSE3MMX (lower_x87)
    case ZYDIS_ISA_SET_SSE4:     // SSE4.1
    case ZYDIS_ISA_SET_SSE42:    // PCMPxSTRx, PCMPGTQ, CRC32
        return true;
    default:
        return false;
    }
}

// Moves and shuffles whose first operand, when an XMM register, receives all 128 bits
// from the other operands (Intel SDM vol. 2, each instruction's operation): its old value
// is not needed.
bool writes_whole_destination(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOVDQA:
    case ZYDIS_MNEMONIC_MOVDQU:
    case ZYDIS_MNEMONIC_MOVAPS:
    case ZYDIS_MNEMONIC_MOVAPD:
    case ZYDIS_MNEMONIC_MOVUPS:
    case ZYDIS_MNEMONIC_MOVUPD:
    case ZYDIS_MNEMONIC_LDDQU:
    case ZYDIS_MNEMONIC_MOVNTDQA:
    case ZYDIS_MNEMONIC_PSHUFD:
        return true;
    default:
        return false;
    }
}

namespace {

// Stores the guest XMM registers in `mask` from host registers that hold them (`holds`,
// as the previous SSE instruction left them) to the state: one HostInsn of MOVDQUs, which
// touches nothing below the XMM state (docs/sse.md#host-registers-kept-between-instructions).
void flush_xmm_from(Lowerer& lw, const i8* holds, u16 mask)
{
    if (mask == 0)
        return;
    HostBytes stores;
    for (unsigned g = 0; g < 16; ++g) {
        if (!(mask & (1u << g)))
            continue;
        unsigned host = ir::host_xmm_kept;
        for (unsigned h = 0; h < ir::host_xmm_kept; ++h)
            if (holds[h] == static_cast<i8>(g))
                host = h;
        VERIFY(host < ir::host_xmm_kept);
        VERIFY(stores.move_xmm(host, offset::xmm(g), true));
    }
    HostSequence sequence { &stores };
    VERIFY(sequence.fits());
    sequence.emit(lw, {}, static_cast<u16>(offset::mxcsr));
}

} // namespace

Lowered lower_sse(Lowerer& lw)
{
    const ZydisDecodedInstruction& insn = lw.insn();
    if (!is_sse_instruction(insn))
        return Lowered::Unimplemented;
    if (insn.mnemonic == ZYDIS_MNEMONIC_LDMXCSR || insn.mnemonic == ZYDIS_MNEMONIC_STMXCSR) {
        flush_deferred_xmm(lw);
        return lower_mxcsr(lw);
    }

    ZydisEncoderRequest request;
    if (!host_request_for(lw, request))
        return Lowered::Unimplemented;

    HostBytes mxcsr_before, prologue, body, mxcsr_after, epilogue;
    bool mxcsr = uses_mxcsr(insn);
    if (mxcsr && (!mxcsr_in(mxcsr_before) || !mxcsr_out(mxcsr_after)))
        return Lowered::Unimplemented;
    // The state the instruction writes, to put back if it raises an unmasked exception.
    u32 written_state[2];
    unsigned written_count = 0;
    auto note_written = [&](u32 state_offset, bool vector) {
        if (written_count < 2)
            written_state[written_count++] = state_offset;
        if (vector && written_count < 2)
            written_state[written_count++] = state_offset + 8;
    };
    // What host XMM0..13 hold now: what the previous instruction left, if it was the SSE
    // instruction right before this one in the block (nothing in between can change them:
    // the cold paths of the memory accesses between keep them, docs/sse.md), and each
    // load below updates it. An operand the host register already holds is not loaded
    // again, one that another holds is copied from it.
    constexpr unsigned kept = ir::host_xmm_kept;
    constexpr unsigned memory_xmm = kept; // the scratch for a memory operand read in halves
    i8 holds[kept];
    bool follows_sse = lw.xmm_cache.after + 1 == lw.insn_number();
    VERIFY(follows_sse || lw.xmm_cache.dirty == 0); // flushed before anything else ran
    for (unsigned h = 0; h < kept; ++h)
        holds[h] = follows_sse ? lw.xmm_cache.holds[h] : -1;
    // The previous instruction's deferred stores: written before this instruction's IR
    // (below), except those of registers it overwrites without reading them from the state.
    u16 pending = lw.xmm_cache.dirty;
    u16 flush_anyway = 0; // pending registers this one reloads from the state after all
    auto load_xmm = [&](unsigned host, unsigned guest) {
        if (holds[host] == static_cast<i8>(guest))
            return true;
        unsigned from = kept;
        for (unsigned h = 0; h < kept; ++h)
            if (h != host && holds[h] == static_cast<i8>(guest))
                from = h;
        if (from == kept)
            flush_anyway |= static_cast<u16>(pending & (1u << guest));
        holds[host] = static_cast<i8>(guest);
        return from < kept ? prologue.copy_xmm(host, from) : prologue.move_xmm(host, offset::xmm(guest), false);
    };
    u16 guest_xmm_written = 0; // guest XMM registers the instruction writes
    i8 stored_from[16];        // the host register each is stored from (the last store wins)
    auto store_xmm = [&](unsigned host, unsigned guest) {
        guest_xmm_written |= static_cast<u16>(1u << guest);
        stored_from[guest] = static_cast<i8>(host);
        return true; // into the epilogue below, unless deferred
    };

    // Host XMM0 is the guest's XMM0 when the instruction names it implicitly (BLENDVPS,
    // PBLENDVB: the mask; PCMPxSTRM: the result); the explicit XMM operands then take XMM1
    // and XMM2.
    unsigned next_xmm = 0;
    for (unsigned i = insn.operand_count_visible; i < lw.d().operands_decoded; ++i) {
        const ZydisDecodedOperand& o = lw.op(i);
        if (!is_xmm(o))
            continue;
        if (o.reg.value != ZYDIS_REGISTER_XMM0)
            return Lowered::Unimplemented;
        next_xmm = 1;
        if (!load_xmm(0, 0))
            return Lowered::Unimplemented;
        if ((o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) && !store_xmm(0, 0))
            return Lowered::Unimplemented;
        if (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
            note_written(offset::xmm(0), true);
    }
    i32 memory_operand = -1;
    u32 memory_size = 0;
    bool memory_read = false, memory_written = false, memory_in_xmm = false;
    // General registers: the explicit ones through RAX, then RCX, RDX, RBX (CRC32's source,
    // BMI2's three operands); the implicit ones (PCMPESTRx reads EAX and EDX, PCMPxSTRI
    // writes ECX, MULX reads EDX/RDX) as themselves. All but RAX are the backend's: pushed
    // before and popped after.
    bool host_gpr_used[4] = {};
    u32 gprs_written = 0;
    HostBytes saves, restores;
    auto bind_gpr = [&](const ZydisDecodedOperand& o, unsigned host, ZydisEncoderOperand* e) {
        Gpr g;
        ir::Type t;
        bool high;
        if (!gpr_of(o.reg.value, g, t, high) || host > 3 || host_gpr_used[host])
            return false;
        host_gpr_used[host] = true;
        ZydisRegister full = static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + host);
        if (e)
            HostBytes::set_register(*e, host_gpr(host, t, high));
        if (host != 0 && (!saves.push(full) || !restores.pop(full)))
            return false;
        // The whole register in and out: a 32-bit write zero-extends the host register as
        // it would the guest's; narrower writes keep the bits around them.
        if (!prologue.move_gpr(full, offset::gpr(g), false))
            return false;
        // Two destinations naming one register (MULX's): the first operand's value is the
        // one the register keeps (Intel SDM vol. 2, MULX), so the later one is not stored.
        if ((o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) && !(gprs_written & (1u << g))) {
            gprs_written |= 1u << g;
            if (!epilogue.move_gpr(full, offset::gpr(g), true))
                return false;
            note_written(offset::gpr(g), false);
        }
        return true;
    };
    for (unsigned i = insn.operand_count_visible; i < lw.d().operands_decoded; ++i) {
        const ZydisDecodedOperand& o = lw.op(i);
        if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
            // MASKMOVDQU's [RDI]: read, merged by the mask, written back (docs/sse.md).
            if (insn.mnemonic != ZYDIS_MNEMONIC_MASKMOVDQU || !point_rdi_at_vector_temp(saves, prologue, restores))
                return Lowered::Unimplemented;
            memory_operand = static_cast<i32>(i);
            memory_size = o.size / 8;
            memory_read = memory_written = true;
            continue;
        }
        if (!is_gpr(o))
            continue;
        Gpr g;
        ir::Type t;
        bool high;
        if (!gpr_of(o.reg.value, g, t, high) || (g != RAX && g != RCX && g != RDX) || !bind_gpr(o, g, nullptr))
            return Lowered::Unimplemented;
    }
    // Each explicit XMM operand takes a host register that already holds it if one does,
    // else an empty one, else one whose value no later operand wants. A destination that is not loaded first
    // (`whole`) but that a later operand reads too (PSHUFD xmm0, xmm0) leaves the register
    // holding it to that operand, which then needs no load.
    bool host_taken[kept] = {next_xmm > 0};
    auto pick_host = [&](unsigned guest, unsigned operand, bool whole) -> unsigned {
        bool read_later = false;
        for (unsigned j = operand + 1; j < insn.operand_count_visible; ++j)
            read_later = read_later || (is_xmm(lw.op(j)) && lw.op(j).reg.value - ZYDIS_REGISTER_XMM0 == static_cast<int>(guest));
        for (unsigned h = 0; h < kept && !(whole && read_later); ++h)
            if (!host_taken[h] && holds[h] == static_cast<i8>(guest))
                return h;
        // An empty one first: what the others hold may be wanted by a later instruction.
        for (unsigned h = 0; h < kept; ++h)
            if (!host_taken[h] && holds[h] < 0)
                return h;
        unsigned fallback = kept;
        for (unsigned h = 0; h < kept; ++h) {
            if (host_taken[h])
                continue;
            bool wanted = false;
            for (unsigned j = operand + 1; j < insn.operand_count_visible; ++j)
                wanted = wanted || (is_xmm(lw.op(j)) && holds[h] == static_cast<i8>(lw.op(j).reg.value - ZYDIS_REGISTER_XMM0));
            if (!wanted)
                return h;
            if (fallback == kept)
                fallback = h;
        }
        return fallback;
    };
    unsigned next_gpr = 0;
    i8 written_whole[kept]; // a destination not loaded first: the guest register it becomes
    for (i8& w : written_whole)
        w = -1;
    for (unsigned i = 0; i < insn.operand_count_visible; ++i) {
        const ZydisDecodedOperand& o = lw.op(i);
        ZydisEncoderOperand& e = request.operands[i];
        bool writes = o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
        if (is_xmm(o)) {
            unsigned guest = static_cast<unsigned>(o.reg.value - ZYDIS_REGISTER_XMM0);
            // Loaded even when only written (many write only part of the register), except
            // the destination of the moves and shuffles that write all 128 bits: until the
            // instruction runs its host register holds nothing of the guest's.
            bool whole = i == 0 && o.actions == ZYDIS_OPERAND_ACTION_WRITE && writes_whole_destination(insn.mnemonic);
            unsigned host = pick_host(guest, i, whole);
            if (host >= kept)
                return Lowered::Unimplemented;
            host_taken[host] = true;
            HostBytes::set_register(e, static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + host));
            if (whole) {
                holds[host] = -1;
                written_whole[host] = static_cast<i8>(guest);
            } else if (!load_xmm(host, guest)) {
                return Lowered::Unimplemented;
            }
            if (writes && !store_xmm(host, guest))
                return Lowered::Unimplemented;
            if (writes)
                note_written(offset::xmm(guest), true);
        } else if (is_gpr(o)) {
            while (next_gpr < 4 && host_gpr_used[next_gpr])
                ++next_gpr;
            if (!bind_gpr(o, next_gpr, &e))
                return Lowered::Unimplemented;
        } else if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
            memory_operand = static_cast<i32>(i);
            memory_size = o.size / 8;
            memory_read = o.actions & ZYDIS_OPERAND_ACTION_MASK_READ;
            memory_written = writes;
            // A 16-byte source is read from vector_temp into XMM14 in 8-byte halves (the
            // softMMU wrote it so) and the instruction takes its register form, the same
            // operation for every xmm/m128 operand. MOVNTDQA and LDDQU have no register
            // form: they keep the memory one (below).
            memory_in_xmm = memory_size == 16 && memory_read && !writes;
            if (memory_in_xmm)
                HostBytes::set_register(e, static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + memory_xmm));
            else
                HostBytes::set_state(e, offset::vector_temp, static_cast<u16>(memory_size));
        } else if (o.type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            return Lowered::Unimplemented; // MMX registers: lower_x87
        }
    }
    // A 16-byte source of an instruction that leaves RAX alone (no general register, no
    // MXCSR switch, whose bytes go through EAX) is read where it is: the HostPointer below
    // puts its host address in RAX and the instruction keeps its memory form, [RAX]. Only
    // a TLB miss, MMIO or a page-crossing operand copies it into vector_temp first.
    bool any_gpr = host_gpr_used[0] || host_gpr_used[1] || host_gpr_used[2] || host_gpr_used[3];
    bool memory_at_rax = memory_in_xmm && !mxcsr && !any_gpr;
    // A 16-byte store (MOVAPS, MOVDQA, MOVUPS, MOVNTDQ... [m], xmm) likewise writes where
    // the bytes are when they are plain RAM; otherwise the instruction runs again alone
    // without this (direct_stores), its store through vector_temp and the softMMU.
    bool store_at_rax = memory_operand >= 0 && memory_size == 16 && memory_written && !memory_read && !mxcsr && !any_gpr
        && lw.direct_stores && insn.mnemonic != ZYDIS_MNEMONIC_MASKMOVDQU;
    if (memory_at_rax || store_at_rax) {
        memory_in_xmm = false;
        HostBytes::set_memory_at_rax(request.operands[memory_operand], 16);
    }
    if (memory_in_xmm && !body.add(request)) {
        memory_in_xmm = false;
        HostBytes::set_state(request.operands[memory_operand], offset::vector_temp, 16);
    }
    if (memory_in_xmm ? !prologue.load_xmm_in_halves(memory_xmm, offset::vector_temp) : !body.add(request))
        return Lowered::Unimplemented;
    if (memory_size > 16 || (memory_operand >= 0 && memory_size == 0))
        return Lowered::Unimplemented;
    // An instruction with nothing after its host bytes that may fault or read the state (no
    // memory destination, no MXCSR result, no general register) leaves its XMM stores to
    // whatever comes next (Lowerer::XmmCache::dirty): a run of them stores each register
    // once. A memory source is read before the bytes run, so it does not prevent that.
    bool defer_stores = !memory_written && !mxcsr && !any_gpr;
    // The previous instruction's deferred stores all go first when this one may fault
    // before its bytes run (its memory operand) or reads the state; otherwise only those of
    // registers it leaves alone (or reloads), the rest being dead.
    bool flush_all = memory_operand >= 0 || !defer_stores;
    if (!defer_stores) {
        for (unsigned g = 0; g < 16; ++g) {
            if ((guest_xmm_written & (1u << g)) && !epilogue.move_xmm(static_cast<unsigned>(stored_from[g]), offset::xmm(g), true))
                return Lowered::Unimplemented;
        }
    }
    HostSequence sequence { &saves, &mxcsr_before, &prologue, &body, &mxcsr_after, &epilogue, &restores };
    if (!sequence.fits())
        return Lowered::Unimplemented;

    // The deferred stores of earlier instructions, from the host registers holding them:
    // all of them before an instruction that may fault or reads the state; otherwise those
    // whose register this one takes for another value (or reloads), the others staying
    // deferred while a host register still holds them.
    u16 held = 0;
    for (unsigned h = 0; h < kept; ++h)
        held |= holds[h] >= 0 ? static_cast<u16>(1u << holds[h]) : 0;
    u16 flush = flush_all ? pending : static_cast<u16>((pending & ~guest_xmm_written & ~held) | flush_anyway);
    flush_xmm_from(lw, lw.xmm_cache.holds, flush);
    u16 still_pending = static_cast<u16>(pending & ~flush);
    lw.xmm_cache.dirty = 0;

    // Guest memory in: alignment (#GP), then the softMMU (may fault), into vector_temp.
    ir::Value address, pointer;
    bool stack = false;
    if (memory_operand >= 0) {
        address = lw.address(static_cast<unsigned>(memory_operand));
        stack = lw.is_stack_operand(static_cast<unsigned>(memory_operand));
        if (memory_size == 16 && needs_alignment(insn.mnemonic)) {
            ir::Value low_bits = lw.ir.and_(address, lw.imm(Type::U64, 15));
            lw.ir.trap_if(lw.ir.xor_(lw.ir.equal(low_bits, lw.imm(Type::U64, 0)), ir::Builder::bool_imm(true)), vector::GP, true, 0);
        }
        if (memory_at_rax || store_at_rax)
            pointer = lw.ir.host_pointer(address, memory_size, stack ? access_flag::stack : 0, offset::vector_temp, store_at_rax);
        else if (memory_read)
            load_vector_temp(lw, address, memory_size, stack);
    }

    lw.commit();
    ir::Value before[2];
    if (mxcsr)
        for (unsigned i = 0; i < written_count; ++i)
            before[i] = lw.ir.load_state(Type::U64, written_state[i]);
    // Without general-register operands the bytes touch MXCSR, the XMM registers and
    // vector_temp only (all after the GPRs in CpuState), so the GPRs stay known to the
    // passes and may stay in host registers across the instruction.
    static_assert(offset::mxcsr < offset::mxcsr_host && offset::mxcsr < offset::xmm(0) && offset::mxcsr < offset::vector_temp);
    ir::Value host = sequence.emit(lw, pointer, any_gpr ? 0 : static_cast<u16>(offset::mxcsr));
    if (writes_flags(insn))
        lw.set_flags(host, ir::flag::All); // the host's flags after it (the moves and pops keep them)
    if (mxcsr) {
        mxcsr_result(lw, [&](ir::Value unmasked) {
            for (unsigned i = 0; i < written_count; ++i)
                lw.ir.store_state(written_state[i], lw.ir.select(unmasked, before[i], lw.ir.load_state(Type::U64, written_state[i])));
        });
    }

    // Guest memory out.
    if (memory_operand >= 0 && memory_written && !store_at_rax)
        store_vector_temp(lw, address, memory_size, stack, memory_size == 16 && needs_alignment(insn.mnemonic));

    // After it, each host register holds its operand's current value, except one whose
    // guest register was written from another host register (an operand named twice).
    for (unsigned h = 0; h < kept; ++h) {
        if (written_whole[h] >= 0)
            holds[h] = written_whole[h];
    }
    for (unsigned h = 0; h < kept; ++h) {
        i8 g = holds[h];
        if (g >= 0 && (guest_xmm_written & (1u << g)) && stored_from[g] != static_cast<i8>(h))
            holds[h] = -1;
    }
    for (unsigned h = 0; h < kept; ++h)
        lw.xmm_cache.holds[h] = holds[h];
    lw.xmm_cache.after = lw.insn_number();
    if (defer_stores) {
        lw.xmm_cache.dirty = static_cast<u16>(guest_xmm_written | still_pending);
        for (unsigned g = 0; g < 16; ++g) {
            VERIFY(!(guest_xmm_written & (1u << g)) || holds[stored_from[g]] == static_cast<i8>(g));
            bool holder = false;
            for (unsigned h = 0; h < kept; ++h)
                holder = holder || holds[h] == static_cast<i8>(g);
            VERIFY(!(lw.xmm_cache.dirty & (1u << g)) || holder); // a deferred register is held
        }
    }
    return Lowered::Continue;
}

void flush_deferred_xmm(Lowerer& lw)
{
    if (lw.xmm_cache.dirty == 0)
        return;
    VERIFY(lw.xmm_cache.after + 1 == lw.insn_number() || lw.xmm_cache.after == lw.insn_number());
    flush_xmm_from(lw, lw.xmm_cache.holds, lw.xmm_cache.dirty);
    lw.xmm_cache.dirty = 0;
}

} // namespace keel::x86
