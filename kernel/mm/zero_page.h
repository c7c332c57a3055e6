#pragma once
#include "dbt/base/types.h"

namespace keel::kernel {
// Clears one 4 KiB page with REP STOSQ: usable from the #PF handler, which must not touch
// SSE registers (the interrupted code may be generated code with live XMM values).
inline void zero_page(u64 address)
{
    u64 count = 512;
    asm volatile("rep stosq" : "+D"(address), "+c"(count) : "a"(0ull) : "memory");
}
} // namespace keel::kernel
