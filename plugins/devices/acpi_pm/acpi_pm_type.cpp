// `device acpi_pm NAME port=BASE+16 [irq=...]`: ACPI PM1 registers and PM timer (the SCI
// is its interrupt output; keel raises no SCI yet).
#include "plugins/devices/acpi_pm/acpi_pm.h"
#include "plugins/devices/device_types.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error* error)
{
    if (args.first_port == 0) {
        *error = Error::formatted("%s: needs its port block (port=BASE+%u)", args.instance_name, AcpiPm::block_size);
        return nullptr;
    }
    return new AcpiPm(*args.machine, args.first_port);
}

} // namespace

const DeviceType acpi_pm_type = { "acpi_pm", "ACPI PM1 event/control registers (S5 power-off) and the 3.58 MHz PM timer", "", create };

} // namespace keel::devices
