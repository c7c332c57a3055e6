#pragma once
// The opcode enum and per-opcode metadata, generated from opcodes.inc.
#include "dbt/ir/type.h"

namespace keel::ir {

enum class Opcode : u16 {
#define OPCODE(name, ...) name,
#include "dbt/ir/opcodes.inc"
#undef OPCODE
    Count
};

constexpr unsigned opcode_count = static_cast<unsigned>(Opcode::Count);

// Type specs of the table's result and argument columns.
enum class Spec : u8 { None, T, Any, U1, U8, U16, U32, U64, Flags, OptFlags, Imm, Void };

namespace attr {
enum : u16 {
    SideEffect = 1 << 0,
    ReadsState = 1 << 1,
    WritesState = 1 << 2,
    ReadsMemory = 1 << 3,
    WritesMemory = 1 << 4,
    MayFault = 1 << 5,
    SetsFlags = 1 << 6,
    HasSecond = 1 << 7,
    Pseudo = 1 << 8,
    Call = 1 << 9,
};
}

struct OpcodeInfo {
    const char* name;
    Spec result;
    Spec args[4];
    u16 attributes;
    u8 arg_count; // number of leading non-None argument specs
};

const OpcodeInfo& info(Opcode op);
inline const char* name(Opcode op) { return info(op).name; }
inline bool has_attr(Opcode op, u16 a) { return (info(op).attributes & a) != 0; }

} // namespace keel::ir
