#include "plugins/devices/device_types.h"

namespace keel::devices {

Result<void> register_builtin_devices(PluginRegistry& registry)
{
    for (const DeviceType* type : { &acpi_pm_type, &cmos_rtc_type, &debug_exit_type, &debugcon_type, &i8042_type, &ioapic_type, &lapic_type, &pci_type,
             &pic8259_type, &pit8254_type, &port92_type, &post_code_type, &uart16550_type, &vga_text_type })
        TRY(registry.add_device_type(*type));
    return {};
}

} // namespace keel::devices
