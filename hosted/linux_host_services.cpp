#include "hosted/linux_host_services.h"
#include "hosted/plugin_perf_map.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <atomic>
#include <thread>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

namespace keel::hosted {

struct LinuxHostServices::Ticker {
    std::atomic<volatile u32*> flag { nullptr };
    std::atomic<bool> quit { false };
    std::thread thread;
};

LinuxHostServices::~LinuxHostServices()
{
    if (m_ticker) {
        m_ticker->quit = true;
        m_ticker->thread.join();
        delete m_ticker;
    }
    if (m_perf_map)
        fclose(static_cast<FILE*>(m_perf_map));
    if (m_code.base)
        munmap(m_code.base, m_code.size);
}

namespace {

constexpr u64 huge_page = 2 * MiB;

// Anonymous memory, zeroed and only backed as it is touched, on a 2 MiB boundary and
// offered to transparent huge pages (where the host's THP setting is `madvise` or
// `always`): one host page fault per 2 MiB the guest touches instead of 512, and fewer
// host TLB misses in translated code, whose accesses land all over guest RAM.
u8* map_huge_page_friendly(u64 size, int protection)
{
    u64 padded = size + huge_page;
    void* p = mmap(nullptr, padded, protection, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    u64 start = reinterpret_cast<u64>(p), aligned = (start + huge_page - 1) & ~(huge_page - 1);
    if (aligned > start)
        munmap(p, aligned - start);
    if (aligned + size < start + padded)
        munmap(reinterpret_cast<void*>(aligned + size), start + padded - (aligned + size));
    madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE); // advice: a refusal changes nothing
    return reinterpret_cast<u8*>(aligned);
}

} // namespace

u8* LinuxHostServices::allocate_zeroed(u64 size) { return map_huge_page_friendly(size, PROT_READ | PROT_WRITE); }

void LinuxHostServices::free_zeroed(u8* memory, u64 size) { munmap(memory, size); }

Result<void> LinuxHostServices::map_code_region()
{
    // A size of 0 is left to the backend, which refuses a cache too small to use.
    if (m_code.base || m_code_cache_bytes == 0)
        return {};
    // One region, writable and executable for its whole life: no per-block mprotect.
    u8* p = map_huge_page_friendly(m_code_cache_bytes, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (!p)
        return Error::formatted("cannot map the translation cache (%zu MiB, -accel tcg,tb-size=N): %s", m_code_cache_bytes / MiB,
            strerror(errno));
    m_code = { p, m_code_cache_bytes };
    return {};
}

CodeRegion LinuxHostServices::code_region()
{
    (void)map_code_region(); // a failure leaves the region empty; HostedPc::create reported it
    return m_code;
}

u64 LinuxHostServices::monotonic_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

u64 LinuxHostServices::wall_clock_seconds() { return static_cast<u64>(time(nullptr)); }

void LinuxHostServices::set_tick_flag(volatile u32* flag)
{
    if (!m_ticker) {
        if (!flag)
            return;
        m_ticker = new Ticker;
        m_ticker->thread = std::thread([ticker = m_ticker] {
            timespec period { 0, 1000000 };
            while (!ticker->quit) {
                nanosleep(&period, nullptr);
                if (volatile u32* f = ticker->flag.load())
                    *f = 1; // generated code polls it at backward branches and lookups
            }
        });
    }
    m_ticker->flag = flag;
}

void LinuxHostServices::idle_until(u64 deadline_ns, const volatile u32* wake)
{
    // Sleep in steps of at most a millisecond so a wake-up (a device, the monitor) is seen.
    while (!*wake) {
        u64 now = monotonic_ns();
        if (now >= deadline_ns)
            return;
        u64 step = deadline_ns - now < 1000000 ? deadline_ns - now : 1000000;
        timespec ts { 0, static_cast<long>(step) };
        nanosleep(&ts, nullptr);
    }
}

} // namespace keel::hosted

namespace keel::hosted {

void LinuxHostServices::enable_perf_map()
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/perf-%d.map", static_cast<int>(getpid()));
    m_perf_map = fopen(path, "w");
    if (m_perf_map)
        write_plugin_perf_map(static_cast<FILE*>(m_perf_map));
}

void LinuxHostServices::block_translated(u64 guest_pc, const u8* host_code, usize host_size)
{
    if (m_perf_map)
        fprintf(static_cast<FILE*>(m_perf_map), "%lx %zx guest_0x%llx\n", reinterpret_cast<unsigned long>(host_code), host_size,
            static_cast<unsigned long long>(guest_pc));
}

} // namespace keel::hosted
