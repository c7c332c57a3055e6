#pragma once
// `keel -plugin-dir DIR`: every *.so in the folder is loaded as a plugin (in name order)
// with keel's own loader, exactly as the kernel loads them from the ESP.
#include "dbt/plugin/type_registry.h"

namespace keel::hosted {

// The folder keel uses without -plugin-dir: `plugins` beside the directory holding the
// keel binary (build/plugins for build/bin/keel).
const char* default_plugin_dir();

// Loads the plugins; any refusal is an error naming the plugin and the reason. A missing
// default folder is not an error; a missing folder given with -plugin-dir is.
Result<u32> load_plugin_directory(const char* directory, bool must_exist, HostServices& services, TypeRegistry& registry);

} // namespace keel::hosted
