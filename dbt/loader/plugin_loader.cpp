#include "dbt/loader/plugin_loader.h"
#include "dbt/base/string.h"

namespace keel {

Result<LoadedPlugin> load_plugin(const u8* file, usize size, const char* name, ImageMemory& memory, SymbolResolver& imports,
    const PluginHost& host, PluginRegistry& registry)
{
    SharedObject* object = TRY(SharedObject::load(file, size, name, memory, imports));
    auto refuse = [&](Error error) -> Result<LoadedPlugin> {
        delete object;
        return error;
    };

    // The descriptor's address and the pointers in it are the file's word: each is checked
    // to lie in the loaded image before the host reads or calls it, so a malformed file is
    // refused with a message instead of crashing the host.
    u64 address = object->lookup(KEEL_PLUGIN_DESCRIPTOR_SYMBOL);
    if (!address)
        return refuse(Error::formatted("%s: not a keel plugin (it exports no %s)", name, KEEL_PLUGIN_DESCRIPTOR_SYMBOL));
    if (!object->contains(address, sizeof(u32)))
        return refuse(Error::formatted("%s: its %s lies outside the plugin's image", name, KEEL_PLUGIN_DESCRIPTOR_SYMBOL));
    // Read only the version first (byte-wise: the address may be misaligned in a broken
    // file): a plugin of another ABI may lay the rest out differently.
    u32 abi_version;
    copy_memory(&abi_version, reinterpret_cast<const void*>(address + offsetof(KeelPluginDescriptor, abi_version)), sizeof(abi_version));
    if (abi_version != KEEL_PLUGIN_ABI_VERSION)
        return refuse(Error::formatted("%s: plugin ABI version %u, but this keel has version %u: rebuild the plugin", name,
            abi_version, KEEL_PLUGIN_ABI_VERSION));
    if (!object->contains(address, sizeof(KeelPluginDescriptor)) || address % alignof(KeelPluginDescriptor))
        return refuse(Error::formatted("%s: malformed plugin descriptor", name));
    auto* descriptor = reinterpret_cast<const KeelPluginDescriptor*>(address);
    if (descriptor->descriptor_size != sizeof(KeelPluginDescriptor) || !descriptor->initialize)
        return refuse(Error::formatted("%s: malformed plugin descriptor", name));
    if (!object->contains(reinterpret_cast<u64>(descriptor->initialize), 1))
        return refuse(Error::formatted("%s: the plugin descriptor's initialize function lies outside the plugin's image", name));
    if (!object->contains_string(reinterpret_cast<u64>(descriptor->name))
        || !object->contains_string(reinterpret_cast<u64>(descriptor->description)))
        return refuse(Error::formatted("%s: the plugin descriptor's name or description lies outside the plugin's image", name));

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
