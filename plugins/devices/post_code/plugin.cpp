// build/plugins/post_code.so: the post_code device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("post_code", keel::devices::post_code_type);
