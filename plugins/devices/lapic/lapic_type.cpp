// `device lapic NAME mmio=0xfee00000+0x1000 [id=N] [tsc_mhz=N]`: the CPU's local APIC. Its
// interrupts are acknowledged before those of controllers declared after it (the 8259's
// reach the CPU as ExtINT), so machine descriptions declare it first.
#include "plugins/devices/device_types.h"
#include "plugins/devices/lapic/lapic.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error* error)
{
    auto id = device_option_number(args.instance_name, args.options, "id", 0, 0xFF);
    // The TSC rate TSC-deadline values convert with (keel's guests read the host's TSC).
    auto tsc_mhz = device_option_number(args.instance_name, args.options, "tsc_mhz", 1000, 100000);
    if (id.is_error() || tsc_mhz.is_error()) {
        *error = id.is_error() ? id.release_error() : tsc_mhz.release_error();
        return nullptr;
    }
    // Power-up puts the page at 0xFEE00000 (SDM 10.4.4); only the guest moves it.
    if (args.first_mmio != LocalApic::reset_base) {
        *error = Error::formatted("%s: the local APIC's registers start at 0x%llx after reset (IA32_APIC_BASE moves them later)",
            args.instance_name, (unsigned long long)LocalApic::reset_base);
        return nullptr;
    }
    auto* apic = new LocalApic(*args.machine, static_cast<u32>(id.release_value()), tsc_mhz.release_value() * 1000000);
    args.machine->add_interrupt_controller(apic);
    args.machine->add_msr_handler(apic);
    return apic;
}

} // namespace

const DeviceType lapic_type = { "lapic", "xAPIC local APIC (timer, LVT, self-IPI, TPR/PPR)", "id tsc_mhz", create };

} // namespace keel::devices
