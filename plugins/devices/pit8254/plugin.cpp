// build/plugins/pit8254.so: the pit8254 device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("pit8254", keel::devices::pit8254_type);
