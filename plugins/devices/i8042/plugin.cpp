// build/plugins/i8042.so: the i8042 device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("i8042", keel::devices::i8042_type);
