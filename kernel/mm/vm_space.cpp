#include "kernel/mm/vm_space.h"
#include "kernel/mm/demand_paging.h"
#include "kernel/mm/layout.h"

namespace keel::kernel::vm_space {
namespace {
// Allocations are never reused: 64 TiB of address space outlasts any number of VMs a
// boot creates. 2 MiB alignment keeps each guest's RAM on its own page tables.
u64 g_next = layout::vm_space_base;
constexpr u64 alignment = 2 * MiB;
} // namespace

u8* allocate(u64 size)
{
    u64 rounded = (size + alignment - 1) & ~(alignment - 1);
    if (rounded == 0 || rounded > layout::vm_space_base + layout::vm_space_size - g_next)
        return nullptr;
    if (!demand_paging::add_range(g_next, rounded, false, "guest RAM (VM space)"))
        return nullptr;
    u8* memory = reinterpret_cast<u8*>(g_next);
    g_next += rounded + alignment; // an unmapped gap between VMs catches overruns
    return memory;
}

void free(u8* memory, u64) { demand_paging::remove_range(reinterpret_cast<u64>(memory)); }

} // namespace keel::kernel::vm_space
