// The x86-64 backend against ir::evaluate(): every pure integer operation of the opcode
// table, at every type the verifier and backend accept, compiled as a one-operation
// block (LoadState inputs, the operation, StoreState of the result, Exit) with its
// operands in registers and as immediates, run on random inputs from a fixed seed.
// Flags against the host CPU: backend_flags_test.cpp; random blocks:
// backend_random_test.cpp; the translation cache filling up: the end of this file.
#include <catch2/catch.hpp>
#include <random>
#include <vector>
#include "backend_harness.h"
#include "dbt/ir/builder.h"
#include "dbt/ir/evaluate.h"
#include "dbt/ir/passes/passes.h"

using namespace keel;
using namespace keel::ir;
using keel::unit::BackendHarness;

namespace {

constexpr u64 seed = 0x6261636b; // fixed; printed with every failure
constexpr u32 result_offset = 64;
constexpr u8 canary = 0xCC;

struct OpCase {
    Opcode op;
    Type type;          // the instruction's result type
    Type args[3];       // argument types (Void: absent); TestCond's first is its Imm cc
    unsigned count;
};

std::vector<OpCase> cases()
{
    const Type ints[] = { Type::U8, Type::U16, Type::U32, Type::U64 };
    const Type all[] = { Type::U1, Type::U8, Type::U16, Type::U32, Type::U64 };
    std::vector<OpCase> out;
    for (Type t : ints) {
        for (Opcode op : { Opcode::Add, Opcode::Sub, Opcode::And, Opcode::Or, Opcode::Xor, Opcode::Mul }) {
            if (op == Opcode::Mul && t == Type::U8)
                continue; // no 8-bit IMUL r, r/m; the backend VERIFYs (frontend never asks)
            out.push_back({ op, t, { t, t }, 2 });
        }
        for (Opcode op : { Opcode::Inc, Opcode::Dec, Opcode::Neg, Opcode::Not })
            out.push_back({ op, t, { t }, 1 });
        for (Opcode op : { Opcode::Shl, Opcode::Shr, Opcode::Sar, Opcode::Rol, Opcode::Ror })
            out.push_back({ op, t, { t, Type::U8 }, 2 });
        if (t == Type::U32 || t == Type::U64)
            out.push_back({ Opcode::Bswap, t, { t }, 1 });
    }
    for (Type t : all) {
        for (Type u : all) {
            if (bit_width(u) > bit_width(t)) {
                out.push_back({ Opcode::ZeroExtend, u, { t }, 1 });
                out.push_back({ Opcode::SignExtend, u, { t }, 1 });
            } else if (bit_width(u) < bit_width(t)) {
                out.push_back({ Opcode::Truncate, u, { t }, 1 });
            }
        }
        out.push_back({ Opcode::Select, t, { Type::U1, t, t }, 3 });
        out.push_back({ Opcode::Equal, Type::U1, { t, t }, 2 });
    }
    // Booleans combine with the bitwise operations (the frontend's `xor cond, 1`).
    for (Opcode op : { Opcode::And, Opcode::Or, Opcode::Xor })
        out.push_back({ op, Type::U1, { Type::U1, Type::U1 }, 2 });
    out.push_back({ Opcode::TestCond, Type::U1, { Type::U8, Type::Flags }, 2 });
    out.push_back({ Opcode::FlagsToInt, Type::U16, { Type::Flags }, 1 });
    out.push_back({ Opcode::IntToFlags, Type::Flags, { Type::U16 }, 1 });
    return out;
}

u64 random_value(std::mt19937_64& rng, Type t, Opcode op)
{
    if (op == Opcode::IntToFlags) // only flag bits: the unmasked case is the flags-conversion test below
        return rng() & flag::All;
    static const u64 edges[] = { 0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
        0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ~0ull, 63, 64, 31, 32 };
    if (t == Type::Flags) // packed flags as FlagsOf makes them: only the status bits (evaluate_test.cpp)
        return rng() & flag::All;
    u64 v = rng() % 3 == 0 ? edges[rng() % (sizeof(edges) / sizeof(edges[0]))] : rng();
    return v & type_mask(t);
}

class OpRunner {
public:
    OpRunner(BackendHarness& h, const OpCase& c, unsigned imm_mask, std::mt19937_64& rng) : m_h(h), m_case(c), m_imm_mask(imm_mask)
    {
        for (unsigned k = 0; k < c.count; ++k)
            m_imm[k] = random_value(rng, c.args[k], c.op);
        if (c.op == Opcode::TestCond)
            m_imm[0] = rng() % 16;
        Builder ir(m_block);
        m_block.pc = 0x1000;
        ir.begin_guest_insn(0x1000, 1);
        Value args[3];
        for (unsigned k = 0; k < c.count; ++k) {
            if (c.op == Opcode::TestCond && k == 0)
                args[k] = Builder::imm8(m_imm[0]);
            else if (imm_mask & (1u << k))
                args[k] = Builder::imm(c.args[k], m_imm[k]);
            else if (c.args[k] == Type::Flags)
                args[k] = ir.load_flags();
            else
                args[k] = ir.load_state(c.args[k], 8 * k);
        }
        Value r = ir.emit(c.op, c.type, args[0], args[1], args[2]);
        if (c.type == Type::Flags)
            ir.store_flags(r, flag::All);
        else
            ir.store_state(result_offset, r);
        ir.exit(ExitReason::Dispatch);
        m_code = h.compile(m_block);
    }

    // Runs once on random inputs; returns false (after reporting) on a mismatch.
    bool run(std::mt19937_64& rng)
    {
        u64 in[3] = {};
        Type types[4] = {};
        u8* state = m_h.state();
        for (unsigned k = 0; k < m_case.count; ++k) {
            types[k] = m_case.args[k];
            bool imm = (m_imm_mask & (1u << k)) || (m_case.op == Opcode::TestCond && k == 0);
            in[k] = imm ? m_imm[k] : random_value(rng, types[k], m_case.op);
            // Junk in the slot's bytes above the operand: a load must not see them.
            unsigned bytes = byte_width(types[k]);
            u64 slot = bytes < 8 ? in[k] | (rng() << (8 * bytes)) : in[k];
            std::memcpy(state + 8 * k, &slot, 8);
            if (types[k] == Type::Flags && !imm)
                m_h.ctx().hot.flags = static_cast<u32>(in[k]);
        }
        std::memset(state + result_offset, canary, 16);
        u8 before[result_offset];
        std::memcpy(before, state, sizeof(before));
        m_h.ctx().hot.pc = 0;

        RunExit exit = m_h.run(m_code);
        u64 expected = 0;
        u64 args[4] = { in[0], in[1], in[2], 0 };
        REQUIRE(evaluate(m_case.op, m_case.type, args, types, expected));
        u64 got = 0;
        unsigned width = byte_width(m_case.type);
        if (m_case.type == Type::Flags)
            got = m_h.flags();
        else
            std::memcpy(&got, state + result_offset, width);
        bool ok = exit == RunExit::Dispatch && got == expected && std::memcmp(before, state, sizeof(before)) == 0;
        for (unsigned i = m_case.type == Type::Flags ? 0 : width; i < 16; ++i)
            ok &= state[result_offset + i] == canary;
        if (!ok) {
            FAIL_CHECK("seed " << seed << ": " << name(m_case.op) << "." << type_name(m_case.type) << " immediates 0b" << m_imm_mask
                               << std::hex << " inputs 0x" << in[0] << ", 0x" << in[1] << ", 0x" << in[2] << ": got 0x" << got
                               << ", evaluate() 0x" << expected << " (exit " << static_cast<int>(exit) << ", bytes past the result "
                               << (state[result_offset + width] == canary ? "intact" : "overwritten") << ")\n"
                               << BackendHarness::text(m_block));
        }
        return ok;
    }

private:
    BackendHarness& m_h;
    OpCase m_case;
    unsigned m_imm_mask;
    u64 m_imm[3] = {};
    Block m_block;
    const u8* m_code = nullptr;
};

} // namespace

namespace {

// Runs each case with its operands in registers, then each argument in turn as an
// immediate (one compile per immediate value). Returns the number of mismatches.
unsigned run_cases(const std::vector<OpCase>& list)
{
    BackendHarness h;
    std::mt19937_64 rng(seed);
    unsigned failures = 0;
    for (const OpCase& c : list) {
        OpRunner regs(h, c, 0, rng);
        for (int n = 0; n < 200 && failures < 5; ++n)
            failures += !regs.run(rng);
        for (unsigned k = 0; k < c.count; ++k) {
            if (c.op == Opcode::TestCond || c.args[k] == Type::Flags)
                continue;
            for (int i = 0; i < 12 && failures < 5; ++i) {
                OpRunner imm(h, c, 1u << k, rng);
                for (int n = 0; n < 4; ++n)
                    failures += !imm.run(rng);
            }
        }
    }
    return failures;
}

} // namespace

TEST_CASE("backend: every pure operation computes what evaluate() does", "[backend]")
{
    CHECK(run_cases(cases()) == 0);
}

// Booleans stay 0 or 1 in the backend's 8-bit registers only through boolean logic:
// the verifier refuses arithmetic on u1 (Add.u1 1, 1 would store 2, Not.u1 0 0xFF, which
// a later `test r8, r8` reads as true), and And/Or/Xor on u1 keep 0/1.
TEST_CASE("backend: arithmetic on u1 is refused, boolean logic keeps 0 or 1", "[backend]")
{
    for (Opcode op : { Opcode::Add, Opcode::Sub, Opcode::Not, Opcode::Neg, Opcode::Inc, Opcode::Dec }) {
        Block b;
        Builder ir(b);
        ir.begin_guest_insn(0x1000, 1);
        Value x = ir.load_state(Type::U8, 0);
        Value flag = ir.trunc(Type::U1, x);
        bool binary = op == Opcode::Add || op == Opcode::Sub;
        Value r = binary ? ir.emit(op, Type::U1, flag, flag) : ir.emit(op, Type::U1, flag);
        ir.store_state(8, ir.zext(Type::U8, r));
        ir.exit(ExitReason::Dispatch);
        INFO("opcode " << name(op));
        CHECK(check(b).is_error());
    }
    std::vector<OpCase> list;
    for (Opcode op : { Opcode::And, Opcode::Or, Opcode::Xor })
        list.push_back({ op, Type::U1, { Type::U1, Type::U1 }, 2 });
    CHECK(run_cases(list) == 0);
}

// The backend keeps only the six status flags in FlagsToInt/IntToFlags (emit_convert.cpp),
// and so must evaluate(), or constant folding changes what this block computes: unfolded,
// FlagsToInt(IntToFlags(0xFFFF)) is 0xD501; folded, it was 0xFFFF while evaluate() passed
// every bit through.
TEST_CASE("backend: constant folding does not change what a flags-conversion block computes", "[backend]")
{
    BackendHarness h;
    auto build = [](Block& b) {
        Builder ir(b);
        b.pc = 0x1000;
        ir.begin_guest_insn(0x1000, 1);
        Value f = ir.int_to_flags(Builder::imm16(0xFFFF));
        ir.store_state(result_offset, ir.flags_to_int(f));
        ir.exit(ExitReason::Dispatch);
    };
    Block plain, folded;
    build(plain);
    build(folded);
    fold_constants(folded);
    folded.resolve_all_args();
    u16 results[2];
    Block* blocks[2] = { &plain, &folded };
    for (int i = 0; i < 2; ++i) {
        h.run(h.compile(*blocks[i]));
        std::memcpy(&results[i], h.state() + result_offset, 2);
    }
    CHECK(results[0] == flag::All);
    CHECK(results[1] == results[0]);
}

TEST_CASE("backend: a block larger than the translation cache reports CacheFull", "[backend]")
{
    // The smallest cache the backend accepts: two maximum-size blocks.
    BackendHarness h(2 * x64::max_block_code_bytes);
    x64::Backend& be = h.backend();
    REQUIRE(be.capacity() == 2 * x64::max_block_code_bytes);

    // About 17 bytes of code per 64-bit constant stored: far more than the region.
    Block big;
    Builder ir(big);
    ir.begin_guest_insn(0x1000, 1);
    for (u32 i = 0; i < 12000; ++i)
        ir.store_state(8 * (i % 64), Builder::imm64(0x1122334455667788ull + i));
    ir.exit(ExitReason::Dispatch);
    usize used = be.used_bytes();
    TranslatedBlock tb {};
    CHECK(be.compile(big, tb, x64::CompileOptions {}) == x64::CompileStatus::CacheFull);
    CHECK(be.used_bytes() == used); // rewound: nothing of the failed block remains

    // A small block still fits and runs afterwards.
    Block small;
    Builder ir2(small);
    ir2.store_state(0, Builder::imm64(0xABCDEF));
    ir2.exit(ExitReason::Dispatch);
    TranslatedBlock tb2 {};
    REQUIRE(be.compile(small, tb2, x64::CompileOptions {}) == x64::CompileStatus::Ok);
    CHECK(h.run(tb2.code) == RunExit::Dispatch);
    u64 v;
    std::memcpy(&v, h.state(), 8);
    CHECK(v == 0xABCDEF);
}

TEST_CASE("backend: blocks fill the cache until CacheFull; flush() makes room again", "[backend]")
{
    BackendHarness h(4 * x64::max_block_code_bytes);
    x64::Backend& be = h.backend();
    Block b;
    Builder ir(b);
    for (u32 i = 0; i < 200; ++i)
        ir.store_state(8 * (i % 64), Builder::imm64(0x1000000000ull + i));
    ir.exit(ExitReason::Dispatch);
    std::vector<TranslatedBlock> tbs(1000);
    unsigned compiled = 0;
    while (compiled < tbs.size() && be.compile(b, tbs[compiled], x64::CompileOptions {}) == x64::CompileStatus::Ok)
        ++compiled;
    REQUIRE(compiled < tbs.size());
    INFO("blocks compiled: " << compiled << ", bytes used " << be.used_bytes());
    CHECK(compiled > 10);
    // CacheFull is reported while less than one maximum-size block would still fit.
    CHECK(be.capacity() - be.used_bytes() < x64::max_block_code_bytes);
    // Distinct blocks went to distinct places, one after the other.
    for (unsigned i = 1; i < compiled; ++i)
        CHECK(tbs[i].code >= tbs[i - 1].code + tbs[i - 1].code_size);
    be.flush();
    TranslatedBlock again {};
    REQUIRE(be.compile(b, again, x64::CompileOptions {}) == x64::CompileStatus::Ok);
    CHECK(again.code == tbs[0].code); // refilled from just after the thunks
    CHECK(h.run(again.code) == RunExit::Dispatch);
}

// A HostPointer whose only user is the HostInsn right after it is computed straight into
// RAX, where the bytes read it (LEA RAX; no MOV RAX, reg before the bytes). With an
// instruction in between it lives in a register and the HostInsn moves it into RAX.
TEST_CASE("backend: a HostPointer used by the next HostInsn is computed in RAX", "[backend][sse]")
{
    BackendHarness h;
    const u8 movdqu_xmm0_rax[] = { 0xF3, 0x0F, 0x6F, 0x00 };
    for (bool apart : { false, true }) {
        Block b;
        Builder ir(b);
        Value pointer = ir.host_pointer(ir.load_state(Type::U64, 0), 16, 0, 0x400);
        if (apart)
            ir.store_state(8, Builder::imm64(1)); // between the two: emitted in between
        ir.host_insn(movdqu_xmm0_rax, sizeof(movdqu_xmm0_rax), pointer);
        ir.exit(ExitReason::Dispatch);
        const u8* code = h.compile(b);
        std::string text = h.listing(code);
        INFO("apart " << apart << "\n" << text);
        // The host instruction before the bytes puts the pointer in RAX.
        usize bytes = text.find("movdqu xmm0, [rax]");
        REQUIRE(bytes != std::string::npos);
        usize line = text.rfind('\n', text.rfind('\n', bytes) - 1);
        std::string before = text.substr(line + 1, text.rfind('\n', bytes) - line - 1);
        INFO("before the bytes: " << before);
        CHECK((before.find(": lea rax, [") != std::string::npos) == !apart);
        CHECK((before.find(": mov rax, r") != std::string::npos) == apart);
    }
}
