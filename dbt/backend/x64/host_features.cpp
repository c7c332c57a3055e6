#include "dbt/backend/x64/host_features.h"
#include "dbt/base/host_cpuid.h"

namespace keel::x64 {

Result<void> check_host_features()
{
    // Intel SDM vol. 2, CPUID: POPCNT is leaf 1 ECX[23], LZCNT leaf 0x80000001 ECX[5], BMI1
    // leaf 7 EBX[3]. The guest's SSE3 to SSE4.2 (leaf 1 ECX[0], [9], [19], [20]) run as the
    // same host instructions (docs/sse.md); every CPU with BMI1 has them.
    u32 a, b, c, d;
    host_cpuid(0, 0, a, b, c, d);
    u32 max_leaf = a;
    host_cpuid(0x80000000, 0, a, b, c, d);
    u32 max_extended = a;
    host_cpuid(1, 0, a, b, c, d);
    bool popcnt = c & (1u << 23);
    bool sse4 = (c & 1u) && (c & (1u << 9)) && (c & (1u << 19)) && (c & (1u << 20));
    bool lzcnt = false, bmi1 = false;
    if (max_extended >= 0x80000001) {
        host_cpuid(0x80000001, 0, a, b, c, d);
        lzcnt = c & (1u << 5);
    }
    if (max_leaf >= 7) {
        host_cpuid(7, 0, a, b, c, d);
        bmi1 = b & (1u << 3);
    }
    if (!popcnt || !lzcnt || !bmi1 || !sse4)
        return Error::formatted("this host CPU lacks%s%s%s%s, which keel's generated code uses", popcnt ? "" : " POPCNT",
            lzcnt ? "" : " LZCNT", bmi1 ? "" : " BMI1", sse4 ? "" : " SSE3-SSE4.2");
    return {};
}

} // namespace keel::x64
