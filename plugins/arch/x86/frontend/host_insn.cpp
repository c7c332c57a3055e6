#include "plugins/arch/x86/frontend/host_insn.h"

namespace keel::x86 {

bool host_request_for(Lowerer& lw, ZydisEncoderRequest& request)
{
    const ZydisDecodedInstruction& insn = lw.insn();
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(&insn, lw.d().ops, insn.operand_count_visible, &request)))
        return false;
    request.prefixes &= ~(ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_ADDRESSSIZE);
    request.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_NONE;
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

void store_vector_temp(Lowerer& lw, ir::Value address, u32 size, bool stack)
{
    // A store of 9 to 16 bytes goes out as 8-byte parts, and one that crosses into a page
    // it may not write must write nothing (a fault leaves memory as it was, Intel SDM
    // vol. 3 §6.5). An 8-byte store that itself crosses the boundary checks both pages
    // before writing (the softMMU's rule), so one goes first: bytes [k, k + 8) with the
    // boundary strictly inside. With the boundary b bytes into the access: k = 0 for
    // b <= 7, k = size - 8 for b >= 9, and for b = 8 k = size - 8 too unless that is 8
    // (size 16), then 4. Where nothing crosses it is merely written twice.
    if (size > 8 && size <= 16) {
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
