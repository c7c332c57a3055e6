#include "kernel/plugins/kernel_plugins.h"
#include "dbt/base/string.h"
#include "dbt/loader/plugin_loader.h"
#include "kernel/console/serial.h"
#include "kernel/plugins/kernel_symbols.h"
#include "kernel/plugins/plugin_memory.h"

namespace keel::kernel {
namespace {
KernelImageMemory g_memory;
KernelSymbols g_symbols;
} // namespace

bool load_plugins(BootInfo& info, TypeRegistry& registry, HostServices& services)
{
    if (info.plugin_count == 0)
        return true;
    // Name order, whatever order the firmware listed the folder in: boots are reproducible.
    for (u32 i = 1; i < info.plugin_count; ++i) {
        for (u32 j = i; j > 0 && __builtin_strcmp(info.plugin_names[j - 1], info.plugin_names[j]) > 0; --j) {
            char name[BootConfig::max_path];
            copy_memory(name, info.plugin_names[j], sizeof(name));
            copy_memory(info.plugin_names[j], info.plugin_names[j - 1], sizeof(name));
            copy_memory(info.plugin_names[j - 1], name, sizeof(name));
            LoadedFile file = info.plugins[j];
            info.plugins[j] = info.plugins[j - 1];
            info.plugins[j - 1] = file;
        }
    }
    g_symbols.initialize();
    serial::print("keel: %u plugin file%s in %s/; the kernel exports %zu symbols to them\n", info.plugin_count,
        info.plugin_count == 1 ? "" : "s", info.config.plugin_dir, g_symbols.count());

    PluginHost host { KEEL_PLUGIN_ABI_VERSION, &services };
    bool all_loaded = true;
    for (u32 i = 0; i < info.plugin_count; ++i) {
        const char* name = info.plugin_names[i];
        const LoadedFile& file = info.plugins[i];
        if (file.error[0]) {
            serial::print("keel: plugin %s refused: %s\n", name, file.error);
            all_loaded = false;
            continue;
        }
        auto loaded = load_plugin(file.data, file.size, name, g_memory, g_symbols, host, registry);
        if (loaded.is_error()) {
            serial::print("keel: plugin refused: %s\n", loaded.error().message());
            all_loaded = false;
            continue;
        }
        LoadedPlugin plugin = loaded.value();
        serial::print("keel: plugin %s at 0x%llx (%zu KiB, W^X): %s: %s\n", name,
            static_cast<unsigned long long>(reinterpret_cast<u64>(plugin.object->base())), plugin.object->size() / KiB,
            plugin.descriptor->name, plugin.descriptor->description);
    }
    for (const DeviceType& type : registry.device_types())
        serial::print("keel: device type %s: %s\n", type.name, type.description);
    return all_loaded;
}

} // namespace keel::kernel
