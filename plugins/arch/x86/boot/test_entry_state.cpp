#include "plugins/arch/x86/boot/test_entry_state.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/boot/long_mode_entry.h"

namespace keel::x86 {

static_assert(test_entry_reserved_bytes == 4096 + long_mode_page_table_bytes);

Result<void> setup_test_entry_state(CpuContext& ctx, u64 entry)
{
    u64 ram = ctx.services->ram_below_4g(); // the tables go at the top of RAM below 4 GiB
    if (ram < test_entry_reserved_bytes + 64 * 1024)
        return Error::formatted("guest RAM (%llu bytes) is too small for the test-guest entry state", (unsigned long long)ram);
    // docs/test-guest-entry-state.md: the GDT (selectors 0x08 code, 0x10 data), then the
    // PML4, the PDPT and the page directories; the stack grows down from the GDT.
    u64 area = test_entry_area(ram);
    LongModeEntry layout { area, 0x08, 0x10, area + 0x1000, entry };
    layout.rsp = area;
    return enter_long_mode(ctx, layout);
}

} // namespace keel::x86
