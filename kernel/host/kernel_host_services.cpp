#include "kernel/host/kernel_host_services.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/vm_space.h"
#include "kernel/time/clock.h"
#include "kernel/time/wall_clock.h"

namespace keel::kernel {

u8* KernelHostServices::allocate_zeroed(u64 size) { return vm_space::allocate(size); }

void KernelHostServices::free_zeroed(u8* memory, u64 size) { vm_space::free(memory, size); }

// The whole 8 GiB region; the backend uses the part it can reach with rel32 branches
// (dbt/backend/x64/backend.cpp). Pages are backed on first write, so this costs only what
// is generated. Translations of one VM stay in place for the next, which rewrites them.
CodeRegion KernelHostServices::code_region()
{
    return { reinterpret_cast<u8*>(layout::translation_cache_base), layout::translation_cache_size };
}

u64 KernelHostServices::monotonic_ns() { return clock::monotonic_ns(); }

u64 KernelHostServices::wall_clock_seconds() { return wall_clock::now_seconds(); }

// HLT until the next host tick (1 kHz) or any interrupt, until the deadline passes.
void KernelHostServices::idle_until(u64 deadline_ns, const volatile u32* wake)
{
    while (!*wake && clock::monotonic_ns() < deadline_ns)
        asm volatile("sti; hlt" ::: "memory");
}

void KernelHostServices::set_tick_flag(volatile u32* flag) { clock::set_tick_flag(flag); }

} // namespace keel::kernel
