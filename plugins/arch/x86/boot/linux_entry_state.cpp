#include "plugins/arch/x86/boot/linux_entry_state.h"
#include "plugins/arch/x86/boot/long_mode_entry.h"
#include "plugins/arch/x86/boot/protected_mode_entry.h"

namespace keel::x86 {

Result<void> enter_linux64(CpuContext& ctx, u64 entry, u64 boot_params)
{
    LongModeEntry layout { linux_boot_gdt, 0x10, 0x18, linux_boot_page_tables, entry };
    layout.rsp = linux_boot_stack_top;
    layout.rsi = boot_params;
    return enter_long_mode(ctx, layout);
}

Result<void> enter_linux32(CpuContext& ctx, u64 entry, u64 boot_params)
{
    ProtectedModeEntry layout { linux_boot_gdt, 0x10, 0x18, entry, 0, 0, static_cast<u32>(boot_params),
        static_cast<u32>(linux_boot_stack_top) };
    return enter_protected_mode(ctx, layout);
}

} // namespace keel::x86
