// x86 behaviour of the architecture plugin run through the whole engine (hand-assembled
// guest code in a GuestMachine): architectural corner cases a review or a probe found,
// each with the Intel SDM section relied on. Part of ctest unit.x86.
#include <catch2/catch.hpp>
#include "dbt/base/host_cpuid.h"
#include "guest_machine.h"
#include "page_tables.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"

using namespace keel;
using keel::unit::GuestMachine;
using keel::unit::PageTables;
using namespace keel::unit::pte;
namespace enc = keel::unit::enc;
using keel::unit::concat;

namespace {

constexpr u64 non_canonical = 0x0000800000000000ull; // the first address past the lower half
constexpr u64 stack_top = 0x80000;

// Runs `code` at 0x10000 with RSP = stack_top and expects #GP(0) raised by the
// instruction at `faulting_rip`, undelivered (stop_on_exception).
void require_gp0_at(GuestMachine& m, u64 faulting_rip)
{
    RunResult r = m.run_to_halt();
    INFO("run ended with kind " << static_cast<int>(r.kind) << ": " << r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    const x86::PendingEvent& e = m.cpu().event;
    CHECK(e.vector == x86::vector::GP);
    CHECK(e.has_error_code);
    CHECK(e.error_code == 0);
    CHECK(e.return_rip == faulting_rip);
    CHECK(m.ctx().hot.pc == faulting_rip);
}

void load_with_stack(GuestMachine& m, const std::vector<u8>& code)
{
    m.load(0x10000, code);
    m.gpr(x86::RSP) = stack_top;
    m.engine().memory().write(stack_top - 8, 0x5A5A5A5A5A5A5A5Aull, 8);
}

} // namespace

// SDM vol. 2, JMP/CALL/RET, 64-bit mode exceptions: "#GP(0) If the target address is
// non-canonical" (vol. 1 §3.3.7.1), raised by the branch with nothing changed: the fault
// is on the branch, not a #PF or #GP from fetching at the target.
TEST_CASE("x86: JMP, CALL and RET to a non-canonical address raise #GP(0) on the branch, changing nothing", "[x86][branch]")
{
    SECTION("jmp rax")
    {
        GuestMachine m;
        load_with_stack(m, concat({ enc::mov_r64_imm(x86::RAX, non_canonical), { 0xFF, 0xE0 }, enc::hlt() }));
        require_gp0_at(m, 0x1000A);
        CHECK(m.gpr(x86::RSP) == stack_top);
    }
    SECTION("call rax: no return address pushed, RSP not moved")
    {
        GuestMachine m;
        load_with_stack(m, concat({ enc::mov_r64_imm(x86::RAX, non_canonical), { 0xFF, 0xD0 }, enc::hlt() }));
        require_gp0_at(m, 0x1000A);
        CHECK(m.gpr(x86::RSP) == stack_top);
        CHECK(m.read(stack_top - 8, 8) == 0x5A5A5A5A5A5A5A5Aull);
    }
    SECTION("call [rbx]")
    {
        GuestMachine m;
        load_with_stack(m, concat({ enc::mov_r64_imm(x86::RBX, 0x30000), { 0xFF, 0x13 }, enc::hlt() }));
        m.engine().memory().write(0x30000, 0xFFFF7FFF00000000ull, 8);
        require_gp0_at(m, 0x1000A);
        CHECK(m.gpr(x86::RSP) == stack_top);
        CHECK(m.read(stack_top - 8, 8) == 0x5A5A5A5A5A5A5A5Aull);
    }
    SECTION("ret: RSP not moved")
    {
        GuestMachine m;
        load_with_stack(m, { 0xC3 });
        m.gpr(x86::RSP) = stack_top - 8;
        m.engine().memory().write(stack_top - 8, non_canonical, 8);
        require_gp0_at(m, 0x10000);
        CHECK(m.gpr(x86::RSP) == stack_top - 8);
    }
    SECTION("ret imm16: RSP not moved")
    {
        GuestMachine m;
        load_with_stack(m, { 0xC2, 0x10, 0x00 });
        m.gpr(x86::RSP) = stack_top - 8;
        m.engine().memory().write(stack_top - 8, non_canonical | 0x1234, 8);
        require_gp0_at(m, 0x10000);
        CHECK(m.gpr(x86::RSP) == stack_top - 8);
    }
    SECTION("a canonical upper-half target is not refused by the check")
    {
        // jmp rax to 0xFFFF800000000000: canonical, unmapped, so the fault is a #PF at the
        // target (the page walk's), not a #GP on the jump.
        GuestMachine m;
        load_with_stack(m, concat({ enc::mov_r64_imm(x86::RAX, 0xFFFF800000000000ull), { 0xFF, 0xE0 }, enc::hlt() }));
        RunResult r = m.run_to_halt();
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(m.cpu().event.vector == x86::vector::PF);
        CHECK(m.cpu().event.return_rip == 0xFFFF800000000000ull);
    }
}

// Direct branches at the top of the lower half: the target is known at translation time.
TEST_CASE("x86: direct JMP, CALL and a taken Jcc past the lower half raise #GP(0); a Jcc not taken falls through", "[x86][branch]")
{
    constexpr u64 top_page = 0x00007FFFFFFFF000ull;
    constexpr u64 code_at = top_page + 0xF00; // rel32 0x1000 from here is non-canonical
    auto run_at_top = [&](const std::vector<u8>& code, auto&& check) {
        GuestMachine m;
        m.load(0x10000, enc::hlt());
        PageTables pt(m);
        pt.map(0x10000, 0x10000, P | RW);
        pt.map(stack_top - 0x1000, stack_top - 0x1000, P | RW);
        pt.map(top_page, 0x20000, P | RW);
        m.write(0x20000 + 0xF00, code);
        m.engine().memory().write(stack_top - 8, 0x5A5A5A5A5A5A5A5Aull, 8);
        m.gpr(x86::RSP) = stack_top;
        m.ctx().hot.pc = code_at;
        check(m);
    };
    SECTION("jmp rel32")
    {
        run_at_top({ 0xE9, 0x00, 0x10, 0x00, 0x00 }, [&](GuestMachine& m) { require_gp0_at(m, code_at); });
    }
    SECTION("call rel32: nothing pushed")
    {
        run_at_top({ 0xE8, 0x00, 0x10, 0x00, 0x00 }, [&](GuestMachine& m) {
            require_gp0_at(m, code_at);
            CHECK(m.gpr(x86::RSP) == stack_top);
            CHECK(m.read(stack_top - 8, 8) == 0x5A5A5A5A5A5A5A5Aull);
        });
    }
    SECTION("jz taken")
    {
        // xor eax, eax (ZF = 1) / jz rel32
        run_at_top({ 0x31, 0xC0, 0x0F, 0x84, 0x00, 0x10, 0x00, 0x00 }, [&](GuestMachine& m) { require_gp0_at(m, code_at + 2); });
    }
    SECTION("jnz not taken falls through")
    {
        // xor eax, eax / jnz rel32 (not taken) / mov ecx, 7 / hlt
        run_at_top({ 0x31, 0xC0, 0x0F, 0x85, 0x00, 0x10, 0x00, 0x00, 0xB9, 0x07, 0x00, 0x00, 0x00, 0xF4 }, [&](GuestMachine& m) {
            m.require_halted(m.run_to_halt());
            CHECK(m.gpr(x86::RCX) == 7);
        });
    }
}

namespace {
std::vector<u8> mov_r32_imm(u8 reg, u32 imm) // B8+r id
{
    std::vector<u8> v { static_cast<u8>(0xB8 + reg) };
    keel::unit::append_le(v, imm, 4);
    return v;
}
const std::vector<u8> wrmsr { 0x0F, 0x30 }, rdmsr { 0x0F, 0x32 }, cpuid { 0x0F, 0xA2 }, rdtscp { 0x0F, 0x01, 0xF9 };

// WRMSR of EDX:EAX to `msr` must raise #GP(0) on the WRMSR (at 0x1000F, after three
// 5-byte MOVs).
void require_wrmsr_gp0(u32 msr, u32 eax, u32 edx)
{
    GuestMachine m;
    m.load(0x10000, concat({ mov_r32_imm(x86::RCX, msr), mov_r32_imm(x86::RAX, eax), mov_r32_imm(x86::RDX, edx), wrmsr, enc::hlt() }));
    require_gp0_at(m, 0x1000F);
}
} // namespace

// CPUID and the MSRs agree (SDM vol. 2 CPUID table 3-10/3-11; vol. 3 §10.4.4, §10.5.4.1):
// the PC machine has a local APIC, so CPUID.1:EDX.APIC and ECX.TSC_DEADLINE are set and
// IA32_APIC_BASE and IA32_TSC_DEADLINE reach it.
TEST_CASE("x86: CPUID advertises the local APIC and its TSC-deadline timer, and their MSRs work", "[x86][msr]")
{
    SECTION("CPUID leaf 1")
    {
        GuestMachine m;
        m.load(0x10000, concat({ mov_r32_imm(x86::RAX, 1), mov_r32_imm(x86::RCX, 0), cpuid, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK((m.gpr(x86::RDX) >> 9 & 1) == 1);  // APIC
        CHECK((m.gpr(x86::RCX) >> 24 & 1) == 1); // TSC-deadline
    }
    SECTION("IA32_APIC_BASE reads base, BSP and enable")
    {
        GuestMachine m;
        m.load(0x10000, concat({ mov_r32_imm(x86::RCX, 0x1B), rdmsr, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::RAX) == 0xFEE00900);
        CHECK(m.gpr(x86::RDX) == 0);
    }
    SECTION("IA32_APIC_BASE: reserved bits raise #GP(0)") { require_wrmsr_gp0(0x1B, 0xFEE00901, 0); }
    SECTION("IA32_APIC_BASE: clearing the enable bit disables the APIC, setting it enables it again")
    {
        GuestMachine m;
        m.load(0x10000, concat({ mov_r32_imm(x86::RCX, 0x1B), mov_r32_imm(x86::RAX, 0xFEE00100), mov_r32_imm(x86::RDX, 0), wrmsr, rdmsr,
                                 { 0x89, 0xC3 }, // mov ebx, eax
                                 mov_r32_imm(x86::RAX, 0xFEE00900), wrmsr, rdmsr, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::RBX) == 0xFEE00100);
        CHECK(m.gpr(x86::RAX) == 0xFEE00900);
    }
    SECTION("IA32_APIC_BASE moves the register page, over RAM, and back (SDM 10.4.5)")
    {
        GuestMachine m;
        m.engine().memory().write(0x200030, 0x11223344, 4);
        m.engine().memory().write(0x200080, 0x55667788, 4);
        auto mov_esi = [](u32 address) { return mov_r32_imm(x86::RSI, address); };
        const std::vector<u8> load_r8 { 0x44, 0x8B, 0x06 }, load_r9 { 0x44, 0x8B, 0x0E }, load_r10 { 0x44, 0x8B, 0x16 },
            load_r11 { 0x44, 0x8B, 0x1E }, load_r12 { 0x44, 0x8B, 0x26 }, store_tpr_0x20 { 0xC7, 0x06, 0x20, 0, 0, 0 };
        m.load(0x10000, concat({ mov_esi(0x200030), load_r8, // RAM, and the TLB maps it directly
            mov_r32_imm(x86::RCX, 0x1B), mov_r32_imm(x86::RAX, 0x00200900), mov_r32_imm(x86::RDX, 0), wrmsr,
            load_r9,                                        // the APIC's version register now
            mov_esi(0x200080), store_tpr_0x20,              // its TPR, not the RAM below
            mov_esi(0xFEE00030), load_r10,                  // the old place: nothing there
            mov_r32_imm(x86::RAX, 0xFEE00900), wrmsr,       // back
            mov_esi(0x200030), load_r11, mov_esi(0xFEE00080), load_r12, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::R8) == 0x11223344);
        CHECK(m.gpr(x86::R9) == 0x00050014);
        CHECK(m.gpr(x86::R10) == 0xFFFFFFFF);
        CHECK(m.gpr(x86::R11) == 0x11223344);
        CHECK(m.gpr(x86::R12) == 0x20);
        CHECK(m.read(0x200080, 4) == 0x55667788);
    }
    SECTION("IA32_TSC_DEADLINE reaches the timer in TSC-deadline mode")
    {
        GuestMachine m;
        // LVT timer: vector 0x40, TSC-deadline mode (bits 18:17 = 10b); the APIC is
        // software-enabled through the spurious-vector register.
        m.engine().memory().write(0xFEE000F0, 0x1FF, 4);
        m.engine().memory().write(0xFEE00320, 0x40 | (2u << 17), 4);
        m.load(0x10000, concat({ mov_r32_imm(x86::RCX, 0x6E0), mov_r32_imm(x86::RAX, 0x89ABCDEF), mov_r32_imm(x86::RDX, 0x7FFF), wrmsr,
                                 mov_r32_imm(x86::RAX, 0), mov_r32_imm(x86::RDX, 0), rdmsr, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::RAX) == 0x89ABCDEF);
        CHECK(m.gpr(x86::RDX) == 0x7FFF);
    }
    SECTION("IA32_TSC_DEADLINE is ignored outside TSC-deadline mode")
    {
        GuestMachine m;
        m.load(0x10000, concat({ mov_r32_imm(x86::RCX, 0x6E0), mov_r32_imm(x86::RAX, 0x1234), mov_r32_imm(x86::RDX, 0), wrmsr, rdmsr, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::RAX) == 0);
    }
}

// RDTSCP is advertised, so IA32_TSC_AUX (0xC0000103) is a real register (SDM vol. 2 RDTSCP;
// vol. 4: bits 63:32 reserved).
TEST_CASE("x86: IA32_TSC_AUX is writable and RDTSCP returns it in ECX", "[x86][msr]")
{
    SECTION("write, then RDTSCP")
    {
        GuestMachine m;
        m.load(0x10000, concat({ mov_r32_imm(x86::RCX, 0xC0000103), mov_r32_imm(x86::RAX, 0x1234ABCD), mov_r32_imm(x86::RDX, 0), wrmsr,
                                 mov_r32_imm(x86::RCX, 0), rdtscp, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::RCX) == 0x1234ABCD);
    }
    SECTION("reserved high bits raise #GP(0)") { require_wrmsr_gp0(0xC0000103, 0, 1); }
}

// IA32_ARCH_CAPABILITIES (0x10A, SDM vol. 4) exists when CPUID.7.0:EDX[29] says so; keel
// reports RDCL_NO (msr.h says why that is true of its CPU) and the MSR is read-only.
TEST_CASE("x86: CPUID advertises IA32_ARCH_CAPABILITIES, which reads RDCL_NO and is read-only", "[x86][msr]")
{
    SECTION("CPUID leaf 7 and the read")
    {
        GuestMachine m;
        m.load(0x10000, concat({ mov_r32_imm(x86::RAX, 7), mov_r32_imm(x86::RCX, 0), cpuid, { 0x89, 0xD6 }, // mov esi, edx
                                 mov_r32_imm(x86::RCX, 0x10A), rdmsr, enc::hlt() }));
        m.require_halted(m.run_to_halt());
        CHECK((m.gpr(x86::RSI) >> 29 & 1) == 1);
        CHECK(m.gpr(x86::RAX) == 1); // RDCL_NO only
        CHECK(m.gpr(x86::RDX) == 0);
    }
    SECTION("a write raises #GP(0)") { require_wrmsr_gp0(0x10A, 1, 0); }
}

// RDRAND (SDM vol. 2): advertised exactly where the host has it (the numbers are the
// host's). A 16-bit destination keeps bits 63..16, a 32-bit one is zero-extended; CF = 1
// with a number, OF SF ZF AF PF cleared. Without it on the host: CPUID bit clear, #UD.
TEST_CASE("x86: RDRAND writes its operand's width, sets CF, clears the other flags; #UD where not advertised", "[x86][rdrand]")
{
    GuestMachine m;
    // mov eax, 1 / cpuid / mov esi, ecx / mov r11, 0x5555555555555555 / mov r12, the same /
    // 1: rdrand r11w; jnc 1b / 2: rdrand r12d; jnc 2b / 3: rdrand r13; jnc 3b /
    // mov rax, 0x8d5 (flags to be cleared: all set first) ; push rax ; popfq /
    // 4: rdrand r13; jnc 4b / pushfq ; pop r14 / hlt
    std::vector<u8> code = concat({ mov_r32_imm(x86::RAX, 1), mov_r32_imm(x86::RCX, 0), cpuid, { 0x89, 0xCE } });
    for (u8 reg : { 0xBB, 0xBC }) { // mov r11 / r12, imm64
        code.insert(code.end(), { 0x49, reg });
        for (int i = 0; i < 8; ++i)
            code.push_back(0x55);
    }
    code.insert(code.end(), { 0x66, 0x41, 0x0F, 0xC7, 0xF3, 0x73, 0xF9 }); // rdrand r11w; jnc -7
    code.insert(code.end(), { 0x41, 0x0F, 0xC7, 0xF4, 0x73, 0xFA });       // rdrand r12d; jnc -6
    code.insert(code.end(), { 0x49, 0x0F, 0xC7, 0xF5, 0x73, 0xFA });       // rdrand r13; jnc -6
    code.insert(code.end(), { 0xB8, 0xD5, 0x08, 0x00, 0x00, 0x50, 0x9D }); // mov eax, 0x8d5; push rax; popfq
    code.insert(code.end(), { 0x49, 0x0F, 0xC7, 0xF5, 0x73, 0xFA });       // rdrand r13; jnc -6
    code.insert(code.end(), { 0x9C, 0x41, 0x5E, 0xF4 });                   // pushfq; pop r14; hlt
    m.load(0x10000, code);
    RunResult r = m.run_to_halt();
    bool advertised = (m.gpr(x86::RSI) >> 30) & 1;
    u32 host_ecx, ignored;
    host_cpuid(1, 0, ignored, ignored, host_ecx, ignored);
    CHECK(advertised == (((host_ecx >> 30) & 1) != 0));
    if (!advertised) {
        WARN("this host has no RDRAND: only the #UD is checked");
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(m.cpu().event.vector == x86::vector::UD);
        return;
    }
    m.require_halted(r);
    CHECK((m.gpr(x86::R11) & ~0xFFFFull) == 0x5555555555550000ull);
    CHECK((m.gpr(x86::R12) >> 32) == 0);
    CHECK((m.gpr(x86::R14) & 0x8D5) == 0x001); // CF only, of CF PF AF ZF SF OF
}

// ---- Event delivery through the 64-bit IDT (Intel SDM vol. 3 §6.12-§6.15) ----

namespace {

constexpr u64 gdt_at = 0x20000, tss_at = 0x21000, idt_at = 0x22000;
constexpr u64 kernel_stack = 0x70000; // TSS.RSP0
constexpr u16 kernel_cs = 0x08, user_ss = 0x1B, user_cs = 0x23, tss_selector = 0x28;
constexpr u64 user_code64 = 0x00AFFB000000FFFFull, user_data = 0x00CFF3000000FFFFull;

// An IDT gate (§6.14.1, figure 6-8): `type` 0xE interrupt, 0xF trap; `system` false sets
// the S bit, which makes the descriptor no gate at all.
void set_gate(GuestMachine& m, u8 vector, u64 target, u16 selector = kernel_cs, u8 dpl = 0, u8 type = 0xE, bool system = true)
{
    u64 lo = (target & 0xFFFF) | (u64(selector) << 16) | (u64(type) << 40) | (u64(system ? 0 : 1) << 44) | (u64(dpl) << 45)
        | (1ull << 47) | (((target >> 16) & 0xFFFF) << 48);
    m.engine().memory().write(idt_at + vector * 16u, lo, 8);
    m.engine().memory().write(idt_at + vector * 16u + 8, target >> 32, 8);
}

x86::Segment segment_for(u16 selector, u64 descriptor)
{
    return x86::Segment { 0, 0xFFFFFFFF, selector, static_cast<u16>(((descriptor >> 40) & 0xFF) | (((descriptor >> 52) & 0xF) << 8)) };
}

// The test-entry state plus a GDT with user segments and a 64-bit TSS (RSP0 =
// kernel_stack), an empty IDT of 256 gates, and the low 16 MiB mapped user-accessible.
// `code` runs at 0x10000, at CPL 3 if `user`.
void setup_idt_machine(GuestMachine& m, const std::vector<u8>& code, bool user)
{
    m.load(0x10000, code);
    PageTables pt(m);
    for (u64 a = 0; a < 16 * MiB; a += 2 * MiB)
        pt.map(a, a, P | RW | US, 1);
    u64 tss_lo = (tss_at & 0xFFFF) << 16 | ((tss_at >> 16) & 0xFF) << 32 | 0x89ull << 40 | 0x67 | ((tss_at >> 24) & 0xFF) << 56;
    u64 gdt[7] = { 0, 0x00AF9B000000FFFFull, 0x00CF93000000FFFFull, user_data, user_code64, tss_lo, tss_at >> 32 };
    for (unsigned i = 0; i < 7; ++i)
        m.engine().memory().write(gdt_at + 8 * i, gdt[i], 8);
    m.engine().memory().write(tss_at + 4, kernel_stack, 8);
    m.write(idt_at, std::vector<u8>(256 * 16, 0));
    x86::CpuState& s = m.cpu();
    s.gdtr = { gdt_at, sizeof(gdt) - 1 };
    s.idtr = { idt_at, 256 * 16 - 1 };
    s.tr = x86::Segment { tss_at, 0x67, tss_selector, 0x8B };
    m.gpr(x86::RSP) = stack_top;
    if (user) {
        s.segment[x86::CS] = segment_for(user_cs, user_code64);
        s.segment[x86::SS] = segment_for(user_ss, user_data);
    }
    x86::refresh_mode(m.ctx());
}

// Runs with events delivered (not stopped at), until a handler halts.
RunResult run_delivering(GuestMachine& m)
{
    Engine::RunOptions options;
    options.stop_on_halt = true;
    options.stop_on_exception = false;
    return m.engine().run(options);
}

// The frame a handler at CPL 0 finds on its stack: [error code,] RIP, CS, RFLAGS, RSP, SS.
u64 frame_word(GuestMachine& m, unsigned index) { return m.read(m.gpr(x86::RSP) + 8 * index, 8); }

constexpr u64 handler = 0x11000, gp_handler = 0x11100, df_handler = 0x11200;

void install_halting_handlers(GuestMachine& m)
{
    m.write(handler, enc::hlt());
    m.write(gp_handler, enc::hlt());
    m.write(df_handler, enc::hlt());
    set_gate(m, x86::vector::GP, gp_handler);
    set_gate(m, x86::vector::DF, df_handler);
}

} // namespace

// INT1 (ICEBP, F1) raises #DB as a trap, not as a software interrupt: the gate's DPL is not
// checked (vol. 2 "INT n/INTO/INT3/INT1": the DPL check applies to INT n, INT3 and INTO
// only), so a user program reaches a DPL-0 #DB gate. INT 1 (CD 01) is checked: #GP with
// the IDT error code vector*8+2 (§6.13).
TEST_CASE("x86: INT1 reaches a DPL-0 gate from CPL 3; INT 1 raises #GP(0x0A) there", "[x86][events]")
{
    SECTION("F1: delivered, the frame returns past it at CPL 3")
    {
        GuestMachine m;
        setup_idt_machine(m, { 0xF1, 0xF4 }, true);
        install_halting_handlers(m);
        set_gate(m, x86::vector::DB, handler);
        m.require_halted(run_delivering(m));
        CHECK(m.ctx().hot.pc == handler + 1);
        CHECK(m.cpu().segment[x86::CS].selector == kernel_cs);
        CHECK(m.gpr(x86::RSP) == kernel_stack - 40);
        CHECK(frame_word(m, 0) == 0x10001); // a trap: the next instruction
        CHECK(frame_word(m, 1) == user_cs);
        CHECK(frame_word(m, 3) == stack_top);
        CHECK(frame_word(m, 4) == user_ss);
    }
    SECTION("CD 01: #GP(0x0A) at the INT")
    {
        GuestMachine m;
        setup_idt_machine(m, { 0xCD, 0x01, 0xF4 }, true);
        install_halting_handlers(m);
        set_gate(m, x86::vector::DB, handler);
        m.require_halted(run_delivering(m));
        CHECK(m.ctx().hot.pc == gp_handler + 1);
        CHECK(frame_word(m, 0) == 0x0A);
        CHECK(frame_word(m, 1) == 0x10000);
    }
}

// A descriptor with S = 1 in the IDT is no gate: #GP(vector*8+2), EXT clear for INT n.
TEST_CASE("x86: an IDT entry with the S bit set raises #GP with the IDT error code", "[x86][events]")
{
    GuestMachine m;
    setup_idt_machine(m, { 0xCD, 0x30, 0xF4 }, false);
    install_halting_handlers(m);
    set_gate(m, 0x30, handler, kernel_cs, 0, 0xE, false);
    m.require_halted(run_delivering(m));
    CHECK(m.ctx().hot.pc == gp_handler + 1);
    CHECK(frame_word(m, 0) == 0x30 * 8 + 2);
    CHECK(frame_word(m, 1) == 0x10000);
}

// §6.13: a fault while delivering an exception (not INT n) has EXT set in its error code,
// also when the gate's selector is past the GDT limit.
TEST_CASE("x86: a gate selector beyond the GDT limit raises #GP(selector | EXT) for an exception", "[x86][events]")
{
    GuestMachine m;
    setup_idt_machine(m, { 0x0F, 0x0B, 0xF4 }, false); // ud2
    install_halting_handlers(m);
    set_gate(m, x86::vector::UD, handler, 0x100);
    m.require_halted(run_delivering(m));
    CHECK(m.ctx().hot.pc == gp_handler + 1);
    CHECK(frame_word(m, 0) == 0x101);
    CHECK(frame_word(m, 1) == 0x10000);
}

// vol. 2 INT n: "IF instruction pointer from IDT gate is not canonical THEN #GP(EXT)",
// checked before anything is pushed. When the #GP and #DF gates are broken the same way,
// the CPU shuts down (§6.15 interrupt 8): the run ends as a triple fault, not a loop.
TEST_CASE("x86: a non-canonical gate target raises #GP(EXT); with every gate broken the run ends in a triple fault", "[x86][events]")
{
    SECTION("#UD gate broken: #GP(1) at the UD2, nothing pushed for #UD")
    {
        GuestMachine m;
        setup_idt_machine(m, { 0x0F, 0x0B, 0xF4 }, false);
        install_halting_handlers(m);
        set_gate(m, x86::vector::UD, non_canonical);
        m.require_halted(run_delivering(m));
        CHECK(m.ctx().hot.pc == gp_handler + 1);
        CHECK(m.gpr(x86::RSP) == stack_top - 48); // one frame: the #GP's
        CHECK(frame_word(m, 0) == 1);
        CHECK(frame_word(m, 1) == 0x10000);
    }
    SECTION("#UD, #GP and #DF gates broken: triple fault")
    {
        GuestMachine m;
        setup_idt_machine(m, { 0x0F, 0x0B, 0xF4 }, false);
        install_halting_handlers(m);
        for (u8 v : { x86::vector::UD, x86::vector::GP, x86::vector::DF })
            set_gate(m, v, non_canonical);
        RunResult r = run_delivering(m);
        INFO(r.message);
        CHECK(r.kind == RunResult::Kind::TripleFault);
    }
}


// The STI shadow lasts one instruction (SDM vol. 3 §6.8.3): with an interrupt waiting,
// `sti` as the last byte of a page and `nop; cli` on the next page still let it in after
// the NOP. The block after the STI used to run whole (nop, cli, hlt), so it never came.
TEST_CASE("x86: an interrupt waiting behind an STI at the end of a page comes after one instruction", "[x86][events]")
{
    GuestMachine m;
    constexpr u64 sti_at = 0x13FFF, interrupt_handler = 0x12000; // clear of the halting handlers at 0x11xxx
    std::vector<u8> code(sti_at + 4 - 0x10000, 0x90);
    const u8 jump_to_sti[] = { 0xE9, 0xFA, 0x3F, 0x00, 0x00 }; // jmp 0x13FFF
    std::copy(std::begin(jump_to_sti), std::end(jump_to_sti), code.begin());
    code[sti_at - 0x10000] = 0xFB;         // sti
    code[sti_at + 1 - 0x10000] = 0x90;     // 0x14000: nop
    code[sti_at + 2 - 0x10000] = 0xFA;     // cli
    code[sti_at + 3 - 0x10000] = 0xF4;     // hlt
    setup_idt_machine(m, code, false);
    install_halting_handlers(m);
    m.write(interrupt_handler, enc::hlt());
    set_gate(m, 0x40, interrupt_handler);
    // The local APIC, software-enabled, holds vector 0x40 from a self-IPI; IF is clear.
    m.engine().memory().write(0xFEE000F0, 0x1FF, 4);
    m.engine().memory().write(0xFEE00300, 0x00040040, 4);
    m.require_halted(run_delivering(m));
    CHECK(m.ctx().hot.pc == interrupt_handler + 1);
    CHECK(frame_word(m, 0) == sti_at + 2); // interrupted at the CLI, after the NOP
}
