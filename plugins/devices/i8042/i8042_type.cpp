// `device i8042 NAME port=0x60+1 port=0x64+1 irq=...`: the keyboard controller; its reset
// line (command 0xFE) resets the machine.
#include "plugins/devices/device_types.h"
#include "plugins/devices/i8042/i8042.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*) { return new I8042(*args.irq, machine_system_control<a20_input_keyboard_controller>(args.machine)); }

} // namespace

const DeviceType i8042_type = { "i8042", "8042 keyboard controller with keyboard (reset line, A20 gate)", "", create };

} // namespace keel::devices
