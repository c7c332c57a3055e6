// Accesses through one base share a soft-TLB check (dbt/backend/x64/shared_page_check.h,
// docs/backend.md#shared-page-checks): which accesses lead and follow, and that a follower
// outside the leader's page, a leader that misses, and a fault in the middle of a push
// sequence all give what separate checks give; in a loop, the page carried from one
// iteration to the next (loop leaders) as the loop walks across pages and into a missing
// one. Part of ctest unit.backend.
#include <catch2/catch.hpp>
#include <vector>
#include "dbt/backend/x64/shared_page_check.h"
#include "dbt/ir/builder.h"
#include "guest_machine.h"
#include "page_tables.h"
#include "plugins/arch/x86/exceptions.h"

using namespace keel;
using namespace keel::ir;
using keel::unit::GuestMachine;
using keel::unit::PageTables;
using namespace keel::unit::pte;
using x64::PageRole;

namespace {

PageRole role(const Vector<u8>& roles, u32 access) { return x64::page_role(roles[access]); }
PageRole role(const Vector<u8>& roles, Value load) { return role(roles, load.index()); }
// Which register pair (x64::shared_pairs) a shared access uses.
u32 pair(const Vector<u8>& roles, u32 access) { return x64::page_pair_index(roles[access]); }
u32 pair(const Vector<u8>& roles, Value load) { return pair(roles, load.index()); }

// The index of the Store just emitted.
u32 last(const Block& b) { return static_cast<u32>(b.insts.size() - 1); }

// Two reads, a write, a read through one base (a structure's fields), then a jump to `next`.
struct ReadWriteRead {
    Value r1, r2;
    u32 w1;
    Value r3;
};
// A read, a helper call, two reads through one base, then a jump to `next`.
struct ReadCallReads {
    Value r1, r2, r3;
};
ReadCallReads read_call_reads(Block& b, u64 next)
{
    static const Helper nothing { "nothing", nullptr };
    b.clear();
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 1);
    ReadCallReads a;
    Value base = ir.load_state(Type::U64, 0x18);
    a.r1 = ir.load(Type::U64, base);
    ir.call(nothing);
    a.r2 = ir.load(Type::U64, ir.add(base, Builder::imm64(8)));
    a.r3 = ir.load(Type::U64, ir.add(base, Builder::imm64(16)));
    ir.store_state(0x40, ir.add(a.r1, ir.add(a.r2, a.r3)));
    ir.jump(next);
    return a;
}

ReadWriteRead read_write_read(Block& b, u64 next)
{
    b.clear();
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 1);
    ReadWriteRead a;
    Value base = ir.load_state(Type::U64, 0x18);
    a.r1 = ir.load(Type::U64, base);
    a.r2 = ir.load(Type::U64, ir.add(base, Builder::imm64(0x10)));
    ir.store(ir.add(base, Builder::imm64(0x10)), a.r1);
    a.w1 = last(b);
    a.r3 = ir.load(Type::U64, ir.add(base, Builder::imm64(0x28)));
    ir.store_state(0x40, ir.add(a.r2, a.r3));
    ir.jump(next);
    return a;
}

} // namespace

TEST_CASE("backend: accesses through one base share the page check of the first", "[backend][tlb]")
{
    Block b;
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 1);
    Vector<u8> roles;
    Vector<u32> roots;

    // push, push, push (stores at rsp-8, -16, -24), then pops of two of them.
    Value rsp = ir.load_state(Type::U64, 0x20);
    Value a1 = ir.sub(rsp, Builder::imm64(8));
    ir.store(a1, Builder::imm64(1));
    u32 s1 = last(b);
    Value a2 = ir.sub(a1, Builder::imm64(8));
    ir.store(a2, Builder::imm64(2));
    u32 s2 = last(b);
    Value a3 = ir.sub(a2, Builder::imm64(8));
    ir.store(a3, Builder::imm64(3));
    u32 s3 = last(b);
    Value l1 = ir.load(Type::U64, a3);
    // Another base, once: its own check.
    Value other = ir.load(Type::U64, ir.load_state(Type::U64, 0x30));
    Value l2 = ir.load(Type::U64, ir.add(a3, Builder::imm64(8)));
    ir.store_state(0x40, ir.add(l1, ir.add(l2, other)));
    ir.jump(0x2000);
    REQUIRE(x64::plan_shared_page_checks(b, false, roles, roots));
    CHECK(role(roles, s1) == PageRole::Leader);
    CHECK(role(roles, s2) == PageRole::Follower);
    CHECK(role(roles, s3) == PageRole::Follower);
    CHECK(role(roles, l1) == PageRole::Follower); // a write's translation serves reads
    CHECK(role(roles, other) == PageRole::Own);
    CHECK(role(roles, l2) == PageRole::Follower);

    // A read leads; a write through the base follows later, so the read asks for the write
    // permission and the write follows it.
    ReadWriteRead rwr = read_write_read(b, 0x2000);
    REQUIRE(x64::plan_shared_page_checks(b, false, roles, roots));
    CHECK(role(roles, rwr.r1) == PageRole::WriteLeader);
    CHECK(role(roles, rwr.r2) == PageRole::Follower);
    CHECK(role(roles, rwr.w1) == PageRole::Follower);
    CHECK(role(roles, rwr.r3) == PageRole::Follower);

    // A read-modify-write (`add [rdi], rax`: a load and a store at one address) checks once.
    b.clear();
    Builder ir7(b);
    ir7.begin_guest_insn(0x1000, 1);
    Value at = ir7.load_state(Type::U64, 0x38);
    Value old_value = ir7.load(Type::U64, at);
    ir7.store(at, ir7.add(old_value, ir7.load_state(Type::U64, 0x00)));
    u32 rmw_store = last(b);
    ir7.jump(0x2000);
    REQUIRE(x64::plan_shared_page_checks(b, false, roles, roots));
    CHECK(role(roles, old_value) == PageRole::WriteLeader);
    CHECK(role(roles, rmw_store) == PageRole::Follower);
    Value r1, r2;

    // A helper call (it may flush the TLB) makes the next access a leader.
    ReadCallReads rcr = read_call_reads(b, 0x2000);
    REQUIRE(x64::plan_shared_page_checks(b, false, roles, roots));
    CHECK(role(roles, rcr.r1) == PageRole::Leader);
    CHECK(role(roles, rcr.r2) == PageRole::Leader);
    CHECK(role(roles, rcr.r3) == PageRole::Follower);

    // Outside a loop, a second base gets the second pair only when it saves two checks:
    // [rbx], [rbx+8], [rbx+16] and [rsi], [rsi+8], [rsi+16], then [rdi], [rdi+8].
    b.clear();
    Builder ir6(b);
    ir6.begin_guest_insn(0x1000, 1);
    Value sum = Builder::imm64(0);
    Value first[3], second[3], third[2];
    Value bases[3] = { ir6.load_state(Type::U64, 0x18), ir6.load_state(Type::U64, 0x30), ir6.load_state(Type::U64, 0x38) };
    for (u32 k = 0; k < 3; ++k) {
        first[k] = ir6.load(Type::U64, ir6.add(bases[0], Builder::imm64(8 * k)));
        second[k] = ir6.load(Type::U64, ir6.add(bases[1], Builder::imm64(8 * k)));
        if (k < 2)
            third[k] = ir6.load(Type::U64, ir6.add(bases[2], Builder::imm64(8 * k)));
        sum = ir6.add(sum, ir6.add(first[k], second[k]));
    }
    ir6.store_state(0x40, ir6.add(sum, ir6.add(third[0], third[1])));
    ir6.jump(0x2000);
    x64::SharedPagePlan two = x64::plan_shared_page_checks(b, false, roles, roots);
    CHECK(two.pairs == 3);
    CHECK(two.loop_pairs == 0);
    CHECK(role(roles, first[0]) == PageRole::Leader);
    CHECK(role(roles, second[0]) == PageRole::Leader);
    for (u32 k = 1; k < 3; ++k) {
        CHECK(role(roles, first[k]) == PageRole::Follower);
        CHECK(pair(roles, first[k]) == pair(roles, first[0]));
        CHECK(role(roles, second[k]) == PageRole::Follower);
        CHECK(pair(roles, second[k]) == pair(roles, second[0]));
    }
    CHECK(pair(roles, first[0]) != pair(roles, second[0]));
    CHECK(role(roles, third[0]) == PageRole::Own); // one check saved: no third pair, no second for it
    CHECK(role(roles, third[1]) == PageRole::Own);

    // One access per base: nothing shared, nothing reserved.
    b.clear();
    Builder ir4(b);
    ir4.begin_guest_insn(0x1000, 1);
    r1 = ir4.load(Type::U64, ir4.load_state(Type::U64, 0x18));
    r2 = ir4.load(Type::U64, ir4.load_state(Type::U64, 0x20));
    ir4.store_state(0x40, ir4.add(r1, r2));
    ir4.jump(0x2000);
    CHECK_FALSE(x64::plan_shared_page_checks(b, false, roles, roots));
    CHECK(role(roles, r1) == PageRole::Own);
    CHECK(role(roles, r2) == PageRole::Own);

    // Constant addresses (RIP-relative globals) share by page: two in one page, one in
    // the next page on its own.
    b.clear();
    Builder ir5(b);
    ir5.begin_guest_insn(0x1000, 1);
    Value g1 = ir5.load(Type::U64, Builder::imm64(0x403010));
    Value other_page = ir5.load(Type::U64, Builder::imm64(0x404008));
    Value g2 = ir5.load(Type::U32, Builder::imm64(0x403ff8));
    ir5.store_state(0x40, ir5.add(ir5.add(g1, other_page), ir5.zext(Type::U64, g2)));
    ir5.jump(0x2000);
    REQUIRE(x64::plan_shared_page_checks(b, false, roles, roots));
    CHECK(role(roles, g1) == PageRole::Leader);
    CHECK(role(roles, g2) == PageRole::Follower);
    CHECK(role(roles, other_page) == PageRole::Own);
}

TEST_CASE("backend: in a loop, the first access through a base carries the page across iterations", "[backend][tlb]")
{
    Vector<u8> roles;
    Vector<u32> roots;

    // One load through a moving pointer and one through a table base the loop never writes
    // (base + index), a CRC's loop: the table's base wins the first pair, the stream the
    // second, and each load leads the loop on its pair.
    Block b;
    Builder ir(b);
    ir.begin_guest_insn(0x1000, 1);
    Value pointer = ir.load_state(Type::U64, 0x30);
    Value byte = ir.load(Type::U8, pointer);
    ir.store_state(0x30, ir.add(pointer, Builder::imm64(1)));
    Value index = ir.shift(Opcode::Shl, ir.zext(Type::U64, byte), Builder::imm8(2));
    Value table = ir.load_state(Type::U64, 0x48);
    Value entry = ir.load(Type::U32, ir.add(table, index));
    ir.store_state(0x08, ir.zext(Type::U64, entry));
    ir.jump(0x1000);
    x64::SharedPagePlan plan = x64::plan_shared_page_checks(b, true, roles, roots);
    CHECK(plan.pairs == 3);
    CHECK(plan.loop_pairs == 3);
    CHECK(role(roles, entry) == PageRole::LoopLeader);
    CHECK(pair(roles, entry) == 0);
    CHECK(role(roles, byte) == PageRole::LoopLeader);
    CHECK(pair(roles, byte) == 1);
    // Outside a loop, one access per base shares nothing.
    CHECK_FALSE(x64::plan_shared_page_checks(b, false, roles, roots));

    // Reads and a write through one base: the first read leads the loop and asks for the
    // write permission, so the write and the rest follow.
    ReadWriteRead rwr = read_write_read(b, 0x1000);
    REQUIRE(x64::plan_shared_page_checks(b, true, roles, roots));
    CHECK(role(roles, rwr.r1) == PageRole::LoopWriteLeader);
    CHECK(role(roles, rwr.r2) == PageRole::Follower);
    CHECK(role(roles, rwr.w1) == PageRole::Follower);
    CHECK(role(roles, rwr.r3) == PageRole::Follower);
    // A pointer chase (the base is loaded from memory each iteration) and a large stride
    // (an index stepped by 0x400, scaled by 8: two pages per iteration): their pages do not
    // carry; the chase's two fields still share.
    b.clear();
    Builder ir4(b);
    ir4.begin_guest_insn(0x1000, 1);
    Value node = ir4.load_state(Type::U64, 0x18);
    Value next = ir4.load(Type::U64, node);
    Value field = ir4.load(Type::U64, ir4.add(node, Builder::imm64(8)));
    ir4.store_state(0x18, next);
    Value at = ir4.load_state(Type::U64, 0x20);
    Value strided = ir4.load(Type::U64, ir4.add(ir4.load_state(Type::U64, 0x28), ir4.shift(Opcode::Shl, at, Builder::imm8(3))));
    ir4.store_state(0x20, ir4.add(at, Builder::imm64(0x400)));
    ir4.store_state(0x40, ir4.add(field, strided));
    ir4.jump(0x1000);
    REQUIRE(x64::plan_shared_page_checks(b, true, roles, roots));
    CHECK(role(roles, next) == PageRole::Leader);
    CHECK(role(roles, field) == PageRole::Follower);
    CHECK(role(roles, strided) == PageRole::Own);

    // Two arrays indexed by one register (dst[i] = src[i] * 3, i += 8): far displacements
    // make two bases; each streams. The read leads the loop on the first pair, the write
    // on the second (with the write permission).
    b.clear();
    Builder ir5(b);
    ir5.begin_guest_insn(0x1000, 1);
    Value i8 = ir5.load_state(Type::U64, 0x08);
    Value element = ir5.load(Type::U64, ir5.add(i8, Builder::imm64(0xA02000)));
    Value next_i = ir5.add(i8, Builder::imm64(8));
    ir5.store_state(0x08, next_i);
    ir5.store(ir5.add(next_i, Builder::imm64(0x601FF8)), ir5.add(element, ir5.add(element, element)));
    u32 dst_store = last(b);
    ir5.jump(0x1000);
    REQUIRE(x64::plan_shared_page_checks(b, true, roles, roots));
    CHECK(role(roles, element) == PageRole::LoopLeader);
    CHECK(pair(roles, element) == 0);
    CHECK(role(roles, dst_store) == PageRole::LoopWriteLeader);
    CHECK(pair(roles, dst_store) == 1);

    // Two arrays through base registers indexed by one stepped register (a[i] += b[i],
    // i += 16): each base plus the index streams, so each read leads the loop on its
    // pair and the write follows the read of its array.
    b.clear();
    Builder ir6(b);
    ir6.begin_guest_insn(0x1000, 1);
    Value i16 = ir6.load_state(Type::U64, 0x70);
    Value a_at = ir6.add(ir6.load_state(Type::U64, 0x30), i16);
    Value b_at = ir6.add(ir6.load_state(Type::U64, 0x10), i16);
    Value a_old = ir6.load(Type::U64, a_at);
    Value b_val = ir6.load(Type::U64, b_at);
    ir6.store(a_at, ir6.add(a_old, b_val));
    u32 a_store = last(b);
    ir6.store_state(0x70, ir6.add(i16, Builder::imm64(16)));
    ir6.jump(0x1000);
    x64::SharedPagePlan arrays = x64::plan_shared_page_checks(b, true, roles, roots);
    CHECK(arrays.loop_pairs == 3);
    CHECK(role(roles, a_old) == PageRole::LoopWriteLeader);
    CHECK(role(roles, a_store) == PageRole::Follower);
    CHECK(pair(roles, a_store) == pair(roles, a_old));
    CHECK(role(roles, b_val) == PageRole::LoopLeader);
    CHECK(pair(roles, b_val) != pair(roles, a_old));

    // A helper call anywhere: the page cannot cross the back edge; the roles are those
    // outside a loop.
    ReadCallReads rcr = read_call_reads(b, 0x1000);
    REQUIRE(x64::plan_shared_page_checks(b, true, roles, roots));
    CHECK(role(roles, rcr.r1) == PageRole::Leader);
    CHECK(role(roles, rcr.r2) == PageRole::Leader);
    CHECK(role(roles, rcr.r3) == PageRole::Follower);
}

namespace {

// Code at 0x600000 (physical 0x300000); data pages 0x601000 (0x301000) and 0x602000
// (`second_physical`, 0x302000 by default; unmapped if `second_page` is false). With
// another physical page for 0x602000, the two data pages have different host address
// deltas: an access using the other page's delta reads or writes the wrong bytes.
struct TwoPages {
    GuestMachine m;
    explicit TwoPages(bool second_page, u64 second_physical = 0x302000)
    {
        m.load(0x10000, { 0xF4 });
        PageTables pt(m);
        pt.map(0x600000, 0x300000, P | RW);
        pt.map(0x601000, 0x301000, P | RW);
        if (second_page)
            pt.map(0x602000, second_physical, P | RW);
        m.engine().flush_tlb();
        m.ctx().hot.pc = 0x600000;
    }
    void code(const std::vector<u8>& bytes) { m.write(0x300000, bytes); }
};

// push rax / push rbx / push rcx / hlt, from RSP = top. Registers are set before the run,
// not by the code: constant addresses would not share a base.
void three_pushes(TwoPages& g, u64 top)
{
    g.code({ 0x50, 0x53, 0x51, 0xF4 });
    g.m.gpr(x86::RSP) = top;
    g.m.gpr(x86::RAX) = 0x1111;
    g.m.gpr(x86::RBX) = 0x2222;
    g.m.gpr(x86::RCX) = 0x3333;
}

} // namespace

TEST_CASE("backend: a push sequence across a page boundary: the followers outside the page take the slow path", "[backend][tlb]")
{
    // RSP = 0x602010: the first two pushes land in 0x602000's page, the third at 0x601FF8.
    TwoPages g(true);
    three_pushes(g, 0x602010);
    g.m.require_halted(g.m.run_to_halt());
    CHECK(g.m.gpr(x86::RSP) == 0x601FF8);
    CHECK(g.m.read(0x302008, 8) == 0x1111);
    CHECK(g.m.read(0x302000, 8) == 0x2222);
    CHECK(g.m.read(0x301FF8, 8) == 0x3333);
}

TEST_CASE("backend: a #PF on a follower in a pop sequence leaves the state before that pop", "[backend][tlb]")
{
    // Pops from 0x601FF0 with 0x602000 unmapped: two pops read the end of 0x601000's
    // page, the third (a follower) reaches 0x602000 and faults there, on its own
    // instruction, RSP and the registers as the first two pops left them.
    TwoPages g(false);
    g.code({ 0x5B, 0x59, 0x5A, 0xF4 }); // pop rbx / pop rcx / pop rdx (faults) / hlt
    g.m.gpr(x86::RSP) = 0x601FF0;
    u64 third_pop = 0x600002;
    std::vector<u8> data(16);
    for (unsigned i = 0; i < 16; ++i)
        data[i] = static_cast<u8>(0x10 + i);
    g.m.write(0x301FF0, data);
    g.m.gpr(x86::RDX) = 0xDDDD;
    RunResult r = g.m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    const x86::PendingEvent& e = g.m.cpu().event;
    CHECK(e.vector == x86::vector::PF);
    CHECK(e.return_rip == third_pop);
    CHECK(g.m.cpu().cr2 == 0x602000);
    CHECK(g.m.gpr(x86::RSP) == 0x602000);
    CHECK(g.m.gpr(x86::RBX) == 0x1716151413121110ull);
    CHECK(g.m.gpr(x86::RCX) == 0x1F1E1D1C1B1A1918ull);
    CHECK(g.m.gpr(x86::RDX) == 0xDDDD);
}

TEST_CASE("backend: a read that checks for writing on a read-only page still reads; the write faults", "[backend][tlb]")
{
    // mov rdx, [rsi+0x100] / jmp +0 (the page's read translation is in the TLB now) /
    // mov rax, [rsi] / mov rbx, [rsi+8] / add [rsi+16], rcx / hlt on a read-only page: the
    // second block's first read leads with the write permission (a write through RSI
    // follows) and misses, so both reads take the slow path and succeed; the ADD's write
    // faults (#PF, present and write in the error code) with the reads done. On a writable
    // page all of it runs.
    for (bool writable : { false, true }) {
        INFO("writable " << writable);
        GuestMachine m;
        m.load(0x10000, { 0xF4 });
        PageTables pt(m);
        pt.map(0x600000, 0x300000, P | RW);
        pt.map(0x601000, 0x301000, writable ? P | RW : P);
        m.engine().flush_tlb();
        m.ctx().hot.pc = 0x600000;
        m.write(0x300000,
            { 0x48, 0x8B, 0x96, 0x00, 0x01, 0x00, 0x00, 0xEB, 0x00, 0x48, 0x8B, 0x06, 0x48, 0x8B, 0x5E, 0x08, 0x48, 0x01, 0x4E, 0x10,
                0xF4 });
        m.write(0x301100, { 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 });
        m.gpr(x86::RSI) = 0x601100;
        m.gpr(x86::RCX) = 0x40;
        RunResult r = m.run_to_halt();
        CHECK(m.gpr(x86::RAX) == 1);
        CHECK(m.gpr(x86::RBX) == 2);
        if (writable) {
            m.require_halted(r);
            CHECK(m.read(0x301110, 8) == 0x43);
            continue;
        }
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(m.cpu().event.vector == x86::vector::PF);
        CHECK(m.cpu().event.error_code == 3); // present, write
        CHECK(m.cpu().event.return_rip == 0x600010);
        CHECK(m.cpu().cr2 == 0x601110);
        CHECK(m.read(0x301110, 8) == 3);
    }
}

TEST_CASE("backend: a leader that misses makes its followers take the slow path too", "[backend][tlb]")
{
    // RSI = 0x601FFC: mov rax, [rsi] (crosses into 0x602000: never a TLB hit) /
    // mov rcx, [rsi + 4] (wholly in 0x602000, the page the leader computed) / hlt.
    // The follower must not use the leader's host address delta, which it never loaded.
    TwoPages g(true);
    g.code({ 0x48, 0x8B, 0x06, 0x48, 0x8B, 0x4E, 0x04, 0xF4 });
    g.m.gpr(x86::RSI) = 0x601FFC;
    g.m.write(0x301FF8, { 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04 });
    g.m.write(0x302000, { 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C });
    g.m.require_halted(g.m.run_to_halt());
    CHECK(g.m.gpr(x86::RAX) == 0x0807060504030201ull);
    CHECK(g.m.gpr(x86::RCX) == 0x0C0B0A0908070605ull);
}

namespace {

// Sums RDX bytes from RSI into RAX, one byte per iteration, and copies each to [RDI]:
//   xor eax, eax / loop: movzx ecx, byte [rsi] / mov [rdi], cl / add rax, rcx / inc rsi /
//   inc rdi / dec rdx / jnz loop / hlt
// The loop is a block of its own that loops on itself (its registers in host registers).
void byte_loop(TwoPages& g, u64 source, u64 destination, u64 count)
{
    g.code({ 0x31, 0xC0, 0x0F, 0xB6, 0x0E, 0x88, 0x0F, 0x48, 0x01, 0xC8, 0x48, 0xFF, 0xC6, 0x48, 0xFF, 0xC7, 0x48, 0xFF, 0xCA,
        0x75, 0xED, 0xF4 });
    g.m.gpr(x86::RSI) = source;
    g.m.gpr(x86::RDI) = destination;
    g.m.gpr(x86::RDX) = count;
}

} // namespace

TEST_CASE("backend: a loop walking across a page boundary refills its carried page", "[backend][tlb]")
{
    // Reads 0x601F80..0x60207F and writes them 0x180 lower: both streams cross from one page
    // into the next in the middle of the loop.
    const u64 seed = 0x5EED00A1;
    TwoPages g(true);
    std::vector<u8> data(0x100);
    u64 sum = 0;
    for (unsigned i = 0; i < data.size(); ++i) {
        data[i] = static_cast<u8>((seed >> (i % 32)) * 31 + i * 7);
        sum += data[i];
    }
    INFO("seed 0x" << std::hex << seed);
    g.m.write(0x301F80, data);
    byte_loop(g, 0x601F80, 0x601E00, data.size());
    g.m.require_halted(g.m.run_to_halt());
    CHECK(g.m.gpr(x86::RAX) == sum);
    CHECK(g.m.gpr(x86::RSI) == 0x602080);
    CHECK(g.m.gpr(x86::RDX) == 0);
    for (unsigned i = 0; i < data.size(); ++i) {
        INFO("byte " << i);
        CHECK(g.m.read(0x301E00 + i, 1) == data[i]);
    }
}

TEST_CASE("backend: a loop reaching a missing page faults there with the state of the iteration before", "[backend][tlb]")
{
    // 0x602000 is unmapped: the loop's read of it (a loop leader outside its carried page,
    // whose refill misses) raises #PF on that iteration's first instruction, after 16 whole
    // iterations.
    TwoPages g(false);
    std::vector<u8> data(16);
    u64 sum = 0;
    for (unsigned i = 0; i < data.size(); ++i) {
        data[i] = static_cast<u8>(0x40 + i);
        sum += data[i];
    }
    g.m.write(0x301FF0, data);
    byte_loop(g, 0x601FF0, 0x601000, 100);
    RunResult r = g.m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(g.m.cpu().event.vector == x86::vector::PF);
    CHECK(g.m.cpu().event.return_rip == 0x600002);
    CHECK(g.m.cpu().cr2 == 0x602000);
    CHECK(g.m.gpr(x86::RAX) == sum);
    CHECK(g.m.gpr(x86::RSI) == 0x602000);
    CHECK(g.m.gpr(x86::RDI) == 0x601010);
    CHECK(g.m.gpr(x86::RDX) == 100 - 16);
    CHECK(g.m.read(0x30100F, 1) == 0x4F);
}

namespace {

// Runs the byte-copying loop `load_loop(g, source, destination, count)` puts in place, first
// with its source and then with its destination crossing halfway from 0x601000's page into
// 0x602000, mapped to 0x305000 (another host address delta than 0x601000's), and checks the
// copy and the sum the loop leaves in RAX: each stream's register pair must carry its own
// page's delta.
template<typename LoadLoop>
void copy_across_pages_with_different_deltas(u64 seed, LoadLoop load_loop)
{
    INFO("seed 0x" << std::hex << seed);
    std::vector<u8> data(0x100);
    u64 sum = 0;
    for (unsigned i = 0; i < data.size(); ++i) {
        data[i] = static_cast<u8>((seed >> (i % 29)) * 17 + i * 5);
        sum += data[i];
    }
    auto physical = [](u64 linear) { return linear >= 0x602000 ? linear - 0x602000 + 0x305000 : linear - 0x300000; };
    for (u64 source : { 0x601F80ull, 0x601000ull }) {
        u64 destination = source == 0x601000 ? 0x601F80 : 0x601000;
        INFO("source 0x" << source << " destination 0x" << destination);
        TwoPages g(true, 0x305000);
        for (unsigned i = 0; i < data.size(); ++i)
            g.m.write(physical(source + i), { data[i] });
        load_loop(g, source, destination, data.size());
        g.m.require_halted(g.m.run_to_halt());
        CHECK(g.m.gpr(x86::RAX) == sum);
        for (unsigned i = 0; i < data.size(); ++i) {
            INFO("byte " << i);
            CHECK(g.m.read(physical(destination + i), 1) == data[i]);
        }
    }
}

} // namespace

TEST_CASE("backend: a loop's two streams in pages with different host deltas each keep their own", "[backend][tlb]")
{
    // byte_loop: two pointers, each a stream on its own register pair.
    copy_across_pages_with_different_deltas(0x5EED00A2, byte_loop);
}

TEST_CASE("backend: a loop over two arrays by one index crosses pages with different host deltas", "[backend][tlb]")
{
    // xor eax, eax / loop: movzx ecx, byte [rsi+rdx] / mov [rdi+rdx], cl / add rax, rcx /
    // inc rdx / cmp rdx, r8 / jnz loop / hlt. Each base plus the stepped index streams (a
    // loop leader on its own pair).
    copy_across_pages_with_different_deltas(0x5EED00A3, [](TwoPages& g, u64 source, u64 destination, u64 count) {
        g.code({ 0x31, 0xC0, 0x0F, 0xB6, 0x0C, 0x16, 0x88, 0x0C, 0x17, 0x48, 0x01, 0xC8, 0x48, 0xFF, 0xC2, 0x4C, 0x39, 0xC2, 0x75,
            0xEE, 0xF4 });
        g.m.gpr(x86::RSI) = source;
        g.m.gpr(x86::RDI) = destination;
        g.m.gpr(x86::RDX) = 0;
        g.m.gpr(x86::R8) = count;
    });
}

TEST_CASE("backend: a loop whose second stream reaches a missing page faults on that store", "[backend][tlb]")
{
    // The read stream (first pair) stays in 0x601000's page; the write stream (second pair)
    // runs from 0x601FF0 into the unmapped 0x602000: its store faults on the 17th iteration,
    // after that iteration's load, with the state the load left.
    TwoPages g(false);
    std::vector<u8> data(32);
    u64 sum = 0;
    for (unsigned i = 0; i < data.size(); ++i) {
        data[i] = static_cast<u8>(0x21 + 3 * i);
        sum += i < 16 ? data[i] : 0;
    }
    g.m.write(0x301100, data);
    byte_loop(g, 0x601100, 0x601FF0, 100);
    RunResult r = g.m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(g.m.cpu().event.vector == x86::vector::PF);
    CHECK(g.m.cpu().event.return_rip == 0x600005); // mov [rdi], cl
    CHECK(g.m.cpu().cr2 == 0x602000);
    CHECK((g.m.cpu().event.error_code & 2) != 0); // a write
    CHECK(g.m.gpr(x86::RAX) == sum);
    CHECK(g.m.gpr(x86::RCX) == data[16]);
    CHECK(g.m.gpr(x86::RSI) == 0x601110);
    CHECK(g.m.gpr(x86::RDI) == 0x602000);
    CHECK(g.m.gpr(x86::RDX) == 100 - 16);
    for (unsigned i = 0; i < 16; ++i) {
        INFO("byte " << i);
        CHECK(g.m.read(0x301FF0 + i, 1) == data[i]);
    }
}

TEST_CASE("backend: a loop that reads and writes a structure through one base", "[backend][tlb]")
{
    // loop: mov rax, [rbx] / add rax, rcx / mov [rbx], rax / mov rsi, [rbx+8] /
    // add rsi, rax / mov [rbx+8], rsi / dec rcx / jnz loop / hlt
    // Its read leads the loop with the write permission. At 0x601FF0 both fields are in one
    // page; at 0x601FFC the first crosses into the next (always the slow path) and the
    // second lies in it.
    for (u64 base : { 0x601FF0ull, 0x601FFCull }) {
        INFO("base 0x" << std::hex << base);
        TwoPages g(true);
        g.code({ 0x48, 0x8B, 0x03, 0x48, 0x01, 0xC8, 0x48, 0x89, 0x03, 0x48, 0x8B, 0x73, 0x08, 0x48, 0x01, 0xC6, 0x48, 0x89, 0x73,
            0x08, 0x48, 0xFF, 0xC9, 0x75, 0xE7, 0xF4 });
        u64 first = 0x1000, second = 7;
        std::vector<u8> init(16);
        for (unsigned i = 0; i < 8; ++i) {
            init[i] = static_cast<u8>(first >> (8 * i));
            init[8 + i] = static_cast<u8>(second >> (8 * i));
        }
        g.m.write(base - 0x300000, init);
        g.m.gpr(x86::RBX) = base;
        g.m.gpr(x86::RCX) = 300;
        for (u64 rcx = 300; rcx > 0; --rcx) {
            first += rcx;
            second += first;
        }
        g.m.require_halted(g.m.run_to_halt());
        CHECK(g.m.read(base - 0x300000, 8) == first);
        CHECK(g.m.read(base - 0x300000 + 8, 8) == second);
        CHECK(g.m.gpr(x86::RSI) == second);
    }
}
