#pragma once
// The packed status-flags word carried by Flags-typed IR values and kept in the guest
// state. Its layout is what the x86-64 backend gets from `lahf; seto al` and restores
// with `add al, 0x7f; sahf`: the high byte is EFLAGS[7:0] (SF ZF 0 AF 0 PF 1 CF) and
// bit 0 is OF (docs/ir.md#flags). Conversions to architectural RFLAGS live in the arch.
#include "dbt/base/types.h"

namespace keel::ir::flag {
constexpr u16 CF = 1 << 8;
constexpr u16 PF = 1 << 10;
constexpr u16 AF = 1 << 12;
constexpr u16 ZF = 1 << 14;
constexpr u16 SF = 1 << 15;
constexpr u16 OF = 1 << 0;
constexpr u16 Fixed1 = 1 << 9; // EFLAGS bit 1 as lahf reports it
constexpr u16 All = CF | PF | AF | ZF | SF | OF;
constexpr u16 AllButCF = All & ~CF;

// Conversion between the packed word and RFLAGS bit positions (CF 0, PF 2, AF 4, ZF 6, SF 7, OF 11).
constexpr u64 to_rflags(u16 packed) { return ((packed >> 8) & 0xD5) | (u64(packed & 1) << 11); }
constexpr u16 from_rflags(u64 rflags) { return static_cast<u16>(((rflags & 0xD5) << 8) | Fixed1 | ((rflags >> 11) & 1)); }
} // namespace keel::ir::flag

namespace keel::ir {
// x86 condition codes (the low nibble of Jcc/SETcc/CMOVcc), Intel SDM vol. 1 appendix B.
enum class Cond : u8 { O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G };
bool evaluate_cond(Cond cc, u16 packed_flags);
const char* cond_name(Cond cc);
} // namespace keel::ir
