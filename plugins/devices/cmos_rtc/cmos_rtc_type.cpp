// `device cmos_rtc NAME port=0x70+2 irq=...`: the MC146818 RTC and CMOS RAM, its clock set
// from the host's wall clock and its BIOS bytes from the machine's RAM size.
#include "plugins/devices/cmos_rtc/cmos_rtc.h"
#include "plugins/devices/device_types.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*)
{
    CmosConfig cmos;
    cmos.ram_bytes = args.machine->ram_size();
    cmos.below_4g_limit = args.machine->ram_below_4g();
    // The wall-clock time at virtual time 0, so that the RTC reads the host's time now.
    u64 now_s = args.machine->wall_clock_seconds();
    u64 elapsed_s = args.machine->clock().now_ns() / CmosRtc::ns_per_second;
    return new CmosRtc(args.machine->clock(), *args.irq, now_s > elapsed_s ? now_s - elapsed_s : 0, cmos);
}

} // namespace

const DeviceType cmos_rtc_type = { "cmos_rtc", "MC146818 RTC and CMOS RAM (periodic, alarm, update interrupts)", "", create };

} // namespace keel::devices
