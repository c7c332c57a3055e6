// build/plugins/lapic.so: the lapic device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("lapic", keel::devices::lapic_type);
