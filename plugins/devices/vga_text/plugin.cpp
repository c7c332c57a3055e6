// build/plugins/vga_text.so: the vga_text device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("vga_text", keel::devices::vga_text_type);
