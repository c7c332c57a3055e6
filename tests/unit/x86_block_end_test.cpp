// Instructions that end their block without going back to the dispatcher when nothing there
// needs it: INVLPG and MOV CR3 continue through the lookup thunk after their helper has
// dropped the lookup-cache entries they made stale; STI asks for the dispatcher only when
// an interrupt may be waiting; IRETQ continues at the returned-to code through the lookup
// thunk (the Linux boot runs each some tens of thousands of times). And a new block's exits
// to blocks already translated are chained at once, not after a first return.
// Part of ctest unit.x86.
#include <catch2/catch.hpp>
#include <algorithm>
#include <iterator>
#include <vector>
#include "guest_machine.h"
#include "page_tables.h"
#include "plugins/arch/x86/exceptions.h"

using namespace keel;
using keel::unit::GuestMachine;
using keel::unit::PageTables;
using namespace keel::unit::pte;

namespace {
u64 exits(GuestMachine& m, RunExit kind) { return m.engine().stats().exits[static_cast<u32>(kind)]; }
} // namespace

TEST_CASE("x86: code reached after INVLPG of its page runs from the page's new mapping", "[x86][tlb]")
{
    // 0x600000: call 0x601000 / mov r8, rax / mov [rbx], rcx (the PTE of 0x601000 now points
    // at 0x302000) / invlpg [rdx] / call 0x601000 / hlt. 0x601000 first maps 0x301000
    // (mov eax, 1 / ret), then 0x302000 (mov eax, 2 / ret): its first translation, and
    // the lookup-cache entry of the call to it, must not be used again.
    GuestMachine m;
    m.load(0x10000, { 0xF4 });
    PageTables pt(m);
    pt.map(0x600000, 0x300000, P | RW);
    u64 leaf = pt.map(0x601000, 0x301000, P | RW);
    pt.map(0x700000, leaf & ~0xFFFull, P | RW); // the page table itself, for the guest to edit
    pt.map(0x610000, 0x310000, P | RW);         // the stack
    m.engine().flush_tlb();
    std::vector<u8> code = { 0xE8, 0, 0, 0, 0, 0x49, 0x89, 0xC0, 0x48, 0x89, 0x0B, 0x0F, 0x01, 0x3A, 0xE8, 0, 0, 0, 0, 0xF4 };
    auto set_rel32 = [&](usize at, u64 target) {
        u32 rel = static_cast<u32>(target - (0x600000 + at + 5));
        for (int i = 0; i < 4; ++i)
            code[at + 1 + i] = static_cast<u8>(rel >> (8 * i));
    };
    set_rel32(0, 0x601000);
    set_rel32(14, 0x601000);
    m.write(0x300000, code);
    m.write(0x301000, { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3 });
    m.write(0x302000, { 0xB8, 0x02, 0x00, 0x00, 0x00, 0xC3 });
    m.gpr(x86::RBX) = 0x700000 + (leaf & 0xFFF);
    m.gpr(x86::RCX) = 0x302000 | P | RW;
    m.gpr(x86::RDX) = 0x601000;
    m.gpr(x86::RSP) = 0x611000;
    m.ctx().hot.pc = 0x600000;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::R8) == 1);
    CHECK(m.gpr(x86::RAX) == 2);
    CHECK(exits(m, RunExit::Dispatch) == 0); // INVLPG went on through the lookup thunk
}

TEST_CASE("x86: STI with no interrupt waiting goes on without the dispatcher", "[x86][events]")
{
    // mov ecx, 1000 / 1: sti / cli / dec ecx / jnz 1b / hlt, with IF clear at the start and
    // nothing raised: before, every STI returned to the dispatcher (some 2,000 exits).
    // A host tick (every millisecond) may still bring the loop back once or twice.
    GuestMachine m;
    m.load(0x10000, { 0xB9, 0xE8, 0x03, 0x00, 0x00, 0xFB, 0xFA, 0xFF, 0xC9, 0x75, 0xFA, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RCX) == 0);
    u64 dispatcher_visits = exits(m, RunExit::Dispatch) + exits(m, RunExit::Interrupted);
    INFO("returns to the dispatcher: " << dispatcher_visits);
    CHECK(dispatcher_visits < 100);
}

TEST_CASE("x86: IRETQ to the next instruction goes on without the dispatcher", "[x86][events]")
{
    // Linux's sync_core(), 1,000 times: mov ecx, 1000 / 1: mov eax, ss / push rax /
    // lea rax, [rsp + 8] / push rax / pushfq / mov eax, cs / push rax / lea rax, [rip + 3] /
    // push rax / iretq / dec ecx / jnz 1b / hlt. Before, every IRETQ left through a helper
    // exit and the dispatcher (some 1,000 exits).
    GuestMachine m;
    m.load(0x10000, { 0xB9, 0xE8, 0x03, 0x00, 0x00, 0x8C, 0xD0, 0x50, 0x48, 0x8D, 0x44, 0x24, 0x08, 0x50, 0x9C, 0x8C, 0xC8, 0x50, 0x48,
                        0x8D, 0x05, 0x03, 0x00, 0x00, 0x00, 0x50, 0x48, 0xCF, 0xFF, 0xC9, 0x75, 0xE5, 0xF4 });
    u64 rsp = m.gpr(x86::RSP);
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RCX) == 0);
    CHECK(m.gpr(x86::RSP) == rsp); // each IRETQ popped what its iteration pushed
    u64 dispatcher_visits = exits(m, RunExit::Dispatch) + exits(m, RunExit::Interrupted) + exits(m, RunExit::HelperExit);
    INFO("returns to the dispatcher: " << dispatcher_visits);
    CHECK(dispatcher_visits < 100);
}

TEST_CASE("x86: an exit to a block already translated is chained when its block is translated", "[x86][cache]")
{
    // 0x10000: mov ecx, 2 / jmp X      X (0x10010): dec ecx / jz END
    // Y (0x10014): jmp X                END (0x10030): hlt
    // Each exit to a block not yet translated returns to the dispatcher once, unchained:
    // S -> X, X -> Y and X -> END. Y is translated after X, so its exit to X is chained
    // right away and never leaves chained code (it used to: four such returns).
    std::vector<u8> code(0x31, 0x90);
    const u8 start[] = { 0xB9, 0x02, 0x00, 0x00, 0x00, 0xEB, 0x09 }; // mov ecx, 2 / jmp 0x10010
    const u8 x[] = { 0xFF, 0xC9, 0x74, 0x1C };                         // dec ecx / jz 0x10030
    const u8 y[] = { 0xEB, 0xFA };                                     // jmp 0x10010
    std::copy(std::begin(start), std::end(start), code.begin());
    std::copy(std::begin(x), std::end(x), code.begin() + 0x10);
    std::copy(std::begin(y), std::end(y), code.begin() + 0x14);
    code[0x30] = 0xF4;
    GuestMachine m;
    m.load(0x10000, code);
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RCX) == 0);
    CHECK(exits(m, RunExit::Unchained) == 3);
}
