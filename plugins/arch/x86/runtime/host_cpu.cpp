#include "plugins/arch/x86/runtime/host_cpu.h"
#include "dbt/base/host_cpuid.h"

namespace keel::x86 {
namespace {

HostCpu read_host_cpu()
{
    u32 a, b, c, d;
    host_cpuid(0, 0, a, b, c, d);
    u32 max_leaf = a;
    host_cpuid(1, 0, a, b, c, d);
    HostCpu cpu {};
    cpu.aes = c & (1u << 25);
    cpu.pclmulqdq = c & (1u << 1);
    cpu.movbe = c & (1u << 22);
    cpu.rdrand = c & (1u << 30);
    if (max_leaf >= 7) {
        host_cpuid(7, 0, a, b, c, d);
        cpu.bmi2 = b & (1u << 8);
    }
    return cpu;
}

// Plain statics (no guard variable: the freestanding build has no __cxa_guard_*). Two
// threads racing here both store the same values; the flag is published after them.
HostCpu g_host_cpu;
bool g_read = false;

} // namespace

const HostCpu& host_cpu()
{
    if (!__atomic_load_n(&g_read, __ATOMIC_ACQUIRE)) {
        g_host_cpu = read_host_cpu();
        __atomic_store_n(&g_read, true, __ATOMIC_RELEASE);
    }
    return g_host_cpu;
}

} // namespace keel::x86
