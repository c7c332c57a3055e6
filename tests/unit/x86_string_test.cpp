// REP MOVS and REP STOS (Intel SDM vol. 2, MOVS, STOS, REP): the rep_string helper does
// the elements that lie in one page of RAM directly on host memory (ArchServices::host_span)
// and the rest one element at a time. Both must give what the CPU gives element by element:
// overlapping copies repeat, descending copies (DF = 1) go top down, an element across a
// page boundary works, and a fault stops at the first element that faults with RCX, RSI
// and RDI describing what is left. Part of ctest unit.x86.
#include <catch2/catch.hpp>
#include <random>
#include <vector>
#include "guest_machine.h"
#include "page_tables.h"
#include "plugins/arch/x86/exceptions.h"

using namespace keel;
using keel::unit::GuestMachine;
using keel::unit::PageTables;
using namespace keel::unit::pte;

namespace {

void append_mov_imm64(std::vector<u8>& code, u8 reg, u64 imm) // REX.W B8+r io
{
    code.push_back(0x48);
    code.push_back(static_cast<u8>(0xB8 + reg));
    for (int i = 0; i < 8; ++i)
        code.push_back(static_cast<u8>(imm >> (8 * i)));
}

// REP MOVS or STOS of `size`-byte elements (F3, 66 or REX.W, A4/A5 or AA/AB).
void append_rep(std::vector<u8>& code, bool movs, unsigned size)
{
    code.push_back(0xF3);
    if (size == 2)
        code.push_back(0x66);
    if (size == 8)
        code.push_back(0x48);
    u8 opcode = movs ? 0xA4 : 0xAA;
    code.push_back(static_cast<u8>(size == 1 ? opcode : opcode + 1));
}

// What the CPU does, element by element, to `memory` (a copy of guest RAM from `base`).
void reference(std::vector<u8>& memory, u64 base, bool movs, unsigned size, bool down, u64 rsi, u64 rdi, u64 count, u64 rax)
{
    for (u64 i = 0; i < count; ++i) {
        u8 element[8];
        for (unsigned b = 0; b < size; ++b)
            element[b] = movs ? memory[rsi - base + b] : static_cast<u8>(rax >> (8 * b));
        for (unsigned b = 0; b < size; ++b)
            memory[rdi - base + b] = element[b];
        rsi = down ? rsi - size : rsi + size;
        rdi = down ? rdi - size : rdi + size;
    }
}

} // namespace

TEST_CASE("x86: REP MOVS and STOS match the element-by-element result (sizes, directions, overlaps, page crossings)", "[x86][string]")
{
    constexpr u64 base = 0x300000, window = 0x6000; // three pages either side of 0x303000
    const u64 seed = 0x5EED0005;
    std::mt19937_64 rng(seed);
    int ran = 0;
    for (int n = 0; n < 48; ++n) {
        bool movs = rng() & 1, down = rng() & 1;
        unsigned size = 1u << (rng() % 4);
        u64 count = 1 + rng() % (6000 / size);
        // Pointers near the middle page boundary, misaligned half the time, the source
        // sometimes just below or above the destination (overlapping copies).
        u64 rdi = 0x303000 + (rng() % 0x200) - 0x100;
        u64 rsi = rng() % 3 == 0 ? rdi + (rng() % 17) - 8 : 0x303000 + (rng() % 0x1000) - 0x800;
        // A repeated byte (zero: how Linux clears pages) a quarter of the time.
        u64 rax = rng() % 4 == 0 ? 0x0101010101010101ull * (rng() & 0xFF) : rng();
        // Keep every element inside the window.
        u64 span = count * size;
        u64 low = base + 0x10, high = base + window - 0x10;
        auto fits = [&](u64 p) { return down ? (p + size <= high && p + size >= low + span) : (p >= low && p + span <= high); };
        if (!fits(rdi) || (movs && !fits(rsi)))
            continue;
        INFO("seed 0x" << std::hex << seed << " case " << std::dec << n << ": " << (movs ? "movs" : "stos") << size << (down ? " std" : "")
                       << " rsi 0x" << std::hex << rsi << " rdi 0x" << rdi << " rcx 0x" << count);
        ++ran;
        GuestMachine m;
        std::vector<u8> memory(window);
        for (u64 i = 0; i < window; ++i)
            memory[i] = static_cast<u8>(rng());
        m.write(base, memory);
        std::vector<u8> code;
        append_mov_imm64(code, x86::RSI, rsi);
        append_mov_imm64(code, x86::RDI, rdi);
        append_mov_imm64(code, x86::RCX, count);
        append_mov_imm64(code, x86::RAX, rax);
        code.push_back(down ? 0xFD : 0xFC); // std / cld
        append_rep(code, movs, size);
        code.push_back(0xF4);
        m.load(0x10000, code);
        m.require_halted(m.run_to_halt());

        reference(memory, base, movs, size, down, rsi, rdi, count, rax);
        CHECK(m.gpr(x86::RCX) == 0);
        i64 moved = down ? -static_cast<i64>(span) : static_cast<i64>(span);
        CHECK(m.gpr(x86::RDI) == rdi + moved);
        if (movs)
            CHECK(m.gpr(x86::RSI) == rsi + moved);
        u64 first_difference = window;
        for (u64 i = 0; i < window && first_difference == window; ++i)
            if (m.read(base + i, 1) != memory[i])
                first_difference = i;
        INFO("first differing byte at 0x" << std::hex << base + first_difference);
        CHECK(first_difference == window);
    }
    CHECK(ran >= 24); // the cases that fit the window; the generator must keep producing them
}

// A REP STOS or MOVS that reaches an unmapped page raises #PF there, at the first element
// in it, with everything before it done and RCX, RSI, RDI pointing at that element (SDM
// vol. 2, REP: the instruction continues from there once the handler returns).
TEST_CASE("x86: REP STOS and MOVS into or from a missing page fault at its first element", "[x86][string]")
{
    for (bool movs : { false, true }) {
        INFO((movs ? "rep movsb from a missing page" : "rep stosb into a missing page"));
        GuestMachine m;
        m.load(0x10000, { 0xF4 });
        PageTables pt(m);
        pt.map(0x600000, 0x300000, P | RW); // code
        pt.map(0x601000, 0x301000, P | RW); // data; 0x602000 is not mapped
        pt.map(0x700000, 0x305000, P | RW); // the other operand
        m.engine().flush_tlb();
        std::vector<u8> code;
        append_mov_imm64(code, x86::RSI, movs ? 0x601F00 : 0x700000);
        append_mov_imm64(code, x86::RDI, movs ? 0x700000 : 0x601F00);
        append_mov_imm64(code, x86::RCX, 0x200);
        append_mov_imm64(code, x86::RAX, 0x5A);
        code.push_back(0xFC);
        u64 rep_at = 0x600000 + code.size();
        append_rep(code, movs, 1);
        code.push_back(0xF4);
        m.write(0x300000, code);
        std::vector<u8> source(0x100, 0x77);
        m.write(movs ? 0x301F00 : 0x305000, source);
        m.ctx().hot.pc = 0x600000;

        RunResult r = m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        const x86::PendingEvent& e = m.cpu().event;
        CHECK(e.vector == x86::vector::PF);
        CHECK(e.return_rip == rep_at);
        CHECK(m.cpu().cr2 == 0x602000);
        CHECK(e.error_code == (movs ? 0u : x86::pf_error::write));
        CHECK(m.gpr(x86::RCX) == 0x100);
        CHECK(m.gpr(movs ? x86::RSI : x86::RDI) == 0x602000);
        CHECK(m.gpr(movs ? x86::RDI : x86::RSI) == (movs ? 0x700100u : 0x700000u)); // STOS leaves RSI
        // The 0x100 elements before the fault are done.
        u64 written = movs ? 0x305000 : 0x301F00;
        for (u64 i = 0; i < 0x100; ++i)
            REQUIRE(m.read(written + i, 1) == (movs ? 0x77u : 0x5Au));
    }
}

// REP STOS over the code that follows it: the store reaches translated code, which must
// not run stale (the slow path's self-modifying-code handling, not the bulk path).
TEST_CASE("x86: REP STOS over the instructions after it runs the new ones", "[x86][string][smc]")
{
    GuestMachine m;
    // mov rdi, 0x10020 / mov rcx, 1 / mov al, 0xF4 / rep stosb / (at 0x10020) mov eax, 1; hlt
    std::vector<u8> code;
    append_mov_imm64(code, x86::RDI, 0x10020);
    append_mov_imm64(code, x86::RCX, 1);
    code.push_back(0xB0), code.push_back(0xF4); // mov al, 0xF4
    append_rep(code, false, 1);
    while (code.size() < 0x20)
        code.push_back(0x90);
    code.insert(code.end(), { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4 }); // mov eax, 1 / hlt
    m.load(0x10000, code);
    m.gpr(x86::RAX) = 0;
    m.require_halted(m.run_to_halt());
    CHECK((m.gpr(x86::RAX) & 0xFFFFFFFF00ull) == 0); // EAX stayed 0xF4: the mov was overwritten by HLT
    CHECK((m.gpr(x86::RAX) & 0xFF) == 0xF4);
}
