// `device debug_exit NAME port=0xf4+1`: QEMU's isa-debug-exit.
#include "plugins/devices/debug_exit/debug_exit.h"
#include "plugins/devices/device_types.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*)
{
    return new DebugExit(*args.machine);
}

} // namespace

const DeviceType debug_exit_type = { "debug_exit", "QEMU's isa-debug-exit: a write of v ends the run with (v << 1) | 1", "", create };

} // namespace keel::devices
