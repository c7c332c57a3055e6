#pragma once
// HostServices on bare metal: guest RAM in the VM space, the translation cache at its
// fixed address (kernel/mm/layout.h), time from the calibrated TSC.
#include "dbt/runtime/host_services.h"

namespace keel::kernel {

class KernelHostServices final : public HostServices {
public:
    u8* allocate_zeroed(u64 size) override;
    void free_zeroed(u8* memory, u64 size) override;
    CodeRegion code_region() override;
    u64 monotonic_ns() override;
    u64 wall_clock_seconds() override;
    void idle_until(u64 deadline_ns, const volatile u32* wake) override;
    void set_tick_flag(volatile u32* flag) override;
};

} // namespace keel::kernel
