#pragma once
// The GDT a boot path's entry state loads: a code and a data descriptor at the slots its
// two selectors name, the slots below them null. Shared by the long-mode and flat
// protected-mode entries (long_mode_entry.h, protected_mode_entry.h).
#include "dbt/base/result.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

// Writes the table at `gdt` and returns the GDTR limit; refuses selectors that are not two
// distinct slots 1-7.
inline Result<u16> write_boot_gdt(ArchServices& services, u64 gdt, u16 code_selector, u64 code, u16 data_selector, u64 data)
{
    constexpr unsigned max_descriptors = 8;
    unsigned code_index = code_selector / 8, data_index = data_selector / 8;
    if (code_index == 0 || data_index == 0 || code_index == data_index || code_index >= max_descriptors
        || data_index >= max_descriptors || (code_selector & 7) || (data_selector & 7))
        return Error::formatted("boot entry: selectors 0x%x/0x%x are not two distinct GDT slots 1-7", code_selector, data_selector);
    u64 descriptors[max_descriptors] = {};
    descriptors[code_index] = code;
    descriptors[data_index] = data;
    unsigned count = (code_index > data_index ? code_index : data_index) + 1;
    TRY(services.write_physical_bytes(gdt, descriptors, count * 8));
    return static_cast<u16>(count * 8 - 1);
}

// The segment-register cache of a flat descriptor (base 0, limit 4 GiB).
inline Segment flat_segment(u16 selector, u64 descriptor)
{
    return Segment { 0, 0xFFFFFFFF, selector, static_cast<u16>(((descriptor >> 40) & 0xFF) | (((descriptor >> 52) & 0xF) << 8)) };
}

} // namespace keel::x86
