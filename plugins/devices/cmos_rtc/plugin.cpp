// build/plugins/cmos_rtc.so: the cmos_rtc device type as a plugin (docs/plugins.md).
#include "dbt/plugin/device_plugin.h"
#include "plugins/devices/device_types.h"

KEEL_DEVICE_PLUGIN("cmos_rtc", keel::devices::cmos_rtc_type);
