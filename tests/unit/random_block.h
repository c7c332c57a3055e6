#pragma once
// Random IR blocks and a reference interpreter for them, shared by the pass tests (the
// pipeline must not change what a block computes) and the backend tests (generated code
// must compute what the interpreter does). Blocks mix pure operations of every width,
// guest-state loads and stores (overlapping, unaligned), flag stores through the state
// word, conditions, selects and a branch or jump terminal.
#include <catch2/catch.hpp>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include "dbt/ir/builder.h"
#include "dbt/ir/evaluate.h"
#include "dbt/ir/printer.h"
#include "host_ops.h"

namespace keel::unit {

using namespace keel::ir;


constexpr u32 state_bytes = 64;

struct Machine {
    u8 state[state_bytes];
    u16 flags;
    bool operator==(const Machine& o) const
    {
        return std::memcmp(state, o.state, state_bytes) == 0 && ((flags ^ o.flags) & flag::All) == 0;
    }
};

// Where interpret() says a block stopped when instruction i raised an exception.
constexpr u64 fault_pc = 0xFA000000;

// Interprets a block of the operations the generator uses; returns the next pc.
inline u64 interpret(const Block& b, Machine& m)
{
    std::vector<u64> values(b.insts.size());
    auto value_of = [&](Value v) -> u64 {
        v = b.resolve(v);
        return v.is_imm() ? v.imm_value() : v.is_inst() ? values[v.index()] : 0;
    };
    for (u32 i = 0; i < b.insts.size(); ++i) {
        const Inst& inst = b.insts[i];
        u64 a[4];
        Type t[4];
        for (unsigned k = 0; k < 4; ++k) {
            a[k] = value_of(inst.args[k]);
            t[k] = b.resolve(inst.args[k]).type();
        }
        switch (inst.op) {
        case Opcode::Identity:
        case Opcode::Deleted:
            break;
        case Opcode::LoadState: {
            u64 v = 0;
            std::memcpy(&v, m.state + a[0], byte_width(inst.type));
            values[i] = v & type_mask(inst.type);
            break;
        }
        case Opcode::StoreState:
            std::memcpy(m.state + a[0], &a[1], byte_width(t[1]));
            break;
        case Opcode::LoadFlags:
            values[i] = m.flags;
            break;
        case Opcode::UDiv: {
            if ((a[2] & type_mask(inst.type)) == 0) {
                // #DE: the state must be exact at this instruction, including the stores
                // the passes moved into its fault path.
                for (const FaultStore& f : b.fault_stores) {
                    if (f.fault_inst != i)
                        continue;
                    u64 v = value_of(f.value);
                    if (f.flags)
                        m.flags = static_cast<u16>(v);
                    else
                        std::memcpy(m.state + f.offset, &v, byte_width(b.resolve(f.value).type()));
                }
                return fault_pc + i;
            }
            REQUIRE(a[0] == 0); // the generator's dividends fit: no quotient overflow
            values[i] = a[1] / a[2];
            break;
        }
        case Opcode::FlagsOf: {
            // The status flags of the producer's x86 instruction, from the host CPU.
            const Inst& p = b.at(b.resolve(inst.args[0]));
            HostResult host;
            REQUIRE(host_alu_typed(p.op, p.type, value_of(p.args[0]), value_of(p.args[1]), flag::to_rflags(m.flags), host));
            values[i] = flag::from_rflags(host.rflags);
            break;
        }
        case Opcode::FlagsToInt:
        case Opcode::IntToFlags:
            // Bits other than the six status flags are not part of a flags value's
            // meaning: the backend clears them in both conversions.
            values[i] = a[0] & flag::All;
            break;
        case Opcode::StoreFlags:
            // As the backend does: a full store writes the whole word, a partial one
            // merges the flags it names.
            m.flags = static_cast<u16>(a[1] == flag::All ? a[0] : (m.flags & ~a[1]) | (a[0] & a[1]));
            break;
        default: {
            u64 r = 0;
            bool known = evaluate(inst.op, inst.type, a, t, r);
            REQUIRE(known);
            values[i] = r;
        }
        }
    }
    const Terminal& term = b.terminal;
    if (term.kind == TerminalKind::Branch)
        return (value_of(term.value) & 1) ? term.target : term.target_false;
    return term.target;
}

// Builds a random, well-formed block from `seed`.
class Generator {
public:
    // `steps`: up to that many operations. There is no 8-bit Mul (IMUL r, r/m has no
    // 8-bit form; the verifier refuses it). `may_fault`: include divisions, which raise
    // #DE on a zero divisor (the interpreter then stops there, as a guest exception would).
    explicit Generator(u64 seed, unsigned steps = 40, bool may_fault = false)
        : m_rng(seed), m_steps(steps), m_may_fault(may_fault) {}

    void build(Block& b)
    {
        Builder ir(b);
        b.pc = 0x1000;
        ir.begin_guest_insn(0x1000, 1);
        unsigned count = m_steps / 4 + pick(m_steps - m_steps / 4);
        for (unsigned n = 0; n < count; ++n)
            step(ir);
        if (pick(2) && !m_bools.empty())
            ir.branch(any(m_bools), 0x2000, 0x3000);
        else
            ir.jump(0x4000);
    }

private:
    unsigned pick(unsigned n) { return static_cast<unsigned>(m_rng() % n); }
    Value any(const std::vector<Value>& pool) { return pool[pick(static_cast<unsigned>(pool.size()))]; }
    Type int_type() { return std::array<Type, 4> { Type::U8, Type::U16, Type::U32, Type::U64 }[pick(4)]; }
    std::vector<Value>& pool(Type t) { return m_values[static_cast<unsigned>(t)]; }

    // A value of type t: an earlier one, a fresh state load, or an immediate.
    Value operand(Builder& ir, Type t)
    {
        unsigned r = pick(8);
        if (r < 4 && !pool(t).empty())
            return any(pool(t));
        if (r < 6)
            return load(ir, t);
        return Builder::imm(t, pick(4) ? m_rng() : pick(3)); // small values hit the identities
    }
    Value load(Builder& ir, Type t)
    {
        Value v = ir.load_state(t, offset(t));
        pool(t).push_back(v);
        return v;
    }
    u32 offset(Type t) { return pick(2) ? pick(state_bytes / 8) * 8 : pick(state_bytes - byte_width(t) + 1); }
    void define(Value v) { (v.type() == Type::U1 ? m_bools : pool(v.type())).push_back(v); }

    void step(Builder& ir)
    {
        Type t = int_type();
        switch (pick(m_may_fault ? 15 : 14)) {
        case 0:
        case 1: { // stores are what makes a block observable
            Value v = operand(ir, t);
            ir.store_state(offset(t), v);
            break;
        }
        case 2: {
            static const Opcode binary[] = { Opcode::Add, Opcode::Sub, Opcode::And, Opcode::Or, Opcode::Xor, Opcode::Mul };
            Opcode op = binary[pick(6)];
            if (op == Opcode::Mul && t == Type::U8)
                op = Opcode::Add;
            define(ir.emit(op, t, operand(ir, t), operand(ir, t)));
            break;
        }
        case 3: {
            static const Opcode unary[] = { Opcode::Inc, Opcode::Dec, Opcode::Neg, Opcode::Not };
            define(ir.emit(unary[pick(4)], t, operand(ir, t)));
            break;
        }
        case 4: {
            static const Opcode shifts[] = { Opcode::Shl, Opcode::Shr, Opcode::Sar, Opcode::Rol, Opcode::Ror };
            Value count = pick(2) ? Builder::imm8(pick(80)) : operand(ir, Type::U8);
            define(ir.shift(shifts[pick(5)], operand(ir, t), count));
            break;
        }
        case 5: { // widen or narrow
            Type to = int_type();
            Value v = operand(ir, t);
            if (bit_width(to) > bit_width(t))
                define(pick(2) ? ir.zext(to, v) : ir.sext(to, v));
            else if (bit_width(to) < bit_width(t))
                define(ir.trunc(to, v));
            break;
        }
        case 6:
            define(ir.equal(operand(ir, t), operand(ir, t)));
            break;
        case 7:
            if (!m_bools.empty())
                define(ir.select(any(m_bools), operand(ir, t), operand(ir, t)));
            break;
        case 8: { // flags through the state word, as POPF/SAHF-like code does
            static const u16 masks[] = { flag::All, flag::CF, flag::AllButCF, flag::ZF | flag::SF };
            Value f = pick(2) ? ir.load_flags() : ir.int_to_flags(Builder::imm16(m_rng() & flag::All));
            ir.store_flags(f, masks[pick(4)]);
            break;
        }
        case 9:
            define(ir.test_cond(static_cast<Cond>(pick(16)), ir.load_flags()));
            break;
        case 12:
        case 13: { // an x86 ALU operation whose flags are kept, as the frontend lowers one
            static const Opcode ops[] = { Opcode::Add, Opcode::Sub, Opcode::And, Opcode::Or, Opcode::Xor, Opcode::Inc, Opcode::Dec, Opcode::Neg };
            Opcode op = ops[pick(8)];
            bool unary = op == Opcode::Inc || op == Opcode::Dec || op == Opcode::Neg;
            Value a = operand(ir, t);
            Value r = unary ? ir.emit(op, t, a) : ir.emit(op, t, a, operand(ir, t));
            Value f = ir.flags_of(r);
            // Only the flags the SDM defines: INC/DEC keep CF, logic operations leave AF undefined.
            bool logic = op == Opcode::And || op == Opcode::Or || op == Opcode::Xor;
            ir.store_flags(f, unary && op != Opcode::Neg ? flag::AllButCF : logic ? flag::All & ~flag::AF : flag::All);
            if (pick(3)) // else only the flags are used (CMP/TEST-like)
                define(r);
            if (pick(2)) {
                // INC/DEC produce no CF: no condition that reads it (B AE BE A).
                static const u8 without_cf[] = { 0, 1, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15 };
                u8 cc = unary && op != Opcode::Neg ? without_cf[pick(12)] : static_cast<u8>(pick(16));
                define(ir.test_cond(static_cast<Cond>(cc), f));
            }
            break;
        }
        case 10: // as PUSHF and LAHF do, keep only flag bits of FlagsToInt (see evaluate_test.cpp)
            ir.store_state(offset(Type::U16), ir.and_(ir.flags_to_int(ir.load_flags()), Builder::imm16(flag::All)));
            break;
        case 14: { // 0:lo / divisor; #DE when the divisor is 0
            Value divisor = pick(5) == 0 ? Builder::imm(t, 0) : operand(ir, t);
            define(ir.emit(Opcode::UDiv, t, Builder::imm(t, 0), operand(ir, t), divisor));
            break;
        }
        default:
            if (t == Type::U32 || t == Type::U64)
                define(ir.emit(Opcode::Bswap, t, operand(ir, t)));
            break;
        }
    }

    std::mt19937_64 m_rng;
    unsigned m_steps;
    bool m_may_fault;
    std::vector<Value> m_values[8];
    std::vector<Value> m_bools;
};

inline std::string dump(Block& b)
{
    StringBuilder out;
    print_block(out, b);
    return out.c_str();
}

} // namespace keel::unit
