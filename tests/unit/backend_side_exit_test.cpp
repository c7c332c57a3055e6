// Side exits (IR ExitIf, docs/ir.md#side-exits): a block that goes on past a forward
// conditional branch leaves, when the branch is taken, with exactly the guest state of the
// branch (registers, flags, stores before it; none of what follows), and its exit chains
// like a terminal's. Part of ctest unit.backend.
#include <catch2/catch.hpp>
#include <algorithm>
#include <iterator>
#include <vector>
#include "guest_machine.h"
#include "plugins/arch/x86/mode.h"

using namespace keel;
using keel::unit::GuestMachine;

namespace {

// 0x10000: mov eax, 1 / mov [rdi], eax / add ebx, 5 / cmp ecx, 0 / je 0x10020 /
//          mov eax, 2 / mov ebx, 9 / mov [rdi], ebx / hlt
// 0x10020: hlt
// RDI = 0x8000. Taken (ECX = 0): RAX = 1, RBX = 5, [RDI] = 1, ZF and PF of the CMP set
// (0x44). Not taken: RAX = 2, RBX = 9, [RDI] = 9.
std::vector<u8> branchy_code()
{
    std::vector<u8> code(0x21, 0x90);
    const u8 body[] = { 0xB8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1
        0x89, 0x07,                                    // mov [rdi], eax
        0x83, 0xC3, 0x05,                              // add ebx, 5
        0x83, 0xF9, 0x00,                              // cmp ecx, 0
        0x74, 0x11,                                    // je 0x10020
        0xB8, 0x02, 0x00, 0x00, 0x00,                  // mov eax, 2
        0xBB, 0x09, 0x00, 0x00, 0x00,                  // mov ebx, 9
        0x89, 0x1F,                                    // mov [rdi], ebx
        0xF4 };                                        // hlt
    std::copy(std::begin(body), std::end(body), code.begin());
    code[0x20] = 0xF4;
    return code;
}

void run(GuestMachine& m, u64 rcx)
{
    m.load(0x10000, branchy_code());
    m.gpr(x86::RDI) = 0x8000;
    m.gpr(x86::RCX) = rcx;
    m.gpr(x86::RBX) = 0;
    m.require_halted(m.run_to_halt());
}

} // namespace

TEST_CASE("backend: a taken side exit leaves the state of its branch", "[backend][side-exits]")
{
    GuestMachine m(16 * MiB, 16 * MiB, true);
    run(m, 0);
    CHECK(m.ctx().hot.pc == 0x10021); // past the HLT at the exit's target
    CHECK(m.gpr(x86::RAX) == 1);
    CHECK(m.gpr(x86::RBX) == 5);
    CHECK(m.read(0x8000, 4) == 1);
    CHECK((x86::read_rflags(m.ctx()) & 0x8D5) == 0x44);
    // One block for the code up to the first HLT (the exit did not end it), one for the
    // exit's target.
    CHECK(m.engine().stats().translations == 2);
}

TEST_CASE("backend: a side exit not taken goes on in the same block", "[backend][side-exits]")
{
    GuestMachine m(16 * MiB, 16 * MiB, true);
    run(m, 3);
    CHECK(m.ctx().hot.pc == 0x1001C);
    CHECK(m.gpr(x86::RAX) == 2);
    CHECK(m.gpr(x86::RBX) == 9);
    CHECK(m.read(0x8000, 4) == 9);
    CHECK(m.engine().stats().translations == 1);
}

TEST_CASE("backend: without side exits a conditional branch ends its block", "[backend][side-exits]")
{
    GuestMachine m;
    run(m, 3);
    CHECK(m.gpr(x86::RAX) == 2);
    CHECK(m.engine().stats().translations == 2);
}

TEST_CASE("backend: a side exit taken many times is chained to its target", "[backend][side-exits]")
{
    // 0x10000: mov ecx, 100 / jmp X      X (0x10010): dec ecx / jnz Y (side exit) / hlt
    // Y (0x10020): jmp X
    // X leaves through its side exit 99 times. Unchained, once each: S -> X and the side
    // exit's first time (Y -> X is chained when Y is translated). An unchained side exit
    // would return to the dispatcher on every turn.
    std::vector<u8> code(0x22, 0x90);
    const u8 start[] = { 0xB9, 0x64, 0x00, 0x00, 0x00, 0xEB, 0x09 }; // mov ecx, 100 / jmp 0x10010
    const u8 x[] = { 0xFF, 0xC9, 0x75, 0x0C, 0xF4 };                   // dec ecx / jnz 0x10020 / hlt
    const u8 y[] = { 0xEB, 0xEE };                                     // jmp 0x10010
    std::copy(std::begin(start), std::end(start), code.begin());
    std::copy(std::begin(x), std::end(x), code.begin() + 0x10);
    std::copy(std::begin(y), std::end(y), code.begin() + 0x20);
    GuestMachine m(16 * MiB, 16 * MiB, true);
    m.load(0x10000, code);
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RCX) == 0);
    CHECK(m.engine().stats().translations == 3); // S, X (with the HLT), Y
    u64 unchained = m.engine().stats().exits[static_cast<u32>(RunExit::Unchained)];
    INFO("unchained exits: " << unchained);
    CHECK(unchained == 2);
}
