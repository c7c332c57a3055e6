#pragma once
// The host CPU as an oracle: runs one x86 instruction on the test's own processor with
// chosen input flags and returns its result and RFLAGS. The operand size follows the
// C++ type (AT&T mnemonics without a suffix take it from the registers).
#include <type_traits>
#include "dbt/ir/opcode.h"

namespace keel::unit {

struct HostResult {
    u64 value;
    u64 rflags;
};

// Only the status flags (and the fixed bit 1) are ever loaded: TF, DF and AC stay clear.
constexpr u64 host_flags_in(u64 random) { return (random & 0x8D5) | 2; }

// The red zone below RSP may hold the compiler's data: step over it before PUSHFQ.
#define KEEL_HOST_OP(text, outputs, ...)                                                                  \
    asm volatile("lea -128(%%rsp), %%rsp\n\tpushq %[fin]\n\tpopfq\n\t" text "\n\tpushfq\n\tpopq %[fout]\n\t" \
                 "lea 128(%%rsp), %%rsp"                                                                  \
                 : outputs, [fout] "=&r"(fout)                                                            \
                 : __VA_ARGS__, [fin] "r"(fin)                                                            \
                 : "cc", "memory")

// Binary and unary ALU operations, shifts and rotates (b is the count), ADC/SBB (CF from
// the input flags), IMUL r, r/m (16 bits and up) and BSWAP (32 and 64 bits).
// Returns false when the host has no such instruction for T.
template<typename T>
bool host_alu(ir::Opcode op, T a, T b, u64 flags_in, HostResult& out)
{
    static_assert(std::is_unsigned_v<T>);
    u64 fin = host_flags_in(flags_in), fout = 0;
    u8 count = static_cast<u8>(b);
    using ir::Opcode;
    switch (op) {
    case Opcode::Add: KEEL_HOST_OP("add %[b], %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Sub: KEEL_HOST_OP("sub %[b], %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::And: KEEL_HOST_OP("and %[b], %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Or: KEEL_HOST_OP("or %[b], %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Xor: KEEL_HOST_OP("xor %[b], %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Adc: KEEL_HOST_OP("adc %[b], %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Sbb: KEEL_HOST_OP("sbb %[b], %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Inc: KEEL_HOST_OP("inc %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Dec: KEEL_HOST_OP("dec %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Neg: KEEL_HOST_OP("neg %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Not: KEEL_HOST_OP("not %[a]", [a] "+q"(a), [b] "q"(b)); break;
    case Opcode::Shl: KEEL_HOST_OP("shl %%cl, %[a]", [a] "+q"(a), [c] "c"(count)); break;
    case Opcode::Shr: KEEL_HOST_OP("shr %%cl, %[a]", [a] "+q"(a), [c] "c"(count)); break;
    case Opcode::Sar: KEEL_HOST_OP("sar %%cl, %[a]", [a] "+q"(a), [c] "c"(count)); break;
    case Opcode::Rol: KEEL_HOST_OP("rol %%cl, %[a]", [a] "+q"(a), [c] "c"(count)); break;
    case Opcode::Ror: KEEL_HOST_OP("ror %%cl, %[a]", [a] "+q"(a), [c] "c"(count)); break;
    case Opcode::Mul:
        if constexpr (sizeof(T) == 1)
            return false; // no IMUL r8, r/m8
        else
            KEEL_HOST_OP("imul %[b], %[a]", [a] "+r"(a), [b] "r"(b));
        break;
    case Opcode::Bswap:
        if constexpr (sizeof(T) < 4)
            return false;
        else
            KEEL_HOST_OP("bswap %[a]", [a] "+r"(a), [b] "r"(b));
        break;
    default:
        return false;
    }
    out = HostResult { a, fout };
    return true;
}

#undef KEEL_HOST_OP

// SETcc on the host for each condition code after loading `rflags_in`.
inline bool host_condition(unsigned cc, u64 rflags_in)
{
    u64 fin = host_flags_in(rflags_in);
    u8 r = 0;
#define KEEL_SETCC(n, name) \
    case n: asm volatile("lea -128(%%rsp), %%rsp\n\tpushq %1\n\tpopfq\n\tset" name " %0\n\tlea 128(%%rsp), %%rsp" : "=q"(r) : "r"(fin) : "cc", "memory"); break;
    switch (cc) {
        KEEL_SETCC(0, "o") KEEL_SETCC(1, "no") KEEL_SETCC(2, "b") KEEL_SETCC(3, "ae") KEEL_SETCC(4, "e") KEEL_SETCC(5, "ne")
        KEEL_SETCC(6, "be") KEEL_SETCC(7, "a") KEEL_SETCC(8, "s") KEEL_SETCC(9, "ns") KEEL_SETCC(10, "p") KEEL_SETCC(11, "np")
        KEEL_SETCC(12, "l") KEEL_SETCC(13, "ge") KEEL_SETCC(14, "le") KEEL_SETCC(15, "g")
    }
#undef KEEL_SETCC
    return r != 0;
}

// The same operation on an operand of `type`, with values passed as u64.
inline bool host_alu_typed(ir::Opcode op, ir::Type type, u64 a, u64 b, u64 flags_in, HostResult& out)
{
    switch (type) {
    case ir::Type::U8: return host_alu<u8>(op, static_cast<u8>(a), static_cast<u8>(b), flags_in, out);
    case ir::Type::U16: return host_alu<u16>(op, static_cast<u16>(a), static_cast<u16>(b), flags_in, out);
    case ir::Type::U32: return host_alu<u32>(op, static_cast<u32>(a), static_cast<u32>(b), flags_in, out);
    case ir::Type::U64: return host_alu<u64>(op, a, b, flags_in, out);
    default: return false;
    }
}

} // namespace keel::unit
