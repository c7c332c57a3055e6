// build/plugins/pic8259.so: the pic8259 device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("pic8259", keel::devices::pic8259_type);
