#pragma once
// Loading one plugin file: the shared object, the ABI check, constructors, initialize().
// Anything wrong is refused with a message naming the plugin and the reason, and nothing of
// the plugin runs before its ABI version has been checked.
#include "dbt/loader/shared_object.h"
#include "dbt/plugin/abi.h"

namespace keel {

struct LoadedPlugin {
    SharedObject* object;
    const KeelPluginDescriptor* descriptor;
};

Result<LoadedPlugin> load_plugin(const u8* file, usize size, const char* name, ImageMemory& memory, SymbolResolver& imports,
    const PluginHost& host, PluginRegistry& registry);

} // namespace keel
