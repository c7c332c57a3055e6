#pragma once
// For the unit tests, the differential tester and the benchmarks: the x86 architecture
// and every device of plugins/devices linked in and registered, so that they build
// machines without plugin files. The keel command never links this: it loads the same
// types from build/plugins.
#include "dbt/plugin/type_registry.h"

namespace keel::hosted {

const TypeRegistry& builtin_types();
// The x86-64 CPU (one per process; tests keep none of its state between machines).
Arch& builtin_x86_arch();

} // namespace keel::hosted
