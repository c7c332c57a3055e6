// Interrupts and exceptions in real-address mode (CR0.PE = 0), through the interrupt vector
// table (Intel SDM vol. 3 §21.1.4, and vol. 2, INT n: REAL-ADDRESS-MODE): four bytes per
// vector at IDTR.base (0 after reset), an offset then a segment; FLAGS, CS and IP pushed
// as 16-bit words on SS:SP; no error code.
#include "dbt/base/log.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/exceptions_internal.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/segments.h"
#include "plugins/arch/x86/stack_access.h"

namespace keel::x86 {

bool deliver_real_mode(CpuContext& ctx, const PendingEvent& ev)
{
    CpuState& s = state(ctx);
    u32 entry = ev.vector * 4u;
    // "IF ((vector_number << 2) + 3) is not within IDT limit THEN #GP" (no error code in
    // real mode: the 0 is not pushed).
    if (entry + 3u > s.idtr.limit) {
        raise_fault(ctx, vector::GP, 0);
        return false;
    }
    u64 vector_entry;
    if (!read_supervisor(ctx, (s.idtr.base + entry) & 0xFFFFFFFFull, 4, vector_entry))
        return false;
    StackCursor stack(ctx);
    u64 values[3] = { read_rflags(ctx) & 0xFFFF, s.segment[CS].selector, ev.return_rip & 0xFFFF };
    for (u64 value : values) {
        if (!stack.push(value, 2))
            return false;
    }
    s.gpr[RSP] = stack.rsp();
    u16 selector = static_cast<u16>(vector_entry >> 16);
    // A real-mode segment load changes the selector and the base; the limit and the
    // attributes stay (§21.1.1; "unreal mode" relies on it).
    s.segment[CS].selector = selector;
    s.segment[CS].base = u64 { selector } << 4;
    u64 target = vector_entry & 0xFFFF;
    KEEL_LOG(Int, "int: vector 0x%02x%s in real mode at %04x -> %04x:%04llx (sp 0x%x)\n", ev.vector,
        ev.kind == PendingEvent::Kind::SoftwareInterrupt ? " (software)" : "", static_cast<unsigned>(ev.return_rip),
        selector, static_cast<unsigned long long>(target), static_cast<unsigned>(s.gpr[RSP] & 0xFFFF));
    enter_handler(ctx, true, target); // IF and TF cleared (and AC, below)
    s.rflags &= ~rflags::AC;
    return true;
}

} // namespace keel::x86
