#include "dbt/loader/plugin_loader.h"

namespace keel {

Result<LoadedPlugin> load_plugin(const u8* file, usize size, const char* name, ImageMemory& memory, SymbolResolver& imports,
    const PluginHost& host, PluginRegistry& registry)
{
    SharedObject* object = TRY(SharedObject::load(file, size, name, memory, imports));
    auto refuse = [&](Error error) -> Result<LoadedPlugin> {
        delete object;
        return error;
    };

    auto* descriptor = reinterpret_cast<const KeelPluginDescriptor*>(object->lookup(KEEL_PLUGIN_DESCRIPTOR_SYMBOL));
    if (!descriptor)
        return refuse(Error::formatted("%s: not a keel plugin (it exports no %s)", name, KEEL_PLUGIN_DESCRIPTOR_SYMBOL));
    // Read only the version first: a plugin of another ABI may lay the rest out differently.
    if (descriptor->abi_version != KEEL_PLUGIN_ABI_VERSION)
        return refuse(Error::formatted("%s: plugin ABI version %u, but this keel has version %u: rebuild the plugin", name,
            descriptor->abi_version, KEEL_PLUGIN_ABI_VERSION));
    if (descriptor->descriptor_size != sizeof(KeelPluginDescriptor) || !descriptor->initialize)
        return refuse(Error::formatted("%s: malformed plugin descriptor", name));

    for (u64 function : object->init_functions())
        reinterpret_cast<void (*)()>(function)();

    char message[160] = {};
    if (!descriptor->initialize(&host, &registry, message, sizeof(message))) {
        message[sizeof(message) - 1] = '\0';
        return refuse(Error::formatted("%s: the plugin refused to start: %s", name, message[0] ? message : "no reason given"));
    }
    return LoadedPlugin { object, descriptor };
}

} // namespace keel
