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
