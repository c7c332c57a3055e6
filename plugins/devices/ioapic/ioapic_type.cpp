// `device ioapic NAME mmio=0xfec00000+0x1000 [apic=LAPIC] [id=N]`: an 82093AA whose
// interrupt messages go to the local APIC named by apic= (default "lapic"), which reports
// the EOIs of level-triggered vectors back for the remote IRR bits.
#include "plugins/devices/device_types.h"
#include "plugins/devices/ioapic/ioapic.h"

namespace keel::devices {
namespace {

void end_of_interrupt(void* ioapic, u8 vector) { static_cast<IoApic*>(ioapic)->end_of_interrupt(vector); }

Device* create(const DeviceCreateArgs& args, Error* error)
{
    char apic_name[32] = "lapic";
    find_device_option(args.options, "apic", apic_name, sizeof(apic_name));
    auto id = device_option_number(args.instance_name, args.options, "id", 0, 0x0F);
    if (id.is_error()) {
        *error = id.release_error();
        return nullptr;
    }
    Device* apic = args.machine->find_device(apic_name);
    ApicBus* bus = apic ? apic->apic_bus() : nullptr;
    if (!bus) {
        *error = Error::formatted("%s: '%s' is not a local APIC declared before it (apic=)", args.instance_name, apic_name);
        return nullptr;
    }
    auto* ioapic = new IoApic(*bus, static_cast<u8>(id.release_value()));
    bus->set_eoi_listener(end_of_interrupt, ioapic);
    return ioapic;
}

} // namespace

const DeviceType ioapic_type = { "ioapic", "82093AA I/O APIC (24 pins, edge/level, remote IRR)", "apic id", create };

} // namespace keel::devices
