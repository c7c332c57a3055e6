#pragma once
// For the unit tests, the differential tester and the benchmarks: every device type of
// plugins/devices linked in and registered (they link the x86 architecture directly), so
// that they build machines without plugin files. The keel command never links this: it loads the same
// types from build/plugins.
#include "dbt/plugin/type_registry.h"

namespace keel::hosted {

const TypeRegistry& builtin_types();

} // namespace keel::hosted
