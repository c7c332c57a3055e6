// The IR passes, continued: constant folding, dead-code elimination, and the whole
// pipeline with the verifier after every pass. Part of ctest unit.passes.
#include <catch2/catch.hpp>
#include "dbt/ir/builder.h"
#include "dbt/ir/passes/passes.h"
#include "dbt/ir/printer.h"

using namespace keel;
using namespace keel::ir;

namespace {

const Helper test_helper { "test_helper", [](CpuContext*, u64, u64, u64) { return helper_continue(0); } };

// Runs one pass and the verifier after it.
void run(void (*pass)(Block&), Block& b)
{
    pass(b);
    auto r = check(b);
    if (r.is_error()) {
        StringBuilder dump;
        print_block(dump, b);
        FAIL(r.error().message() << "\n" << dump.c_str());
    }
}

bool is_killed(const Block& b, u32 index) { return b.insts[index].is_deleted(); }

} // namespace

TEST_CASE("fold_constants: arithmetic with x86 semantics", "[passes]")
{
    struct Case {
        Opcode op;
        Type type;
        u64 a, b, expected;
    };
    // Shift counts are masked to 5 bits (6 for 64-bit operands) before shifting, and
    // 8/16-bit rotates then rotate modulo the width (Intel SDM vol. 2, SAL/SAR/SHL/SHR
    // and RCL/RCR/ROL/ROR).
    const Case cases[] = {
        { Opcode::Add, Type::U8, 0xFF, 0x02, 0x01 },
        { Opcode::Sub, Type::U16, 0x0000, 0x0001, 0xFFFF },
        { Opcode::Mul, Type::U32, 0x10000, 0x10001, 0x10000 },
        { Opcode::Xor, Type::U64, 0xF0F0, 0xFF00, 0x0FF0 },
        { Opcode::Shl, Type::U32, 1, 33, 2 },
        { Opcode::Shl, Type::U64, 1, 65, 2 },
        { Opcode::Shl, Type::U64, 1, 63, 1ull << 63 },
        { Opcode::Shl, Type::U8, 1, 9, 0 },        // count 9 is not masked to 3 bits
        { Opcode::Shr, Type::U16, 0x8000, 17, 0 },
        { Opcode::Shr, Type::U32, 0x80000000, 0x3F, 1 }, // 63 & 31 = 31
        { Opcode::Sar, Type::U8, 0x80, 31, 0xFF },
        { Opcode::Sar, Type::U64, 1ull << 63, 64, 1ull << 63 }, // 64 & 63 = 0
        { Opcode::Rol, Type::U8, 0x81, 9, 0x03 },
        { Opcode::Ror, Type::U16, 0x0001, 17, 0x8000 },
        { Opcode::Rol, Type::U32, 0x80000001, 32, 0x80000001 },
    };
    for (const Case& c : cases) {
        INFO(name(c.op) << "." << type_name(c.type) << " 0x" << std::hex << c.a << ", 0x" << c.b);
        Block b;
        Builder ir(b);
        Type count_type = (c.op == Opcode::Shl || c.op == Opcode::Shr || c.op == Opcode::Sar || c.op == Opcode::Rol
                              || c.op == Opcode::Ror) ? Type::U8 : c.type;
        Value r = ir.emit(c.op, c.type, Builder::imm(c.type, c.a), Builder::imm(count_type, c.b));
        ir.store_state(0, r);
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        CHECK(b.resolve(r) == Value::imm(c.type, c.expected));
    }
}

TEST_CASE("fold_constants: identities, chains, branches and flags", "[passes]")
{
    Block b;
    Builder ir(b);
    Value x = ir.load_state(Type::U64, 0);

    SECTION("algebraic identities hold for any operand")
    {
        Value c = ir.equal(x, Builder::imm64(3));
        Value r[] = {
            ir.add(x, Builder::imm64(0)), ir.add(Builder::imm64(0), x), ir.or_(x, Builder::imm64(0)),
            ir.xor_(x, Builder::imm64(0)), ir.sub(x, Builder::imm64(0)), ir.and_(x, Builder::imm64(~0ull)),
            ir.shift(Opcode::Shl, x, Builder::imm8(0)), ir.select(c, x, x),
        };
        Value narrow = ir.load_state(Type::U32, 8);
        Value round_trip = ir.trunc(Type::U32, ir.sext(Type::U64, narrow));
        Value zero = ir.and_(x, Builder::imm64(0));
        for (Value v : r)
            ir.store_state(16, v);
        ir.store_state(24, round_trip);
        ir.store_state(32, zero);
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        for (Value v : r)
            CHECK(b.resolve(v) == x);
        CHECK(b.resolve(round_trip) == narrow);
        CHECK(b.resolve(zero) == Value::imm(Type::U64, 0));
    }
    SECTION("known zero bits: an AND of a zero extension, and truncations through extension chains")
    {
        // xz's `movzx eax, word [rdi]; mov edx, eax; shr dx, 5`: the 16-bit write merges into
        // bits the zero extension left clear.
        Value word = ir.load_state(Type::U16, 8);
        Value wide = ir.zext(Type::U64, ir.zext(Type::U32, word));
        Value cleared = ir.and_(wide, Builder::imm64(0xFFFFFFFFFFFF0000ull)); // keeps none of its bits: 0
        Value kept = ir.and_(wide, Builder::imm64(0x1FFFF));                // keeps all of them: itself
        Value partial = ir.and_(wide, Builder::imm64(0xFF));                // keeps some: stays
        Value merged = ir.or_(cleared, ir.zext(Type::U64, ir.shift(Opcode::Shr, ir.trunc(Type::U16, wide), Builder::imm8(5))));
        Value low = ir.trunc(Type::U16, wide);                              // trunc16(zext64(zext32(x16))): x
        Value through_sign = ir.trunc(Type::U16, ir.sext(Type::U64, ir.load_state(Type::U32, 16))); // source wider: stays
        Value signed_bits = ir.and_(ir.sext(Type::U64, word), Builder::imm64(0xFFFF0000)); // a sign extension's upper bits may be 1
        for (Value v : { cleared, kept, partial, merged, low, through_sign, signed_bits })
            ir.store_state(24, v);
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        CHECK(b.resolve(cleared) == Value::imm(Type::U64, 0));
        CHECK(b.resolve(kept) == wide);
        CHECK(b.insts[partial.index()].op == Opcode::And);
        CHECK(b.resolve(low) == word);
        Value m = b.resolve(merged);
        REQUIRE(m.is_inst());
        CHECK(b.at(m).op == Opcode::ZeroExtend); // or(0, zext(...)): the zero extension alone
        Value shifted = b.resolve(b.at(m).args[0]);
        REQUIRE(shifted.is_inst());
        CHECK(b.resolve(b.at(shifted).args[0]) == word);
        CHECK(b.insts[through_sign.index()].op == Opcode::Truncate);
        CHECK(b.insts[signed_bits.index()].op == Opcode::And);
    }
    SECTION("a truncated ADD/SUB/AND/OR/XOR of extended values becomes the narrow operation in place")
    {
        // x86 `lea edi, [rbx - 1]` with EBX zero-extended: trunc32(add64(zext64(ebx), -1)).
        Value ebx = ir.load_state(Type::U32, 8);
        Value ecx = ir.load_state(Type::U32, 16);
        Value lea = ir.trunc(Type::U32, ir.add(ir.zext(Type::U64, ebx), Builder::imm64(~0ull)));
        Value diff = ir.trunc(Type::U32, ir.sub(ir.zext(Type::U64, ebx), ir.sext(Type::U64, ecx)));
        Value wide_flags = ir.add(ir.zext(Type::U64, ebx), Builder::imm64(5));
        ir.store_flags(ir.flags_of(wide_flags), flag::All);
        Value kept_for_flags = ir.trunc(Type::U32, wide_flags);                       // its flags are the 64-bit ADD's
        Value not_extended = ir.trunc(Type::U32, ir.add(x, Builder::imm64(1)));         // x is 64 bits: stays
        Value not_wrapping = ir.trunc(Type::U32, ir.shift(Opcode::Shr, ir.zext(Type::U64, ebx), Builder::imm8(1))); // SHR: stays
        for (Value v : { lea, diff, kept_for_flags, not_extended, not_wrapping })
            ir.store_state(24, ir.zext(Type::U64, v));
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        const Inst& l = b.at(lea);
        CHECK(l.op == Opcode::Add);
        CHECK(l.type == Type::U32);
        CHECK(b.resolve(l.args[0]) == ebx);
        CHECK(l.args[1] == Value::imm(Type::U32, 0xFFFFFFFF));
        const Inst& d = b.at(diff);
        CHECK(d.op == Opcode::Sub);
        CHECK(b.resolve(d.args[0]) == ebx);
        CHECK(b.resolve(d.args[1]) == ecx);
        CHECK(b.at(kept_for_flags).op == Opcode::Truncate);
        CHECK(b.at(not_extended).op == Opcode::Truncate);
        CHECK(b.at(not_wrapping).op == Opcode::Truncate);
    }
    SECTION("folding sees through values it already folded")
    {
        Value five = ir.add(Builder::imm32(2), Builder::imm32(3));
        Value twenty = ir.mul(five, Builder::imm32(4));
        Value wide = ir.sext(Type::U64, ir.neg(twenty));
        ir.store_state(8, wide);
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        CHECK(b.resolve(wide) == Value::imm(Type::U64, static_cast<u64>(-20)));
    }
    SECTION("a branch on a constant becomes a jump to the right target")
    {
        bool taken = GENERATE(false, true);
        Value c = ir.equal(Builder::imm8(7), Builder::imm8(taken ? 7 : 8));
        ir.branch(c, 0x2000, 0x3000);
        run(fold_constants, b);
        CHECK(b.terminal.kind == TerminalKind::Jump);
        CHECK(b.terminal.target == (taken ? 0x2000u : 0x3000u));
        CHECK(b.terminal.value.is_none());
    }
    SECTION("an operation whose FlagsOf is used is not folded")
    {
        Value s = ir.add(Builder::imm64(2), Builder::imm64(3));
        ir.store_flags(ir.flags_of(s), flag::All);
        ir.store_state(8, s);
        Value t = ir.sub(x, Builder::imm64(0)); // identity, but its flags are wanted
        ir.store_flags(ir.flags_of(t), flag::All);
        ir.store_state(16, t);
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        CHECK(b.insts[s.index()].op == Opcode::Add);
        CHECK(b.insts[t.index()].op == Opcode::Sub);
    }
    SECTION("side effects and unknown operations are not folded")
    {
        Value l = ir.load(Type::U64, Builder::imm64(0x1000));
        Value q = ir.emit(Opcode::UDiv, Type::U64, Builder::imm64(0), Builder::imm64(10), Builder::imm64(0)); // #DE at run time
        Value p = ir.emit(Opcode::Popcnt, Type::U64, Builder::imm64(0xFF)); // evaluate() does not know it
        ir.store_state(8, ir.add(ir.add(l, q), p));
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        CHECK(b.insts[l.index()].op == Opcode::Load);
        CHECK(b.insts[q.index()].op == Opcode::UDiv);
        CHECK(b.insts[p.index()].op == Opcode::Popcnt);
    }
}

TEST_CASE("fold_constants: XOR x,x and SUB x,x are 0 with the flags x86 gives them", "[passes]")
{
    // Intel SDM vol. 2 XOR/SUB: a zero result sets ZF and PF and clears CF, OF, SF (and
    // SUB's AF; XOR leaves AF undefined, 0 on the CPUs keel runs on).
    // Also when the operand was read twice, as XOR r32, r32 reads its register: two
    // Truncates of the same 64-bit value.
    for (Opcode op : { Opcode::Xor, Opcode::Sub }) {
        for (bool read_twice : { false, true }) {
            INFO(name(op) << (read_twice ? " of two Truncates of one value" : ""));
            Block b;
            Builder ir(b);
            Value x = ir.load_state(read_twice ? Type::U64 : Type::U32, 0);
            Value left = read_twice ? ir.trunc(Type::U32, x) : x;
            Value right = read_twice ? ir.trunc(Type::U32, x) : x;
            Value r = ir.emit(op, Type::U32, left, right);
            Value f = ir.flags_of(r);
            ir.store_flags(f, flag::All);
            ir.store_state(8, ir.zext(Type::U64, r));
            ir.exit(ExitReason::Dispatch);
            run(fold_constants, b);
            CHECK(b.resolve(r) == Value::imm(Type::U32, 0));
            Value folded = b.resolve(f);
            REQUIRE(folded.is_imm());
            CHECK((folded.imm_value() & flag::All) == (flag::ZF | flag::PF));
        }
    }
    // Different operands, read directly or through Truncates, are not an idiom.
    for (bool truncated : { false, true }) {
        Block b;
        Builder ir(b);
        Type t = truncated ? Type::U64 : Type::U32;
        Value x = ir.trunc(Type::U32, ir.load_state(t, 0));
        Value y = ir.trunc(Type::U32, ir.load_state(t, 16));
        Value r = ir.xor_(x, y);
        ir.store_flags(ir.flags_of(r), flag::All);
        ir.exit(ExitReason::Dispatch);
        run(fold_constants, b);
        CHECK(b.insts[r.index()].op == Opcode::Xor);
    }
}

TEST_CASE("eliminate_dead_code", "[passes]")
{
    Block b;
    Builder ir(b);
    Value x = ir.load_state(Type::U64, 0);            // %0 used
    Value unused = ir.load_state(Type::U64, 8);       // %1 chain start
    Value n = ir.not_(ir.add(unused, x));             // %2 %3
    ir.flags_of(ir.sub(x, x));                        // %4 %5: flags nobody reads
    ir.load(Type::U64, x);                            // %6 may fault: kept
    ir.emit(Opcode::UDiv, Type::U64, x, x, x);        // %7 may raise #DE: kept
    ir.call(test_helper, x);                          // %8 kept
    ir.store(x, x);                                   // %9
    ir.store_state(16, x);                            // %10
    Value used_by_terminal = ir.equal(x, Builder::imm64(0)); // %11
    ir.branch(used_by_terminal, 1, 2);
    (void)n;
    run(eliminate_dead_code, b);
    for (u32 i : { 1u, 2u, 3u, 4u, 5u }) {
        INFO("instruction %" << i);
        CHECK(is_killed(b, i));
    }
    for (u32 i : { 0u, 6u, 7u, 8u, 9u, 10u, 11u }) {
        INFO("instruction %" << i);
        CHECK_FALSE(is_killed(b, i));
    }
}

TEST_CASE("passes: deletion leaves Deleted, forwarding leaves Identity of a value", "[passes]")
{
    // Each pass that removes something: a dead state store, a dead flags store, dead
    // code. None may leave an Identity without a value (the old deletion marker).
    Block b;
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 4);
    Value x = ir.load_state(Type::U64, 0);      // %0
    Value s = ir.add(x, Builder::imm64(1));     // %1
    ir.store_flags(ir.flags_of(s), flag::All);  // %2 %3: overwritten by %7
    ir.store_state(0, s);                       // %4: overwritten by %8
    Value t = ir.add(s, Builder::imm64(2));     // %5
    ir.store_flags(ir.flags_of(t), flag::All);  // %6 %7
    ir.store_state(0, t);                       // %8
    ir.not_(t);                                 // %9: unused
    Value reload = ir.load_state(Type::U64, 0); // %10: known to be %5
    ir.store_state(8, reload);                  // %11
    ir.jump(0x1004);
    REQUIRE(b.insts.size() == 12);

    auto no_empty_identity = [&] {
        for (u32 i = 0; i < b.insts.size(); ++i) {
            INFO("instruction %" << i);
            if (b.insts[i].op == Opcode::Identity)
                CHECK_FALSE(b.insts[i].args[0].is_none());
        }
    };
    run(eliminate_redundant_state_access, b);
    CHECK(b.insts[4].op == Opcode::Deleted);
    CHECK(b.insts[10].op == Opcode::Identity);
    CHECK(b.insts[10].args[0] == t);
    no_empty_identity();
    run(eliminate_dead_flags, b);
    CHECK(b.insts[3].op == Opcode::Deleted);
    no_empty_identity();
    run(eliminate_dead_code, b);
    for (u32 i : { 2u, 3u, 4u, 9u }) {
        INFO("instruction %" << i);
        CHECK(b.insts[i].op == Opcode::Deleted);
        CHECK(b.insts[i].type == Type::Void);
    }
    CHECK(b.insts[10].op == Opcode::Identity); // DCE keeps a forwarder of a live value
    no_empty_identity();

    // The verifier checks a deleted instruction as the opcode it now is.
    StringBuilder line;
    print_inst(line, b, 9);
    CHECK(std::string(line.c_str()) == "          Deleted\n");
    b.insts[9].args[0] = x;
    REQUIRE(check(b).is_error());
    CHECK(std::string(check(b).error().message()) == "IR %9 (Deleted): too many arguments");
    b.insts[9].args[0] = Value();

    // Once arguments are resolved, the forwarder has no users and is deleted too.
    b.resolve_all_args();
    CHECK(b.insts[10].op == Opcode::Deleted);
    CHECK(b.insts[11].args[1] == t);
    CHECK_FALSE(check(b).is_error());
}

TEST_CASE("optimize: the pipeline on a typical lowered block, verified after every pass", "[passes]")
{
    // What the frontend makes of `add rax, 1; add rax, 2; mov [rax], rbx; sub rcx, rax`:
    // every instruction reloads its operands and stores its result and flags.
    Block b;
    b.pc = 0x1000;
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 4);
    Value r0 = ir.add(ir.load_state(Type::U64, 0), Builder::imm64(1));
    ir.store_flags(ir.flags_of(r0), flag::All);
    ir.store_state(0, r0);
    ir.begin_guest_insn(0x1004, 4);
    Value r1 = ir.add(ir.load_state(Type::U64, 0), Builder::imm64(2));
    ir.store_flags(ir.flags_of(r1), flag::All);
    ir.store_state(0, r1);
    ir.begin_guest_insn(0x1008, 3);
    ir.store(ir.load_state(Type::U64, 0), ir.load_state(Type::U64, 24));
    u32 memory_store = b.insts.size() - 1;
    ir.begin_guest_insn(0x100b, 3);
    Value r2 = ir.sub(ir.load_state(Type::U64, 8), ir.load_state(Type::U64, 0));
    ir.store_flags(ir.flags_of(r2), flag::All);
    ir.store_state(8, r2);
    ir.jump(0x100e);

    optimize(b, PassOptions { true, true }); // verify_each: panics on a broken pass
    REQUIRE_FALSE(check(b).is_error());
    unsigned loads = 0, stores = 0, flag_stores = 0;
    for (const Inst& inst : b.insts) {
        loads += inst.op == Opcode::LoadState;
        stores += inst.op == Opcode::StoreState;
        flag_stores += inst.op == Opcode::StoreFlags;
    }
    CHECK(loads == 3);       // rax, rbx, rcx once each
    CHECK(stores == 2);      // rax once, rcx
    // The first add's flags die (overwritten by the second). The second's matter only if
    // the memory store faults: kept, or a flags FaultStore of that store.
    unsigned flags_at_store = 0;
    for (const FaultStore& f : b.fault_stores)
        flags_at_store += f.fault_inst == memory_store && f.flags;
    CHECK(flag_stores + flags_at_store == 2);
    CHECK(flags_at_store <= 1);
    // Everything the passes left is an argument of canonical (resolved) values, and no
    // forwarder is left for the backend (resolve_all_args deletes them).
    for (const Inst& inst : b.insts) {
        CHECK(inst.op != Opcode::Identity);
        for (const Value& v : inst.args) {
            if (v.is_inst())
                CHECK_FALSE(b.insts[v.index()].is_removed());
        }
    }
}

TEST_CASE("eliminate_common_subexpressions: one value per pure computation, one test per condition", "[passes]")
{
    Block b;
    Builder ir(b);
    Value x = ir.load_state(Type::U64, 0);
    Value y = ir.load_state(Type::U64, 8);
    Value first = ir.add(x, y);
    Value again = ir.add(x, y);                       // the same value
    Value swapped = ir.add(y, x);                     // not recognised as the same (no commutation): stays
    Value with_flags = ir.add(x, y);                  // its FlagsOf needs it to stay itself
    ir.store_flags(ir.flags_of(with_flags), flag::All);
    Value load1 = ir.load(Type::U64, first);          // memory reads are never merged
    Value load2 = ir.load(Type::U64, again);
    Value misaligned = ir.xor_(ir.equal(ir.and_(first, Builder::imm64(15)), Builder::imm64(0)), Builder::bool_imm(true));
    ir.trap_if(misaligned, 13, true, 0);
    Value misaligned_again = ir.xor_(ir.equal(ir.and_(again, Builder::imm64(15)), Builder::imm64(0)), Builder::bool_imm(true));
    ir.trap_if(misaligned_again, 13, true, 0);        // cannot fire once the first has not
    u32 second_trap = static_cast<u32>(b.insts.size() - 1);
    for (Value v : { first, again, swapped, with_flags, load1, load2 })
        ir.store_state(16, v);
    ir.exit(ExitReason::Dispatch);
    run(eliminate_common_subexpressions, b);
    CHECK(b.resolve(again) == first);
    CHECK(b.resolve(swapped) == swapped);
    CHECK(b.resolve(with_flags) == with_flags);
    CHECK(b.at(load2).op == Opcode::Load);
    CHECK(b.resolve(misaligned_again) == misaligned);
    CHECK(b.insts[second_trap].is_deleted());
    unsigned traps = 0;
    for (const Inst& inst : b.insts)
        traps += inst.op == Opcode::TrapIf;
    CHECK(traps == 1);
}
