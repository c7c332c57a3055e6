// The IR: types, immediates, the builder, the block helpers, the printer's exact text,
// the opcode table's metadata and the flag/condition helpers. The verifier's tests are
// in ir_verify_test.cpp (same executable, ctest unit.ir).
#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <string>
#include "dbt/ir/builder.h"
#include "dbt/ir/passes/passes.h"
#include "dbt/ir/printer.h"

using namespace keel;
using namespace keel::ir;

namespace {

std::string print(const Block& b, StateNamer namer = nullptr)
{
    StringBuilder out;
    print_block(out, b, namer);
    return out.c_str();
}

} // namespace

TEST_CASE("types: widths, masks and names", "[ir]")
{
    CHECK(bit_width(Type::U1) == 1);
    CHECK(bit_width(Type::U8) == 8);
    CHECK(bit_width(Type::U64) == 64);
    CHECK(bit_width(Type::Flags) == 16);
    CHECK(bit_width(Type::Void) == 0);
    CHECK(byte_width(Type::U1) == 1); // a boolean still occupies a byte of state
    CHECK(byte_width(Type::U16) == 2);
    CHECK(byte_width(Type::U64) == 8);
    CHECK(type_mask(Type::U1) == 1);
    CHECK(type_mask(Type::U32) == 0xFFFFFFFFull);
    CHECK(type_mask(Type::U64) == ~0ull);
    CHECK(int_type_of_bytes(1) == Type::U8);
    CHECK(int_type_of_bytes(2) == Type::U16);
    CHECK(int_type_of_bytes(4) == Type::U32);
    CHECK(int_type_of_bytes(8) == Type::U64);
    CHECK(is_integer(Type::U1));
    CHECK_FALSE(is_integer(Type::Flags));
    CHECK_FALSE(is_integer(Type::Void));
    CHECK(std::string(type_name(Type::U16)) == "u16");
    CHECK(std::string(type_name(Type::Flags)) == "flags");
}

TEST_CASE("Value: immediates are masked to their type and sign-extend on request", "[ir]")
{
    CHECK(Value::imm(Type::U8, 0x1FF).imm_value() == 0xFF);
    CHECK(Value::imm(Type::U16, 0x12345).imm_value() == 0x2345);
    CHECK(Value::imm(Type::U32, ~0ull).imm_value() == 0xFFFFFFFFull);
    CHECK(Value::imm(Type::U1, 2).imm_value() == 0);
    CHECK(Value::imm(Type::U1, 3).imm_value() == 1);
    CHECK(Value::imm(Type::U8, 0x80).imm_signed() == -128);
    CHECK(Value::imm(Type::U8, 0x7F).imm_signed() == 127);
    CHECK(Value::imm(Type::U16, 0xFFFF).imm_signed() == -1);
    CHECK(Value::imm(Type::U32, 0x80000000).imm_signed() == -2147483648ll);
    CHECK(Value::imm(Type::U64, ~0ull).imm_signed() == -1);
    CHECK(Value::imm(Type::U1, 1).imm_signed() == -1); // one-bit sign extension

    Value none;
    CHECK(none.is_none());
    Value i = Value::of_inst(Type::U32, 7);
    CHECK(i.is_inst());
    CHECK(i.index() == 7);
    CHECK(i.type() == Type::U32);
    CHECK(i == Value::of_inst(Type::U32, 7));
    CHECK_FALSE(i == Value::of_inst(Type::U64, 7));
    CHECK_FALSE(Value::imm(Type::U8, 1) == Value::imm(Type::U16, 1)); // the type is part of the value
}

TEST_CASE("Builder: result types, void results, guest instruction attribution", "[ir]")
{
    Block b;
    b.pc = 0x1000;
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 2);
    Value x = ir.load_state(Type::U32, 8);
    Value s = ir.add(x, Builder::imm32(1));
    ir.begin_guest_insn(0x1002, 5);
    Value c = ir.equal(s, x);
    Value wide = ir.zext(Type::U64, s);
    ir.store_state(0, wide);

    CHECK(x == Value::of_inst(Type::U32, 0));
    CHECK(s.type() == Type::U32);
    CHECK(c.type() == Type::U1);
    CHECK(wide.type() == Type::U64);
    REQUIRE(b.insts.size() == 5);
    CHECK(b.insts[4].op == Opcode::StoreState);
    CHECK(b.insts[4].type == Type::Void);
    CHECK(b.insts[0].guest_insn == 0);
    CHECK(b.insts[1].guest_insn == 0);
    CHECK(b.insts[2].guest_insn == 1);
    CHECK(b.insts[4].guest_insn == 1);
    // Extending or truncating to the value's own type emits nothing.
    CHECK(ir.zext(Type::U32, s) == s);
    CHECK(ir.trunc(Type::U32, s) == s);
    CHECK(b.insts.size() == 5);

    CHECK_FALSE(ir.has_terminal());
    ir.exit_to(ExitReason::Halt, 0x1007);
    CHECK(ir.has_terminal());
    CHECK(b.terminal.kind == TerminalKind::Exit);
    CHECK(b.terminal.has_target);
    CHECK(b.terminal.target == 0x1007);
    CHECK(b.guest_size() == 7);
}

TEST_CASE("Block: forwarding, killing and use counts", "[ir]")
{
    Block b;
    Builder ir(b);
    Value a = ir.load_state(Type::U64, 0);
    Value n = ir.not_(a);
    Value m = ir.not_(n);
    ir.store_state(8, m);
    ir.jump_indirect(m);

    b.count_uses();
    CHECK(b.insts[0].use_count == 1);
    CHECK(b.insts[2].use_count == 2); // the store and the terminal

    // not(not(a)) forwards to a: users of %2 now count against %0.
    b.replace_with(2, a);
    CHECK(b.resolve(m) == a);
    b.count_uses();
    CHECK(b.insts[0].use_count == 3); // %1, the store, the terminal
    CHECK(b.insts[1].use_count == 0);
    b.kill(1);
    CHECK(b.insts[1].is_deleted());
    b.resolve_all_args();
    CHECK(b.insts[3].args[1] == a);
    CHECK(b.terminal.value == a);
    CHECK(check(b).is_error() == false);
}

TEST_CASE("Block: kill makes Deleted, replace_with makes Identity; print_inst names each", "[ir]")
{
    Block b;
    Builder ir(b);
    Value a = ir.load_state(Type::U64, 0);
    Value n = ir.not_(a);
    Value m = ir.not_(n);
    ir.store_state(8, m);
    ir.exit(ExitReason::Dispatch);

    b.replace_with(2, a);
    b.kill(1);
    const Inst& deleted = b.insts[1];
    const Inst& forwarder = b.insts[2];
    CHECK(deleted.op == Opcode::Deleted);
    CHECK(deleted.type == Type::Void);
    CHECK(deleted.args[0].is_none());
    CHECK(deleted.is_deleted());
    CHECK(deleted.is_removed());
    CHECK(forwarder.op == Opcode::Identity);
    CHECK(forwarder.type == Type::U64);
    CHECK(forwarder.args[0] == a);
    CHECK_FALSE(forwarder.is_deleted());
    CHECK(forwarder.is_removed());
    CHECK_FALSE(check(b).is_error());

    auto line = [&](u32 index) {
        StringBuilder out;
        print_inst(out, b, index);
        return std::string(out.c_str());
    };
    CHECK(line(1) == "          Deleted\n");
    CHECK(line(2) == "  %2    = Identity.u64 %0\n");
    // The block dump leaves both out; the store shows the forwarded value.
    CHECK(print(b) ==
        "block 0x0 mode 0x0, 0 guest insns\n"
        "  %0    = LoadState.u64 [state+0x0]\n"
        "          StoreState.u64 [state+0x8] %0\n"
        "  exit dispatch\n");

    b.resolve_all_args();
    CHECK(b.insts[2].op == Opcode::Deleted);
    CHECK(line(2) == "          Deleted\n");
    CHECK_FALSE(check(b).is_error());
}

TEST_CASE("printer: exact text of a small block", "[ir]")
{
    Block b;
    b.pc = 0x401000;
    b.mode = 0x1c;
    Builder ir(b);
    ir.begin_guest_insn(0x401000, 4);
    Value rax = ir.load_state(Type::U64, 0);
    Value sum = ir.add(rax, Builder::imm64(5));
    Value f = ir.flags_of(sum);
    ir.store_flags(f, flag::All);
    ir.store_state(8, sum);
    ir.begin_guest_insn(0x401004, 2);
    Value z = ir.test_cond(Cond::E, f);
    ir.store(sum, Builder::imm8(0xAB), 0);
    ir.branch(z, 0x402000, 0x401006);

    CHECK(print(b) ==
        "block 0x401000 mode 0x1c, 2 guest insns\n"
        " ; 0x401000\n"
        "  %0    = LoadState.u64 [state+0x0]\n"
        "  %1    = Add.u64 %0, 0x5\n"
        "  %2    = FlagsOf %1\n"
        "          StoreFlags %2, {CPAZSO}\n"
        "          StoreState.u64 [state+0x8] %1\n"
        " ; 0x401004\n"
        "  %5    = TestCond e %2\n"
        "          Store %1, 0xab, 0x0\n"
        "  branch %5 ? 0x402000 : 0x401006\n");

    // A state namer replaces the raw offsets; a partial flag mask lists its flags.
    Block c;
    Builder ir2(c);
    Value v = ir2.load_state(Type::U32, 16);
    ir2.store_flags(ir2.load_flags(), flag::CF | flag::OF);
    ir2.store_state(16, v);
    ir2.exit(ExitReason::Dispatch);
    StateNamer namer = [](u32 offset, Type) -> const char* { return offset == 16 ? "rdx" : nullptr; };
    CHECK(print(c, namer) ==
        "block 0x0 mode 0x0, 0 guest insns\n"
        "  %0    = LoadState.u32 rdx\n"
        "  %1    = LoadFlags\n"
        "          StoreFlags %1, {CO}\n"
        "          StoreState.u32 rdx %0\n"
        "  exit dispatch\n");
}

TEST_CASE("printer: forwarded values, tombstones and the other terminals", "[ir]")
{
    Block b;
    Builder ir(b);
    Value a = ir.load_state(Type::U64, 0);
    Value n = ir.not_(a);
    ir.store_state(8, n);
    ir.jump(0x5000);
    b.replace_with(1, Builder::imm64(0x77)); // %1 now forwards an immediate
    CHECK(print(b) ==
        "block 0x0 mode 0x0, 0 guest insns\n"
        "  %0    = LoadState.u64 [state+0x0]\n"
        "          StoreState.u64 [state+0x8] 0x77\n"
        "  jump 0x5000\n");

    b.terminal = Terminal {};
    CHECK(print(b).find("  <no terminal>\n") != std::string::npos);
    Builder(b).jump_indirect(a);
    CHECK(print(b).find("  jump_indirect %0\n") != std::string::npos);
    Builder(b).exit_to(ExitReason::Halt, 0x1234);
    CHECK(print(b).find("  exit halt pc=0x1234\n") != std::string::npos);
}

TEST_CASE("opcode table: names, argument counts and attributes agree with opcodes.inc", "[ir]")
{
    // Re-expand the X-macro table here so the generated metadata is checked against
    // the source it comes from, column by column.
    struct Row {
        const char* name;
        unsigned args;
    };
    static const Row rows[] = {
#define OPCODE(name, result, a0, a1, a2, a3, attributes) \
    { #name, (std::strcmp(#a0, "None") ? 1u : 0u) + (std::strcmp(#a1, "None") ? 1u : 0u) + (std::strcmp(#a2, "None") ? 1u : 0u) + (std::strcmp(#a3, "None") ? 1u : 0u) },
#include "dbt/ir/opcodes.inc"
#undef OPCODE
    };
    REQUIRE(sizeof(rows) / sizeof(rows[0]) == opcode_count);

    std::set<std::string> names;
    for (unsigned i = 0; i < opcode_count; ++i) {
        auto op = static_cast<Opcode>(i);
        const OpcodeInfo& oi = info(op);
        INFO("opcode " << i << " (" << rows[i].name << ")");
        REQUIRE(oi.name != nullptr);
        CHECK(std::string(oi.name) == rows[i].name);
        CHECK(std::string(name(op)) == rows[i].name);
        CHECK(names.insert(oi.name).second);
        CHECK(oi.arg_count == rows[i].args);
        // Argument specs are leading: no argument after a None.
        for (unsigned k = oi.arg_count; k < 4; ++k)
            CHECK(oi.args[k] == Spec::None);
        // Writing memory always may fault; pseudo-ops produce a value of their own.
        if (has_attr(op, attr::WritesMemory) || has_attr(op, attr::ReadsMemory))
            CHECK(has_attr(op, attr::MayFault));
        if (has_attr(op, attr::Pseudo))
            CHECK(oi.result != Spec::Void);
        if (oi.result == Spec::Void && op != Opcode::Deleted)
            CHECK(has_attr(op, attr::SideEffect)); // else it would be dead code by definition
    }
    CHECK(names.size() == opcode_count);
    CHECK(info(Opcode::Store).arg_count == 3);
    CHECK(info(Opcode::CallHelper).arg_count == 4);
    CHECK(info(Opcode::Shld).args[3] == Spec::OptFlags);
    CHECK(has_attr(Opcode::FlagsOf, attr::Pseudo));
    CHECK(has_attr(Opcode::SecondOf, attr::Pseudo));
    CHECK(has_attr(Opcode::UDiv, attr::HasSecond | attr::MayFault));
    CHECK_FALSE(has_attr(Opcode::Not, attr::SetsFlags)); // x86 NOT leaves the flags alone
}

TEST_CASE("flags: packed layout converts to and from RFLAGS", "[ir]")
{
    // RFLAGS bit positions (Intel SDM vol. 1 §3.4.3): CF 0, PF 2, AF 4, ZF 6, SF 7, OF 11.
    CHECK(flag::to_rflags(flag::CF) == 0x1);
    CHECK(flag::to_rflags(flag::PF) == 0x4);
    CHECK(flag::to_rflags(flag::AF) == 0x10);
    CHECK(flag::to_rflags(flag::ZF) == 0x40);
    CHECK(flag::to_rflags(flag::SF) == 0x80);
    CHECK(flag::to_rflags(flag::OF) == 0x800);
    CHECK(flag::to_rflags(flag::Fixed1) == 0); // not a status flag
    CHECK(flag::from_rflags(0x8D5) == (flag::All | flag::Fixed1));
    CHECK(flag::from_rflags(0x2) == flag::Fixed1);
    CHECK(flag::from_rflags(0x200 | 0x400 | 0x100) == flag::Fixed1); // IF, DF, TF are not status flags
    for (u64 r = 0; r < 0x1000; ++r) {
        u64 status = r & 0x8D5;
        CHECK(flag::to_rflags(flag::from_rflags(r)) == status);
    }
}

TEST_CASE("flags: every condition code (Intel SDM vol. 1 appendix B)", "[ir]")
{
    for (u64 r = 0; r < 0x1000; ++r) {
        if (r & ~0x8D5ull)
            continue;
        bool cf = r & 1, pf = r & 4, zf = r & 0x40, sf = r & 0x80, of = r & 0x800;
        const bool expected[16] = { of, !of, cf, !cf, zf, !zf, cf || zf, !cf && !zf, sf, !sf, pf, !pf,
            sf != of, sf == of, zf || sf != of, !zf && sf == of };
        u16 packed = flag::from_rflags(r);
        for (unsigned cc = 0; cc < 16; ++cc) {
            INFO("rflags 0x" << std::hex << r << " cc " << std::dec << cc);
            CHECK(evaluate_cond(static_cast<Cond>(cc), packed) == expected[cc]);
        }
    }
    CHECK(std::string(cond_name(Cond::B)) == "b");
    CHECK(std::string(cond_name(Cond::G)) == "g");
    CHECK(std::string(cond_name(Cond::NP)) == "np");
}
