// `device pit8254 NAME port=0x40+4 port=0x61+1 irq=...`: the 8254 with system control port
// B; channel 0's OUT is the interrupt output.
#include "plugins/devices/device_types.h"
#include "plugins/devices/pit8254/pit8254.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*)
{
    return new Pit8254(args.machine->clock(), *args.irq);
}

} // namespace

const DeviceType pit8254_type = { "pit8254", "8254 PIT (modes 0-5) and port 0x61 (speaker gate, OUT2)", "", create };

} // namespace keel::devices
