// `device i8042 NAME port=0x60+1 port=0x64+1 irq=...`: the keyboard controller; its reset
// line (command 0xFE) resets the machine.
#include "plugins/devices/device_types.h"
#include "plugins/devices/i8042/i8042.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*)
{
    I8042::System system;
    system.context = args.machine;
    system.reset_system = reset_machine;
    // A20 is always on in keel's memory map: the gate is recorded, not applied.
    return new I8042(*args.irq, system);
}

} // namespace

const DeviceType i8042_type = { "i8042", "8042 keyboard controller with keyboard (reset line, A20 gate)", "", create };

} // namespace keel::devices
