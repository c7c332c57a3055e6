// Hardware task switches (Intel SDM vol. 3 §7.3, docs/modes.md#task-switches): JMP and
// CALL to a TSS, IRET back through the link with NT, and an exception through a task gate
// with its error code on the new task's stack (the double-fault pattern of 32-bit kernels).
#include <catch2/catch.hpp>
#include "guest_machine.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"

namespace keel::unit {
namespace {

using x86::seg_attr::db;
using x86::seg_attr::g;
constexpr u64 gdt_base = 0x1000, idt_base = 0x2000, tss_a = 0x3000, tss_b = 0x3100;
constexpr u16 tss_a_selector = 0x18, tss_b_selector = 0x20, task_gate_selector = 0x28;

void put(GuestMachine& m, u64 address, u64 value, unsigned size)
{
    std::vector<u8> bytes;
    append_le(bytes, value, size);
    m.write(address, bytes);
}

u64 tss_descriptor(u64 base, bool busy) { return 0x67 | (base & 0xFFFFFF) << 16 | u64(busy ? 0x8B : 0x89) << 40; }
u8 tss_type(GuestMachine& m, u16 selector) { return static_cast<u8>(m.read(gdt_base + selector + 5, 1) & 0xF); }

// CPU in 32-bit protected mode at CPL 0 running task A (TR 0x18, busy); task B's TSS
// holds EIP 0x5000, EAX 0x1234, ESP 0x8000, flat selectors 0x08/0x10, EFLAGS 2.
struct Tasks {
    GuestMachine m;
    explicit Tasks(std::vector<u8> code_a, std::vector<u8> code_b)
    {
        m.load(0x4000, code_a);
        m.write(0x5000, code_b);
        const u64 gdt[6] = { 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, tss_descriptor(tss_a, true), tss_descriptor(tss_b, false),
            (u64(tss_b_selector) << 16) | (0x85ull << 40) }; // task gate, DPL 0
        for (unsigned i = 0; i < 6; ++i)
            put(m, gdt_base + 8 * i, gdt[i], 8);
        put(m, tss_b + 0x20, 0x5000, 4);
        put(m, tss_b + 0x24, 0x2, 4);
        put(m, tss_b + 0x28, 0x1234, 4); // EAX
        put(m, tss_b + 0x38, 0x8000, 4); // ESP
        const u16 selectors[6] = { 0x10, 0x08, 0x10, 0x10, 0x10, 0x10 }; // ES CS SS DS FS GS
        for (unsigned i = 0; i < 6; ++i)
            put(m, tss_b + 0x48 + 4 * i, selectors[i], 2);
        x86::CpuState& s = m.cpu();
        s.efer = 0;
        s.cr4 = 0;
        s.cr0 = x86::cr0::PE | x86::cr0::ET;
        s.gdtr = { gdt_base, 6 * 8 - 1 };
        s.idtr = { idt_base, 0x7FF };
        s.tr = x86::Segment { tss_a, 0x67, tss_a_selector, 0x8B };
        s.segment[x86::CS] = x86::Segment { 0, 0xFFFFFFFF, 0x08, static_cast<u16>(0x9B | db | g) };
        for (x86::SegmentIndex seg : { x86::DS, x86::ES, x86::SS, x86::FS, x86::GS })
            s.segment[seg] = x86::Segment { 0, 0xFFFFFFFF, 0x10, static_cast<u16>(0x93 | db | g) };
        m.gpr(x86::RSP) = 0x7000;
        m.gpr(x86::RBX) = 0xB0B;
        x86::refresh_mode(m.ctx());
        m.ctx().services->flush_tlb();
    }
    void run()
    {
        Engine::RunOptions options;
        options.stop_on_halt = true;
        m.require_halted(m.engine().run(options));
    }
};

} // namespace

TEST_CASE("x86 task switch: JMP to an available TSS saves the old task and loads the new one", "[x86][task]")
{
    Tasks t({ 0xEA, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00 }, { 0xF4 }); // jmp 0x20:0 | hlt
    t.run();
    x86::CpuState& s = t.m.cpu();
    CHECK(s.tr.selector == tss_b_selector);
    CHECK(t.m.gpr(x86::RAX) == 0x1234);
    CHECK(t.m.gpr(x86::RSP) == 0x8000);
    CHECK(t.m.read(tss_a + 0x20, 4) == 0x4007);   // A resumes after the JMP
    CHECK(t.m.read(tss_a + 0x34, 4) == 0xB0B);    // A's EBX saved
    CHECK(tss_type(t.m, tss_a_selector) == 0x9);  // a JMP leaves A available ...
    CHECK(tss_type(t.m, tss_b_selector) == 0xB);  // ... and B busy
    CHECK((s.cr0 & x86::cr0::TS));
    CHECK_FALSE(s.rflags & x86::rflags::NT);
}

TEST_CASE("x86 task switch: CALL nests with NT and the link; IRET returns to the caller", "[x86][task]")
{
    // call 0x20:0 (the TSS itself, or the GDT's task gate to it); hlt | mov ebx, 0x77; iretd
    u8 target = GENERATE(u8(tss_b_selector), u8(task_gate_selector));
    INFO("CALL through selector " << int(target));
    Tasks t({ 0x9A, 0x00, 0x00, 0x00, 0x00, target, 0x00, 0xF4 }, { 0xBB, 0x77, 0x00, 0x00, 0x00, 0xCF });
    t.run();
    x86::CpuState& s = t.m.cpu();
    CHECK(s.tr.selector == tss_a_selector);
    CHECK(t.m.ctx().hot.pc == 0x4008);             // past the HLT after the CALL
    CHECK(t.m.gpr(x86::RBX) == 0xB0B);             // A's registers, from A's TSS
    CHECK(t.m.read(tss_b, 2) == tss_a_selector);   // B's link
    CHECK(t.m.read(tss_b + 0x34, 4) == 0x77);      // B's state saved by the IRET
    CHECK((t.m.read(tss_b + 0x24, 4) & x86::rflags::NT) == 0); // and its NT cleared there
    CHECK(tss_type(t.m, tss_a_selector) == 0xB);
    CHECK(tss_type(t.m, tss_b_selector) == 0x9);
    CHECK_FALSE(s.rflags & x86::rflags::NT);
}

TEST_CASE("x86 task switch: a #GP through a task gate runs the handler task with the error code on its stack", "[x86][task]")
{
    // mov ax, 0x30; mov ds, ax (beyond the GDT: #GP(0x30)) | hlt
    Tasks t({ 0x66, 0xB8, 0x30, 0x00, 0x8E, 0xD8 }, { 0xF4 });
    put(t.m, idt_base + x86::vector::GP * 8, (u64(tss_b_selector) << 16) | (0x85ull << 40), 8); // IDT task gate: names the TSS
    t.run();
    x86::CpuState& s = t.m.cpu();
    CHECK(s.tr.selector == tss_b_selector);
    CHECK(t.m.gpr(x86::RSP) == 0x8000 - 4);
    CHECK(t.m.read(0x8000 - 4, 4) == 0x30);        // the error code
    CHECK(t.m.read(tss_a + 0x20, 4) == 0x4004);    // A's EIP: the faulting MOV DS
    CHECK(t.m.read(tss_b, 2) == tss_a_selector);
    CHECK((s.rflags & x86::rflags::NT));
    CHECK(tss_type(t.m, tss_a_selector) == 0xB);   // an interrupt nests: A stays busy
}

} // namespace keel::unit
