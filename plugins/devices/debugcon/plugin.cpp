// build/plugins/debugcon.so: the debugcon device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("debugcon", keel::devices::debugcon_type);
