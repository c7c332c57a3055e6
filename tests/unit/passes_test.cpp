// The IR passes, one test case per pass, each with a block before and the instructions
// that must (or must not) remain after; the verifier runs after every pass. This file:
// state-access forwarding and dead stores, dead flags. Folding, DCE and the pipeline:
// passes_fold_test.cpp; a randomized whole-pipeline check: passes_random_test.cpp.
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

bool is_live(const Block& b, Value v) { return !b.insts[v.index()].is_removed(); }

// A store whose slot is overwritten later still matters if an instruction in between
// faults: the exception must see the state as it was there. The pass may keep it, or
// move it off the hot path as a FaultStore of each such instruction (block.h).
bool exact_at_fault(const Block& b, u32 store, u32 fault_inst, Value value, bool flags, u32 offset = 0)
{
    if (b.insts[store].op == (flags ? Opcode::StoreFlags : Opcode::StoreState))
        return true;
    for (const FaultStore& f : b.fault_stores) {
        if (f.fault_inst == fault_inst && f.flags == flags && b.resolve(f.value) == value && (flags || f.offset == offset))
            return true;
    }
    return false;
}
bool is_killed(const Block& b, u32 index) { return b.insts[index].is_deleted(); }
Value arg(const Block& b, u32 index, unsigned k) { return b.resolve(b.insts[index].args[k]); }

} // namespace

TEST_CASE("eliminate_redundant_state_access: load forwarding", "[passes]")
{
    Block b;
    Builder ir(b);

    SECTION("a load after a store of the same width becomes the stored value")
    {
        Value x = ir.load_state(Type::U64, 8);
        ir.store_state(0, x);
        Value y = ir.load_state(Type::U64, 0);
        Value z = ir.load_state(Type::U64, 8); // after a load of the same slot
        ir.store_state(16, ir.add(y, z));
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(b.resolve(y) == x);
        CHECK(b.resolve(z) == x);
        CHECK(arg(b, 4, 0) == x); // the add reads x twice now
        CHECK(arg(b, 4, 1) == x);
        CHECK(is_live(b, x));
    }
    SECTION("a narrower load of a known wider value becomes a truncation of it")
    {
        Value x = ir.load_state(Type::U64, 8);
        ir.store_state(0, x);
        Value lo = ir.load_state(Type::U32, 0);
        ir.store_state(24, lo);
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        const Inst& t = b.insts[lo.index()];
        CHECK(t.op == Opcode::Truncate); // rewritten in place
        CHECK(t.type == Type::U32);
        CHECK(b.resolve(t.args[0]) == x);
    }
    SECTION("a narrower load through an extension becomes the unextended value")
    {
        Value x = ir.load_state(Type::U32, 8);
        ir.store_state(0, ir.zext(Type::U64, x)); // x86: a 32-bit write zero-extends
        Value lo = ir.load_state(Type::U32, 0);
        ir.store_state(24, lo);
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(b.resolve(lo) == x);
    }
    SECTION("a narrower load of a stored immediate is a truncated immediate")
    {
        ir.store_state(0, Builder::imm64(0x1122334455667788));
        Value lo = ir.load_state(Type::U16, 0);
        ir.store_state(24, lo);
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        run(fold_constants, b);
        CHECK(b.resolve(lo) == Value::imm(Type::U16, 0x7788));
    }
    SECTION("wider or overlapping loads, and loads after a helper call, still read the state")
    {
        Value x = ir.load_state(Type::U32, 8);
        ir.store_state(0, x);
        Value wide = ir.load_state(Type::U64, 0); // only 4 of its 8 bytes are known
        ir.store_state(32, Builder::imm64(1));
        ir.store_state(33, Builder::imm8(2)); // overlaps the byte at 33
        Value over = ir.load_state(Type::U64, 32);
        ir.store_state(40, x);
        ir.call(test_helper);
        Value after = ir.load_state(Type::U32, 40);
        ir.store_state(48, ir.add(wide, over));
        ir.store_state(56, after);
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(b.insts[wide.index()].op == Opcode::LoadState);
        CHECK(b.insts[over.index()].op == Opcode::LoadState);
        CHECK(b.insts[after.index()].op == Opcode::LoadState);
    }
    SECTION("LoadFlags after a full StoreFlags is the stored value, not after a partial one")
    {
        Value a = ir.load_state(Type::U64, 0);
        Value s = ir.sub(a, a);
        Value f = ir.flags_of(s);
        ir.store_flags(f, flag::All);
        Value g = ir.load_flags();
        ir.store_flags(f, flag::CF);
        Value h = ir.load_flags();
        ir.store_state(0, ir.flags_to_int(g));
        ir.store_state(8, ir.flags_to_int(h));
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(b.resolve(g) == f);
        CHECK(b.insts[h.index()].op == Opcode::LoadFlags);
    }
}

TEST_CASE("eliminate_redundant_state_access: dead stores", "[passes]")
{
    Block b;
    Builder ir(b);
    Value x = ir.load_state(Type::U64, 8); // %0
    Value a = ir.load_state(Type::U64, 64); // %1

    SECTION("a store overwritten before anything reads it is removed; the last one stays")
    {
        ir.store_state(0, x);   // %2 dead
        ir.store_state(0, a);   // %3
        ir.store_state(16, ir.zext(Type::U64, ir.trunc(Type::U32, x))); // %6
        ir.store_state(16, ir.trunc(Type::U32, a)); // partial overwrite: %6 stays
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(is_killed(b, 2));
        CHECK(b.insts[3].op == Opcode::StoreState);
        CHECK(b.insts[6].op == Opcode::StoreState);
        CHECK(b.insts[8].op == Opcode::StoreState);
    }
    SECTION("a narrow store fully covered by a later wide one is removed")
    {
        ir.store_state(4, ir.trunc(Type::U16, x)); // %3
        ir.store_state(0, a);                      // %4
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(is_killed(b, 3));
    }
    SECTION("exact before an operation that may fault: the fault handler sees the state")
    {
        ir.store_state(0, x);           // %2
        ir.load(Type::U64, a);          // %3 may raise #PF
        ir.store_state(0, a);           // %4
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(exact_at_fault(b, 2, 3, x, false, 0));
        CHECK(b.insts[4].op == Opcode::StoreState);
    }
    SECTION("kept before a helper call")
    {
        ir.store_state(0, x); // %2
        ir.call(test_helper);
        ir.store_state(0, a);
        ir.exit(ExitReason::Dispatch);
        run(eliminate_redundant_state_access, b);
        CHECK(b.insts[2].op == Opcode::StoreState);
    }
    SECTION("kept when the slot is read before it is overwritten")
    {
        ir.store_state(0, x);                   // %2
        ir.store_state(0, a);                   // %3: then %2 is dead
        Value r = ir.load_state(Type::U32, 4);  // %4 reads bytes of %3
        ir.store_state(0, x);                   // %5
        ir.store_state(24, r);
        ir.exit(ExitReason::Dispatch);
        // Forwarding cannot turn %4 into a value (offset 4 is not a known slot), so it
        // stays a read of %3's bytes.
        run(eliminate_redundant_state_access, b);
        CHECK(is_killed(b, 2));
        CHECK(b.insts[3].op == Opcode::StoreState);
        CHECK(b.insts[4].op == Opcode::LoadState);
    }
}

TEST_CASE("eliminate_dead_flags", "[passes]")
{
    Block b;
    Builder ir(b);
    Value a = ir.load_state(Type::U64, 0); // %0
    auto flags_of_add = [&]() {
        Value s = ir.add(a, a);
        return ir.flags_of(s);
    };
    Value f1 = flags_of_add(); // %1 %2
    ir.store_flags(f1, flag::All); // %3

    SECTION("a StoreFlags whose flags are all overwritten later is removed")
    {
        ir.store_flags(flags_of_add(), flag::All); // %6
        ir.exit(ExitReason::Dispatch);
        run(eliminate_dead_flags, b);
        CHECK(is_killed(b, 3));
        CHECK(b.insts[6].op == Opcode::StoreFlags); // the block end observes it
        run(eliminate_dead_code, b); // then the captured flags have no user
        CHECK(is_killed(b, 2));
    }
    SECTION("kept when a later store leaves some of its flags live")
    {
        ir.store_flags(flags_of_add(), flag::AllButCF); // x86 INC/DEC keep CF
        ir.exit(ExitReason::Dispatch);
        run(eliminate_dead_flags, b);
        CHECK(b.insts[3].op == Opcode::StoreFlags);
    }
    SECTION("a partial store is dead when a full one follows")
    {
        Block c;
        Builder ir2(c);
        Value v = ir2.load_state(Type::U64, 0);
        Value s = ir2.add(v, v);
        ir2.store_flags(ir2.flags_of(s), flag::CF); // %3
        Value t = ir2.sub(v, v);
        ir2.store_flags(ir2.flags_of(t), flag::All);
        ir2.exit(ExitReason::Dispatch);
        run(eliminate_dead_flags, c);
        CHECK(is_killed(c, 3));
    }
    SECTION("exact at a Load or Store that may fault")
    {
        bool load = GENERATE(false, true);
        if (load)
            ir.load(Type::U8, a); // %4
        else
            ir.store(a, a);       // %4
        ir.store_flags(flags_of_add(), flag::All);
        ir.exit(ExitReason::Dispatch);
        run(eliminate_dead_flags, b);
        CHECK(exact_at_fault(b, 3, 4, f1, true));
    }
    SECTION("kept before a helper call or LoadFlags")
    {
        bool call = GENERATE(false, true);
        if (call)
            ir.call(test_helper);
        else
            ir.store_state(8, ir.flags_to_int(ir.load_flags()));
        ir.store_flags(flags_of_add(), flag::All);
        ir.exit(ExitReason::Dispatch);
        run(eliminate_dead_flags, b);
        CHECK(b.insts[3].op == Opcode::StoreFlags);
    }
    SECTION("kept at the end of the block, whatever the terminal")
    {
        ir.branch(ir.test_cond(Cond::E, f1), 0x10, 0x20);
        run(eliminate_dead_flags, b);
        CHECK(b.insts[3].op == Opcode::StoreFlags);
    }
}
