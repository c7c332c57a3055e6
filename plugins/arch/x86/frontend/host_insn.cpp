#include "plugins/arch/x86/frontend/host_insn.h"

namespace keel::x86 {

bool host_request_for(Lowerer& lw, ZydisEncoderRequest& request)
{
    const ZydisDecodedInstruction& insn = lw.insn();
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(&insn, lw.d().ops, insn.operand_count_visible, &request)))
        return false;
    request.prefixes &= ~(ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_ADDRESSSIZE);
    request.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_NONE;
    // The host runs 64-bit code: an instruction of 32- or 16-bit guest code is encoded for
    // it (its memory operand becomes an RBP-relative state slot, its GPRs RAX).
    request.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    return true;
}

namespace {

ir::Value at_offset(Lowerer& lw, ir::Value address, u32 at) { return at ? lw.ir.add(address, lw.imm(ir::Type::U64, at)) : address; }

u32 chunk_at(u32 size, u32 at) { return size - at >= 8 ? 8 : size - at; }

} // namespace

void load_vector_temp(Lowerer& lw, ir::Value address, u32 size, bool stack)
{
    for (u32 at = 0; at < size; at += 8) {
        ir::Value part = lw.load(Lowerer::type_of_bits(chunk_at(size, at) * 8), at_offset(lw, address, at), stack);
        lw.ir.store_state(offset::vector_temp + at, part);
    }
}

void store_vector_temp(Lowerer& lw, ir::Value address, u32 size, bool stack, bool aligned)
{
    // A store of 9 to 16 bytes goes out as 8-byte parts, and one that crosses into a page
    // it may not write must write nothing (a fault leaves memory as it was, Intel SDM
    // vol. 3 §6.5). An 8-byte store that itself crosses the boundary checks both pages
    // before writing (the softMMU's rule), so one goes first: bytes [k, k + 8) with the
    // boundary strictly inside. With the boundary b bytes into the access: k = 0 for
    // b <= 7, k = size - 8 for b >= 9, and for b = 8 k = size - 8 too unless that is 8
    // (size 16), then 4. Where nothing crosses it is merely written twice. An aligned
    // access crosses nothing.
    if (size > 8 && size <= 16 && !aligned) {
        using ir::Type;
        ir::Value page_offset = lw.ir.and_(address, lw.imm(Type::U64, guest_page_size - 1));
        ir::Value carry = lw.ir.and_(lw.ir.add(page_offset, lw.imm(Type::U64, 7)), lw.imm(Type::U64, guest_page_size));
        ir::Value low_crosses = lw.ir.xor_(lw.ir.equal(carry, lw.imm(Type::U64, 0)), ir::Builder::bool_imm(true));
        ir::Value k = lw.ir.select(low_crosses, lw.imm(Type::U64, 0), lw.imm(Type::U64, size - 8));
        ir::Value part = lw.ir.select(low_crosses, lw.ir.load_state(Type::U64, offset::vector_temp),
            lw.ir.load_state(Type::U64, offset::vector_temp + size - 8));
        if (size == 16) {
            ir::Value middle = lw.ir.equal(page_offset, lw.imm(Type::U64, guest_page_size - 8));
            k = lw.ir.select(middle, lw.imm(Type::U64, 4), k);
            part = lw.ir.select(middle, lw.ir.load_state(Type::U64, offset::vector_temp + 4), part);
        }
        lw.store(lw.ir.add(address, k), part, stack);
    }
    for (u32 at = 0; at < size; at += 8) {
        ir::Value part = lw.ir.load_state(Lowerer::type_of_bits(chunk_at(size, at) * 8), offset::vector_temp + at);
        lw.store(at_offset(lw, address, at), part, stack);
    }
}

bool uses_mxcsr(const ZydisDecodedInstruction& insn)
{
    switch (insn.mnemonic) {
    // The conversions with an MMX operand (Intel SDM vol. 2: each raises #XM for invalid
    // or precision), which Zydis files under no exception class. CVTPI2PD is exact.
    case ZYDIS_MNEMONIC_CVTPI2PS:
    case ZYDIS_MNEMONIC_CVTPS2PI:
    case ZYDIS_MNEMONIC_CVTTPS2PI:
    case ZYDIS_MNEMONIC_CVTPD2PI:
    case ZYDIS_MNEMONIC_CVTTPD2PI:
        return true;
    default:
        return insn.meta.exception_class == ZYDIS_EXCEPTION_CLASS_SSE2 || insn.meta.exception_class == ZYDIS_EXCEPTION_CLASS_SSE3;
    }
}

bool save_host_mxcsr(HostBytes& b)
{
    return b.rbp_operand(false, { 0x0F, 0xAE }, 3, offset::mxcsr_host); // stmxcsr [rbp + mxcsr_host]
}

bool load_guest_mxcsr(HostBytes& b)
{
    return b.rbp_operand(false, { 0x8B }, 0, offset::mxcsr)            // mov eax, [rbp + mxcsr]
        && b.raw({ 0x25, 0xC0, 0xFF, 0xFF, 0xFF })                     // and eax, ~0x3F
        && b.raw({ 0x0D, 0x80, 0x1F, 0x00, 0x00 })                     // or eax, 0x1F80
        && b.rbp_operand(false, { 0x89 }, 0, offset::mxcsr_run)        // mov [rbp + mxcsr_run], eax
        && b.rbp_operand(false, { 0x0F, 0xAE }, 2, offset::mxcsr_run); // ldmxcsr [rbp + mxcsr_run]
}

bool mxcsr_out(HostBytes& b)
{
    return b.rbp_operand(false, { 0x0F, 0xAE }, 3, offset::mxcsr_run)   // stmxcsr [rbp + mxcsr_run]
        && b.rbp_operand(false, { 0x0F, 0xAE }, 2, offset::mxcsr_host); // ldmxcsr [rbp + mxcsr_host]
}

void mxcsr_result(Lowerer& lw, void (*restore)(Lowerer& lw, ir::Value unmasked, void* context), void* context)
{
    using ir::Type;
    constexpr u32 mxcsr_flags = 0x3F;
    ir::Value guest = lw.ir.load_state(Type::U32, offset::mxcsr);
    ir::Value raised = lw.ir.and_(lw.ir.load_state(Type::U32, offset::mxcsr_run), lw.imm(Type::U32, mxcsr_flags));
    lw.ir.store_state(offset::mxcsr, lw.ir.or_(guest, raised));
    ir::Value masks = lw.ir.shift(ir::Opcode::Shr, guest, ir::Builder::imm8(7));
    ir::Value unmasked_bits = lw.ir.and_(raised, lw.ir.xor_(masks, lw.imm(Type::U32, mxcsr_flags)));
    auto not_zero = [&](ir::Value v, Type t) { return lw.ir.xor_(lw.ir.equal(v, lw.imm(t, 0)), ir::Builder::bool_imm(true)); };
    ir::Value unmasked = not_zero(unmasked_bits, Type::U32);
    restore(lw, unmasked, context);
    ir::Value osxmmexcpt = not_zero(lw.ir.and_(lw.ir.load_state(Type::U64, offset::cr4), lw.imm(Type::U64, cr4::OSXMMEXCPT)), Type::U64);
    lw.ir.trap_if(not_zero(lw.ir.select(osxmmexcpt, unmasked_bits, lw.imm(Type::U32, 0)), Type::U32), vector::XM, false, 0);
    lw.ir.trap_if(unmasked, vector::UD, false, 0);
}

bool point_rdi_at_vector_temp(HostBytes& saves, HostBytes& prologue, HostBytes& restores)
{
    return saves.push(ZYDIS_REGISTER_RDI) && prologue.rbp_operand(true, { 0x8D }, 7, offset::vector_temp) // lea rdi, [rbp + vector_temp]
        && restores.pop(ZYDIS_REGISTER_RDI);
}

HostSequence::HostSequence(std::initializer_list<const HostBytes*> parts)
{
    for (const HostBytes* part : parts) {
        if (m_length + part->length() > sizeof(m_bytes)) {
            m_length = sizeof(m_bytes); // more than fits() allows
            return;
        }
        __builtin_memcpy(m_bytes + m_length, part->data(), part->length());
        m_length += part->length();
    }
}

} // namespace keel::x86
