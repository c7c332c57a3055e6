// `device post_code NAME port=0x80+1 [log=on]`: POST codes, remembered, and written to
// keel's log with log=on (off by default: Linux uses the port as an I/O delay).
#include "dbt/base/string.h"
#include "plugins/devices/device_types.h"
#include "plugins/devices/post_code/post_code.h"

namespace keel::devices {
namespace {

void log_to_machine(void* machine, const char* text, usize length) { static_cast<MachineServices*>(machine)->log(text, length); }

Device* create(const DeviceCreateArgs& args, Error* error)
{
    char log[8] = "off";
    find_device_option(args.options, "log", log, sizeof(log));
    if (!string_equal(log, "on") && !string_equal(log, "off")) {
        *error = Error::formatted("%s: log=%s: only 'on' or 'off'", args.instance_name, log);
        return nullptr;
    }
    if (string_equal(log, "on"))
        return new PostCode(log_to_machine, args.machine);
    return new PostCode(nullptr, nullptr);
}

} // namespace

const DeviceType post_code_type = { "post_code", "POST code port 0x80 (remembered; logged with log=on)", "log", create };

} // namespace keel::devices
