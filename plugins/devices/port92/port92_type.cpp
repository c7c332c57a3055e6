// `device port92 NAME port=0x92+1`: system control port A (fast A20, fast reset).
#include "plugins/devices/device_types.h"
#include "plugins/devices/port92/port92.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*) { return new Port92(machine_system_control<a20_input_port92>(args.machine)); }

} // namespace

const DeviceType port92_type = { "port92", "system control port A (fast A20, fast reset)", "", create };

} // namespace keel::devices
