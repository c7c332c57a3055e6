#pragma once
// What the lowerings that run a guest instruction as the same host instruction share
// (lower_sse.cpp, lower_x87.cpp; docs/sse.md, docs/x87.md): the encoder request for the
// decoded instruction, the guest-memory operand's trip through CpuState::vector_temp, and
// the ir::HostInsn bytes.
#include "plugins/arch/x86/frontend/host_bytes.h"
#include "plugins/arch/x86/frontend/lowerer.h"

namespace keel::x86 {

// Zydis' encoder request for the instruction being lowered, with the segment and
// address-size prefixes dropped (operands are rewritten to the host's registers and state).
bool host_request_for(Lowerer& lw, ZydisEncoderRequest& request);

// The memory operand's `size` bytes at `address`, through the softMMU (may fault, state
// exact), into vector_temp before the host instruction; and back out after it.
void load_vector_temp(Lowerer& lw, ir::Value address, u32 size, bool stack);
void store_vector_temp(Lowerer& lw, ir::Value address, u32 size, bool stack);

// MASKMOVDQU and MASKMOVQ store to [RDI], which no operand encodes: the host instruction
// runs with RDI = &vector_temp (the backend's RDI pushed before, popped after), and the
// lowering moves the guest's bytes into vector_temp before and out after, so the bytes the
// mask leaves keep their values (docs/sse.md).
bool point_rdi_at_vector_temp(HostBytes& saves, HostBytes& prologue, HostBytes& restores);

// The host instruction's bytes in order. ir::HostInsn holds at most 255: fits() says
// whether they do, to be checked before any IR of the instruction is emitted.
class HostSequence {
public:
    HostSequence(std::initializer_list<const HostBytes*> parts);
    bool fits() const { return m_length <= max_length; }
    ir::Value emit(Lowerer& lw) const { return lw.ir.host_insn(m_bytes, m_length); }

private:
    static constexpr u32 max_length = 255;
    u8 m_bytes[3 * 128];
    u32 m_length = 0;
};

} // namespace keel::x86
