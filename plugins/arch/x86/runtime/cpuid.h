#pragma once
// The CPUID keel reports: only features it implements (Intel SDM vol. 2, CPUID).
#include "dbt/base/types.h"

namespace keel {
struct CpuContext;
}

namespace keel::x86 {

struct CpuidResult {
    u32 eax, ebx, ecx, edx;
};

// What CPUID reports beyond the core depends on the machine's devices.
struct CpuidPlatform {
    bool local_apic; // a local APIC answers IA32_APIC_BASE: CPUID.1:EDX.APIC, ECX.TSC_DEADLINE
};

CpuidResult cpuid(u32 leaf, u32 subleaf, const CpuidPlatform& platform);
// The platform as the CPU finds it (asks the machine's devices through ArchServices).
CpuidPlatform cpuid_platform(CpuContext& ctx);

} // namespace keel::x86
