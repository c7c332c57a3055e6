#pragma once
// Guest memory access from the x86 runtime (helpers, exception delivery), through the
// softMMU. Failing accesses have recorded the guest fault.
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/mode.h"

namespace keel::x86 {

// Implicit supervisor accesses (descriptor tables, TSS, IDT) use MMU index 0 whatever
// the CPL (Intel SDM vol. 3 §4.6.1).
inline bool read_supervisor(CpuContext& ctx, u64 address, unsigned size, u64& value)
{
    return ctx.services->read_virtual(ctx, address, size, 0, value, 0);
}
inline bool write_supervisor(CpuContext& ctx, u64 address, u64 value, unsigned size)
{
    return ctx.services->write_virtual(ctx, address, value, size, 0, 0);
}
// Accesses on behalf of the current instruction, at the current CPL.
inline bool read_guest(CpuContext& ctx, u64 address, unsigned size, u64& value, u32 flags = 0)
{
    return ctx.services->read_virtual(ctx, address, size, mmu_index_for_cpl(current_cpl(ctx)), value, flags);
}
inline bool write_guest(CpuContext& ctx, u64 address, u64 value, unsigned size, u32 flags = 0)
{
    return ctx.services->write_virtual(ctx, address, value, size, mmu_index_for_cpl(current_cpl(ctx)), flags);
}

} // namespace keel::x86
