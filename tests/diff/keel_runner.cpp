// The keel half of the differential tester: runs a Case through keel's translator on a
// guest that looks like the native runner's process. The code page and the data area
// are mapped for CPL 3 at the same virtual addresses as natively (code RWX, data RW+NX),
// nothing else is mapped, and the case runs at CPL 3 so user-level rules (POPF, PUSHF,
// privileged instructions) are the same as in a Linux process. A HLT placed after the
// code marks the end: at CPL 3 it raises #GP, which the engine reports undelivered.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include "hosted/builtin_types.h"
#include "hosted/hosted_pc.h"
#include "plugins/arch/x86/x86_arch.h"
#include "plugins/arch/x86/boot/long_mode_entry.h"
#include "plugins/arch/x86/boot/test_entry_state.h"
#include "plugins/arch/x86/cpu_state.h"
#include "plugins/arch/x86/mode.h"
#include "tests/diff/diff_case.h"

namespace keel::difftest {
namespace {

using namespace keel::x86;

// Guest-physical layout: identity-mapped code and data, paging structures and GDT below.
constexpr u64 pml4 = 0x100000, pdpt = 0x101000, pd = 0x102000, pt_data = 0x103000, pt_code = 0x104000, gdt = 0x105000;
// The system call entry (IA32_LSTAR): a supervisor page after the code page holding what
// the host's kernel does with an unknown system call, seen from user mode: RAX = -ENOSYS,
// then SYSRET to RCX with RFLAGS from R11 (form_table_system.cpp).
constexpr u64 syscall_entry = kCodeBase + 0x1000;
constexpr u8 syscall_stub[] = { 0x48, 0xC7, 0xC0, 0xDA, 0xFF, 0xFF, 0xFF, // mov rax, -38
    0x48, 0x0F, 0x07 };                                               // sysretq
constexpr u64 P = 1, RW = 2, US = 4, NX = 1ull << 63;
constexpr u16 user_data_selector = 0x18 | 3, user_code_selector = 0x20 | 3;

class KeelRunner {
public:
    KeelRunner();
    Outcome run(const Case& c);

private:
    void write64(u64 address, u64 value) { MUST(m_pc->engine().memory().write_bytes(address, &value, 8)); }
    hosted::HostedPc* m_pc = nullptr;
};

hosted::HostedPc* g_running = nullptr;

void on_alarm(int)
{
    if (g_running)
        g_running->engine().request_stop();
}

Segment user_segment(u16 selector, u64 descriptor)
{
    return Segment { 0, 0xFFFFFFFF, selector, static_cast<u16>(((descriptor >> 40) & 0xFF) | (((descriptor >> 52) & 0xF) << 8)) };
}

constexpr u64 user_data_descriptor = 0x00CFF3000000FFFFull; // DPL 3, read/write
constexpr u64 user_code_descriptor = 0x00AFFB000000FFFFull; // DPL 3, 64-bit, execute/read

KeelRunner::KeelRunner()
{
    hosted::HostedPcConfig config;
    static x86::X86Arch arch;
    config.machine.types = &hosted::builtin_types();
    config.machine.arch = &arch;
    config.machine.ram_size = 64 * MiB;
    config.code_cache_size = 64 * MiB;
    auto created = hosted::HostedPc::create(config);
    if (created.is_error()) {
        fprintf(stderr, "keel runner: %s\n", created.error().message());
        abort();
    }
    m_pc = created.release_value();

    // 4-level tables mapping only the code page and the 64 KiB data area (Intel SDM
    // vol. 3 §4.5), user-accessible.
    write64(pml4, pdpt | P | RW | US);
    write64(pdpt, pd | P | RW | US);
    write64(pd + (kDataBase >> 21) * 8, pt_data | P | RW | US);
    write64(pd + (kCodeBase >> 21) * 8, pt_code | P | RW | US);
    for (u64 page = 0; page < kDataSize / 4096; ++page)
        write64(pt_data + ((kDataBase >> 12) & 511) * 8 + page * 8, (kDataBase + page * 4096) | P | RW | US | NX);
    write64(pt_code + ((kCodeBase >> 12) & 511) * 8, kCodeBase | P | RW | US);
    write64(pt_code + ((syscall_entry >> 12) & 511) * 8, syscall_entry | P);
    MUST(m_pc->engine().memory().write_bytes(syscall_entry, syscall_stub, sizeof(syscall_stub)));
    u64 descriptors[5] = { 0, 0x00AF9B000000FFFFull, 0x00CF93000000FFFFull, user_data_descriptor, user_code_descriptor };
    MUST(m_pc->engine().memory().write_bytes(gdt, descriptors, sizeof(descriptors)));

    CpuState& s = state(m_pc->engine().context());
    set_long_mode_control_registers(m_pc->engine().context(), pml4);
    s.gdtr = { gdt, sizeof(descriptors) - 1 };
    s.idtr = { 0, 0 };
    // A busy 64-bit TSS without an I/O permission bitmap, as the host's user processes see
    // (Linux puts the map base past the TSS's limit unless ioperm() gave one): IN/OUT at
    // CPL 3 raise #GP. Its limit keeps even the map base unread (nothing maps the TSS here).
    s.tr = Segment { 0, 0, 0, 0x8B };
    // SYSCALL as a Linux kernel sets it up (arch/x86/kernel/cpu/common.c, syscall_init):
    // kernel CS 0x08 / SS 0x10, SYSRET's base 0x10 so that it loads the user code (0x20|3)
    // and data (0x18|3) selectors of the GDT above, and TF, DF, IF, IOPL, AC and NT masked.
    s.efer |= efer::SCE;
    s.star = (u64(0x10) << 48) | (u64(0x08) << 32);
    s.lstar = syscall_entry;
    s.sfmask = 0x47700;
    signal(SIGALRM, on_alarm);
}

Outcome KeelRunner::run(const Case& c)
{
    Engine& engine = m_pc->engine();
    CpuContext& ctx = engine.context();
    CpuState& s = state(ctx);
    Outcome outcome;

    // Code, then HLT as the end marker; the data area.
    std::vector<u8> code(c.code);
    code.push_back(0xF4);
    MUST(engine.memory().write_bytes(kCodeBase, code.data(), code.size()));
    MUST(engine.memory().write_bytes(kDataBase, c.data.data(), kDataSize));
    engine.flush_translations(); // the code page was rewritten behind the MMU's back

    for (unsigned i = 0; i < kGprCount; ++i)
        s.gpr[i] = c.in.gpr[i];
    static_assert(sizeof(s.xmm) == sizeof(c.in.xmm));
    memcpy(s.xmm, c.in.xmm, sizeof(s.xmm));
    s.mxcsr = c.in.mxcsr;
    // The x87 part of the image only: keel keeps its own MXCSR field (docs/x87.md).
    memcpy(s.fpu, c.in.fpu, 24);
    memcpy(s.fpu + kFpuStOffset, c.in.fpu + kFpuStOffset, 8 * 16);
    s.segment[CS] = user_segment(user_code_selector, user_code_descriptor);
    for (SegmentIndex seg : { SS, DS, ES })
        s.segment[seg] = user_segment(user_data_selector, user_data_descriptor);
    s.segment[FS] = s.segment[GS] = Segment { 0, 0, 0, 0 };
    s.event.kind = PendingEvent::Kind::None;
    s.interrupt_shadow_rip = ~0ull;
    write_rflags(ctx, c.in.rflags);
    ctx.hot.pc = kCodeBase;
    refresh_mode(ctx);
    engine.flush_tlb();

    // A case that never reaches the end is stopped after 2 s, as natively.
    g_running = m_pc;
    itimerval timer {};
    timer.it_value.tv_sec = 2;
    setitimer(ITIMER_REAL, &timer, nullptr);
    Engine::RunOptions options;
    options.stop_on_exception = true;
    RunResult result = engine.run(options);
    timer.it_value.tv_sec = 0;
    setitimer(ITIMER_REAL, &timer, nullptr);
    g_running = nullptr;

    u64 end = kCodeBase + c.code.size();
    if (result.kind == RunResult::Kind::GuestException) {
        const PendingEvent& ev = s.event;
        bool reached_end = ev.vector == vector::GP && ctx.hot.pc == end;
        if (!reached_end) {
            outcome.fault = ev.vector;
            outcome.fault_rip = ctx.hot.pc;
        }
        s.event.kind = PendingEvent::Kind::None;
    } else if (result.kind == RunResult::Kind::Stopped) {
        outcome.fault = kFaultTimeout;
    } else {
        fprintf(stderr, "keel runner: unexpected end of run: %s\n", result.message);
        outcome.fault = kFaultHarness;
    }
    for (unsigned i = 0; i < kGprCount; ++i)
        outcome.out.gpr[i] = s.gpr[i];
    outcome.out.rflags = read_rflags(ctx);
    memcpy(outcome.out.xmm, s.xmm, sizeof(s.xmm));
    outcome.out.mxcsr = s.mxcsr;
    memcpy(outcome.out.fpu, s.fpu, kFpuStOffset + 8 * 16);
    outcome.data.resize(kDataSize);
    MUST(engine.memory().read_bytes(kDataBase, outcome.data.data(), kDataSize));
    return outcome;
}

} // namespace

Outcome run_keel(const Case& c)
{
    static KeelRunner runner;
    return runner.run(c);
}

} // namespace keel::difftest
