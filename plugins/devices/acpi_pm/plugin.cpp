// build/plugins/acpi_pm.so: the acpi_pm device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("acpi_pm", keel::devices::acpi_pm_type);
