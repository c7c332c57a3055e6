#pragma once
// The CPUID keel reports: only features it implements (Intel SDM vol. 2, CPUID).
#include "dbt/base/types.h"

namespace keel::x86 {

struct CpuidResult {
    u32 eax, ebx, ecx, edx;
};

CpuidResult cpuid(u32 leaf, u32 subleaf);

} // namespace keel::x86
