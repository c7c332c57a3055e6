#pragma once
// What the boot paths' entry states share (long_mode_entry.h, protected_mode_entry.h): a
// GDT with a code and a data descriptor at the slots two selectors name (the slots below
// them null), segment registers holding those flat descriptors, and the start itself.
#include "dbt/base/result.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/cpu_state.h"
#include "plugins/arch/x86/mode.h"

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

// CS holds the code descriptor, ES, SS, DS, FS and GS the data one; LDTR and TR are null
// (no LDT, no TSS until the guest loads them).
inline void load_flat_segments(CpuState& s, u16 code_selector, u64 code, u16 data_selector, u64 data)
{
    s.segment[CS] = flat_segment(code_selector, code);
    for (SegmentIndex seg : { ES, SS, DS, FS, GS })
        s.segment[seg] = flat_segment(data_selector, data);
    s.ldtr = Segment { 0, 0, 0, 0 };
    s.tr = Segment { 0, 0, 0, 0 };
}

// The last step of an entry: nothing pending, RFLAGS with only its fixed bit (interrupts
// off), RIP at `entry`, the mode and the TLB as the state now says.
inline void start_at(CpuContext& ctx, u64 entry)
{
    CpuState& s = state(ctx);
    s.interrupt_shadow_rip = ~0ull;
    s.event.kind = PendingEvent::Kind::None;
    write_rflags(ctx, rflags::Fixed1);
    ctx.hot.pc = entry;
    refresh_mode(ctx);
    ctx.services->flush_tlb();
}

} // namespace keel::x86
