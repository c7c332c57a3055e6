// build/plugins/port92.so: the port92 device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("port92", keel::devices::port92_type);
