// `device pci NAME port=0xcf8+8`: configuration mechanism #1 on bus 0, with an i440FX-like
// host bridge at 00:00.0 and a PIIX3-like ISA bridge at 00:01.0, as QEMU's pc machine.
#include "plugins/devices/device_types.h"
#include "plugins/devices/pci/pci.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error* error)
{
    auto* bus = new PciBus;
    bus->set_system_control(machine_reset_control(args.machine));
    auto* host = new I440fxHostBridge;
    // The PAM registers switch the machine's BIOS segments between flash and DRAM.
    host->set_shadow_listener([](void* machine, u64 base, u64 size, bool read_dram, bool write_dram) {
        static_cast<MachineServices*>(machine)->set_memory_shadow(base, size, read_dram, write_dram);
    }, args.machine);
    auto added = bus->adopt_function(0, 0, host);
    if (!added.is_error())
        added = bus->adopt_function(1, 0, new Piix3IsaBridge);
    if (added.is_error()) {
        *error = added.release_error();
        delete bus;
        return nullptr;
    }
    return bus;
}

} // namespace

const DeviceType pci_type = { "pci", "PCI configuration mechanism #1 with i440FX host and PIIX3 ISA bridges", "", create };

} // namespace keel::devices
