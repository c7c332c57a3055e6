// ir::evaluate(), the constant folder's arithmetic and the backend tests' oracle, checked
// against an independent one: the host CPU executing the same x86 instruction (host_ops.h).
// Random inputs come from a fixed seed, printed with every failure.
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include "dbt/ir/evaluate.h"
#include "dbt/ir/flags.h"
#include "guest_machine.h"
#include "host_ops.h"

using namespace keel;
using namespace keel::ir;
using keel::unit::HostResult;

namespace {

constexpr u64 seed = 20240601;
const Type int_types[] = { Type::U8, Type::U16, Type::U32, Type::U64 };

bool eval(Opcode op, Type type, std::initializer_list<u64> args, std::initializer_list<Type> types, u64& r)
{
    u64 a[4] = {};
    Type t[4] = {};
    unsigned i = 0;
    for (u64 v : args)
        a[i++] = v;
    i = 0;
    for (Type v : types)
        t[i++] = v;
    return evaluate(op, type, a, t, r);
}

// Interesting operands: random, plus the edges where carries and signs change.
u64 operand(std::mt19937_64& rng, Type t)
{
    static const u64 edges[] = { 0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
        0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ~0ull };
    u64 v = rng() % 4 == 0 ? edges[rng() % (sizeof(edges) / sizeof(edges[0]))] : rng();
    return v & type_mask(t);
}

} // namespace

TEST_CASE("evaluate: knows exactly the pure value operations", "[evaluate]")
{
    // The operations folding may replace by constants. Anything with flags inputs,
    // second results, state, memory or calls must not be evaluated.
    const std::set<Opcode> pure = { Opcode::Add, Opcode::Sub, Opcode::And, Opcode::Or, Opcode::Xor, Opcode::Inc, Opcode::Dec,
        Opcode::Neg, Opcode::Not, Opcode::Mul, Opcode::Shl, Opcode::Shr, Opcode::Sar, Opcode::Rol, Opcode::Ror, Opcode::Bswap,
        Opcode::ZeroExtend, Opcode::SignExtend, Opcode::Truncate, Opcode::Select, Opcode::Equal, Opcode::TestCond,
        Opcode::FlagsToInt, Opcode::IntToFlags };
    for (unsigned i = 0; i < opcode_count; ++i) {
        auto op = static_cast<Opcode>(i);
        u64 a[4] = { 1, 1, 1, 1 }, r = 0;
        Type t[4] = { Type::U32, Type::U32, Type::U32, Type::U32 };
        INFO(name(op));
        CHECK(evaluate(op, Type::U32, a, t, r) == (pure.count(op) == 1));
        if (pure.count(op))
            CHECK_FALSE(has_attr(op, attr::SideEffect | attr::ReadsState | attr::ReadsMemory | attr::Call));
    }
}

TEST_CASE("evaluate: ALU operations, shifts and rotates agree with the host CPU", "[evaluate]")
{
    const Opcode ops[] = { Opcode::Add, Opcode::Sub, Opcode::And, Opcode::Or, Opcode::Xor, Opcode::Inc, Opcode::Dec,
        Opcode::Neg, Opcode::Not, Opcode::Mul, Opcode::Shl, Opcode::Shr, Opcode::Sar, Opcode::Rol, Opcode::Ror, Opcode::Bswap };
    std::mt19937_64 rng(seed);
    for (Opcode op : ops) {
        bool shift = op == Opcode::Shl || op == Opcode::Shr || op == Opcode::Sar || op == Opcode::Rol || op == Opcode::Ror;
        for (Type t : int_types) {
            for (int n = 0; n < 2000; ++n) {
                u64 a = operand(rng, t);
                // Counts: every value the 8-bit count register can hold matters (masking).
                u64 b = shift ? (n < 256 ? static_cast<u64>(n) : rng() & 0xFF) : operand(rng, t);
                HostResult host;
                if (!unit::host_alu_typed(op, t, a, b, rng(), host)) {
                    if (op == Opcode::Mul && t == Type::U8) {
                        // No IMUL r8, r/m8: the low byte of a 16-bit product is the same.
                        unit::host_alu<u16>(op, static_cast<u16>(a), static_cast<u16>(b), 0, host);
                        host.value &= 0xFF;
                    } else {
                        break; // BSWAP of 8/16 bits: not an operation (the verifier rejects it)
                    }
                }
                u64 r = ~0ull;
                Type bt = shift ? Type::U8 : t;
                REQUIRE(eval(op, t, { a, b }, { t, bt }, r));
                if (r != (host.value & type_mask(t))) {
                    FAIL_CHECK("seed " << seed << ": " << name(op) << "." << type_name(t) << " 0x" << std::hex << a << ", 0x" << b
                                       << " = 0x" << r << ", host 0x" << (host.value & type_mask(t)));
                    break;
                }
            }
        }
    }
}

TEST_CASE("evaluate: results are masked to the instruction type", "[evaluate]")
{
    u64 r;
    REQUIRE(eval(Opcode::Add, Type::U8, { 0xFF, 0xFF }, { Type::U8, Type::U8 }, r));
    CHECK(r == 0xFE);
    REQUIRE(eval(Opcode::Not, Type::U16, { 0 }, { Type::U16 }, r));
    CHECK(r == 0xFFFF);
    REQUIRE(eval(Opcode::Neg, Type::U1, { 1 }, { Type::U1 }, r));
    CHECK(r == 1);
    REQUIRE(eval(Opcode::Xor, Type::U1, { 1, 1 }, { Type::U1, Type::U1 }, r));
    CHECK(r == 0);
}

TEST_CASE("evaluate: extensions, truncation, selection and equality", "[evaluate]")
{
    std::mt19937_64 rng(seed + 1);
    const Type all[] = { Type::U1, Type::U8, Type::U16, Type::U32, Type::U64 };
    for (int n = 0; n < 500; ++n) {
        for (Type from : all) {
            u64 v = operand(rng, from);
            for (Type to : all) {
                INFO("seed " << seed + 1 << " " << type_name(from) << " 0x" << std::hex << v << " -> " << type_name(to));
                u64 r;
                unsigned fw = bit_width(from), tw = bit_width(to);
                if (tw > fw) {
                    REQUIRE(eval(Opcode::ZeroExtend, to, { v }, { from }, r));
                    CHECK(r == v);
                    REQUIRE(eval(Opcode::SignExtend, to, { v }, { from }, r));
                    bool negative = (v >> (fw - 1)) & 1;
                    u64 expected = negative ? (v | (~0ull << fw)) & type_mask(to) : v;
                    CHECK(r == expected);
                } else if (tw < fw) {
                    REQUIRE(eval(Opcode::Truncate, to, { v }, { from }, r));
                    CHECK(r == (v & type_mask(to)));
                }
            }
            u64 w = rng() % 2 ? v : operand(rng, from);
            u64 r;
            REQUIRE(eval(Opcode::Equal, Type::U1, { v, w }, { from, from }, r));
            CHECK(r == (v == w ? 1u : 0u));
            REQUIRE(eval(Opcode::Select, from, { 1, v, w }, { Type::U1, from, from }, r));
            CHECK(r == v);
            REQUIRE(eval(Opcode::Select, from, { 0, v, w }, { Type::U1, from, from }, r));
            CHECK(r == w);
        }
    }
}

TEST_CASE("evaluate: TestCond agrees with the host's SETcc", "[evaluate]")
{
    for (u64 rflags = 0; rflags < 0x1000; ++rflags) {
        if (rflags & ~0x8D5ull)
            continue;
        for (unsigned cc = 0; cc < 16; ++cc) {
            u64 r;
            REQUIRE(eval(Opcode::TestCond, Type::U1, { cc, flag::from_rflags(rflags) }, { Type::U8, Type::Flags }, r));
            INFO("rflags 0x" << std::hex << rflags << " cc " << std::dec << cc);
            CHECK(r == (unit::host_condition(cc, rflags) ? 1u : 0u));
        }
    }
}

// FlagsToInt and IntToFlags in generated code keep only the six status flags
// (backend/x64/emit_convert.cpp: "restore_host_flags() relies on bits 7..1 being
// clear"), and evaluate() must too: when it passed every bit through, a folded
// IntToFlags of a constant carried bits the backend never produces, and folding changed
// what a block computes (backend_test.cpp: FlagsToInt(IntToFlags(0xFFFF)) folded and
// not). The next test is the guest's view: SAHF then LAHF, folded.
TEST_CASE("evaluate: flag conversions keep only the six status flags, as generated code does", "[evaluate]")
{
    u64 r;
    REQUIRE(eval(Opcode::IntToFlags, Type::Flags, { 0xFFFF }, { Type::U16 }, r));
    CHECK(r == flag::All);
    REQUIRE(eval(Opcode::FlagsToInt, Type::U16, { 0xFFFF }, { Type::Flags }, r));
    CHECK(r == flag::All);
}

TEST_CASE("evaluate: folded SAHF then LAHF gives the flags a CPU would (Intel SDM vol. 2, LAHF)", "[evaluate]")
{
    keel::unit::GuestMachine m;
    // mov eax, 0xff00; sahf; lahf; hlt. SAHF loads SF ZF AF PF CF from AH (bits 5, 3 and
    // 1 are not flags); LAHF stores SF:ZF:0:AF:0:PF:1:CF, so AH = 0xD7.
    m.load(0x10000, { 0xB8, 0x00, 0xFF, 0x00, 0x00, 0x9E, 0x9F, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 0xD700);
}

TEST_CASE("evaluate: host oracle sanity (known results)", "[evaluate]")
{
    // If the inline-assembly harness were broken, every comparison above could pass
    // vacuously; pin a few results and flags (RFLAGS: CF 0x1, ZF 0x40, SF 0x80, OF 0x800).
    HostResult h;
    REQUIRE(unit::host_alu<u8>(Opcode::Add, 0xFF, 1, 0, h));
    CHECK(h.value == 0);
    CHECK((h.rflags & 0x8D5) == (0x1 | 0x4 | 0x10 | 0x40)); // CF PF AF ZF
    REQUIRE(unit::host_alu<u32>(Opcode::Sub, 0x80000000u, 1, 0, h));
    CHECK(h.value == 0x7FFFFFFF);
    CHECK((h.rflags & 0x800) == 0x800); // OF
    REQUIRE(unit::host_alu<u64>(Opcode::Adc, 1, 1, 1, h)); // CF in
    CHECK(h.value == 3);
    REQUIRE(unit::host_alu<u16>(Opcode::Shl, 0x8001, 0, 0x8D5, h)); // count 0: flags kept
    CHECK(h.value == 0x8001);
    CHECK((h.rflags & 0x8D5) == 0x8D5);
    REQUIRE(unit::host_alu<u8>(Opcode::Rol, 0x81, 9, 0, h));
    CHECK(h.value == 0x03);
    CHECK(unit::host_condition(4, 0x40));      // E with ZF
    CHECK_FALSE(unit::host_condition(4, 0));
}

TEST_CASE("evaluate: flag conversions of clean values are the identity", "[evaluate]")
{
    for (u64 rflags = 0; rflags < 0x1000; rflags += 1) {
        u16 packed = flag::from_rflags(rflags);
        u64 r;
        REQUIRE(eval(Opcode::FlagsToInt, Type::U16, { packed }, { Type::Flags }, r));
        CHECK((r & flag::All) == (packed & flag::All));
        REQUIRE(eval(Opcode::IntToFlags, Type::Flags, { u64(packed & flag::All) }, { Type::U16 }, r));
        CHECK(r == (packed & flag::All));
    }
}
