#pragma once
// The options a machine description gives a device: the key=value words of its line that
// are not port=, mmio= or irq= (docs/machines.md), as one space-separated string.
#include "dbt/base/result.h"

namespace keel {

// Copies the value of `key` into `value` (NUL-terminated, truncated to `size`). False when
// the options have no such key.
bool find_device_option(const char* options, const char* key, char* value, usize size);

// A numeric option (decimal or 0x hex), `fallback` when absent. An error names the device,
// the key and the text when the value is not a number or is above `max`.
Result<u64> device_option_number(const char* device, const char* options, const char* key, u64 fallback, u64 max);

// Refuses options other than those in `known` (space-separated keys, DeviceType::options),
// naming the device, the first unknown key and what `type` takes, so a misspelt option is
// an error, not silently ignored.
Result<void> check_device_options(const char* device, const char* type, const char* options, const char* known);

} // namespace keel
