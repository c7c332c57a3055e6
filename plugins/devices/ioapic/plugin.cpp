// build/plugins/ioapic.so: the ioapic device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("ioapic", keel::devices::ioapic_type);
