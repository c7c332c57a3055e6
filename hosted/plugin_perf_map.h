#pragma once
// Names the loaded plugins' functions in perf's map of generated code (`keel -perfmap`):
// keel loads plugins with its own loader, so perf cannot see them as mapped ELF files, and a
// profile of a Linux boot would otherwise show the x86 plugin's helpers as bare addresses.
#include <stdio.h>
#include "dbt/base/types.h"

namespace keel::hosted {

// Remembers where a plugin file was loaded (the address of its ELF address 0).
void remember_loaded_plugin(const char* path, const u8* base);

// Writes one "address size name" line (perf's JIT map format,
// tools/perf/Documentation/jit-interface.txt) per function symbol of each remembered plugin,
// read from the file's .symtab; a file without one (stripped) contributes nothing.
void write_plugin_perf_map(FILE* out);

} // namespace keel::hosted
