// build/plugins/uart16550.so: the uart16550 device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("uart16550", keel::devices::uart16550_type);
