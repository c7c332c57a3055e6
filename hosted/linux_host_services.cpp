#include "hosted/linux_host_services.h"
#include <sys/mman.h>
#include <time.h>

namespace keel::hosted {

LinuxHostServices::~LinuxHostServices()
{
    if (m_code.base)
        munmap(m_code.base, m_code.size);
}

u8* LinuxHostServices::allocate_guest_memory(u64 size)
{
    // Anonymous memory is zeroed and only backed as the guest touches it.
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<u8*>(p);
}

void LinuxHostServices::free_guest_memory(u8* memory, u64 size) { munmap(memory, size); }

CodeRegion LinuxHostServices::code_region()
{
    if (!m_code.base) {
        // One region, writable and executable for its whole life: no per-block mprotect.
        void* p = mmap(nullptr, m_code_cache_bytes, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED)
            m_code = { static_cast<u8*>(p), m_code_cache_bytes };
    }
    return m_code;
}

u64 LinuxHostServices::monotonic_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

} // namespace keel::hosted
