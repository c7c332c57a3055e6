// System instructions: control registers, descriptor tables, MSRs, port I/O, software
// interrupts, CPUID, RDTSC, HLT, IRETQ, SWAPGS, INVLPG. Privileged ones raise #GP(0)
// outside CPL 0 (known at translation time: CPL is part of the block's mode).
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/host_cpu.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {

using ir::Type;

Lowered lower_mov_control_register(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return lw.raise(vector::GP, 0);
    const ZydisDecodedOperand& dst = lw.op(0);
    bool to_cr = dst.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(dst.reg.value) == ZYDIS_REGCLASS_CONTROL;
    ZydisRegister cr = to_cr ? dst.reg.value : lw.op(1).reg.value;
    unsigned n = static_cast<unsigned>(cr - ZYDIS_REGISTER_CR0);
    if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8)
        return lw.raise(vector::UD);
    if (!to_cr) {
        static constexpr u32 offsets[] = { offset::cr0, 0, offset::cr2, offset::cr3, offset::cr4, 0, 0, 0, offset::cr8 };
        lw.write(0, lw.ir.load_state(Type::U64, offsets[n]));
        return Lowered::Continue;
    }
    lw.commit();
    lw.ir.call(helpers::write_cr, lw.imm(Type::U64, n), lw.read_as(1, Type::U64));
    // CR3 changes the address space only: the helper has dropped the lookup-cache entries
    // of non-global code (Linux switches address space thousands of times while booting).
    // CR0, CR4, CR8 may change paging, protection, the mode or which interrupts are
    // taken: the dispatcher looks again.
    return n == 3 ? lw.end_block_through_lookup() : lw.end_block_after();
}

// SMSW: CR0's low bits, 16 of them to memory, the operand size's to a register (Intel SDM
// vol. 2, SMSW; not privileged without CR4.UMIP, which CPUID does not offer).
Lowered lower_smsw(Lowerer& lw)
{
    ir::Value cr0 = lw.ir.load_state(Type::U64, offset::cr0);
    bool to_register = lw.op(0).type == ZYDIS_OPERAND_TYPE_REGISTER;
    lw.write(0, lw.ir.trunc(to_register ? lw.op_type(0) : Type::U16, cr0));
    return Lowered::Continue;
}

// LMSW: loads CR0.PE, MP, EM and TS from the source's low four bits; it can set PE but
// not clear it (Intel SDM vol. 2, LMSW). The rest goes as MOV CR0 does.
Lowered lower_lmsw(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return lw.raise(vector::GP, 0);
    ir::Value source = lw.ir.zext(Type::U64, lw.read_as(0, Type::U16));
    ir::Value cr0 = lw.ir.load_state(Type::U64, offset::cr0);
    ir::Value kept = lw.ir.and_(cr0, lw.imm(Type::U64, ~u64 { 0xE }));
    ir::Value value = lw.ir.or_(kept, lw.ir.and_(source, lw.imm(Type::U64, 0xF)));
    lw.commit();
    lw.ir.call(helpers::write_cr, lw.imm(Type::U64, 0), value);
    return lw.end_block_after();
}

Lowered lower_mov_debug_register(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return lw.raise(vector::GP, 0);
    const ZydisDecodedOperand& dst = lw.op(0);
    bool to_dr = ZydisRegisterGetClass(dst.reg.value) == ZYDIS_REGCLASS_DEBUG;
    u64 n = static_cast<u64>((to_dr ? dst.reg.value : lw.op(1).reg.value) - ZYDIS_REGISTER_DR0);
    if (!to_dr) {
        lw.write(0, lw.ir.call(helpers::read_dr, lw.imm(Type::U64, n)));
        return Lowered::Continue;
    }
    lw.commit();
    lw.ir.call(helpers::write_dr, lw.imm(Type::U64, n), lw.read_as(1, Type::U64));
    return Lowered::Continue;
}

namespace {

Lowered privileged(Lowerer& lw) { return lw.raise(vector::GP, 0); }

// The instructions real-address mode and virtual-8086 mode do not recognise (Intel SDM
// vol. 2: LTR, STR, LLDT, SLDT, VERR/VERW, LAR, LSL, ARPL: "#UD ... not recognized in
// real-address mode" / "in virtual-8086 mode").
template<LowerFunction Lower>
Lowered protected_mode_only(Lowerer& lw)
{
    if (!(lw.mode() & mode::protected_mode) || (lw.mode() & mode::virtual8086))
        return lw.raise(vector::UD);
    return Lower(lw);
}

Lowered lower_load_descriptor_table(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return privileged(lw);
    // m16&64 in 64-bit mode: the limit, then a 64-bit base; elsewhere m16&32, a 32-bit base
    // of which a 16-bit operand size takes 24 bits (Intel SDM vol. 2, LGDT/LIDT).
    ir::Value address = lw.address(0);
    ir::Value limit = lw.load(Type::U16, address, lw.is_stack_operand(0));
    ir::Value base_address = lw.ir.add(address, lw.imm(Type::U64, 2));
    ir::Value base;
    if (lw.code64()) {
        base = lw.load(Type::U64, base_address, lw.is_stack_operand(0));
    } else {
        base = lw.ir.zext(Type::U64, lw.load(Type::U32, base_address, lw.is_stack_operand(0)));
        if (lw.insn().operand_width == 16)
            base = lw.ir.and_(base, lw.imm(Type::U64, 0xFFFFFF));
    }
    bool gdt = lw.insn().mnemonic == ZYDIS_MNEMONIC_LGDT;
    lw.ir.store_state(gdt ? offset::gdtr_limit : offset::idtr_limit, limit);
    lw.ir.store_state(gdt ? offset::gdtr_base : offset::idtr_base, base);
    return Lowered::Continue;
}

Lowered lower_store_descriptor_table(Lowerer& lw)
{
    // SGDT/SIDT are not privileged (no UMIP: CPUID does not offer it).
    bool gdt = lw.insn().mnemonic == ZYDIS_MNEMONIC_SGDT;
    ir::Value address = lw.address(0);
    lw.store(address, lw.ir.load_state(Type::U16, gdt ? offset::gdtr_limit : offset::idtr_limit), lw.is_stack_operand(0));
    // Outside 64-bit mode a 32-bit base (with a 16-bit operand size its low 24 bits and a
    // zero byte, as processors since the Pentium Pro write it).
    ir::Value base = lw.ir.load_state(Type::U64, gdt ? offset::gdtr_base : offset::idtr_base);
    if (!lw.code64()) {
        base = lw.ir.trunc(Type::U32, base);
        if (lw.insn().operand_width == 16)
            base = lw.ir.and_(base, lw.imm(Type::U32, 0xFFFFFF));
    }
    lw.store(lw.ir.add(address, lw.imm(Type::U64, 2)), base, lw.is_stack_operand(0));
    return Lowered::Continue;
}

// LTR and LLDT: a selector from a register or memory, loaded by `helper` (which checks the
// descriptor and may fault), CPL 0 only.
template<const ir::Helper& Helper>
Lowered lower_load_system_register(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return privileged(lw);
    ir::Value selector = lw.read_as(0, Type::U16);
    lw.commit();
    lw.ir.call(Helper, lw.ir.zext(Type::U64, selector));
    return Lowered::Continue;
}

Lowered lower_verr_verw(Lowerer& lw)
{
    // ZF from the helper (bit 14 of the packed flags, as SAHF builds them); others unchanged.
    ir::Value selector = lw.read_as(0, Type::U16);
    bool write = lw.insn().mnemonic == ZYDIS_MNEMONIC_VERW;
    lw.commit();
    ir::Value ok = lw.ir.call(helpers::verr_verw, lw.ir.zext(Type::U64, selector), lw.imm(Type::U64, write));
    ir::Value zf = lw.ir.shift(ir::Opcode::Shl, lw.ir.trunc(Type::U16, ok), ir::Builder::imm8(14));
    lw.set_flags_value(lw.ir.int_to_flags(zf), ir::flag::ZF);
    return Lowered::Continue;
}

Lowered lower_str(Lowerer& lw)
{
    ir::Value selector = lw.ir.load_state(Type::U16, static_cast<u32>(offsetof(CpuState, tr) + offsetof(Segment, selector)));
    lw.write(0, lw.op(0).type == ZYDIS_OPERAND_TYPE_REGISTER ? lw.ir.zext(lw.op_type(0), selector) : selector);
    return Lowered::Continue;
}

Lowered lower_sldt(Lowerer& lw)
{
    ir::Value selector = lw.ir.load_state(Type::U16, static_cast<u32>(offsetof(CpuState, ldtr) + offsetof(Segment, selector)));
    lw.write(0, lw.op(0).type == ZYDIS_OPERAND_TYPE_REGISTER ? lw.ir.zext(lw.op_type(0), selector) : selector);
    return Lowered::Continue;
}

Lowered lower_msr(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return privileged(lw);
    bool write = lw.insn().mnemonic == ZYDIS_MNEMONIC_WRMSR;
    lw.ir.call(write ? helpers::wrmsr : helpers::rdmsr);
    return write ? lw.end_block_after() : Lowered::Continue;
}

Lowered lower_swapgs(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return privileged(lw);
    ir::Value gs = lw.ir.load_state(Type::U64, offset::segment_base(GS));
    ir::Value kernel = lw.ir.load_state(Type::U64, offset::kernel_gs_base);
    lw.ir.store_state(offset::segment_base(GS), kernel);
    lw.ir.store_state(offset::kernel_gs_base, gs);
    return Lowered::Continue;
}

Lowered lower_invlpg(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return privileged(lw);
    lw.ir.call(helpers::invlpg, lw.address(0));
    // The helper drops the lookup-cache entries the page held (Linux's text patching
    // runs INVLPG some 70,000 times while booting).
    return lw.end_block_through_lookup();
}

Lowered lower_clts(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return privileged(lw);
    lw.ir.store_state(offset::cr0, lw.ir.and_(lw.ir.load_state(Type::U64, offset::cr0), lw.imm(Type::U64, ~cr0::TS)));
    return Lowered::Continue;
}

Lowered lower_hlt(Lowerer& lw)
{
    if (lw.cpl() != 0)
        return privileged(lw);
    lw.ir.exit_to(ir::ExitReason::Halt, lw.d().next_pc());
    return Lowered::EndBlock;
}

// IN/OUT: the port is an immediate or DX; the helper checks IOPL and the TSS's I/O bitmap.
ir::Value port_operand(Lowerer& lw, unsigned index)
{
    return lw.ir.zext(Type::U64, lw.read_as(index, Type::U16));
}

Lowered lower_in(Lowerer& lw)
{
    Type t = lw.op_type(0);
    ir::Value port = port_operand(lw, 1);
    lw.commit();
    ir::Value value = lw.ir.call(helpers::io_in, port, lw.imm(Type::U64, ir::byte_width(t)));
    lw.write(0, lw.ir.trunc(t, value));
    return Lowered::Continue;
}

Lowered lower_out(Lowerer& lw)
{
    Type t = lw.op_type(1);
    ir::Value port = port_operand(lw, 0);
    ir::Value value = lw.ir.zext(Type::U64, lw.read(1));
    lw.commit();
    lw.ir.call(helpers::io_out, port, lw.imm(Type::U64, ir::byte_width(t) | (u64(lw.insn().length) << 8)), value);
    return Lowered::Continue;
}

Lowered lower_int(Lowerer& lw)
{
    u8 vector = lw.insn().mnemonic == ZYDIS_MNEMONIC_INT3 ? vector::BP
        : lw.insn().mnemonic == ZYDIS_MNEMONIC_INT1       ? vector::DB
                                                          : static_cast<u8>(lw.op(0).imm.value.u);
    u64 kind = (lw.insn().mnemonic == ZYDIS_MNEMONIC_INT1 ? 1 : 0) | (lw.insn().mnemonic == ZYDIS_MNEMONIC_INT ? 2 : 0);
    lw.ir.call(helpers::software_interrupt, lw.imm(Type::U64, vector), lw.imm(Type::U64, lw.d().next_pc()), lw.imm(Type::U64, kind));
    lw.ir.exit(ir::ExitReason::Dispatch);
    return Lowered::EndBlock;
}

Lowered lower_ud(Lowerer& lw) { return lw.raise(vector::UD); }

// The helper does the whole return and gives the new pc, which the block continues at
// through the lookup thunk (the helper asks for the dispatcher when it is needed).
Lowered lower_iretq(Lowerer& lw)
{
    ir::Value target = lw.ir.call(helpers::iretq, lw.imm(Type::U64, lw.insn().operand_width / 8), lw.imm(Type::U64, lw.insn().length));
    lw.ir.jump_indirect(target);
    return Lowered::EndBlock;
}

// The fast system calls and returns: the helper does the whole transfer (segments, CPL,
// stack, RIP), and the dispatcher looks up the code it reached in its new mode.
Lowered transfer_in_helper(Lowerer& lw, const ir::Helper& helper, ir::Value argument = {})
{
    lw.commit();
    lw.ir.call(helper, argument);
    lw.ir.exit(ir::ExitReason::Dispatch);
    return Lowered::EndBlock;
}

Lowered lower_syscall(Lowerer& lw) { return transfer_in_helper(lw, helpers::syscall, lw.imm(Type::U64, lw.d().next_pc())); }
Lowered lower_sysret(Lowerer& lw) { return transfer_in_helper(lw, helpers::sysret, lw.imm(Type::U64, lw.insn().operand_width / 8)); }
Lowered lower_sysenter(Lowerer& lw) { return transfer_in_helper(lw, helpers::sysenter); }
Lowered lower_sysexit(Lowerer& lw) { return transfer_in_helper(lw, helpers::sysexit, lw.imm(Type::U64, lw.insn().operand_width / 8)); }

Lowered lower_cpuid(Lowerer& lw)
{
    lw.ir.call(helpers::cpuid);
    return Lowered::Continue;
}

Lowered lower_rdtsc(Lowerer& lw)
{
    lw.ir.call(helpers::rdtsc, lw.imm(Type::U64, lw.insn().mnemonic == ZYDIS_MNEMONIC_RDTSCP));
    return Lowered::Continue;
}

Lowered lower_rdrand(Lowerer& lw)
{
    // RDRAND r16/r32/r64 (Intel SDM vol. 2): CF says whether the number is valid; OF, SF,
    // ZF, AF and PF are cleared. #UD where CPUID does not advertise it.
    if (!host_cpu().rdrand || lw.op(0).type != ZYDIS_OPERAND_TYPE_REGISTER)
        return lw.raise(vector::UD);
    lw.commit();
    ir::Value ready = lw.ir.call(helpers::rdrand);
    ir::Value number = lw.ir.load_state(Type::U64, offset::vector_temp);
    lw.write(0, lw.ir.trunc(lw.operand_type(), number));
    ir::Value cf = lw.ir.shift(ir::Opcode::Shl, lw.ir.trunc(Type::U16, ready), ir::Builder::imm8(8)); // CF: bit 8
    lw.set_flags_value(lw.ir.int_to_flags(cf), ir::flag::All);
    return Lowered::Continue;
}

} // namespace

void register_system(LowerTable& t)
{
    t.add(ZYDIS_MNEMONIC_RDRAND, lower_rdrand);
    t.add(ZYDIS_MNEMONIC_LGDT, lower_load_descriptor_table);
    t.add(ZYDIS_MNEMONIC_LIDT, lower_load_descriptor_table);
    t.add(ZYDIS_MNEMONIC_SGDT, lower_store_descriptor_table);
    t.add(ZYDIS_MNEMONIC_SIDT, lower_store_descriptor_table);
    t.add(ZYDIS_MNEMONIC_LTR, protected_mode_only<lower_load_system_register<helpers::ltr>>);
    t.add(ZYDIS_MNEMONIC_STR, protected_mode_only<lower_str>);
    t.add(ZYDIS_MNEMONIC_SLDT, protected_mode_only<lower_sldt>);
    t.add(ZYDIS_MNEMONIC_LLDT, protected_mode_only<lower_load_system_register<helpers::lldt>>);
    t.add(ZYDIS_MNEMONIC_VERR, protected_mode_only<lower_verr_verw>);
    t.add(ZYDIS_MNEMONIC_VERW, protected_mode_only<lower_verr_verw>);
    t.add(ZYDIS_MNEMONIC_SMSW, lower_smsw);
    t.add(ZYDIS_MNEMONIC_LMSW, lower_lmsw);
    t.add(ZYDIS_MNEMONIC_RDMSR, lower_msr);
    t.add(ZYDIS_MNEMONIC_WRMSR, lower_msr);
    t.add(ZYDIS_MNEMONIC_SWAPGS, lower_swapgs);
    t.add(ZYDIS_MNEMONIC_INVLPG, lower_invlpg);
    t.add(ZYDIS_MNEMONIC_CLTS, lower_clts);
    t.add(ZYDIS_MNEMONIC_HLT, lower_hlt);
    t.add(ZYDIS_MNEMONIC_IN, lower_in);
    t.add(ZYDIS_MNEMONIC_OUT, lower_out);
    t.add(ZYDIS_MNEMONIC_INT, lower_int);
    t.add(ZYDIS_MNEMONIC_INT3, lower_int);
    t.add(ZYDIS_MNEMONIC_INT1, lower_int);
    t.add(ZYDIS_MNEMONIC_UD0, lower_ud);
    t.add(ZYDIS_MNEMONIC_UD1, lower_ud);
    t.add(ZYDIS_MNEMONIC_UD2, lower_ud);
    t.add(ZYDIS_MNEMONIC_IRETQ, lower_iretq);
    t.add(ZYDIS_MNEMONIC_SYSCALL, lower_syscall);
    t.add(ZYDIS_MNEMONIC_SYSRET, lower_sysret);
    t.add(ZYDIS_MNEMONIC_SYSENTER, lower_sysenter);
    t.add(ZYDIS_MNEMONIC_SYSEXIT, lower_sysexit);
    t.add(ZYDIS_MNEMONIC_IRET, lower_iretq);
    t.add(ZYDIS_MNEMONIC_IRETD, lower_iretq);
    t.add(ZYDIS_MNEMONIC_CPUID, lower_cpuid);
    t.add(ZYDIS_MNEMONIC_RDTSC, lower_rdtsc);
    t.add(ZYDIS_MNEMONIC_RDTSCP, lower_rdtsc);
}

} // namespace keel::x86
