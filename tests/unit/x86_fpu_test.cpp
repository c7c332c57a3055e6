// x87 through the host FPU (docs/x87.md): the exceptions keel raises in IR before the host
// runs an x87 instruction, so that the host itself never takes one; and SSE's MXCSR
// (docs/sse.md): an exception the guest unmasked raises #XM (or #UD) after the host ran the
// instruction masked, the destination left as it was. ctest unit.x86.
#include <catch2/catch.hpp>
#include "guest_machine.h"

using namespace keel;
using namespace keel::unit;

namespace {

// fld1 / fldz / mov eax, CW / mov [rsp-8], ax / fldcw [rsp-8] / fdivp st(1), st(0) /
// fld1 / hlt. The second FLD1 is at 0x10014.
std::vector<u8> divide_by_zero_with(u16 control_word)
{
    std::vector<u8> code { 0xD9, 0xE8, 0xD9, 0xEE, 0xB8 };
    append_le(code, control_word, 4);
    code.insert(code.end(), { 0x66, 0x89, 0x44, 0x24, 0xF8, 0xD9, 0x6C, 0x24, 0xF8, 0xDE, 0xF9, 0xD9, 0xE8, 0xF4 });
    return code;
}

u16 fpu_status(GuestMachine& m) { return static_cast<u16>(m.cpu().fpu[2] | m.cpu().fpu[3] << 8); }

} // namespace

TEST_CASE("x87: an unmasked exception is pending until the next waiting instruction raises #MF", "[x86][fpu]")
{
    // Intel SDM vol. 1 §8.7: with ZE unmasked (FCW 0x037B), FDIVP by zero sets ZE and ES;
    // the next x87 instruction faults with #MF before it executes.
    GuestMachine m;
    m.load(0x10000, divide_by_zero_with(0x037B));
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::MF);
    CHECK(m.cpu().event.return_rip == 0x10014);
    CHECK((fpu_status(m) & 0x84) == 0x84); // ES and ZE
}

TEST_CASE("x87: a masked exception only sets its flag", "[x86][fpu]")
{
    GuestMachine m;
    m.load(0x10000, divide_by_zero_with(0x037F));
    m.require_halted(m.run_to_halt());
    CHECK((fpu_status(m) & 0x84) == 0x04); // ZE, no ES
}

TEST_CASE("x87: CR0.TS or CR0.EM make an x87 instruction raise #NM", "[x86][fpu]")
{
    for (u64 bit : { u64 { 1 << 3 }, u64 { 1 << 2 } }) {
        GuestMachine m;
        m.load(0x10000, { 0xD9, 0xE8, 0xF4 }); // fld1 / hlt
        m.cpu().cr0 |= bit;
        RunResult r = m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(m.cpu().event.vector == x86::vector::NM);
        CHECK(m.cpu().event.return_rip == 0x10000);
    }
}

namespace {

// mov eax, MXCSR / push rax / ldmxcsr [rsp] / pop rax / divsd xmm0, xmm1 (at 0x1000B) / hlt,
// with xmm0 = 1.0 and xmm1 = 0.0.
constexpr u64 divsd_at = 0x1000B;
constexpr u64 one_bits = 0x3FF0000000000000ull;

void load_sse_divide_by_zero(GuestMachine& m, u32 mxcsr)
{
    std::vector<u8> code { 0xB8 };
    append_le(code, mxcsr, 4);
    code.insert(code.end(), { 0x50, 0x0F, 0xAE, 0x14, 0x24, 0x58, 0xF2, 0x0F, 0x5E, 0xC1, 0xF4 });
    m.load(0x10000, code);
    __builtin_memcpy(m.cpu().xmm[0], &one_bits, 8);
    __builtin_memset(m.cpu().xmm[1], 0, 16);
}

u64 xmm0_low(GuestMachine& m)
{
    u64 v;
    __builtin_memcpy(&v, m.cpu().xmm[0], 8);
    return v;
}

} // namespace

TEST_CASE("sse: an unmasked SIMD exception raises #XM at the instruction, its destination unchanged", "[x86][sse]")
{
    // ZM clear (MXCSR 0x1D80): DIVSD by zero faults (Intel SDM vol. 1 §11.5.1) with ZE set.
    GuestMachine m;
    load_sse_divide_by_zero(m, 0x1D80);
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::XM);
    CHECK(m.cpu().event.return_rip == divsd_at);
    CHECK(xmm0_low(m) == one_bits);
    CHECK((m.cpu().mxcsr & 0x3F) == 0x04); // ZE

    // Without CR4.OSXMMEXCPT the same exception is #UD (vol. 3 §6.15, interrupt 19).
    GuestMachine u;
    load_sse_divide_by_zero(u, 0x1D80);
    u.cpu().cr4 &= ~x86::cr4::OSXMMEXCPT;
    r = u.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(u.cpu().event.vector == x86::vector::UD);
    CHECK(xmm0_low(u) == one_bits);
}

TEST_CASE("sse: a masked SIMD exception gives the default result and a sticky flag", "[x86][sse]")
{
    GuestMachine m;
    load_sse_divide_by_zero(m, 0x1F80);
    m.require_halted(m.run_to_halt());
    CHECK(xmm0_low(m) == 0x7FF0000000000000ull); // +infinity
    CHECK((m.cpu().mxcsr & 0x3F) == 0x04);
    CHECK((m.cpu().mxcsr & 0xFFC0) == 0x1F80); // the control bits as the guest set them
}
