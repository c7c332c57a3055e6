#include "plugins/arch/x86/boot/protected_mode_entry.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/cpu_state.h"
#include "plugins/arch/x86/mode.h"

namespace keel::x86 {
namespace {

// Flat descriptors (Intel SDM vol. 3 §3.4.5): base 0, limit 4 GiB, present, DPL 0, D/B=1.
constexpr u64 code32_descriptor = 0x00CF9B000000FFFFull; // execute/read, accessed
constexpr u64 data32_descriptor = 0x00CF93000000FFFFull; // read/write, accessed
constexpr u16 code_selector = 0x08, data_selector = 0x10;

Segment flat(u16 selector, u64 descriptor)
{
    return Segment { 0, 0xFFFFFFFF, selector, static_cast<u16>(((descriptor >> 40) & 0xFF) | (((descriptor >> 52) & 0xF) << 8)) };
}

} // namespace

Result<void> enter_multiboot(CpuContext& ctx, u64 entry, u64 gdt, u32 eax, u32 ebx)
{
    ArchServices& services = *ctx.services;
    u64 descriptors[3] = { 0, code32_descriptor, data32_descriptor };
    TRY(services.write_physical_bytes(gdt, descriptors, sizeof(descriptors)));

    CpuState& s = state(ctx);
    for (u64& r : s.gpr)
        r = 0;
    s.gpr[RAX] = eax;
    s.gpr[RBX] = ebx;
    s.gpr[RSP] = multiboot_stack_top;
    s.cr0 = cr0::PE | cr0::ET;
    s.cr3 = 0;
    s.cr4 = 0;
    s.efer = 0;
    s.gdtr = { gdt, static_cast<u16>(sizeof(descriptors) - 1) };
    s.idtr = { 0, 0x3FF };
    s.segment[CS] = flat(code_selector, code32_descriptor);
    for (SegmentIndex seg : { ES, SS, DS, FS, GS })
        s.segment[seg] = flat(data_selector, data32_descriptor);
    s.ldtr = Segment { 0, 0, 0, 0 };
    s.tr = Segment { 0, 0, 0, 0 }; // no TSS until the kernel loads one (LTR)
    s.interrupt_shadow_rip = ~0ull;
    s.event.kind = PendingEvent::Kind::None;
    write_rflags(ctx, rflags::Fixed1);
    ctx.hot.pc = entry;
    refresh_mode(ctx);
    services.flush_tlb();
    return {};
}

} // namespace keel::x86
