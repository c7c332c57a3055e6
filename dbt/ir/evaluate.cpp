#include "dbt/ir/evaluate.h"
#include "dbt/ir/flags.h"

namespace keel::ir {
namespace {

i64 sign_extend(u64 v, unsigned bits)
{
    if (bits >= 64)
        return static_cast<i64>(v);
    u64 sign = 1ull << (bits - 1);
    return static_cast<i64>(((v & ((1ull << bits) - 1)) ^ sign) - sign);
}

// x86 masks shift counts to 5 bits (6 for 64-bit operands), Intel SDM vol. 2, SAL/SAR/SHL/SHR.
unsigned masked_count(u64 count, unsigned bits) { return static_cast<unsigned>(count & (bits == 64 ? 63 : 31)); }

} // namespace

bool evaluate(Opcode op, Type type, const u64 a[4], const Type arg_types[4], u64& result)
{
    unsigned bits = bit_width(type);
    u64 mask = type_mask(type);
    u64 r;
    switch (op) {
    case Opcode::Add: r = a[0] + a[1]; break;
    case Opcode::Sub: r = a[0] - a[1]; break;
    case Opcode::And: r = a[0] & a[1]; break;
    case Opcode::Or: r = a[0] | a[1]; break;
    case Opcode::Xor: r = a[0] ^ a[1]; break;
    case Opcode::Inc: r = a[0] + 1; break;
    case Opcode::Dec: r = a[0] - 1; break;
    case Opcode::Neg: r = 0 - a[0]; break;
    case Opcode::Not: r = ~a[0]; break;
    case Opcode::Mul: r = a[0] * a[1]; break;
    case Opcode::Shl: {
        unsigned c = masked_count(a[1], bits);
        r = c >= 64 ? 0 : a[0] << c;
        break;
    }
    case Opcode::Shr: {
        unsigned c = masked_count(a[1], bits);
        r = c >= 64 ? 0 : (a[0] & mask) >> c;
        break;
    }
    case Opcode::Sar: {
        unsigned c = masked_count(a[1], bits);
        r = static_cast<u64>(sign_extend(a[0], bits) >> (c > 63 ? 63 : c));
        break;
    }
    case Opcode::Rol:
    case Opcode::Ror: {
        // 8/16-bit rotates take the 5-bit masked count modulo the width.
        unsigned c = masked_count(a[1], bits) % bits;
        u64 v = a[0] & mask;
        if (op == Opcode::Ror)
            c = (bits - c) % bits;
        r = c == 0 ? v : (v << c) | (v >> (bits - c));
        break;
    }
    case Opcode::Bswap:
        r = bits == 64 ? __builtin_bswap64(a[0]) : __builtin_bswap32(static_cast<u32>(a[0]));
        break;
    case Opcode::ZeroExtend: r = a[0] & type_mask(arg_types[0]); break;
    case Opcode::SignExtend: r = static_cast<u64>(sign_extend(a[0], bit_width(arg_types[0]))); break;
    case Opcode::Truncate: r = a[0]; break;
    case Opcode::Select: r = (a[0] & 1) ? a[1] : a[2]; break;
    case Opcode::Equal: r = (a[0] & type_mask(arg_types[0])) == (a[1] & type_mask(arg_types[1])); break;
    case Opcode::TestCond: r = evaluate_cond(static_cast<Cond>(a[0] & 15), static_cast<u16>(a[1])); break;
    case Opcode::FlagsToInt:
    case Opcode::IntToFlags: r = a[0] & flag::All; break; // only the six status flags, as generated code
    default:
        return false;
    }
    result = r & (type == Type::Flags ? 0xFFFFu : mask);
    return true;
}

} // namespace keel::ir
