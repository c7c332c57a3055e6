#include "plugins/arch/x86/exceptions.h"
#include "dbt/base/log.h"
#include "plugins/arch/x86/exceptions_internal.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/segments.h"

namespace keel::x86 {

bool raise_fault(CpuContext& ctx, u8 vector)
{
    state(ctx).event = PendingEvent { PendingEvent::Kind::Fault, vector, false, 0, ctx.hot.pc };
    return false;
}

bool raise_fault(CpuContext& ctx, u8 vector, u32 error_code)
{
    state(ctx).event = PendingEvent { PendingEvent::Kind::Fault, vector, true, error_code, ctx.hot.pc };
    return false;
}

bool raise_page_fault(CpuContext& ctx, u64 address, u32 error_code)
{
    state(ctx).cr2 = address;
    return raise_fault(ctx, vector::PF, error_code);
}

void raise_software_interrupt(CpuContext& ctx, u8 vector, u64 next_rip)
{
    state(ctx).event = PendingEvent { PendingEvent::Kind::SoftwareInterrupt, vector, false, 0, next_rip };
}

namespace {

enum class FaultClass { Benign, Contributory, PageFault };

// Intel SDM vol. 3 §6.15, table 6-4.
FaultClass classify(const PendingEvent& e)
{
    if (e.kind != PendingEvent::Kind::Fault && e.kind != PendingEvent::Kind::Trap)
        return FaultClass::Benign; // interrupts and INT n: a fault while delivering them is delivered serially
    switch (e.vector) {
    case vector::DE:
    case vector::TS:
    case vector::NP:
    case vector::SS:
    case vector::GP:
        return FaultClass::Contributory;
    case vector::PF:
        return FaultClass::PageFault;
    default:
        return FaultClass::Benign;
    }
}

// Table 6-5: which second exception turns into a double fault.
bool makes_double_fault(const PendingEvent& first, const PendingEvent& second)
{
    FaultClass a = classify(first), b = classify(second);
    if (a == FaultClass::Contributory)
        return b == FaultClass::Contributory;
    if (a == FaultClass::PageFault)
        return b == FaultClass::Contributory || b == FaultClass::PageFault;
    return false;
}

// Delivers one event through a 64-bit IDT gate (Intel SDM vol. 3 §6.14). Returns false,
// with the new fault recorded, if delivering it faulted.
bool deliver_long_mode(CpuContext& ctx, const PendingEvent& ev)
{
    CpuState& s = state(ctx);
    u32 cpl = current_cpl(ctx);
    u32 ext = ev.kind == PendingEvent::Kind::SoftwareInterrupt ? 0 : 1;
    u32 idt_error = ev.vector * 8u + 2u + ext;

    if (ev.vector * 16u + 15u > s.idtr.limit)
        return raise_fault(ctx, vector::GP, idt_error);
    u64 lo, hi;
    if (!read_supervisor(ctx, s.idtr.base + ev.vector * 16u, 8, lo) || !read_supervisor(ctx, s.idtr.base + ev.vector * 16u + 8, 8, hi))
        return false;
    u8 type = (lo >> 40) & 0xF;
    bool interrupt_gate = type == 0xE;
    bool system = !((lo >> 44) & 1); // a gate is a system descriptor (S = 0), §6.14.1
    if (!system || (type != 0xE && type != 0xF))
        return raise_fault(ctx, vector::GP, idt_error);
    u32 gate_dpl = (lo >> 45) & 3;
    if (ev.kind == PendingEvent::Kind::SoftwareInterrupt && gate_dpl < cpl)
        return raise_fault(ctx, vector::GP, ev.vector * 8u + 2u);
    if (!((lo >> 47) & 1))
        return raise_fault(ctx, vector::NP, idt_error);
    u16 selector = static_cast<u16>(lo >> 16);
    u64 target = (lo & 0xFFFF) | (((lo >> 48) & 0xFFFF) << 16) | ((hi & 0xFFFFFFFF) << 32);
    u32 ist = (lo >> 32) & 7;

    if ((selector & ~3u) == 0)
        return raise_fault(ctx, vector::GP, ext);
    Descriptor code;
    // A selector beyond the table's limit faults with EXT too (§6.13: every error code of
    // a fault during the delivery of an external event carries EXT).
    if (!read_descriptor(ctx, selector, false, code)) {
        if (ext && s.event.kind == PendingEvent::Kind::Fault && s.event.vector == vector::GP)
            s.event.error_code |= ext;
        return false;
    }
    if (!code.is_code() || code.dpl() > cpl)
        return raise_fault(ctx, vector::GP, (selector & ~3u) + ext);
    if (!code.present())
        return raise_fault(ctx, vector::NP, (selector & ~3u) + ext);
    if (!code.long_mode() || (code.low & (1ull << 54)))
        return raise_fault(ctx, vector::GP, (selector & ~3u) + ext); // the handler must be 64-bit code
    // A non-canonical handler address faults before anything is pushed (§6.14.1; vol. 2
    // INT n, "IF instruction pointer is non-canonical THEN #GP(EXT)").
    if (!is_canonical(target))
        return raise_fault(ctx, vector::GP, ext);
    bool conforming = code.type() & 4;
    u32 new_cpl = conforming ? cpl : code.dpl();

    u64 rsp = s.gpr[RSP];
    if (ist) {
        if (!read_tss_stack(ctx, 36 + 8 * (ist - 1), rsp))
            return false;
    } else if (new_cpl < cpl) {
        if (!read_tss_stack(ctx, 4 + 8 * new_cpl, rsp))
            return false;
    }
    rsp &= ~0xFull; // 64-bit mode aligns the new stack (§6.14.2)

    u64 frame[6];
    unsigned n = 0;
    if (ev.has_error_code)
        frame[n++] = ev.error_code;
    frame[n++] = ev.return_rip;
    frame[n++] = s.segment[CS].selector;
    // Faults push RFLAGS with RF set, so IRET back to the faulting instruction does not
    // re-trigger an instruction breakpoint (Intel SDM vol. 3 §17.3.1.1).
    frame[n++] = read_rflags(ctx) | (ev.kind == PendingEvent::Kind::Fault ? rflags::RF : 0);
    frame[n++] = s.gpr[RSP];
    frame[n++] = s.segment[SS].selector;
    u32 mmu_index = mmu_index_for_cpl(new_cpl);
    u64 top = rsp - 8 * n;
    for (unsigned i = 0; i < n; ++i) {
        if (!ctx.services->write_virtual(ctx, top + 8 * i, frame[i], 8, mmu_index, access_flag::stack))
            return false;
    }

    // Commit.
    if (new_cpl != cpl)
        s.segment[SS] = null_segment(static_cast<u16>(new_cpl));
    s.segment[CS] = segment_from(static_cast<u16>((selector & ~3u) | new_cpl), code);
    s.gpr[RSP] = top;
    enter_handler(ctx, interrupt_gate, target);
    KEEL_LOG(Int, "int: vector 0x%02x%s error 0x%x at rip 0x%llx -> 0x%llx (cpl %u -> %u, rsp 0x%llx)\n", ev.vector,
        ev.kind == PendingEvent::Kind::SoftwareInterrupt ? " (software)" : "", ev.has_error_code ? ev.error_code : 0,
        (unsigned long long)ev.return_rip, (unsigned long long)target, cpl, new_cpl, (unsigned long long)top);
    return true;
}

} // namespace

void enter_handler(CpuContext& ctx, bool interrupt_gate, u64 target)
{
    u64 flags = read_rflags(ctx) & ~(rflags::TF | rflags::NT | rflags::RF | rflags::VM);
    if (interrupt_gate)
        flags &= ~rflags::IF;
    write_rflags(ctx, flags);
    ctx.hot.pc = target;
    state(ctx).interrupt_shadow_rip = ~0ull;
    refresh_mode(ctx);
}

DeliveryResult deliver_pending_event(CpuContext& ctx)
{
    CpuState& s = state(ctx);
    if (s.event.kind == PendingEvent::Kind::None)
        return DeliveryResult::NothingPending;
    PendingEvent ev = s.event;
    for (;;) {
        s.event.kind = PendingEvent::Kind::None;
        bool delivered = (ctx.hot.mode & mode::long_mode)  ? deliver_long_mode(ctx, ev)
                       : (ctx.hot.mode & mode::protected_mode) ? deliver_protected_mode(ctx, ev)
                                                               : deliver_real_mode(ctx, ev);
        if (delivered)
            return DeliveryResult::Delivered;
        PendingEvent second = s.event;
        KEEL_LOG(Int, "int: vector 0x%02x faulted with vector 0x%02x while being delivered\n", ev.vector, second.vector);
        if (ev.vector == vector::DF && ev.kind == PendingEvent::Kind::Fault) {
            s.event.kind = PendingEvent::Kind::None;
            return DeliveryResult::Shutdown; // triple fault (§6.15, interrupt 8)
        }
        if (makes_double_fault(ev, second))
            ev = PendingEvent { PendingEvent::Kind::Fault, vector::DF, true, 0, ev.return_rip };
        else
            ev = second;
    }
}

void interrupts_enabled(CpuContext& ctx)
{
    if (ctx.services->interrupt_may_be_pending())
        ctx.hot.exit_request = 1;
}

} // namespace keel::x86
