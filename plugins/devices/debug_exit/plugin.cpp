// build/plugins/debug_exit.so: the debug_exit device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("debug_exit", keel::devices::debug_exit_type);
