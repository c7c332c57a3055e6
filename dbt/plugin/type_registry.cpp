#include "dbt/plugin/type_registry.h"
#include "dbt/base/string.h"

namespace keel {

Result<void> TypeRegistry::add_device_type(const DeviceType& type)
{
    if (!type.name || !type.name[0] || !type.create)
        return Error::formatted("a device type needs a name and a create function");
    if (find_device_type(type.name))
        return Error::formatted("device type '%s' is already registered", type.name);
    m_devices.append(type);
    return {};
}

Result<void> TypeRegistry::add_arch(const ArchType& type)
{
    if (!type.name || !type.name[0] || !type.create)
        return Error::formatted("an architecture needs a name and a create function");
    if (find_arch(type.name))
        return Error::formatted("architecture '%s' is already registered", type.name);
    m_archs.append(type);
    return {};
}

const DeviceType* TypeRegistry::find_device_type(const char* name) const
{
    for (const DeviceType& t : m_devices) {
        if (string_equal(t.name, name))
            return &t;
    }
    return nullptr;
}

const ArchType* TypeRegistry::find_arch(const char* name) const
{
    for (const ArchType& t : m_archs) {
        if (string_equal(t.name, name))
            return &t;
    }
    return nullptr;
}

} // namespace keel
