// Real-address mode (docs/modes.md#real-mode): the CPU after reset, addresses as segment
// x 16 + offset, events through the interrupt vector table, IRET, and the A20 gate. The
// reset ROM (tests/bios) runs the same paths from the reset vector and compares its output
// with QEMU's; these tests pin the frames, the faults and the wrap one by one.
#include <catch2/catch.hpp>
#include "guest_machine.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"

namespace keel::unit {
namespace {

// Code at CS:IP in real mode; DS, ES, SS at selector 0; IVT at 0 with the reset limit.
void enter_real(GuestMachine& m, u16 cs, u16 ip, const std::vector<u8>& code)
{
    x86::CpuState& s = m.cpu();
    REQUIRE_FALSE(s.cr0 & x86::cr0::PE); // the reset state: real mode
    m.write((u64(cs) << 4) + ip, code);
    s.segment[x86::CS].selector = cs;
    s.segment[x86::CS].base = u64(cs) << 4;
    m.ctx().hot.pc = ip;
    s.idtr = { 0, 0x3FF };
    x86::refresh_mode(m.ctx());
    REQUIRE((m.ctx().hot.mode & (x86::mode::protected_mode | x86::mode::code32 | x86::mode::flat)) == 0);
}

void put_vector(GuestMachine& m, u8 vector, u16 segment, u16 offset)
{
    m.write(vector * 4u, { static_cast<u8>(offset), static_cast<u8>(offset >> 8), static_cast<u8>(segment), static_cast<u8>(segment >> 8) });
}

RunResult run_delivering(GuestMachine& m)
{
    Engine::RunOptions options;
    options.stop_on_halt = true; // exceptions are delivered, not stopped at
    return m.engine().run(options);
}

} // namespace

TEST_CASE("x86 real mode: the reset state is F000:FFF0 with CS.base 0xFFFF0000", "[x86][real]")
{
    // Intel SDM vol. 3 §9.1.4: the first instruction is fetched at 0xFFFFFFF0.
    GuestMachine m;
    const x86::CpuState& s = m.cpu();
    CHECK(s.segment[x86::CS].selector == 0xF000);
    CHECK(s.segment[x86::CS].base == 0xFFFF0000);
    CHECK(s.segment[x86::CS].limit == 0xFFFF);
    CHECK(m.ctx().hot.pc == 0xFFF0);
    CHECK(m.ctx().hot.code_base == 0xFFFF0000);
    CHECK(s.cr0 == 0x60000010);
}

TEST_CASE("x86 real mode: INT n pushes FLAGS, CS and IP on SS:SP and enters through the IVT", "[x86][real]")
{
    // Intel SDM vol. 2, INT n (REAL-ADDRESS-MODE): three words, IF/TF/AC cleared.
    GuestMachine m;
    enter_real(m, 0x1000, 0x0100, { 0xFB, 0xCD, 0x21 }); // sti; int 0x21
    put_vector(m, 0x21, 0x2000, 0x0010);
    m.write(0x20010, { 0xF4 }); // the handler: hlt (IF is clear there)
    m.cpu().segment[x86::SS] = x86::Segment { 0x30000, 0xFFFF, 0x3000, 0x93 };
    m.gpr(x86::RSP) = 0xABCD0000; // SP = 0: the pushes wrap to 0xFFFA, ESP's top half stays
    m.require_halted(run_delivering(m));
    CHECK(m.cpu().segment[x86::CS].selector == 0x2000);
    CHECK(m.cpu().segment[x86::CS].base == 0x20000);
    CHECK(m.ctx().hot.pc == 0x0011);
    CHECK(m.gpr(x86::RSP) == 0xABCDFFFA);
    CHECK(m.read(0x3FFFA, 2) == 0x0103);          // IP after the INT (STI at 0x100, INT at 0x101)
    CHECK(m.read(0x3FFFC, 2) == 0x1000);          // CS
    CHECK((m.read(0x3FFFE, 2) & 0x0200) == 0x0200); // FLAGS with IF, as before the INT
    CHECK_FALSE(x86::read_rflags(m.ctx()) & x86::rflags::IF);
}

TEST_CASE("x86 real mode: IRET pops IP, CS and FLAGS", "[x86][real]")
{
    GuestMachine m;
    enter_real(m, 0x1000, 0x0000, { 0xCF }); // iret
    m.write(0x2000, { 0x34, 0x12, 0x00, 0x30, 0xD5, 0x08 }); // IP 0x1234, CS 0x3000, FLAGS: CF PF AF ZF SF OF
    m.write(0x31234, { 0xF4 });
    m.gpr(x86::RSP) = 0x2000;
    m.require_halted(run_delivering(m));
    CHECK(m.cpu().segment[x86::CS].base == 0x30000);
    CHECK(m.ctx().hot.pc == 0x1235);
    CHECK(m.gpr(x86::RSP) == 0x2006);
    CHECK((x86::read_rflags(m.ctx()) & 0x8D5) == 0x8D5);
}

TEST_CASE("x86 real mode: a vector beyond the IVT's limit is #GP, then #DF, then a triple fault", "[x86][real]")
{
    // INT n: "IF ((vector_number << 2) + 3) is not within IDT limit THEN #GP"; the #GP's and
    // the #DF's own entries are beyond it too.
    GuestMachine m;
    enter_real(m, 0x1000, 0x0000, { 0xCD, 0x21 });
    m.cpu().idtr.limit = 0x1F; // vectors 0-7 only
    RunResult r = run_delivering(m);
    INFO(r.message);
    CHECK(r.kind == RunResult::Kind::TripleFault);
}

TEST_CASE("x86 real mode: #DE from DIV pushes the divide's own IP", "[x86][real]")
{
    GuestMachine m;
    enter_real(m, 0x1000, 0x0040, { 0xF6, 0xF3 }); // div bl (BL = 0)
    put_vector(m, 0, 0x1000, 0x0080);
    m.write(0x10080, { 0xF4 });
    m.gpr(x86::RSP) = 0x8000;
    m.require_halted(run_delivering(m));
    CHECK(m.ctx().hot.pc == 0x0081);
    CHECK(m.read(0x7FFA, 2) == 0x0040);
}

TEST_CASE("x86 real mode: LTR is not recognised (#UD)", "[x86][real]")
{
    GuestMachine m;
    enter_real(m, 0x1000, 0x0000, { 0x0F, 0x00, 0xD8 }); // ltr ax
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::UD);
}

TEST_CASE("x86 real mode: with A20 masked, FFFF:0510 is physical 0x500", "[x86][real]")
{
    GuestMachine m;
    // mov ax, 0xffff; mov es, ax; mov word [es:0x510], 0x4321; hlt
    enter_real(m, 0x1000, 0x0000, { 0xB8, 0xFF, 0xFF, 0x8E, 0xC0, 0x26, 0xC7, 0x06, 0x10, 0x05, 0x21, 0x43, 0xF4 });
    SECTION("A20 enabled: the write goes to 0x100500")
    {
        m.require_halted(m.run_to_halt());
        CHECK(m.read(0x100500, 2) == 0x4321);
        CHECK(m.read(0x500, 2) == 0);
    }
    SECTION("A20 masked by the machine's gate: it wraps to 0x500")
    {
        m.pc().machine().set_a20_input(0, false); // the keyboard controller's line; port 0x92's is off
        REQUIRE(m.cpu().a20_masked);
        m.require_halted(m.run_to_halt());
        CHECK(m.read(0x500, 2) == 0x4321);
        CHECK(m.read(0x100500, 2) == 0);
        m.pc().machine().set_a20_input(1, true); // port 0x92 alone enables it again
        CHECK_FALSE(m.cpu().a20_masked);
    }
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 real mode: a word at offset 0xFFFF leaves the 64 KiB limit: #GP", "[x86][real]")
{
    // Intel SDM vol. 3 §21.1.1 / vol. 2 MOV (real-address mode exceptions): "#GP if a
    // memory operand effective address is outside the ... segment limit".
    GuestMachine m;
    enter_real(m, 0x1000, 0x0000, { 0xA1, 0xFF, 0xFF }); // mov ax, [0xffff]
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::GP);
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 real mode: a string instruction's element past the 64 KiB limit is #GP", "[x86][real]")
{
    GuestMachine m;
    enter_real(m, 0x1000, 0x0000, { 0xA5, 0xA5 }); // movsw; movsw
    m.gpr(x86::RSI) = 0xFFFD; // the first word is FFFD-FFFE; the second would be FFFF-10000
    m.gpr(x86::RDI) = 0x0100;
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::GP);
    CHECK(m.cpu().event.return_rip == 0x0001); // the second MOVSW
    CHECK((m.gpr(x86::RSI) & 0xFFFF) == 0xFFFF); // after the first, not the second
}

} // namespace keel::unit
