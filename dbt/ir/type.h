#pragma once
#include "dbt/base/types.h"

namespace keel::ir {

// Value types. U1 is a boolean (held as 0/1); Flags is the packed x86 status flags word
// (docs/ir.md#flags); Void marks instructions without a result.
enum class Type : u8 { Void, U1, U8, U16, U32, U64, Flags };

inline constexpr bool is_integer(Type t) { return t >= Type::U1 && t <= Type::U64; }
inline constexpr unsigned bit_width(Type t)
{
    switch (t) {
    case Type::U1: return 1;
    case Type::U8: return 8;
    case Type::U16: return 16;
    case Type::U32: return 32;
    case Type::U64: return 64;
    case Type::Flags: return 16;
    default: return 0;
    }
}
inline constexpr unsigned byte_width(Type t) { return t == Type::U1 ? 1 : bit_width(t) / 8; }
inline constexpr u64 type_mask(Type t)
{
    unsigned bits = bit_width(t);
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}
inline constexpr Type int_type_of_bytes(unsigned bytes)
{
    switch (bytes) {
    case 1: return Type::U8;
    case 2: return Type::U16;
    case 4: return Type::U32;
    default: return Type::U64;
    }
}
const char* type_name(Type t);

} // namespace keel::ir
