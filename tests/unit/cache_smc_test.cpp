// Self-modifying code and changing mappings, end to end: writes that reach code through
// a TLB entry filled before the page held code, through a string instruction's helper,
// and a block whose second page is remapped. Intel SDM vol. 3 §11.6: a write to code
// that has been fetched is seen by the instructions executed after it. Part of ctest
// unit.cache.
#include <catch2/catch.hpp>
#include "guest_machine.h"
#include "page_tables.h"

using namespace keel;
using keel::unit::GuestMachine;
using keel::unit::PageTables;
using namespace keel::unit::pte;

TEST_CASE("cache: code placed in a page the TLB already holds as writable data is still protected", "[cache]")
{
    GuestMachine m;
    // 0x10000: mov byte [0x11800], 1    ; data write: the TLB maps page 0x11000 writable
    //          mov ecx, 2
    // again:   mov eax, 0x11000 / jmp rax ; run Q (translating it write-protects its page)
    // back:    mov byte [0x11002], 9    ; rewrite Q's immediate: add ebx, 9
    //          dec ecx / jnz again / hlt
    // 0x11000 (Q): add ebx, 5 / mov edx, back / jmp rdx
    m.load(0x10000, { 0xC6, 0x04, 0x25, 0x00, 0x18, 0x01, 0x00, 0x01, 0xB9, 0x02, 0x00, 0x00, 0x00, 0xB8, 0x00, 0x10, 0x01,
                         0x00, 0xFF, 0xE0, 0xC6, 0x04, 0x25, 0x02, 0x10, 0x01, 0x00, 0x09, 0xFF, 0xC9, 0x75, 0xED, 0xF4 });
    m.write(0x11000, { 0x83, 0xC3, 0x05, 0xBA, 0x14, 0x00, 0x01, 0x00, 0xFF, 0xE2 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RBX) == 5 + 9); // the second pass ran the rewritten instruction
    CHECK(m.engine().blocks().stats().invalidated >= 1);
}

TEST_CASE("cache: a store crossing into a code page invalidates the code there", "[cache]")
{
    GuestMachine m;
    // 0x10000: mov ecx, 2
    // again:   mov eax, 0x11000 / jmp rax                  ; run Q
    // back:    mov rax, 0xBA09C38300000000 / mov [0x10FFC], rax ; 4 bytes in each page:
    //          the high ones rewrite Q's `add ebx, 5` into `add ebx, 9`
    //          dec ecx / jnz again / hlt
    // 0x11000 (Q): add ebx, 5 / mov edx, back / jmp rdx
    m.load(0x10000, { 0xB9, 0x02, 0x00, 0x00, 0x00, 0xB8, 0x00, 0x10, 0x01, 0x00, 0xFF, 0xE0, 0x48, 0xB8, 0x00, 0x00, 0x00,
                         0x00, 0x83, 0xC3, 0x09, 0xBA, 0x48, 0x89, 0x04, 0x25, 0xFC, 0x0F, 0x01, 0x00, 0xFF, 0xC9, 0x75, 0xE3,
                         0xF4 });
    m.write(0x11000, { 0x83, 0xC3, 0x05, 0xBA, 0x0C, 0x00, 0x01, 0x00, 0xFF, 0xE2 });
    m.require_halted(m.run_to_halt());
    CHECK(m.read(0x10FFC, 8) == 0xBA09C38300000000ull);
    CHECK(m.gpr(x86::RBX) == 5 + 9);
}

TEST_CASE("cache: a string instruction rewriting the rest of its own block", "[cache]")
{
    GuestMachine m;
    // mov edi, 0x1000F / mov al, 7 / mov ecx, 1 / rep stosb / mov eax, 1 / hlt:
    // REP STOSB (a helper, not the inline store path) writes 7 over the immediate of
    // the MOV that follows it in the same block.
    m.load(0x10000, { 0xBF, 0x0F, 0x00, 0x01, 0x00, 0xB0, 0x07, 0xB9, 0x01, 0x00, 0x00, 0x00, 0xF3, 0xAA, 0xB8, 0x01, 0x00,
                         0x00, 0x00, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.read(0x1000F, 1) == 7);
    CHECK(m.gpr(x86::RAX) == 7);
}

TEST_CASE("cache: a store rewriting an instruction already executed in the running block", "[cache]")
{
    GuestMachine m;
    // 0x10000: mov eax, 1 / mov byte [0x10001], 3 / hlt, run twice: the first run gets 1
    // (the store comes after), the second gets the new immediate 3.
    m.load(0x10000, { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC6, 0x04, 0x25, 0x01, 0x00, 0x01, 0x00, 0x03, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 1);
    m.ctx().hot.pc = 0x10000;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 3);
}

TEST_CASE("cache: a block crossing into a remapped page is translated again", "[cache]")
{
    GuestMachine m;
    m.load(0x10000, { 0xF4 });
    PageTables pt(m);
    // Virtual 0x400000 -> 0x300000, 0x401000 -> 0x301000 (then 0x302000). At 0x400FF8:
    // mov eax, 1 / mov ebx, imm32 (its last two immediate bytes on the second page) / hlt.
    pt.map(0x400000, 0x300000, P | RW);
    u64 second = pt.map(0x401000, 0x301000, P | RW);
    m.write(0x300FF8, { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xBB, 0x33, 0x44 });
    m.write(0x301000, { 0x11, 0x00, 0xF4 });
    m.write(0x302000, { 0x22, 0x00, 0xF4 });
    m.ctx().hot.pc = 0x400FF8;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RBX) == 0x114433);
    u64 translations = m.engine().stats().translations;

    // The guest remaps the second page and reloads CR3; the first page (the block's key)
    // is unchanged, so only the second page's mapping tells the block is stale.
    pt.set_entry(second, 0x302000 | P | RW);
    m.engine().flush_tlb();
    m.ctx().hot.pc = 0x400FF8;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RBX) == 0x224433);
    CHECK(m.engine().stats().translations > translations);

    // Writing the second page's physical bytes invalidates the block too.
    m.ctx().hot.pc = 0x10000;
    m.write(0x10000, { 0xC6, 0x04, 0x25, 0x00, 0x10, 0x40, 0x00, 0x55, 0xF4 }); // mov byte [0x401000], 0x55 / hlt
    pt.map(0x10000, 0x10000, P | RW);
    m.engine().flush_tlb();
    m.require_halted(m.run_to_halt());
    CHECK(m.read(0x302000, 1) == 0x55);
    m.ctx().hot.pc = 0x400FF8;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RBX) == 0x554433);
}
