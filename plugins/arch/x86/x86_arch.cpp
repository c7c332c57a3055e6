#include "plugins/arch/x86/x86_arch.h"
#include "plugins/arch/x86/boot/linux_entry_state.h"
#include "plugins/arch/x86/boot/protected_mode_entry.h"
#include "plugins/arch/x86/boot/test_entry_state.h"
#include "dbt/base/string.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/page_walk.h"

namespace keel::x86 {

void X86Arch::reset(CpuContext& ctx)
{
    // Power-on state (Intel SDM vol. 3 §9.1.1, table 9-1).
    CpuState& s = state(ctx);
    fill_memory(&s, 0, sizeof(s));
    for (Segment& seg : s.segment)
        seg = Segment { 0, 0xFFFF, 0, seg_attr::present | seg_attr::s | seg_attr::writable | seg_attr::accessed };
    s.segment[CS] = Segment { 0xFFFF0000, 0xFFFF, 0xF000, seg_attr::present | seg_attr::s | seg_attr::code | seg_attr::writable | seg_attr::accessed };
    s.gdtr = { 0, 0xFFFF };
    s.idtr = { 0, 0xFFFF };
    s.ldtr = Segment { 0, 0xFFFF, 0, seg_attr::present | 2 };
    s.tr = Segment { 0, 0xFFFF, 0, seg_attr::present | 11 };
    s.cr0 = cr0::ET | cr0::NW | cr0::CD;
    s.gpr[RDX] = 0x600;
    s.interrupt_shadow_rip = ~0ull;
    s.mxcsr = 0x1F80; // all SSE exceptions masked, round to nearest (§10.2.3.1)
    reset_fpu(s);
    s.dr[6] = 0xFFFF0FF0; // Intel SDM vol. 3 §9.1.1, table 9-1
    s.dr[7] = 0x400;
    write_rflags(ctx, rflags::Fixed1);
    ctx.hot.pc = 0xFFF0;
    ctx.hot.mode = ~0u; // force refresh_mode to report a change
    refresh_mode(ctx);
}

u32 X86Arch::fetch_mmu_index(u32 mode) const { return mmu_index_for_cpl(mode::cpl(mode)); }

bool X86Arch::translate_block(const TranslationRequest& request, ir::Builder& builder) { return m_translator.translate(request, builder); }

bool X86Arch::translate(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags, Translation& out)
{
    return translate_address(ctx, vaddr, access, mmu_index, flags, out);
}

bool X86Arch::has_pending_event(const CpuContext& ctx) const { return state(ctx).event.kind != PendingEvent::Kind::None; }

DeliveryResult X86Arch::deliver_pending_event(CpuContext& ctx) { return x86::deliver_pending_event(ctx); }

// HLT ends with an interrupt, NMI or reset (Intel SDM vol. 2, HLT); keel has only maskable
// interrupts, so IF decides.
bool X86Arch::can_wake_from_halt(const CpuContext& ctx) const { return state(ctx).rflags & rflags::IF; }

// §6.8.1 (IF), §6.8.3 (the STI and MOV SS shadows: no interrupt before the next
// instruction has executed).
bool X86Arch::can_take_interrupt(const CpuContext& ctx) const
{
    const CpuState& s = state(ctx);
    return (s.rflags & rflags::IF) && s.interrupt_shadow_rip != ctx.hot.pc;
}

void X86Arch::raise_external_interrupt(CpuContext& ctx, u8 vector)
{
    // Delivered like INT n through an interrupt gate, but as an external event: no
    // privilege check on the gate, EXT set in error codes of faults during delivery, and
    // the interrupted instruction's RIP is pushed (§6.12).
    state(ctx).event = PendingEvent { PendingEvent::Kind::External, vector, false, 0, ctx.hot.pc };
}

void X86Arch::raise_divide_error(CpuContext& ctx) { raise_fault(ctx, vector::DE); }

void X86Arch::raise_exception(CpuContext& ctx, u8 vector, bool has_error, u32 error)
{
    if (has_error)
        raise_fault(ctx, vector, error);
    else
        raise_fault(ctx, vector);
}

const char* X86Arch::unsupported_reason(u32 mode) const
{
    (void)mode;
    return "the x86 frontend refused the block"; // it translates every mode (docs/modes.md)
}

void X86Arch::set_a20(CpuContext& ctx, bool enabled)
{
    CpuState& s = state(ctx);
    if (s.a20_masked == !enabled)
        return;
    s.a20_masked = !enabled;
    // Every translation the TLB holds may now name another physical page.
    ctx.services->flush_tlb();
}

u64 X86Arch::test_image_limit(u64 ram_size) const { return test_entry_area(ram_size); }

Result<void> X86Arch::enter_test_state(CpuContext& ctx, u64 entry) { return setup_test_entry_state(ctx, entry); }
Result<void> X86Arch::enter_linux_boot(CpuContext& ctx, u64 entry, u64 boot_params) { return enter_linux64(ctx, entry, boot_params); }
Result<void> X86Arch::enter_linux_boot32(CpuContext& ctx, u64 entry, u64 boot_params)
{
    return enter_linux32(ctx, entry, boot_params);
}
Result<void> X86Arch::enter_multiboot(CpuContext& ctx, u64 entry, u64 gdt, u32 magic, u32 info)
{
    return x86::enter_multiboot(ctx, entry, gdt, magic, info);
}

} // namespace keel::x86
