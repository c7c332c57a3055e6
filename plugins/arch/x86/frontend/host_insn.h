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
// `aligned`: the address is known to be a multiple of `size` (a 16-byte operand whose
// alignment was checked), so the access cannot cross a page.
void store_vector_temp(Lowerer& lw, ir::Value address, u32 size, bool stack, bool aligned = false);

// MASKMOVDQU and MASKMOVQ store to [RDI], which no operand encodes: the host instruction
// runs with RDI = &vector_temp (the backend's RDI pushed before, popped after), and the
// lowering moves the guest's bytes into vector_temp before and out after, so the bytes the
// mask leaves keep their values (docs/sse.md).
bool point_rdi_at_vector_temp(HostBytes& saves, HostBytes& prologue, HostBytes& restores);

// MXCSR around an instruction run on the host (docs/sse.md#mxcsr). The instructions that
// take MXCSR's rounding control, DAZ/FTZ and exception masks and set its flags: Intel SDM
// vol. 2 §2.4's exception types 2 (packed) and 3 (scalar), which Zydis reports as the
// instruction's exception class. Types 1, 4 and 5 (moves, logic, integer SIMD,
// integer-to-double conversions) raise no SIMD floating-point exception.
bool uses_mxcsr(const ZydisDecodedInstruction& insn);
// Host bytes: save the host's MXCSR; load the guest's with its flags cleared and every
// exception masked (so the host never faults); after the instruction, keep what it left in
// mxcsr_run and put the host's back. mxcsr_in is the first two together; an x87/MMX
// instruction puts its FXRSTOR (which loads an MXCSR too) between them.
bool save_host_mxcsr(HostBytes& b);
bool load_guest_mxcsr(HostBytes& b);
inline bool mxcsr_in(HostBytes& b) { return save_host_mxcsr(b) && load_guest_mxcsr(b); }
bool mxcsr_out(HostBytes& b);

// After the instruction: its flags into the guest's MXCSR (sticky), and for an exception
// the guest left unmasked (flag set, mask clear) the destination `restore` puts back, then
// #XM, or #UD when CR4.OSXMMEXCPT is clear (Intel SDM vol. 3 §6.15 "#XM"; vol. 1
// §11.5.1: an unmasked exception leaves the destination unchanged).
void mxcsr_result(Lowerer& lw, void (*restore)(Lowerer& lw, ir::Value unmasked, void* context), void* context);
template<typename Restore>
void mxcsr_result(Lowerer& lw, Restore restore)
{
    mxcsr_result(lw, [](Lowerer& l, ir::Value unmasked, void* c) { (*static_cast<Restore*>(c))(unmasked); (void)l; }, &restore);
}

// The host instruction's bytes in order. ir::HostInsn holds at most 255: fits() says
// whether they do, to be checked before any IR of the instruction is emitted.
class HostSequence {
public:
    HostSequence(std::initializer_list<const HostBytes*> parts);
    bool fits() const { return m_length <= max_length; }
    // `pointer`: the HostPointer whose value the bytes' memory operand [RAX] reads;
    // `state_floor`: the lowest state offset they touch (ir::host_insn_state_floor).
    ir::Value emit(Lowerer& lw, ir::Value pointer = {}, u16 state_floor = 0) const
    {
        return lw.ir.host_insn(m_bytes, m_length, pointer, state_floor);
    }

private:
    static constexpr u32 max_length = 255;
    u8 m_bytes[3 * 128];
    u32 m_length = 0;
};

} // namespace keel::x86
