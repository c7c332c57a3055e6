#pragma once
// The registry the hosts hand to plugins: device types and architectures by name.
#include "dbt/base/vector.h"
#include "dbt/plugin/abi.h"

namespace keel {

class TypeRegistry final : public PluginRegistry {
public:
    Result<void> add_device_type(const DeviceType& type) override;
    Result<void> add_arch(const ArchType& type) override;

    const DeviceType* find_device_type(const char* name) const;
    const ArchType* find_arch(const char* name) const;
    const Vector<DeviceType>& device_types() const { return m_devices; }
    const Vector<ArchType>& archs() const { return m_archs; }

private:
    Vector<DeviceType> m_devices;
    Vector<ArchType> m_archs;
};

} // namespace keel
