// Blocks that loop on themselves keep guest state in host registers across iterations
// (dbt/backend/x64/loop_registers.h, docs/backend.md#loop-resident-state): which slots
// the plan takes and refuses, and that everything outside the loop sees the context
// exactly as without them: the end of the loop, a #PF in the middle of it (Intel SDM
// vol. 3 §6.5: faults are precise), and an exit request at the back edge. Part of ctest
// unit.backend.
#include <catch2/catch.hpp>
#include <cstring>
#include <utility>
#include <vector>
#include "backend_harness.h"
#include "dbt/backend/x64/loop_registers.h"
#include "dbt/ir/builder.h"
#include "guest_machine.h"
#include "page_tables.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"

using namespace keel;
using namespace keel::ir;
using keel::unit::BackendHarness;
using keel::unit::GuestMachine;
using keel::unit::PageTables;
using namespace keel::unit::pte;

namespace {

constexpr u64 loop_pc = 0x1000;

// slot0 += 1; slot8 = slot0; continue at the block's start while slot0 != 0 (or the
// terminal `customize` leaves). Offsets are the test's own.
void counting_loop(Block& b, void (*customize)(Builder&, Value counter) = nullptr)
{
    b.clear();
    b.pc = loop_pc;
    Builder ir(b);
    ir.begin_guest_insn(loop_pc, 4);
    Value counter = ir.add(ir.load_state(Type::U64, 0), Builder::imm64(1));
    ir.store_state(0, counter);
    ir.store_state(8, counter);
    if (customize)
        customize(ir, counter);
    if (!ir.has_terminal())
        ir.branch(ir.test_cond(Cond::NE, ir.flags_of(counter)), loop_pc, loop_pc + 4);
}

} // namespace

TEST_CASE("backend: the loop-register plan takes whole-slot guest state of a block that loops on itself", "[backend][loop]")
{
    Block b;
    counting_loop(b);
    x64::LoopRegisters plan = x64::plan_loop_registers(b, true, false);
    REQUIRE(plan.count == 2);
    CHECK(plan.slots[0].offset == 0); // two uses: the most used first
    CHECK(plan.slots[1].offset == 8);
    CHECK(plan.slots[0].stored);
    CHECK(plan.reg_for(8) >= 0);
    CHECK(plan.reg_for(16) < 0);

    // Not without chaining, not with icount, not when the block does not loop.
    CHECK_FALSE(x64::plan_loop_registers(b, false, false).active());
    CHECK_FALSE(x64::plan_loop_registers(b, true, true).active());
    counting_loop(b, [](Builder& ir, Value) { ir.jump(loop_pc + 4); });
    CHECK_FALSE(x64::plan_loop_registers(b, true, false).active());

    // A loop on the false side of its branch counts too.
    counting_loop(b, [](Builder& ir, Value c) { ir.branch(ir.test_cond(Cond::E, ir.flags_of(c)), loop_pc + 4, loop_pc); });
    CHECK(x64::plan_loop_registers(b, true, false).count == 2);

    // A store of part of a slot (an 8-bit register), or a load of its high byte (AH),
    // keeps that slot in memory; the others still qualify.
    counting_loop(b, [](Builder& ir, Value c) { ir.store_state(8, ir.trunc(Type::U8, c)); });
    plan = x64::plan_loop_registers(b, true, false);
    CHECK(plan.count == 1);
    CHECK(plan.reg_for(8) < 0);
    counting_loop(b, [](Builder& ir, Value) { ir.store_state(16, ir.zext(Type::U64, ir.load_state(Type::U8, 9))); });
    plan = x64::plan_loop_registers(b, true, false);
    CHECK(plan.reg_for(8) < 0);
    CHECK(plan.reg_for(16) >= 0);
    // An 8-byte access across two slots keeps both in memory.
    counting_loop(b, [](Builder& ir, Value) { ir.store_state(24, ir.load_state(Type::U64, 4)); });
    plan = x64::plan_loop_registers(b, true, false);
    CHECK(plan.reg_for(0) < 0);
    CHECK(plan.reg_for(8) < 0);
    CHECK(plan.reg_for(24) >= 0);

    // Host instructions and helper calls read and write state the IR does not name.
    counting_loop(b, [](Builder& ir, Value) {
        const u8 nop[] = { 0x90 };
        ir.host_insn(nop, 1);
    });
    CHECK_FALSE(x64::plan_loop_registers(b, true, false).active());

    // At most four slots.
    counting_loop(b, [](Builder& ir, Value c) {
        for (u32 slot = 2; slot < 8; ++slot)
            ir.store_state(8 * slot, c);
    });
    CHECK(x64::plan_loop_registers(b, true, false).count == x64::LoopRegisters::max_slots);
}

TEST_CASE("backend: an exit request at a loop's back edge leaves with the slots written back", "[backend][loop]")
{
    BackendHarness h;
    Block b;
    counting_loop(b);
    TranslatedBlock tb {};
    tb.pc = b.pc;
    x64::CompileOptions options; // chained: the back edge is a direct jump
    REQUIRE(h.backend().compile(b, tb, options) == x64::CompileStatus::Ok);
    CHECK(tb.loop_slots == 2);
    u64 start = 41;
    std::memcpy(h.state(), &start, 8);
    std::memset(h.state() + 8, 0xEE, 8);
    h.ctx().hot.exit_request = 1; // as an interrupt would
    RunExit exit = h.backend().run(h.ctx(), tb.code);
    CHECK(exit == RunExit::Interrupted);
    CHECK(h.ctx().hot.pc == loop_pc);
    u64 counter = 0, copy = 0;
    std::memcpy(&counter, h.state(), 8);
    std::memcpy(&copy, h.state() + 8, 8);
    CHECK(counter == 42); // one iteration, then the check
    CHECK(copy == 42);
}

namespace {

// add rax, [rsi] / add rsi, 8 / add rdx, 3 / sub rcx, 1 / jnz loop / hlt
const std::vector<u8> sum_body { 0x48, 0x03, 0x06, 0x48, 0x83, 0xC6, 0x08, 0x48, 0x83, 0xC2, 0x03, 0x48, 0x83, 0xE9, 0x01, 0x75, 0xEF, 0xF4 };

// A guest loop: rax += [rsi]; rsi += 8; rdx += 3; rcx -= 1; jnz (or `body`, with RCX's
// upper half set to `rcx_high`). Code at 0x600000, the array from `start`; 0x601000 is
// mapped, 0x602000 is not.
struct SumLoop {
    GuestMachine m;
    u64 loop_at = 0;

    explicit SumLoop(u64 start, u64 count, const std::vector<u8>& body = sum_body, u64 rcx_high = 0)
    {
        m.load(0x10000, { 0xF4 });
        PageTables pt(m);
        pt.map(0x600000, 0x300000, P | RW);
        pt.map(0x601000, 0x301000, P | RW);
        m.engine().flush_tlb();
        std::vector<u8> code;
        auto mov_imm64 = [&](u8 reg, u64 imm) {
            code.push_back(0x48);
            code.push_back(static_cast<u8>(0xB8 + reg));
            for (int i = 0; i < 8; ++i)
                code.push_back(static_cast<u8>(imm >> (8 * i)));
        };
        mov_imm64(x86::RSI, start);
        mov_imm64(x86::RCX, count | rcx_high << 32);
        mov_imm64(x86::RAX, 0);
        mov_imm64(x86::RDX, 0);
        loop_at = 0x600000 + code.size();
        code.insert(code.end(), body.begin(), body.end());
        m.write(0x300000, code);
        std::vector<u8> data(0x1000);
        for (u64 i = 0; i < 0x200; ++i) {
            u64 v = element(i);
            std::memcpy(&data[8 * i], &v, 8);
        }
        m.write(0x301000, data);
        m.ctx().hot.pc = 0x600000;
    }
    static u64 element(u64 i) { return i * i + 7; }
    // The sum of the elements from `start` (in the mapped page) for `count` of them.
    static u64 sum(u64 start, u64 count)
    {
        u64 s = 0;
        for (u64 i = 0; i < count; ++i)
            s += element((start - 0x601000) / 8 + i);
        return s;
    }
};

} // namespace

TEST_CASE("backend: a guest loop with its registers in host registers ends with the registers it computed", "[backend][loop]")
{
    SumLoop g(0x601000, 100);
    g.m.require_halted(g.m.run_to_halt());
    CHECK(g.m.engine().stats().loop_blocks >= 1); // the loop ran with its registers in host registers
    CHECK(g.m.gpr(x86::RAX) == SumLoop::sum(0x601000, 100));
    CHECK(g.m.gpr(x86::RSI) == 0x601000 + 800);
    CHECK(g.m.gpr(x86::RDX) == 300);
    CHECK(g.m.gpr(x86::RCX) == 0);
    CHECK((x86::read_rflags(g.m.ctx()) & 0x8D5) == 0x44); // ZF PF of the last SUB
}

TEST_CASE("backend: a #PF in the middle of a loop sees the registers of that iteration", "[backend][loop]")
{
    // 37 elements before the unmapped page: the 38th load faults, on the ADD, with the
    // state after 37 whole iterations (the flags of the last SUB: RCX = 963, PF only).
    constexpr u64 before = 37;
    SumLoop g(0x602000 - 8 * before, 1000);
    RunResult r = g.m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(g.m.engine().stats().loop_blocks >= 1);
    const x86::PendingEvent& e = g.m.cpu().event;
    CHECK(e.vector == x86::vector::PF);
    CHECK(e.return_rip == g.loop_at);
    CHECK(e.error_code == 0); // not present, read, supervisor
    CHECK(g.m.cpu().cr2 == 0x602000);
    CHECK(g.m.gpr(x86::RAX) == SumLoop::sum(0x602000 - 8 * before, before));
    CHECK(g.m.gpr(x86::RSI) == 0x602000);
    CHECK(g.m.gpr(x86::RDX) == 3 * before);
    CHECK(g.m.gpr(x86::RCX) == 1000 - before);
    CHECK((x86::read_rflags(g.m.ctx()) & 0x8D5) == 0x04);
}

namespace {
// Results computed straight into the loop slots' registers (EmitContext::slot_destination):
// an ADD in place, an LEA into a free slot, 32-bit operations on a slot (the register's
// upper half cleared as a 32-bit write clears it), a CMOV into its slot.
// loop: mov r8, [rsi] / add rsi, 8 / lea rdi, [rsi+1] / add edx, r8d / cmp r8, 10 /
//       cmovb rbx, rdi / sub ecx, 1 / jnz loop / hlt
const std::vector<u8> slot_body { 0x4C, 0x8B, 0x06, 0x48, 0x83, 0xC6, 0x08, 0x48, 0x8D, 0x7E, 0x01, 0x44, 0x01, 0xC2,
    0x49, 0x83, 0xF8, 0x0A, 0x48, 0x0F, 0x42, 0xDF, 0x83, 0xE9, 0x01, 0x75, 0xE5, 0xF4 };
u32 low_sum(u64 first, u64 count)
{
    u32 s = 0;
    for (u64 i = first; i < first + count; ++i)
        s += static_cast<u32>(SumLoop::element(i));
    return s;
}
} // namespace

TEST_CASE("backend: results computed in the loop slots' registers are the guest's, at the end and at a #PF", "[backend][loop]")
{
    SECTION("to the end")
    {
        SumLoop g(0x601000, 100, slot_body, 0xFFFFFFFF);
        g.m.gpr(x86::RBX) = 0x5555;
        g.m.gpr(x86::RDX) = 0xAAAA000000000000ull;
        g.m.require_halted(g.m.run_to_halt());
        CHECK(g.m.engine().stats().loop_blocks >= 1);
        CHECK(g.m.gpr(x86::RSI) == 0x601000 + 800);
        CHECK(g.m.gpr(x86::RDI) == 0x601000 + 801);
        CHECK(g.m.gpr(x86::RDX) == low_sum(0, 100)); // a 32-bit ADD clears the upper half
        CHECK(g.m.gpr(x86::RBX) == 0x601000 + 17);   // element 1 (8) was the last below 10
        CHECK(g.m.gpr(x86::RCX) == 0);               // the first 32-bit SUB cleared 0xFFFFFFFF
        CHECK(g.m.gpr(x86::R8) == SumLoop::element(99));
    }
    SECTION("a #PF in the 38th iteration")
    {
        constexpr u64 before = 37, first = (0x1000 - 8 * before) / 8;
        SumLoop g(0x602000 - 8 * before, 1000, slot_body, 0xFFFFFFFF);
        g.m.gpr(x86::RBX) = 0x5555;
        RunResult r = g.m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(g.m.engine().stats().loop_blocks >= 1);
        CHECK(g.m.cpu().event.vector == x86::vector::PF);
        CHECK(g.m.cpu().event.return_rip == g.loop_at);
        CHECK(g.m.gpr(x86::RSI) == 0x602000);
        CHECK(g.m.gpr(x86::RDI) == 0x602001);
        CHECK(g.m.gpr(x86::RDX) == low_sum(first, before));
        CHECK(g.m.gpr(x86::RBX) == 0x5555); // no element below 10 this far in
        CHECK(g.m.gpr(x86::RCX) == 1000 - before);
        CHECK(g.m.gpr(x86::R8) == SumLoop::element(first + before - 1));
    }
}

namespace {
// One iteration of `b` (an exit request stops it at the back edge, the slots written back)
// from slot 16 = `slot16`; returns slots 16 and 24.
std::pair<u64, u64> one_iteration(Block& b, u64 slot16)
{
    BackendHarness h;
    TranslatedBlock tb {};
    tb.pc = b.pc;
    x64::CompileOptions options;
    REQUIRE(h.backend().compile(b, tb, options) == x64::CompileStatus::Ok);
    REQUIRE(tb.loop_slots >= 3);
    std::memset(h.state(), 0, 32);
    std::memcpy(h.state() + 16, &slot16, 8);
    h.ctx().hot.exit_request = 1;
    REQUIRE(h.backend().run(h.ctx(), tb.code) == RunExit::Interrupted);
    u64 s16 = 0, s24 = 0;
    std::memcpy(&s16, h.state() + 16, 8);
    std::memcpy(&s24, h.state() + 24, 8);
    return { s16, s24 };
}
} // namespace

// What may not be computed in a slot's register (EmitContext::slot_destination): a result
// the slot is stored over while the result is still needed, and a 32-bit copy of a slot
// that changed since it was read. Each case fails with that check removed.
TEST_CASE("backend: a result stays out of a slot's register that changes while it is live", "[backend][loop]")
{
    Block b;
    SECTION("stored over, then read")
    {
        // v = slot16 + 3; slot16 = v; slot16 = 7; slot24 = v
        counting_loop(b, [](Builder& ir, Value) {
            Value v = ir.add(ir.load_state(Type::U64, 16), Builder::imm64(3));
            ir.store_state(16, v);
            ir.store_state(16, Builder::imm64(7));
            ir.store_state(24, v);
        });
        auto [s16, s24] = one_iteration(b, 100);
        CHECK(s16 == 7);
        CHECK(s24 == 103);
    }
    SECTION("a 32-bit copy of a slot stored since")
    {
        // a = (u32)slot16; slot16 = 9; slot16 = zext(a - 1); slot24 = slot16 + 0 (keeps 24 a slot)
        counting_loop(b, [](Builder& ir, Value) {
            Value a = ir.load_state(Type::U32, 16);
            ir.store_state(16, Builder::imm64(9));
            ir.store_state(16, ir.zext(Type::U64, ir.sub(a, Builder::imm32(1))));
            ir.store_state(24, ir.add(ir.load_state(Type::U64, 16), Builder::imm64(0x100)));
        });
        auto [s16, s24] = one_iteration(b, 0xFFFFFFFF00000050ull);
        CHECK(s16 == 0x4F);
        CHECK(s24 == 0x14F);
    }
}

// A load whose value goes straight to a loop slot is loaded into the slot's register; its
// slow path (the first iteration's TLB miss) delivers there too, and a #PF on it still sees
// the slot's value from the iteration before.
// loop: mov rax, [rsi] / add rsi, 8 / add rdx, rax / sub rcx, 1 / jnz loop / hlt
TEST_CASE("backend: a load into a loop slot's register, by the fast and the slow path, and at a #PF", "[backend][loop]")
{
    const std::vector<u8> body { 0x48, 0x8B, 0x06, 0x48, 0x83, 0xC6, 0x08, 0x48, 0x01, 0xC2, 0x48, 0x83, 0xE9, 0x01, 0x75, 0xF0, 0xF4 };
    SECTION("to the end, across a page whose first access misses in the loop")
    {
        // Four zero quadwords at the end of the code page (past the code), then the data
        // page, first touched by the loop block itself: its slow path loads the value.
        SumLoop g(0x601000 - 4 * 8, 20, body);
        g.m.require_halted(g.m.run_to_halt());
        CHECK(g.m.engine().stats().loop_blocks >= 1);
        CHECK(g.m.gpr(x86::RAX) == SumLoop::element(15));
        CHECK(g.m.gpr(x86::RDX) == SumLoop::sum(0x601000, 16));
    }
    SECTION("a #PF in the 38th iteration")
    {
        constexpr u64 before = 37;
        SumLoop g(0x602000 - 8 * before, 1000, body);
        RunResult r = g.m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(g.m.cpu().event.vector == x86::vector::PF);
        CHECK(g.m.cpu().event.return_rip == g.loop_at);
        CHECK(g.m.gpr(x86::RAX) == SumLoop::element((0x1000 - 8 * before) / 8 + before - 1));
        CHECK(g.m.gpr(x86::RDX) == SumLoop::sum(0x602000 - 8 * before, before));
        CHECK(g.m.gpr(x86::RSI) == 0x602000);
    }
}
