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

namespace detail {
constexpr u8 count_args(Spec a, Spec b, Spec c, Spec d)
{
    return a == Spec::None ? 0 : b == Spec::None ? 1 : c == Spec::None ? 2 : d == Spec::None ? 3 : 4;
}
using namespace attr;
inline constexpr OpcodeInfo opcode_table[] = {
#define OPCODE(name, result, a0, a1, a2, a3, attributes) \
    { #name, Spec::result, { Spec::a0, Spec::a1, Spec::a2, Spec::a3 }, static_cast<u16>(attributes), count_args(Spec::a0, Spec::a1, Spec::a2, Spec::a3) },
#include "dbt/ir/opcodes.inc"
#undef OPCODE
};
static_assert(sizeof(opcode_table) / sizeof(opcode_table[0]) == opcode_count);
} // namespace detail

inline const OpcodeInfo& info(Opcode op) { return detail::opcode_table[static_cast<unsigned>(op)]; }
inline const char* name(Opcode op) { return info(op).name; }
inline bool has_attr(Opcode op, u16 a) { return (info(op).attributes & a) != 0; }

// HostPointer arg2 (opcodes.inc): the temp slot's state offset in bits 0..31, the size in
// bits 32..39, and bit 40 when the HostInsn writes the bytes.
constexpr u64 host_pointer_write = 1ull << 40;
constexpr u64 host_pointer_layout(u32 size, u32 temp_offset, bool write)
{
    return u64(size & 0xFF) << 32 | temp_offset | (write ? host_pointer_write : 0);
}
constexpr u32 host_pointer_temp(u64 arg2) { return static_cast<u32>(arg2); }
constexpr u32 host_pointer_size(u64 arg2) { return static_cast<u32>(arg2 >> 32) & 0xFF; }
constexpr bool host_pointer_writes(u64 arg2) { return arg2 & host_pointer_write; }

// HostInsn arg0: (host code offset << 8 | length) in bits 0..47, and in bits 48..63 the
// lowest guest state offset the bytes read or write (0: any): the state below it, which
// they leave alone, is not a barrier to the passes and may live in host registers across
// it (an SSE instruction without general-register operands: the GPRs; docs/sse.md).
constexpr unsigned host_insn_floor_shift = 48;
constexpr u64 host_insn_code(u64 arg0) { return arg0 & ((1ull << host_insn_floor_shift) - 1); }
constexpr u32 host_insn_state_floor(u64 arg0) { return static_cast<u32>(arg0 >> host_insn_floor_shift); }

// Host XMM0..XMM(n-1) may carry guest XMM values from one HostInsn to the next in a block
// (docs/sse.md#host-registers-kept-between-instructions): the backend's cold thunk saves and
// restores them around the C++ it calls. The lowering's memory-operand scratch is XMM(n).
constexpr unsigned host_xmm_kept = 14;

} // namespace keel::ir
