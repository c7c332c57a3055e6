#include "plugins/arch/x86/boot/protected_mode_entry.h"
#include "plugins/arch/x86/boot/boot_state.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/cpu_state.h"
#include "plugins/arch/x86/mode.h"

namespace keel::x86 {
namespace {

// Flat descriptors (Intel SDM vol. 3 §3.4.5): base 0, limit 4 GiB, present, DPL 0, D/B=1.
constexpr u64 code32_descriptor = 0x00CF9B000000FFFFull; // execute/read, accessed
constexpr u64 data32_descriptor = 0x00CF93000000FFFFull; // read/write, accessed

} // namespace

Result<void> enter_protected_mode(CpuContext& ctx, const ProtectedModeEntry& layout)
{
    ArchServices& services = *ctx.services;
    u16 limit = TRY(write_boot_gdt(services, layout.gdt, layout.code_selector, code32_descriptor, layout.data_selector, data32_descriptor));

    CpuState& s = state(ctx);
    for (u64& r : s.gpr)
        r = 0;
    s.gpr[RAX] = layout.eax;
    s.gpr[RBX] = layout.ebx;
    s.gpr[RSI] = layout.esi;
    s.gpr[RSP] = layout.esp;
    s.cr0 = cr0::PE | cr0::ET;
    s.cr3 = 0;
    s.cr4 = 0;
    s.efer = 0;
    s.gdtr = { layout.gdt, limit };
    s.idtr = { 0, 0x3FF };
    load_flat_segments(s, layout.code_selector, code32_descriptor, layout.data_selector, data32_descriptor);
    start_at(ctx, layout.entry);
    return {};
}

Result<void> enter_multiboot(CpuContext& ctx, u64 entry, u64 gdt, u32 eax, u32 ebx)
{
    return enter_protected_mode(ctx, ProtectedModeEntry { gdt, 0x08, 0x10, entry, eax, ebx, 0, static_cast<u32>(multiboot_stack_top) });
}

} // namespace keel::x86
