#pragma once
// What the engine needs from its host (the kernel, or a Linux process).
#include "dbt/base/types.h"

namespace keel {

struct CodeRegion {
    u8* base;
    usize size;
};

class HostServices {
public:
    virtual ~HostServices() = default;
    // Zeroed, page-aligned memory, backed as it is touched (the keel command offers it to
    // transparent huge pages: one host page fault per 2 MiB touched): guest RAM and keel's
    // own large tables (the block descriptors); null when it cannot be had.
    virtual u8* allocate_zeroed(u64 size) = 0;
    virtual void free_zeroed(u8* memory, u64 size) = 0;
    // The translation cache: one region, readable, writable and executable for its whole
    // life (no per-block protection changes).
    virtual CodeRegion code_region() = 0;
    virtual u64 monotonic_ns() = 0;
    // Seconds since 1970-01-01 UTC, for guest clocks (the CMOS RTC); 0 when unknown.
    virtual u64 wall_clock_seconds() { return 0; }
    // Waits until monotonic_ns() reaches `deadline_ns` or `*wake` becomes non-zero (the
    // guest halted with a timer armed). The default spins.
    virtual void idle_until(u64 deadline_ns, const volatile u32* wake)
    {
        while (!*wake && monotonic_ns() < deadline_ns)
            __builtin_ia32_pause();
    }
    // While set, the host sets *flag = 1 about every millisecond, so running guest code
    // comes back to the dispatcher and device timers fire on time; null stops it.
    virtual void set_tick_flag(volatile u32* flag) { (void)flag; }
    // A block was translated (profilers' JIT symbol maps); optional.
    virtual void block_translated(u64 guest_pc, const u8* host_code, usize host_size) { (void)guest_pc, (void)host_code, (void)host_size; }
};

} // namespace keel
