#pragma once
// The status flags of SUB/CMP a - b, computed in C++ (Intel SDM vol. 1 §3.4.3.1), for
// helpers that compare outside generated code (REPE/REPNE CMPS/SCAS).
#include "dbt/ir/flags.h"

namespace keel::x86 {

inline u16 sub_flags(u64 a, u64 b, unsigned size)
{
    unsigned bits = size * 8;
    u64 mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    a &= mask;
    b &= mask;
    u64 r = (a - b) & mask;
    u64 sign = 1ull << (bits - 1);
    u16 f = ir::flag::Fixed1;
    if (a < b)
        f |= ir::flag::CF;
    if (r == 0)
        f |= ir::flag::ZF;
    if (r & sign)
        f |= ir::flag::SF;
    if ((a ^ b) & (a ^ r) & sign)
        f |= ir::flag::OF;
    if ((a ^ b ^ r) & 0x10)
        f |= ir::flag::AF;
    if (!(__builtin_popcount(static_cast<unsigned>(r & 0xFF)) & 1))
        f |= ir::flag::PF;
    return f;
}

} // namespace keel::x86
