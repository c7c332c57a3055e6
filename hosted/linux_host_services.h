#pragma once
// HostServices for a Linux process: mmap for guest RAM and the translation cache.
#include "dbt/engine/host_services.h"

namespace keel::hosted {

class LinuxHostServices final : public HostServices {
public:
    explicit LinuxHostServices(usize code_cache_bytes) : m_code_cache_bytes(code_cache_bytes) {}
    ~LinuxHostServices() override;

    u8* allocate_guest_memory(u64 size) override;
    void free_guest_memory(u8* memory, u64 size) override;
    CodeRegion code_region() override;
    u64 monotonic_ns() override;

private:
    usize m_code_cache_bytes;
    CodeRegion m_code {};
};

} // namespace keel::hosted
