#pragma once
// The CPUID instruction of the CPU keel itself runs on (Intel SDM vol. 2, CPUID): the
// backend's required features, the architecture plugin's host-gated ones, the kernel's
// probes. One wrapper for all of them.
#include "dbt/base/types.h"

namespace keel {

inline void host_cpuid(u32 leaf, u32 subleaf, u32& a, u32& b, u32& c, u32& d)
{
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
}

} // namespace keel
