#include "kernel/time/wall_clock.h"
#include "kernel/arch/cpu.h"
#include "kernel/time/clock.h"

namespace keel::kernel::wall_clock {
namespace {
u64 g_boot_seconds = 0;
u64 g_boot_tsc = 0;

// Days since 1970-01-01 of a proleptic Gregorian date (the "days from civil" algorithm).
i64 days_from_civil(i64 y, u32 m, u32 d)
{
    y -= m <= 2;
    i64 era = (y >= 0 ? y : y - 399) / 400;
    u64 yoe = static_cast<u64>(y - era * 400);
    u64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    u64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<i64>(doe) - 719468;
}
} // namespace

void set_boot_time(u32 year, u32 month, u32 day, u32 hour, u32 minute, u32 second, u64 tsc)
{
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31)
        return;
    g_boot_seconds = static_cast<u64>(days_from_civil(year, month, day)) * 86400 + hour * 3600 + minute * 60 + second;
    g_boot_tsc = tsc;
}

u64 now_seconds()
{
    if (!g_boot_seconds || !clock::tsc_hz())
        return g_boot_seconds;
    return g_boot_seconds + (cpu::rdtsc() - g_boot_tsc) / clock::tsc_hz();
}

} // namespace keel::kernel::wall_clock
