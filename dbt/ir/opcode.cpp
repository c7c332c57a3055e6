#include "dbt/ir/opcode.h"

namespace keel::ir {
namespace {
using namespace attr;

constexpr u8 count_args(Spec a, Spec b, Spec c, Spec d)
{
    return a == Spec::None ? 0 : b == Spec::None ? 1 : c == Spec::None ? 2 : d == Spec::None ? 3 : 4;
}

constexpr OpcodeInfo table[] = {
#define OPCODE(name, result, a0, a1, a2, a3, attributes) \
    { #name, Spec::result, { Spec::a0, Spec::a1, Spec::a2, Spec::a3 }, static_cast<u16>(attributes), count_args(Spec::a0, Spec::a1, Spec::a2, Spec::a3) },
#include "dbt/ir/opcodes.inc"
#undef OPCODE
};
static_assert(sizeof(table) / sizeof(table[0]) == opcode_count);
} // namespace

const OpcodeInfo& info(Opcode op) { return table[static_cast<unsigned>(op)]; }

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
