// Interrupts and exceptions in legacy protected mode (CR0.PE = 1, EFER.LMA = 0), through
// 8-byte IDT gates (Intel SDM vol. 3 §6.10-§6.12): 32- and 16-bit interrupt and trap
// gates, with a stack switch from the TSS on a privilege change, and from virtual-8086 mode
// to its CPL 0 monitor, and through task gates to a task of their own (task_switch.cpp).
#include "dbt/base/log.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/exceptions_internal.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/segments.h"
#include "plugins/arch/x86/stack_access.h"
#include "plugins/arch/x86/task_switch.h"

namespace keel::x86 {
bool deliver_protected_mode(CpuContext& ctx, const PendingEvent& ev)
{
    CpuState& s = state(ctx);
    bool from_v86 = s.rflags & rflags::VM;
    u32 cpl = current_cpl(ctx);
    u32 ext = ev.kind == PendingEvent::Kind::SoftwareInterrupt ? 0 : 1;
    u32 idt_error = ev.vector * 8u + 2u + ext;
    auto fault = [&](u8 vector, u32 error) {
        raise_fault(ctx, vector, error);
        return false;
    };

    if (ev.vector * 8u + 7u > s.idtr.limit)
        return fault(vector::GP, idt_error);
    u64 gate;
    if (!read_supervisor(ctx, s.idtr.base + ev.vector * 8u, 8, gate))
        return false;
    u8 type = (gate >> 40) & 0x1F; // S (bit 4) must be 0: a system descriptor
    u32 gate_dpl = (gate >> 45) & 3;
    if (type == 0x05) {
        // A task gate: the handler is a task of its own (§6.12.2), the double-fault
        // handler of 32-bit kernels being the usual one; an error code goes on its stack.
        if (ev.kind == PendingEvent::Kind::SoftwareInterrupt && gate_dpl < cpl)
            return fault(vector::GP, ev.vector * 8u + 2u);
        if (!((gate >> 47) & 1))
            return fault(vector::NP, idt_error);
        KEEL_LOG(Int, "int: vector 0x%02x through a task gate to TSS 0x%x\n", ev.vector, static_cast<unsigned>((gate >> 16) & 0xFFFF));
        if (!switch_task(ctx, static_cast<u16>(gate >> 16), TaskSwitch::Interrupt, ev.return_rip, &ev))
            return false;
        state(ctx).interrupt_shadow_rip = ~0ull;
        return true;
    }
    bool gate32 = type == 0x0E || type == 0x0F;
    bool gate16 = type == 0x06 || type == 0x07;
    if (!gate32 && !gate16)
        return fault(vector::GP, idt_error);
    bool interrupt_gate = type == 0x0E || type == 0x06;
    if (ev.kind == PendingEvent::Kind::SoftwareInterrupt && gate_dpl < cpl)
        return fault(vector::GP, ev.vector * 8u + 2u);
    if (!((gate >> 47) & 1))
        return fault(vector::NP, idt_error);
    u16 selector = static_cast<u16>(gate >> 16);
    u32 offset = static_cast<u32>((gate & 0xFFFF) | (gate16 ? 0 : ((gate >> 48) & 0xFFFF) << 16));

    if ((selector & ~3u) == 0)
        return fault(vector::GP, ext);
    Descriptor code;
    if (!read_descriptor(ctx, selector, false, code))
        return false;
    if (!code.is_code() || code.dpl() > cpl)
        return fault(vector::GP, (selector & ~3u) + ext);
    if (!code.present())
        return fault(vector::NP, (selector & ~3u) + ext);
    bool conforming = code.type() & 4;
    u32 new_cpl = conforming ? cpl : code.dpl();
    // From virtual-8086 mode only a 32-bit gate to non-conforming CPL 0 code will do: the
    // handler is the virtual-8086 monitor (§20.3.1.1; figure 20-5).
    if (from_v86 && (conforming || code.dpl() != 0 || !gate32))
        return fault(vector::GP, (selector & ~3u) + ext);
    if (offset > code.limit())
        return fault(vector::GP, ext);

    // The stack: the current one, or SSn:ESPn of the 32-bit TSS for a more privileged
    // handler (§7.2.1, figure 7-2: ESPn at 4 + 8n, SSn at 8 + 8n).
    Segment new_ss = s.segment[SS];
    u32 sp = static_cast<u32>(s.gpr[RSP]);
    bool switch_stack = new_cpl < cpl;
    if (switch_stack && !read_tss32_stack(ctx, new_cpl, ext, new_ss, sp))
        return false;

    unsigned width = gate32 ? 4 : 2;
    u32 values[10];
    unsigned n = 0;
    if (from_v86) {
        // The virtual-8086 segment registers first, so that IRET can restore them.
        for (SegmentIndex seg : { GS, FS, DS, ES })
            values[n++] = s.segment[seg].selector;
    }
    if (switch_stack) {
        values[n++] = s.segment[SS].selector;
        values[n++] = static_cast<u32>(s.gpr[RSP]);
    }
    // Faults push EFLAGS with RF set (§17.3.1.1), as in IA-32e mode.
    values[n++] = static_cast<u32>(read_rflags(ctx) | (ev.kind == PendingEvent::Kind::Fault ? rflags::RF : 0));
    values[n++] = s.segment[CS].selector;
    values[n++] = static_cast<u32>(ev.return_rip);
    if (ev.has_error_code)
        values[n++] = ev.error_code;
    StackCursor stack(ctx, new_ss, switch_stack ? sp : s.gpr[RSP], false, new_cpl);
    for (unsigned i = 0; i < n; ++i) {
        if (!stack.push(values[i], width))
            return false;
    }

    // Commit.
    if (from_v86) {
        // The monitor starts with null data segments (§20.3.1.1).
        for (SegmentIndex seg : { GS, FS, DS, ES })
            s.segment[seg] = null_segment(0);
    }
    if (switch_stack)
        s.segment[SS] = new_ss;
    s.gpr[RSP] = stack.rsp();
    s.segment[CS] = segment_from(static_cast<u16>((selector & ~3u) | new_cpl), code);
    enter_handler(ctx, interrupt_gate, offset);
    KEEL_LOG(Int, "int: vector 0x%02x%s error 0x%x at eip 0x%llx -> 0x%x (protected mode, cpl %u -> %u, esp 0x%x)\n",
        ev.vector, ev.kind == PendingEvent::Kind::SoftwareInterrupt ? " (software)" : "", ev.has_error_code ? ev.error_code : 0,
        (unsigned long long)ev.return_rip, offset, cpl, new_cpl, static_cast<unsigned>(s.gpr[RSP]));
    return true;
}

} // namespace keel::x86
