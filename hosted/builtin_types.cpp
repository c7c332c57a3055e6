#include "hosted/builtin_types.h"
#include "dbt/base/assert.h"
#include "plugins/devices/device_types.h"

namespace keel::hosted {

const TypeRegistry& builtin_types()
{
    static TypeRegistry* registry = [] {
        auto* r = new TypeRegistry;
        auto added = devices::register_builtin_devices(*r);
        VERIFY(!added.is_error());
        return r;
    }();
    return *registry;
}

} // namespace keel::hosted
