// Call gates (Intel SDM vol. 3 §5.8.3-§5.8.6; vol. 2, CALL and JMP: "CALL-GATE"): a far
// CALL or JMP whose selector names a gate goes to the code segment and offset the gate
// holds. A CALL to a more privileged non-conforming segment switches to the inner stack
// (SSn:ESPn from the 32-bit TSS, copying the gate's parameter count of words or dwords
// from the caller's stack; in IA-32e mode RSPn from the 64-bit TSS with a null SS) and
// pushes the caller's SS and (E/R)SP there; every CALL pushes CS and the return address
// at the gate's width. A far RET back to the outer level pops them (helpers_far.cpp).
#include "plugins/arch/x86/runtime/call_gate.h"
#include "dbt/base/log.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/segments.h"
#include "plugins/arch/x86/stack_access.h"

namespace keel::x86::helpers {
namespace {

ir::HelperResult faulted() { return ir::helper_exit(); }
ir::HelperResult fault(CpuContext& ctx, u8 vector, u32 error) { return raise_fault(ctx, vector, error), faulted(); }

} // namespace

ir::HelperResult transfer_through_call_gate(CpuContext& ctx, u16 gate_selector, bool call, u64 return_rip)
{
    CpuState& s = state(ctx);
    u32 cpl = current_cpl(ctx);
    bool long_mode = s.efer & efer::LMA;
    Descriptor gate;
    // A 64-bit call gate is 16 bytes (§5.8.3.1).
    if (!read_descriptor(ctx, gate_selector, long_mode, gate))
        return faulted();
    unsigned width = long_mode ? 8 : gate.type() == 0xC ? 4 : 2;
    if (gate.dpl() < cpl || gate.dpl() < (gate_selector & 3u))
        return fault(ctx, vector::GP, gate_selector & ~3u);
    if (!gate.present())
        return fault(ctx, vector::NP, gate_selector & ~3u);
    u16 code_selector = static_cast<u16>(gate.low >> 16);
    u64 offset = (gate.low & 0xFFFF) | (width == 2 ? 0 : ((gate.low >> 48) & 0xFFFF) << 16);
    if (long_mode)
        offset |= (gate.high & 0xFFFFFFFF) << 32;
    unsigned parameter_count = width == 8 ? 0 : (gate.low >> 32) & 0x1F;

    if ((code_selector & ~3u) == 0)
        return fault(ctx, vector::GP, 0);
    Descriptor code;
    if (!read_descriptor(ctx, code_selector, false, code))
        return faulted();
    bool conforming = code.type() & 4;
    // The target must be code at least as privileged as the caller (DPL <= CPL); a JMP
    // changes no privilege, so a non-conforming target must be at CPL; a 64-bit gate
    // leads to 64-bit code only.
    bool code64 = code.long_mode() && !(code.attributes() & seg_attr::db);
    if (!code.is_code() || code.dpl() > cpl || (!call && !conforming && code.dpl() != cpl) || (long_mode && !code64))
        return fault(ctx, vector::GP, code_selector & ~3u);
    if (!code.present())
        return fault(ctx, vector::NP, code_selector & ~3u);
    if (long_mode ? !is_canonical(offset) : offset > code.limit())
        return fault(ctx, vector::GP, 0);

    bool inner = call && !conforming && code.dpl() < cpl;
    u32 new_cpl = inner ? code.dpl() : cpl;
    // A 64-bit gate's pushes go by RSP alone, as its target's stack is addressed.
    StackCursor stack(ctx, s.segment[SS], s.gpr[RSP], long_mode, cpl);
    if (inner) {
        u64 values[2 + 31] = { s.segment[SS].selector, long_mode ? s.gpr[RSP] : s.gpr[RSP] & 0xFFFFFFFF };
        // The parameters, read from the caller's stack before anything is written.
        for (unsigned i = 0; i < parameter_count; ++i) {
            u32 at = static_cast<u32>(s.gpr[RSP]) + (parameter_count - 1 - i) * width;
            if (!read_guest(ctx, stack_linear(s.segment[SS], at), width, values[2 + i], access_flag::stack))
                return faulted();
        }
        if (long_mode) {
            u64 rsp;
            if (!read_tss_stack(ctx, 4 + 8 * new_cpl, rsp))
                return faulted();
            stack = StackCursor(ctx, null_segment(static_cast<u16>(new_cpl)), rsp, true, new_cpl);
        } else {
            Segment ss;
            u32 esp;
            if (!read_tss32_stack(ctx, new_cpl, 0, ss, esp))
                return faulted();
            stack = StackCursor(ctx, ss, esp, false, new_cpl);
        }
        for (unsigned i = 0; i < 2 + parameter_count; ++i) {
            if (!stack.push(values[i], width))
                return faulted();
        }
    }
    if (call && (!stack.push(s.segment[CS].selector, width) || !stack.push(return_rip, width)))
        return faulted();
    if (!mark_accessed(ctx, code_selector, code))
        return faulted();

    s.segment[SS] = stack.ss();
    s.gpr[RSP] = stack.rsp();
    s.segment[CS] = segment_from(static_cast<u16>((code_selector & ~3u) | new_cpl), code);
    ctx.hot.pc = offset;
    refresh_mode(ctx);
    KEEL_LOG(Int, "far %s through call gate 0x%x -> %04x:%llx (cpl %u -> %u)\n", call ? "call" : "jmp", gate_selector,
        code_selector, static_cast<unsigned long long>(offset), cpl, new_cpl);
    return ir::helper_exit();
}

} // namespace keel::x86::helpers
