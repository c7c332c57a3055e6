#include "dbt/ir/opcode.h"

namespace keel::ir {
const char* type_name(Type t)
{
    switch (t) {
    case Type::Void: return "void";
    case Type::U1: return "u1";
    case Type::U8: return "u8";
    case Type::U16: return "u16";
    case Type::U32: return "u32";
    case Type::U64: return "u64";
    case Type::Flags: return "flags";
    }
    return "?";
}

} // namespace keel::ir
