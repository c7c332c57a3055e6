// `device debugcon NAME port=0x402+1 [output=console|log|none]`: the firmware debug console.
// console (the default): the host console, where the serial console's output goes too (as
// QEMU's -debugcon stdio); log: keel's log (-D FILE); none: dropped.
#include "dbt/base/string.h"
#include "plugins/devices/debugcon/debugcon.h"
#include "plugins/devices/device_types.h"

namespace keel::devices {
namespace {

void log_to_machine(void* machine, const char* text, usize length) { static_cast<MachineServices*>(machine)->log(text, length); }

Device* create(const DeviceCreateArgs& args, Error* error)
{
    char output[8] = "console";
    find_device_option(args.options, "output", output, sizeof(output));
    if (string_equal(output, "console"))
        return new Debugcon(write_to_machine_console, args.machine);
    if (string_equal(output, "log"))
        return new Debugcon(log_to_machine, args.machine);
    if (string_equal(output, "none"))
        return new Debugcon(nullptr, nullptr);
    *error = Error::formatted("%s: output=%s: only 'console', 'log' or 'none'", args.instance_name, output);
    return nullptr;
}

} // namespace

const DeviceType debugcon_type = { "debugcon", "firmware debug console (QEMU's isa-debugcon at 0x402)", "output", create };

} // namespace keel::devices
