// `device port92 NAME port=0x92+1`: system control port A (fast A20, fast reset).
#include "plugins/devices/device_types.h"
#include "plugins/devices/port92/port92.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*)
{
    Port92::System system;
    system.context = args.machine;
    system.reset_system = reset_machine;
    return new Port92(system);
}

} // namespace

const DeviceType port92_type = { "port92", "system control port A (fast A20, fast reset)", "", create };

} // namespace keel::devices
