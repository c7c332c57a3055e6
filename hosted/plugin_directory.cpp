#include "hosted/plugin_directory.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <algorithm>
#include <string>
#include <vector>
#include "dbt/loader/plugin_loader.h"
#include "hosted/plugin_memory.h"
#include "hosted/plugin_perf_map.h"

namespace keel::hosted {

const char* default_plugin_dir()
{
    static std::string dir;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return "plugins";
    exe[n] = '\0';
    std::string path(exe);
    path = path.substr(0, path.rfind('/')); // .../bin
    dir = path.substr(0, path.rfind('/')) + "/plugins";
    return dir.c_str();
}

Result<u32> load_plugin_directory(const char* directory, bool must_exist, HostServices& services, TypeRegistry& registry)
{
    DIR* d = opendir(directory);
    if (!d) {
        if (!must_exist && errno == ENOENT)
            return 0u;
        return Error::formatted("-plugin-dir %s: %s", directory, strerror(errno));
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0)
            names.push_back(std::string(directory) + "/" + name);
    }
    closedir(d);
    std::sort(names.begin(), names.end());

    static LinuxImageMemory memory; // plugins stay loaded for the life of the process
    static ProcessSymbolResolver imports;
    PluginHost host { KEEL_PLUGIN_ABI_VERSION, &services };
    for (const std::string& path : names) {
        FILE* f = fopen(path.c_str(), "rb");
        if (!f)
            return Error::formatted("plugin %s: %s", path.c_str(), strerror(errno));
        std::vector<u8> bytes;
        u8 chunk[65536];
        while (usize n = fread(chunk, 1, sizeof(chunk), f))
            bytes.insert(bytes.end(), chunk, chunk + n);
        fclose(f);
        auto loaded = load_plugin(bytes.data(), bytes.size(), path.c_str(), memory, imports, host, registry);
        if (loaded.is_error())
            return Error::formatted("plugin refused: %s", loaded.error().message());
        remember_loaded_plugin(path.c_str(), loaded.value().object->base());
    }
    return static_cast<u32>(names.size());
}

} // namespace keel::hosted
