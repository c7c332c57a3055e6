// The IR verifier (ir::check): one test per rule, each with the message that names the
// instruction, plus well-formed blocks it must accept. Part of ctest unit.ir.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include "dbt/ir/builder.h"
#include "dbt/ir/passes/passes.h"

using namespace keel;
using namespace keel::ir;

namespace {

// Builds a block with `body`, ends it with an Exit unless the body set a terminal, and
// returns check()'s message ("" when the block is accepted).
std::string check_message(const std::function<void(Builder&)>& body)
{
    Block b;
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 1);
    body(ir);
    if (!ir.has_terminal())
        ir.exit(ExitReason::Dispatch);
    auto r = check(b);
    return r.is_error() ? std::string(r.error().message()) : std::string();
}

Value u64_state(Builder& ir) { return ir.load_state(Type::U64, 0); }

} // namespace

TEST_CASE("verifier: accepts well-formed blocks", "[ir][verify]")
{
    CHECK(check_message([](Builder& ir) {
        Value a = u64_state(ir);
        Value b = ir.load_state(Type::U64, 8);
        Value lo = ir.emit(Opcode::UMulWide, Type::U64, a, b);
        Value f = ir.flags_of(lo);   // both pseudo-ops may follow, in either order
        Value hi = ir.second_of(lo);
        ir.store_flags(f, flag::CF | flag::OF);
        ir.store_state(16, hi);
        Value sh = ir.shift(Opcode::Shl, a, Builder::imm8(3)); // OptFlags omitted
        Value sh2 = ir.shift(Opcode::Shr, sh, ir.trunc(Type::U8, b), ir.load_flags());
        Value bit = ir.emit(Opcode::Bt, Type::U1, sh2, b);
        Value bf = ir.flags_of(bit); // Bt is the one U1 operation with flags
        ir.store_flags(bf, flag::CF);
        ir.branch(ir.test_cond(Cond::NE, bf), 0x2000, 0x1001);
    }) == "");

    // A FlagsOf still directly follows its producer when the instruction between them
    // was deleted by a pass.
    Block b;
    Builder ir(b);
    Value a = u64_state(ir);
    Value sum = ir.add(a, a);
    Value dead = ir.not_(a);
    ir.store_flags(ir.flags_of(sum), flag::All);
    ir.store_state(0, sum);
    ir.exit(ExitReason::Dispatch);
    REQUIRE(dead == Value::of_inst(Type::U64, 2));
    CHECK(check(b).is_error()); // the Not separates them
    b.kill(2);
    CHECK_FALSE(check(b).is_error());
}

TEST_CASE("verifier: names the instruction in its message", "[ir][verify]")
{
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::Add, Type::U64, u64_state(ir), Builder::imm32(1)); })
        == "IR %1 (Add): argument type differs from the instruction type");
}

TEST_CASE("verifier: rejects argument and result type errors", "[ir][verify]")
{
    auto has = [](const std::string& message, const char* what) {
        INFO("message: " << message);
        CHECK(message.find(what) != std::string::npos);
    };
    has(check_message([](Builder& ir) { ir.emit(Opcode::Sub, Type::U32, ir.load_state(Type::U32, 0), Builder::imm16(1)); }),
        "argument type differs from the instruction type");
    has(check_message([](Builder& ir) { ir.emit(Opcode::Add, Type::Flags, ir.load_flags(), ir.load_flags()); }),
        "result must be an integer type");
    has(check_message([](Builder& ir) { ir.emit(Opcode::StoreState, Type::U64, Builder::imm32(0), Builder::imm64(1)); }),
        "result must be void");
    has(check_message([](Builder& ir) { ir.emit(Opcode::Equal, Type::U8, Builder::imm8(1), Builder::imm8(1)); }), "wrong result type");
    has(check_message([](Builder& ir) { ir.emit(Opcode::LoadState, Type::U64, ir.load_state(Type::U32, 0)); }),
        "argument must be an immediate");
    has(check_message([](Builder& ir) { ir.emit(Opcode::Load, Type::U64, ir.load_state(Type::U32, 0), Builder::imm32(0)); }),
        "argument has the wrong type"); // addresses are U64
    has(check_message([](Builder& ir) { ir.emit(Opcode::Adc, Type::U64, u64_state(ir), u64_state(ir), Builder::imm64(0)); }),
        "argument must be flags");
    has(check_message([](Builder& ir) { ir.emit(Opcode::ZeroExtend, Type::U64, ir.load_flags()); }), "argument must be an integer");
    has(check_message([](Builder& ir) { ir.equal(u64_state(ir), ir.load_state(Type::U32, 0)); }), "operands must have the same type");
    has(check_message([](Builder& ir) { ir.emit(Opcode::Bt, Type::U1, u64_state(ir), ir.load_state(Type::U32, 0)); }),
        "operands must have the same type");
    has(check_message([](Builder& ir) { ir.emit(Opcode::Bswap, Type::U16, ir.load_state(Type::U16, 0)); }),
        "bswap is defined for 32 and 64 bits");
}

TEST_CASE("verifier: rejects wrong argument counts", "[ir][verify]")
{
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::Not, Type::U64, u64_state(ir), u64_state(ir)); })
              .find("too many arguments") != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::Sub, Type::U64, u64_state(ir)); }).find("missing argument")
        != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::Rcl, Type::U64, u64_state(ir), Builder::imm8(1)); })
              .find("missing argument") != std::string::npos); // RCL always needs the carry
}

TEST_CASE("verifier: rejects references that are not values defined earlier", "[ir][verify]")
{
    // Use before definition: %0 reads %1.
    CHECK(check_message([](Builder& ir) {
        ir.emit(Opcode::Not, Type::U64, Value::of_inst(Type::U64, 1));
        u64_state(ir);
    }).find("argument is not defined before its use") != std::string::npos);
    // Self reference.
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::Not, Type::U64, Value::of_inst(Type::U64, 0)); })
              .find("not defined before its use") != std::string::npos);
    // A reference whose type disagrees with the definition.
    CHECK(check_message([](Builder& ir) {
        u64_state(ir);
        ir.emit(Opcode::Not, Type::U32, Value::of_inst(Type::U32, 0));
    }).find("argument type disagrees with its definition") != std::string::npos);
    // A reference to an instruction without a value (a store).
    CHECK(check_message([](Builder& ir) {
        ir.store_state(0, Builder::imm64(1));
        ir.emit(Opcode::Not, Type::U64, Value::of_inst(Type::U64, 0));
    }).find("argument refers to an instruction without a value") != std::string::npos);
    // The guest instruction index must name one of the block's instructions.
    Block b;
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 1);
    u64_state(ir);
    ir.exit(ExitReason::Dispatch);
    b.insts[0].guest_insn = 3;
    REQUIRE(check(b).is_error());
    CHECK(std::string(check(b).error().message()).find("guest instruction index out of range") != std::string::npos);
}

TEST_CASE("verifier: Deleted is void without arguments; Identity forwards one earlier value of its type", "[ir][verify]")
{
    // %0 = LoadState.u64, %1 = Not %0, %2 = Not %1 (a user of %1), StoreState %2; exit.
    auto make = [](Block& b) {
        Builder ir(b);
        ir.begin_guest_insn(0x1000, 1);
        Value a = u64_state(ir);
        Value n = ir.not_(a);
        ir.store_state(8, ir.not_(n));
        ir.exit(ExitReason::Dispatch);
    };
    auto message = [](const Block& b) {
        auto r = check(b);
        return r.is_error() ? std::string(r.error().message()) : std::string();
    };
    const Value v0 = Value::of_inst(Type::U64, 0);
    const Value v1 = Value::of_inst(Type::U64, 1);

    {
        Block b;
        make(b);
        b.kill(1);
        CHECK(message(b) == "IR %2 (Not): argument refers to an instruction without a value");
        b.kill(2);
        b.kill(3);
        CHECK(message(b) == "");
        b.insts[1].args[0] = v0;
        CHECK(message(b) == "IR %1 (Deleted): too many arguments");
        b.insts[1].args[0] = Value();
        b.insts[1].type = Type::U64;
        CHECK(message(b) == "IR %1 (Deleted): result must be void");
    }
    {
        Block b;
        make(b);
        b.replace_with(1, v0);
        CHECK(message(b) == "");
        b.insts[1].args[0] = Value();
        CHECK(message(b) == "IR %1 (Identity): must forward exactly one value");
        b.insts[1].args[0] = Value::of_inst(Type::U64, 2); // a later instruction (and a cycle)
        CHECK(message(b) == "IR %1 (Identity): argument is not defined before its use");
        b.insts[1].args[0] = Builder::imm32(7);
        CHECK(message(b) == "IR %1 (Identity): forwarded value has another type");
        b.insts[1].args[0] = Builder::imm64(7);
        b.insts[1].args[1] = v0;
        CHECK(message(b) == "IR %1 (Identity): must forward exactly one value");
    }
    {
        // Forwarding something deleted: the users would read nothing.
        Block b;
        make(b);
        b.replace_with(2, v1);
        b.kill(1);
        CHECK(message(b) == "IR %2 (Identity): forwards an instruction without a value of that type");
    }
    {
        // Flags forward like integers.
        Block b;
        Builder ir(b);
        ir.begin_guest_insn(0x1000, 1);
        Value s = ir.add(u64_state(ir), Builder::imm64(1));
        Value f = ir.flags_of(s);
        ir.store_flags(f, flag::All);
        ir.exit(ExitReason::Dispatch);
        b.replace_with(f.index(), Value::imm(Type::Flags, flag::ZF));
        CHECK(message(b) == "");
    }
}

TEST_CASE("verifier: pseudo-ops must directly follow a producer that has them", "[ir][verify]")
{
    CHECK(check_message([](Builder& ir) {
        Value a = u64_state(ir);
        Value s = ir.add(a, a);
        ir.not_(a);
        ir.flags_of(s);
    }).find("pseudo-op does not directly follow its producer") != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.flags_of(ir.not_(u64_state(ir))); }).find("producer cannot have this pseudo-op")
        != std::string::npos);
    CHECK(check_message([](Builder& ir) {
        Value a = u64_state(ir);
        ir.second_of(ir.add(a, a));
    }).find("producer cannot have this pseudo-op") != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::FlagsOf, Type::Flags, Builder::imm64(1)); })
              .find("pseudo-op argument must be an instruction") != std::string::npos);
    CHECK(check_message([](Builder& ir) {
        Value c = ir.load_state(Type::U1, 0);
        ir.flags_of(ir.and_(c, c));
    }).find("u1 arithmetic has no x86 flags") != std::string::npos);
    // Two FlagsOf of different producers: the second does not follow its own producer.
    CHECK(check_message([](Builder& ir) {
        Value a = u64_state(ir);
        Value s = ir.add(a, a);
        Value t = ir.sub(a, a);
        ir.flags_of(t);
        ir.flags_of(s);
    }).find("does not directly follow") != std::string::npos);
}

TEST_CASE("verifier: extensions widen, truncations narrow", "[ir][verify]")
{
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::ZeroExtend, Type::U32, u64_state(ir)); }).find("extension must widen")
        != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::SignExtend, Type::U32, ir.load_state(Type::U32, 0)); })
              .find("extension must widen") != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::Truncate, Type::U64, ir.load_state(Type::U32, 0)); })
              .find("truncation must narrow") != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::Truncate, Type::U8, ir.load_state(Type::U8, 0)); })
              .find("truncation must narrow") != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.sext(Type::U64, ir.load_state(Type::U1, 0)); }) == "");
}

TEST_CASE("verifier: immediates with a meaning are range-checked", "[ir][verify]")
{
    CHECK(check_message([](Builder& ir) { ir.store_flags(ir.load_flags(), flag::Fixed1); })
              .find("flag mask has bits that are not status flags") != std::string::npos);
    CHECK(check_message([](Builder& ir) { ir.emit(Opcode::TestCond, Type::U1, Builder::imm8(16), ir.load_flags()); })
              .find("condition code out of range") != std::string::npos);
}

TEST_CASE("verifier: terminals", "[ir][verify]")
{
    Block b;
    Builder ir(b);
    Value a = u64_state(ir);
    auto message = [&]() {
        auto r = check(b);
        return r.is_error() ? std::string(r.error().message()) : std::string();
    };
    CHECK(message() == "IR block has no terminal");
    ir.branch(a, 1, 2);
    CHECK(message() == "IR terminal: branch condition must be u1");
    ir.jump_indirect(Builder::imm32(5));
    CHECK(message() == "IR terminal: indirect target must be u64");
    ir.jump(0x10);
    b.terminal.value = a;
    CHECK(message() == "IR terminal: unexpected value");
    ir.jump_indirect(a);
    CHECK(message() == "");
}

// The terminal's value is checked like an instruction argument (verify.cpp, after the
// instruction loop): an index inside the block, checked before it is resolved, naming an
// instruction with a value of the Value's own type.
TEST_CASE("verifier: a terminal's value must be a defined value of the right type", "[ir][verify]")
{
    Block b;
    Builder ir(b);
    ir.store_state(0, Builder::imm64(1));          // %0: no value
    Value wide = ir.load_state(Type::U64, 8);       // %1: u64
    auto message = [&] {
        auto r = check(b);
        return r.is_error() ? std::string(r.error().message()) : std::string();
    };
    ir.branch(Value::of_inst(Type::U1, 0), 1, 2);
    CHECK(message() == "IR terminal: value refers to an instruction without a value");
    ir.branch(Value::of_inst(Type::U1, wide.index()), 1, 2);
    CHECK(message() == "IR terminal: value type disagrees with its definition");
    ir.branch(Value::of_inst(Type::U1, 7), 1, 2);
    CHECK(message() == "IR terminal: value out of range");
}

TEST_CASE("verifier: a block has at most max_side_exits side exits", "[ir][verify]")
{
    auto side_exits = [](u32 n) {
        return [n](Builder& ir) {
            for (u32 i = 0; i < n; ++i)
                ir.exit_if(ir.emit(Opcode::Equal, Type::U1, u64_state(ir), Builder::imm64(i)), 0x2000 + i);
        };
    };
    CHECK(check_message(side_exits(max_side_exits)) == "");
    CHECK(check_message(side_exits(max_side_exits + 1)) == "IR block: 4 side exits, at most 3");
}
