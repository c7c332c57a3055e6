#pragma once
// The date and time, for guest clocks: taken from the firmware (UEFI GetTime) at boot and
// advanced with the TSC.
#include "dbt/base/types.h"

namespace keel::kernel::wall_clock {

// Called in efi_main with the firmware's time (UTC assumed, as QEMU's RTC base) and the TSC
// at that moment.
void set_boot_time(u32 year, u32 month, u32 day, u32 hour, u32 minute, u32 second, u64 tsc);
// Seconds since 1970-01-01 UTC; 0 when the firmware gave no time.
u64 now_seconds();

} // namespace keel::kernel::wall_clock
