#pragma once
// Loads the plugins read from the ESP (keel.cfg's plugins folder) into the plugins region,
// with the kernel's own symbols for their imports, and registers what they provide.
#include "dbt/plugin/type_registry.h"
#include "kernel/boot/boot_info.h"

namespace keel::kernel {

// False when a plugin is refused (the message is on the console): no VM may start then.
bool load_plugins(BootInfo& info, TypeRegistry& registry, HostServices& services);

} // namespace keel::kernel
