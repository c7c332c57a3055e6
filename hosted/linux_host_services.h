#pragma once
// HostServices for a Linux process: mmap for guest RAM and the translation cache.
#include "dbt/base/result.h"
#include "dbt/runtime/host_services.h"

namespace keel::hosted {

class LinuxHostServices final : public HostServices {
public:
    explicit LinuxHostServices(usize code_cache_bytes) : m_code_cache_bytes(code_cache_bytes) {}
    ~LinuxHostServices() override;

    u8* allocate_zeroed(u64 size) override;
    void free_zeroed(u8* memory, u64 size) override;
    CodeRegion code_region() override;
    // Maps the translation cache now, so a failure is reported as what it is (code_region()
    // cannot say why it has no memory; the backend would only see a region of 0 bytes).
    Result<void> map_code_region();
    u64 monotonic_ns() override;
    u64 wall_clock_seconds() override;
    void block_translated(u64 guest_pc, const u8* host_code, usize host_size) override;
    void idle_until(u64 deadline_ns, const volatile u32* wake) override;
    // A thread that sets the flag every millisecond while one is set.
    void set_tick_flag(volatile u32* flag) override;
    // Writes /tmp/perf-PID.map so `perf report` names generated code by guest pc and the
    // plugins' functions by name.
    void enable_perf_map();

private:
    usize m_code_cache_bytes;
    CodeRegion m_code {};
    void* m_perf_map = nullptr; // FILE*
    struct Ticker;
    Ticker* m_ticker = nullptr;
};

} // namespace keel::hosted
