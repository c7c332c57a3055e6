// Operating modes outside 64-bit mode (docs/modes.md). Compatibility mode (IA-32e mode
// with CS.L = 0): the corners the compat guest (tests/guests/compat.c) does not reach
// from a flat 32-bit setup: a 16-bit stack, a data segment base that makes the linear
// address wrap, a code segment limit, and SYSCALL's entry point. Legacy protected mode:
// an interrupt from CPL 3 through the TSS's stack and IRETD back (the Multiboot kernel,
// tests/multiboot, covers same-level ones). Each test puts the CPU of the test-guest
// entry state into the mode by loading the descriptor caches directly.
#include <catch2/catch.hpp>
#include "guest_machine.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"

namespace keel::unit {
namespace {

using x86::seg_attr::db;
using x86::seg_attr::g;
constexpr u16 code32_attributes = 0x9B | db | g; // present, execute/read, accessed, DPL 0
constexpr u16 data32_attributes = 0x93 | db | g; // present, read/write, accessed, DPL 0
constexpr u16 data16_attributes = 0x93 | g;      // B = 0: a 16-bit stack (SP)

constexpr u64 code_at = 0x10000;

// The entry state at code_at, then CS a flat 32-bit code segment: the next run starts in
// compatibility mode at EIP code_at.
void enter_compat(GuestMachine& m, const std::vector<u8>& code)
{
    m.load(code_at, code);
    x86::CpuState& s = m.cpu();
    s.segment[x86::CS] = x86::Segment { 0, 0xFFFFFFFF, 0x38, code32_attributes };
    for (x86::SegmentIndex seg : { x86::DS, x86::ES, x86::SS })
        s.segment[seg] = x86::Segment { 0, 0xFFFFFFFF, 0x40, data32_attributes };
    x86::refresh_mode(m.ctx());
    REQUIRE((m.ctx().hot.mode & (x86::mode::long_mode | x86::mode::code64 | x86::mode::code32 | x86::mode::flat))
        == (x86::mode::long_mode | x86::mode::code32 | x86::mode::flat));
}

// The mode and TLB after a test changed the CPU state directly.
void refresh(GuestMachine& m)
{
    x86::refresh_mode(m.ctx());
    m.ctx().services->flush_tlb();
}

// Legacy protected mode (paging and IA-32e mode off) with flat 32-bit segments: CS 0x08 and
// DS, ES, SS, FS, GS 0x10 at CPL 0, or 0x1B and 0x23 at CPL 3 (where the tests' GDTs have
// those descriptors), and ESP. Tests change what they need after it, then refresh().
void enter_flat_protected_mode(GuestMachine& m, unsigned cpl, u64 esp)
{
    x86::CpuState& s = m.cpu();
    s.efer = 0;
    s.cr4 = 0;
    s.cr0 = x86::cr0::PE | x86::cr0::ET;
    u16 dpl = cpl == 3 ? 0x60 : 0;
    s.segment[x86::CS] = x86::Segment { 0, 0xFFFFFFFF, static_cast<u16>(cpl == 3 ? 0x1B : 0x08), static_cast<u16>(code32_attributes | dpl) };
    for (x86::SegmentIndex seg : { x86::DS, x86::ES, x86::SS, x86::FS, x86::GS })
        s.segment[seg] = x86::Segment { 0, 0xFFFFFFFF, static_cast<u16>(cpl == 3 ? 0x23 : 0x10), static_cast<u16>(data32_attributes | dpl) };
    m.gpr(x86::RSP) = esp;
    refresh(m);
}

} // namespace

TEST_CASE("x86 compat: a 16-bit stack moves SP only and wraps within 64 KiB", "[x86][compat]")
{
    // Intel SDM vol. 3 §3.4.5 (B flag): with SS.B = 0 pushes use SP; ESP's upper half stays.
    GuestMachine m;
    enter_compat(m, { 0x50, 0xF4 }); // push eax; hlt
    m.cpu().segment[x86::SS].attributes = data16_attributes;
    x86::refresh_mode(m.ctx());
    REQUIRE_FALSE(m.ctx().hot.mode & x86::mode::stack32);
    m.gpr(x86::RSP) = 0x00120000; // SP = 0: the push wraps to 0xFFFC
    m.gpr(x86::RAX) = 0xA1B2C3D4;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RSP) == 0x0012FFFC);
    CHECK(m.read(0xFFFC, 4) == 0xA1B2C3D4);
}

TEST_CASE("x86 compat: a data segment's base is added and the linear address wraps at 4 GiB", "[x86][compat]")
{
    GuestMachine m;
    enter_compat(m, { 0xA1, 0x00, 0x20, 0x00, 0x00, 0xF4 }); // mov eax, [0x2000]; hlt
    m.cpu().segment[x86::DS].base = 0xFFFFF000; // 0xFFFFF000 + 0x2000 = 0x1000 (mod 4 GiB)
    x86::refresh_mode(m.ctx());
    REQUIRE_FALSE(m.ctx().hot.mode & x86::mode::flat);
    m.write(0x1000, { 0x78, 0x56, 0x34, 0x12 });
    m.write(0x2000, { 0xEF, 0xBE, 0xAD, 0xDE });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 0x12345678);
}

TEST_CASE("x86 compat: a near jump beyond CS's limit raises #GP(0) on the jump", "[x86][compat]")
{
    // Intel SDM vol. 2, JMP: "#GP(0) if the target operand is outside of the code segment
    // limits". The jump's own address is the fault's; nothing after it runs.
    GuestMachine m;
    // jmp 0x20000 (E9 rel32 from 0x10005); hlt
    enter_compat(m, { 0xE9, 0xFB, 0xFF, 0x00, 0x00, 0xF4 });
    m.cpu().segment[x86::CS].limit = 0x1FFFF;
    x86::refresh_mode(m.ctx());
    RunResult r = m.run_to_halt();
    INFO(r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.kind == x86::PendingEvent::Kind::Fault);
    CHECK(m.cpu().event.vector == x86::vector::GP);
    CHECK(m.cpu().event.error_code == 0);
    CHECK(m.cpu().event.return_rip == code_at);
}

TEST_CASE("x86 compat: SYSCALL from compatibility mode enters at IA32_CSTAR", "[x86][compat]")
{
    // Intel SDM vol. 2, SYSCALL: "RIP := IA32_CSTAR" (AMD64 APM vol. 2 §6.1.1 for the
    // compatibility-mode target) with RCX the next EIP.
    GuestMachine m;
    enter_compat(m, { 0x0F, 0x05 }); // syscall
    m.write(0x30000, { 0xF4 });       // 64-bit code at CSTAR: hlt
    m.write(0x40000, { 0xF4 });       // at LSTAR: hlt
    x86::CpuState& s = m.cpu();
    s.efer |= x86::efer::SCE;
    s.star = u64(0x08) << 32;
    s.lstar = 0x40000;
    s.cstar = 0x30000;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RCX) == code_at + 2);
    CHECK(m.ctx().hot.pc == 0x30001); // past the HLT at CSTAR
    CHECK((m.ctx().hot.mode & x86::mode::code64));
}

} // namespace keel::unit

namespace keel::unit {
namespace {

void put_u64(GuestMachine& m, u64 address, u64 value)
{
    std::vector<u8> bytes;
    append_le(bytes, value, 8);
    m.write(address, bytes);
}

u64 gate32(u64 offset, u16 selector, u8 type_attributes)
{
    return (offset & 0xFFFF) | u64(selector) << 16 | u64(type_attributes) << 40 | ((offset >> 16) & 0xFFFF) << 48;
}

} // namespace

TEST_CASE("x86 protected mode: INT from CPL 3 switches to the TSS's stack, and IRETD returns to CPL 3", "[x86][protected]")
{
    // Intel SDM vol. 3 §6.12.1 (figure 6-4: SS, ESP, EFLAGS, CS, EIP pushed on the
    // handler's stack from TSS.SS0:ESP0) and vol. 2 IRET (RETURN-TO-OUTER-PRIVILEGE-LEVEL).
    GuestMachine m;
    // User code at 0x4000: int 0x80 (its handler returns at once with IRETD), int 0x81.
    m.load(0x4000, { 0xCD, 0x80, 0xCD, 0x81 });
    m.write(0x5000, { 0xCF }); // iretd
    // mov ebx,[esp]; mov ecx,[esp+4]; mov edx,[esp+12]; mov esi,[esp+16]; hlt
    m.write(0x5100, { 0x8B, 0x1C, 0x24, 0x8B, 0x4C, 0x24, 0x04, 0x8B, 0x54, 0x24, 0x0C, 0x8B, 0x74, 0x24, 0x10, 0xF4 });
    const u64 gdt[6] = { 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x00CFFA000000FFFFull, 0x00CFF2000000FFFFull,
        (0x89ull << 40) | (0x3000ull << 16) | 0x67 };
    for (unsigned i = 0; i < 6; ++i)
        put_u64(m, 0x1000 + 8 * i, gdt[i]);
    put_u64(m, 0x2000 + 0x80 * 8, gate32(0x5000, 0x08, 0xEE)); // 32-bit interrupt gate, DPL 3
    put_u64(m, 0x2000 + 0x81 * 8, gate32(0x5100, 0x08, 0xEE));
    m.write(0x3004, { 0x00, 0x90, 0x00, 0x00, 0x10, 0x00 }); // TSS: ESP0 0x9000, SS0 0x10

    x86::CpuState& s = m.cpu();
    enter_flat_protected_mode(m, 3, 0x7000);
    s.gdtr = { 0x1000, 6 * 8 - 1 };
    s.idtr = { 0x2000, 0x7FF };
    s.tr = x86::Segment { 0x3000, 0x67, 0x28, 0x89 };
    REQUIRE(x86::current_cpl(m.ctx()) == 3);
    REQUIRE((m.ctx().hot.mode & (x86::mode::protected_mode | x86::mode::long_mode)) == x86::mode::protected_mode);

    Engine::RunOptions options;
    options.stop_on_halt = true; // the INTs are delivered, not stops
    m.require_halted(m.engine().run(options));
    CHECK(m.gpr(x86::RBX) == 0x4004); // EIP after int 0x81: the first IRETD returned to CPL 3
    CHECK(m.gpr(x86::RCX) == 0x1B);
    CHECK(m.gpr(x86::RDX) == 0x7000); // the user's ESP, unchanged by the round trip
    CHECK(m.gpr(x86::RSI) == 0x23);
    CHECK(m.gpr(x86::RSP) == 0x9000 - 20);
    CHECK(m.cpu().segment[x86::SS].selector == 0x10);
    CHECK(x86::current_cpl(m.ctx()) == 0);
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 protected mode: SYSENTER to CPL 0 and SYSEXIT back to CPL 3", "[x86][protected]")
{
    // Intel SDM vol. 2, SYSENTER/SYSEXIT: fixed flat segments from IA32_SYSENTER_CS (CS,
    // CS + 8 for SS; CS + 16 and + 24, RPL 3, on the way out), ESP/EIP from the MSRs going
    // in, ECX/EDX coming out; IF cleared going in.
    GuestMachine m;
    m.load(0x4000, { 0xFB, 0x0F, 0x34 }); // sti; sysenter
    // mov ebx, esp; pushfd; pop esi; mov edx, 0x4100; mov ecx, 0x7000; sysexit
    m.write(0x5000, { 0x89, 0xE3, 0x9C, 0x5E, 0xBA, 0x00, 0x41, 0x00, 0x00, 0xB9, 0x00, 0x70, 0x00, 0x00, 0x0F, 0x35 });
    m.write(0x4100, { 0x0F, 0x0B }); // ud2: the run stops there, at CPL 3
    x86::CpuState& s = m.cpu();
    enter_flat_protected_mode(m, 3, 0x6000);
    x86::write_rflags(m.ctx(), x86::rflags::Fixed1 | (3u << 12)); // IOPL 3: STI at CPL 3
    s.sysenter_cs = 0x08;
    s.sysenter_esp = 0x9000;
    s.sysenter_eip = 0x5000;
    REQUIRE(x86::current_cpl(m.ctx()) == 3);
    RunResult r = m.run_to_halt();
    INFO(r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(s.event.vector == x86::vector::UD);
    CHECK(s.event.return_rip == 0x4100);
    CHECK(m.gpr(x86::RBX) == 0x9000);       // the kernel's stack from IA32_SYSENTER_ESP
    CHECK((m.gpr(x86::RSI) & x86::rflags::IF) == 0);
    CHECK(s.segment[x86::CS].selector == 0x1B); // 0x08 + 16, RPL 3
    CHECK(s.segment[x86::SS].selector == 0x23);
    CHECK(m.gpr(x86::RSP) == 0x7000);
    CHECK(x86::current_cpl(m.ctx()) == 3);
    CHECK((m.ctx().hot.mode & (x86::mode::code32 | x86::mode::flat | x86::mode::stack32))
        == (x86::mode::code32 | x86::mode::flat | x86::mode::stack32));
}

TEST_CASE("x86 protected mode: SYSENTER with a null IA32_SYSENTER_CS, and SYSEXIT at CPL 3, raise #GP(0)", "[x86][protected]")
{
    GuestMachine m;
    m.load(0x4000, { 0x0F, 0x34 }); // sysenter (CPL 0 in the test-guest state, 64-bit mode)
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::GP);
    CHECK(m.cpu().event.error_code == 0);
    CHECK(m.cpu().event.return_rip == 0x4000);
}

TEST_CASE("x86 long mode: SYSENTER to 64-bit code and SYSEXIT with REX.W to 64-bit CPL 3", "[x86][compat]")
{
    // In IA-32e mode SYSENTER loads a 64-bit CS and all of RSP/RIP from the MSRs;
    // REX.W SYSEXIT returns to 64-bit code at IA32_SYSENTER_CS + 32, RPL 3.
    GuestMachine m;
    m.load(0x4000, { 0x0F, 0x34 });
    // mov rbx, rsp; mov edx, 0x4100; mov ecx, 0x7000; rex.w sysexit
    m.write(0x5000, { 0x48, 0x89, 0xE3, 0xBA, 0x00, 0x41, 0x00, 0x00, 0xB9, 0x00, 0x70, 0x00, 0x00, 0x48, 0x0F, 0x35 });
    x86::CpuState& s = m.cpu();
    s.sysenter_cs = 0x10;
    s.sysenter_esp = 0x9000;
    s.sysenter_eip = 0x5000;
    RunResult r = m.run_to_halt();
    INFO(r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    // The test-guest page tables map nothing for user mode: the first fetch at CPL 3 is a
    // user-mode instruction-fetch #PF (error code U/S and I/D) at the SYSEXIT target.
    CHECK(s.event.vector == x86::vector::PF);
    CHECK((s.event.error_code & 0x14) == 0x14);
    CHECK(s.event.return_rip == 0x4100);
    CHECK(m.gpr(x86::RBX) == 0x9000);
    CHECK(s.segment[x86::CS].selector == 0x33); // 0x10 + 32, RPL 3
    CHECK(s.segment[x86::SS].selector == 0x3B);
    CHECK((m.ctx().hot.mode & x86::mode::code64));
    CHECK(x86::current_cpl(m.ctx()) == 3);
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 protected mode: a far CALL through a call gate to CPL 0 copies its parameters, and RETF 8 returns", "[x86][protected]")
{
    // Intel SDM vol. 3 §5.8.5 (figure 5-13: the inner stack holds the caller's SS, ESP, the
    // copied parameters, CS and EIP), vol. 2 RET (RETURN-TO-OUTER-PRIVILEGE-LEVEL, imm16
    // released on both stacks).
    GuestMachine m;
    // push 0x1111; push 0x2222; call 0x33:0 (the gate ignores the offset); ud2
    m.load(0x4000, { 0x68, 0x11, 0x11, 0x00, 0x00, 0x68, 0x22, 0x22, 0x00, 0x00, 0x9A, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00, 0x0F, 0x0B });
    // mov ebx, esp; mov ecx, [esp+8]; mov edx, [esp+12]; mov esi, [esp+16]; mov edi, [esp+20]; retf 8
    m.write(0x5000, { 0x89, 0xE3, 0x8B, 0x4C, 0x24, 0x08, 0x8B, 0x54, 0x24, 0x0C, 0x8B, 0x74, 0x24, 0x10, 0x8B, 0x7C, 0x24, 0x14,
                        0xCA, 0x08, 0x00 });
    const u64 call_gate = 0x5000 | (0x08ull << 16) | (2ull << 32) | (0xECull << 40); // 32-bit, DPL 3, 2 parameters
    const u64 gdt[7] = { 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x00CFFA000000FFFFull, 0x00CFF2000000FFFFull,
        (0x89ull << 40) | (0x3000ull << 16) | 0x67, call_gate };
    for (unsigned i = 0; i < 7; ++i)
        put_u64(m, 0x1000 + 8 * i, gdt[i]);
    m.write(0x3004, { 0x00, 0x90, 0x00, 0x00, 0x10, 0x00 }); // TSS: ESP0 0x9000, SS0 0x10
    x86::CpuState& s = m.cpu();
    enter_flat_protected_mode(m, 3, 0x6000);
    s.gdtr = { 0x1000, 7 * 8 - 1 };
    s.tr = x86::Segment { 0x3000, 0x67, 0x28, 0x89 };
    REQUIRE(x86::current_cpl(m.ctx()) == 3);

    RunResult r = m.run_to_halt();
    INFO(r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(s.event.vector == x86::vector::UD);
    CHECK(s.event.return_rip == 0x4011);     // the instruction after the CALL, at CPL 3 again
    CHECK(m.gpr(x86::RBX) == 0x9000 - 24);   // SS, ESP, two parameters, CS, EIP on the TSS stack
    CHECK(m.gpr(x86::RCX) == 0x2222);        // the parameters in the caller's order
    CHECK(m.gpr(x86::RDX) == 0x1111);
    CHECK(m.gpr(x86::RSI) == 0x6000 - 8);    // the caller's ESP
    CHECK(m.gpr(x86::RDI) == 0x23);          // and SS
    CHECK(m.gpr(x86::RSP) == 0x6000);        // RETF 8 released the parameters
    CHECK(s.segment[x86::CS].selector == 0x1B);
    CHECK(s.segment[x86::SS].selector == 0x23);
    CHECK(x86::current_cpl(m.ctx()) == 3);
}

TEST_CASE("x86 protected mode: call gate checks: the gate's DPL, and a JMP cannot change privilege", "[x86][protected]")
{
    GuestMachine m;
    const u64 gdt[5] = { 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x00CFFA000000FFFFull, 0x00CFF2000000FFFFull };
    for (unsigned i = 0; i < 5; ++i)
        put_u64(m, 0x1000 + 8 * i, gdt[i]);
    put_u64(m, 0x1000 + 5 * 8, 0x5000 | (0x08ull << 16) | (0x8Cull << 40)); // DPL 0 gate to CPL 0 code
    put_u64(m, 0x1000 + 6 * 8, 0x5000 | (0x08ull << 16) | (0xECull << 40)); // DPL 3 gate to CPL 0 code
    x86::CpuState& s = m.cpu();
    auto run_user = [&](std::vector<u8> code) {
        m.load(0x4000, code);
        enter_flat_protected_mode(m, 3, 0x6000);
        s.gdtr = { 0x1000, 7 * 8 - 1 };
        RunResult r = m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
    };
    SECTION("a gate less privileged than CPL: #GP(gate selector)")
    {
        run_user({ 0x9A, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00 }); // call 0x28:0
        CHECK(s.event.vector == x86::vector::GP);
        CHECK(s.event.error_code == 0x28);
    }
    SECTION("JMP through a gate to more privileged non-conforming code: #GP(code selector)")
    {
        run_user({ 0xEA, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00 }); // jmp 0x33:0
        CHECK(s.event.vector == x86::vector::GP);
        CHECK(s.event.error_code == 0x08);
        CHECK(x86::current_cpl(m.ctx()) == 3);
    }
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 long mode: a far CALL through a 64-bit call gate pushes 8-byte CS and RIP", "[x86][compat]")
{
    // Intel SDM vol. 3 §5.8.3.1: 16-byte gates in IA-32e mode, 64-bit code targets only;
    // no privilege change here (CPL 0 to DPL 0 code), so the current stack.
    GuestMachine m;
    // call far [rip + 0] with REX.W (m16:64): the pointer follows; then the gate's target.
    m.load(0x4000, { 0x48, 0xFF, 0x1D, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00 }); // selector 0x40
    m.write(0x5000, { 0x48, 0x89, 0xE3, 0x0F, 0x0B }); // mov rbx, rsp; ud2
    x86::CpuState& s = m.cpu();
    // Copy the GDT the entry state built to one with room for the gate at 0x40.
    u64 gdt = 0x2000;
    for (unsigned i = 0; i < 8; ++i)
        put_u64(m, gdt + 8 * i, m.read(s.gdtr.base + 8 * i, 8) * (8 * i <= s.gdtr.limit));
    put_u64(m, gdt + 0x40, 0x5000 | (0x08ull << 16) | (0x8Cull << 40)); // 64-bit call gate, DPL 0
    put_u64(m, gdt + 0x48, 0);                                           // offset 63:32
    s.gdtr = { gdt, 0x4F };
    u64 rsp = m.gpr(x86::RSP);
    RunResult r = m.run_to_halt();
    INFO(r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(s.event.vector == x86::vector::UD);
    CHECK(s.event.return_rip == 0x5003);
    CHECK(m.gpr(x86::RBX) == rsp - 16);
    CHECK(m.read(rsp - 16, 8) == 0x4007); // the return RIP: after the 7-byte CALL (its pointer follows)
    CHECK(m.read(rsp - 8, 8) == 0x08);    // CS
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 protected mode: the TSS's I/O permission bitmap lets CPL 3 reach only the ports it clears", "[x86][protected]")
{
    // Intel SDM vol. 1 §19.5.2: with CPL > IOPL each byte port accessed needs a 0 bit in the
    // bitmap at TSS + I/O map base; bits past the TSS's limit count as set.
    GuestMachine m;
    // out 0x80, al; out 0x70, ax (0x70 and 0x71 allowed); in al, 0x81 (denied)
    m.load(0x4000, { 0xE6, 0x80, 0x66, 0xE7, 0x70, 0xE4, 0x81 });
    u64 tss = 0x3000;
    m.write(tss + 0x66, { 0x68, 0x00 });           // I/O map base: 0x68
    std::vector<u8> bitmap(0x20, 0xFF);            // ports 0-255, all denied ...
    bitmap[0x80 / 8] = 0xFE;                        // ... but 0x80
    bitmap[0x70 / 8] = 0xFC;                        // and 0x70-0x71
    bitmap.push_back(0xFF);                         // the byte after the map
    m.write(tss + 0x68, bitmap);
    x86::CpuState& s = m.cpu();
    enter_flat_protected_mode(m, 3, m.gpr(x86::RSP));
    s.tr = x86::Segment { tss, static_cast<u32>(0x68 + bitmap.size() - 1), 0x28, 0x8B };
    REQUIRE(x86::current_cpl(m.ctx()) == 3);
    SECTION("the allowed ports pass; the first denied one faults")
    {
        RunResult r = m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(s.event.vector == x86::vector::GP);
        CHECK(s.event.error_code == 0);
        CHECK(s.event.return_rip == 0x4005);
    }
    SECTION("a TSS limit that ends inside the bitmap denies what lies beyond it")
    {
        s.tr.limit = 0x68 + 0x80 / 8; // the word for port 0x80 would end past the limit
        RunResult r = m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(s.event.return_rip == 0x4000);
    }
}

} // namespace keel::unit

namespace keel::unit {
namespace {

// Legacy protected mode at CPL 0 with a TSS (ESP0 0x9000, SS0 0x10), an IDT at 0x2000 and
// a CPL 0 IRETD at 0x5000 whose frame enters virtual-8086 mode at 0400:0010 with
// SS:SP 0600:0100, ES 1111, DS 0222, FS 0333, GS 0444 and the given EFLAGS.
void enter_v86_through_iret(GuestMachine& m, const std::vector<u8>& v86_code, u32 eflags)
{
    m.load(0x5000, { 0xCF }); // iretd
    m.write(0x4010, v86_code);
    const u64 gdt[6] = { 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x00CFFA000000FFFFull, 0x00CFF2000000FFFFull,
        (0x89ull << 40) | (0x3000ull << 16) | 0x67 };
    for (unsigned i = 0; i < 6; ++i)
        put_u64(m, 0x1000 + 8 * i, gdt[i]);
    m.write(0x3004, { 0x00, 0x90, 0x00, 0x00, 0x10, 0x00 });
    const u32 frame[9] = { 0x0010, 0x0400, eflags, 0x0100, 0x0600, 0x1111, 0x0222, 0x0333, 0x0444 };
    for (unsigned i = 0; i < 9; ++i) {
        std::vector<u8> bytes;
        append_le(bytes, frame[i], 4);
        m.write(0x7000 + 4 * i, bytes);
    }
    x86::CpuState& s = m.cpu();
    enter_flat_protected_mode(m, 0, 0x7000);
    s.gdtr = { 0x1000, 6 * 8 - 1 };
    s.idtr = { 0x2000, 0x7FF };
    s.tr = x86::Segment { 0x3000, 0x67, 0x28, 0x8B };
}

RunResult run_with_delivery(GuestMachine& m)
{
    Engine::RunOptions options;
    options.stop_on_halt = true;
    return m.engine().run(options);
}

} // namespace

TEST_CASE("x86 virtual-8086 mode: IRETD enters it; INT n with IOPL 0 is a #GP to the CPL 0 monitor", "[x86][v86]")
{
    // Intel SDM vol. 2 IRET (RETURN-TO-VIRTUAL-8086-MODE), vol. 3 §20.2.7 (IOPL-sensitive
    // INT n), §20.3.1.1 and figure 20-5 (the monitor's stack: GS, FS, DS, ES, SS, ESP,
    // EFLAGS, CS, EIP, error code; data segments null).
    GuestMachine m;
    // mov ax, [0]; int 0x30
    enter_v86_through_iret(m, { 0xA1, 0x00, 0x00, 0xCD, 0x30 }, x86::rflags::VM | x86::rflags::Fixed1);
    m.write(0x2220, { 0x34, 0x12 }); // DS 0222: linear 0x2220
    put_u64(m, 0x2000 + 13 * 8, gate32(0x5100, 0x08, 0x8E)); // #GP: 32-bit interrupt gate
    // mov ebx,[esp+4]; mov ecx,[esp+12]; mov edx,[esp+28]; mov si, ds; mov edi,[esp+40]... hlt
    m.write(0x5100, { 0x8B, 0x5C, 0x24, 0x04, 0x8B, 0x4C, 0x24, 0x0C, 0x8B, 0x54, 0x24, 0x1C, 0x66, 0x8C, 0xDE, 0x8B, 0x7C, 0x24, 0x24, 0xF4 });
    m.require_halted(run_with_delivery(m));
    CHECK((m.gpr(x86::RAX) & 0xFFFF) == 0x1234);  // DS x 16 addressing in virtual-8086 mode
    CHECK(m.gpr(x86::RBX) == 0x0013);             // the INT's own IP: a fault
    CHECK((m.gpr(x86::RCX) & x86::rflags::VM));   // EFLAGS pushed with VM
    CHECK(m.gpr(x86::RDX) == 0x0222);             // DS pushed
    CHECK((m.gpr(x86::RSI) & 0xFFFF) == 0);       // and nulled
    CHECK(m.gpr(x86::RDI) == 0x0444);             // GS, the first pushed
    CHECK(m.gpr(x86::RSP) == 0x9000 - 40);        // ten dwords on the TSS stack
    CHECK(x86::current_cpl(m.ctx()) == 0);
    CHECK_FALSE(m.ctx().hot.mode & x86::mode::virtual8086);
}

TEST_CASE("x86 virtual-8086 mode: with IOPL 3, INT n goes through its gate, IRETD returns, PUSHF works", "[x86][v86]")
{
    GuestMachine m;
    // int 0x30; pushf; pop bx; int 0x31
    enter_v86_through_iret(m, { 0xCD, 0x30, 0x9C, 0x5B, 0xCD, 0x31 }, x86::rflags::VM | x86::rflags::Fixed1 | (3u << 12));
    put_u64(m, 0x2000 + 0x30 * 8, gate32(0x5200, 0x08, 0xEF)); // 32-bit trap gates, DPL 3
    put_u64(m, 0x2000 + 0x31 * 8, gate32(0x5300, 0x08, 0xEF));
    m.write(0x5200, { 0xCF });       // iretd: back to virtual-8086 mode
    m.write(0x5300, { 0x8B, 0x34, 0x24, 0xF4 }); // mov esi, [esp] (the IP after int 0x31); hlt
    m.require_halted(run_with_delivery(m));
    CHECK((m.gpr(x86::RBX) & 0x3000) == 0x3000); // PUSHF's IOPL 3 (VM is not in a 16-bit image)
    CHECK(m.gpr(x86::RSI) == 0x0016);
    CHECK(m.cpu().segment[x86::SS].selector == 0x10);
    CHECK(m.gpr(x86::RSP) == 0x9000 - 36);
}

TEST_CASE("x86 virtual-8086 mode: PUSHF and POPF with IOPL 0 fault; LTR is #UD", "[x86][v86]")
{
    // Intel SDM vol. 3 §20.2.7 (IOPL-sensitive instructions, no VME), vol. 2 LTR ("#UD: not
    // recognized in virtual-8086 mode"). #GP's handler leaves 0x6D in EAX, #UD's 0x06.
    GuestMachine m;
    auto run_v86 = [&](std::vector<u8> code) {
        enter_v86_through_iret(m, code, x86::rflags::VM | x86::rflags::Fixed1);
        put_u64(m, 0x2000 + x86::vector::GP * 8, gate32(0x5100, 0x08, 0x8E));
        put_u64(m, 0x2000 + x86::vector::UD * 8, gate32(0x5180, 0x08, 0x8E));
        m.write(0x5100, { 0xB8, 0x6D, 0x00, 0x00, 0x00, 0xF4 }); // mov eax, 0x6d; hlt
        m.write(0x5180, { 0xB8, 0x06, 0x00, 0x00, 0x00, 0xF4 }); // mov eax, 0x06; hlt
        m.require_halted(run_with_delivery(m));
    };
    SECTION("PUSHF: #GP(0) at it")
    {
        run_v86({ 0x9C });
        CHECK(m.gpr(x86::RAX) == 0x6D);
        CHECK(m.read(0x9000 - 40, 4) == 0);      // the error code
        CHECK(m.read(0x9000 - 36, 4) == 0x0010); // EIP: the PUSHF
    }
    SECTION("POPF: #GP(0) at it")
    {
        run_v86({ 0x9D });
        CHECK(m.gpr(x86::RAX) == 0x6D);
        CHECK(m.read(0x9000 - 36, 4) == 0x0010);
    }
    SECTION("LTR: #UD")
    {
        run_v86({ 0x0F, 0x00, 0xD8 });
        CHECK(m.gpr(x86::RAX) == 0x06);
        CHECK(m.read(0x9000 - 36, 4) == 0x0010); // no error code: EIP is the last push
    }
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 protected mode: data segment limits, expand-down segments, #SS for SS, null segments", "[x86][protected]")
{
    // Intel SDM vol. 3 §5.3 and §3.4.5.1. 32-bit code with segments that are not flat: DS
    // limit 0xFFF, ES expand-down with limit 0xFFF (valid 0x1000-0xFFFFFFFF), SS limit 0xFFFF.
    GuestMachine m;
    x86::CpuState& s = m.cpu();
    auto run = [&](std::vector<u8> code) {
        m.load(0x4000, code);
        enter_flat_protected_mode(m, 0, 0x8000);
        s.segment[x86::DS] = x86::Segment { 0x100000, 0xFFF, 0x10, data32_attributes };
        s.segment[x86::ES] = x86::Segment { 0x200000, 0xFFF, 0x18, static_cast<u16>(data32_attributes | 0x04) }; // expand-down
        s.segment[x86::SS] = x86::Segment { 0, 0xFFFF, 0x20, data32_attributes };
        s.segment[x86::FS] = x86::Segment { 0, 0, 0, 0 }; // null: unusable
        refresh(m);
        REQUIRE_FALSE(m.ctx().hot.mode & x86::mode::flat);
        return m.run_to_halt();
    };
    auto faulted = [&](const RunResult& r, u8 vector) {
        INFO(r.message);
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(s.event.vector == vector);
        CHECK(s.event.error_code == 0);
        CHECK(s.event.return_rip == 0x4000);
    };
    SECTION("the last byte of DS passes, a dword across its limit faults")
    {
        m.require_halted(run({ 0xA0, 0xFF, 0x0F, 0x00, 0x00, 0xF4 })); // mov al, [0xfff]; hlt
        faulted(run({ 0xA1, 0xFD, 0x0F, 0x00, 0x00, 0xF4 }), x86::vector::GP); // mov eax, [0xffd]
    }
    SECTION("expand-down ES: above the limit passes, at it faults")
    {
        m.require_halted(run({ 0x26, 0xA1, 0x00, 0x10, 0x00, 0x00, 0xF4 })); // mov eax, es:[0x1000]
        faulted(run({ 0x26, 0xA0, 0xFF, 0x0F, 0x00, 0x00, 0xF4 }), x86::vector::GP); // mov al, es:[0xfff]
    }
    SECTION("SS-relative beyond SS's limit: #SS(0)")
    {
        faulted(run({ 0x8B, 0x85, 0x00, 0x00, 0x01, 0x00, 0xF4 }), x86::vector::SS); // mov eax, [ebp + 0x10000]
    }
    SECTION("a null FS faults any access")
    {
        faulted(run({ 0x64, 0xA0, 0x00, 0x00, 0x00, 0x00, 0xF4 }), x86::vector::GP); // mov al, fs:[0]
    }
}

} // namespace keel::unit

namespace keel::unit {

TEST_CASE("x86 protected mode: pushes are checked against an expand-down stack segment's limit", "[x86][protected]")
{
    // The 16-bit stacks of 16-bit protected-mode systems grow down from 64 KiB: an
    // expand-down SS with limit 0x0FFF holds offsets 0x1000-0xFFFF (SDM vol. 3 §3.4.5.1);
    // a push below them is #SS(0), at the PUSH, with SP unchanged.
    GuestMachine m;
    m.load(0x4000, { 0x50, 0x50, 0xF4 }); // push eax; push eax; hlt
    x86::CpuState& s = m.cpu();
    enter_flat_protected_mode(m, 0, 0x1004);
    s.segment[x86::SS] = x86::Segment { 0x20000, 0x0FFF, 0x18, static_cast<u16>(0x93 | 0x04) }; // 16-bit, expand-down
    refresh(m);
    RunResult r = m.run_to_halt();
    INFO(r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(s.event.vector == x86::vector::SS);
    CHECK(s.event.return_rip == 0x4001);   // the second push
    CHECK(m.gpr(x86::RSP) == 0x1000);      // after the first
}

} // namespace keel::unit
