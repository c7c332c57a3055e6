// The system forms under test: what a user-mode program sees of the instructions the
// Linux work added (docs/testing.md#the-differential-tester). Both runs are at CPL 3 with
// IOPL 0, so:
// - SYSCALL really enters a kernel: the host's natively, and in keel's runner a small
//   CPL 0 stub at IA32_LSTAR that answers -ENOSYS and returns with SYSRET (keel_runner.cpp).
//   The system call number is one no kernel has (generator.cpp), so what is compared is
//   SYSCALL's and SYSRET's own effect: RCX = the next RIP, R11 = RFLAGS, RFLAGS restored,
//   every other register and the memory unchanged. RAX, the kernel's answer, is not
//   compared (flags_policy.cpp).
// - the privileged instructions raise #GP(0) before they change anything (Intel SDM vol. 3
//   §5.9, and each instruction's "Protected Mode Exceptions"); IN/OUT the same through IOPL
//   and the I/O permission bitmap (§19.5: a Linux process without ioperm() has none, keel's
//   runner has no TSS bitmap either).
// - fences and prefetches have no architectural effect and never fault; CLFLUSH is checked
//   as a byte load (SDM vol. 2, CLFLUSH), so it faults where a load would.
// Left out, because the two runs differ by design: CPUID, RDTSC(P), XGETBV (keel reports
// its own CPU, clock and features); SGDT/SIDT/SLDT/STR/SMSW (hosts with UMIP emulate them);
// LAR/LSL/VERR/VERW (the host's and keel's GDT differ); MOV to or from control registers
// (no operand kind for them); PREFETCHW and CLFLUSHOPT (keel does not advertise them);
// INT n (the runner stops at the raise, before delivery checks the gate's DPL; unit.x86
// checks INT n through a DPL 0 gate at CPL 3).
#include "tests/diff/form.h"

namespace keel::difftest {
namespace {

struct SystemLine {
    const char* text;
    ZydisMnemonic mnemonic;
    const char* signatures;  // space-separated; "" for no operands
    bool privileged = false;  // #GP(0) at CPL 3
};
constexpr bool kPrivileged = true;

#define M(x) ZYDIS_MNEMONIC_##x
constexpr SystemLine kSystem[] = {
    {"syscall", M(SYSCALL), ""},
    // Privileged at CPL 3: #GP(0).
    {"sysret", M(SYSRET), "", kPrivileged}, {"swapgs", M(SWAPGS), "", kPrivileged}, {"hlt", M(HLT), "", kPrivileged},
    {"cli", M(CLI), "", kPrivileged}, {"sti", M(STI), "", kPrivileged}, {"clts", M(CLTS), "", kPrivileged},
    {"rdmsr", M(RDMSR), "", kPrivileged}, {"wrmsr", M(WRMSR), "", kPrivileged},
    {"wbinvd", M(WBINVD), "", kPrivileged}, {"invd", M(INVD), "", kPrivileged},
    {"invlpg", M(INVLPG), "m8", kPrivileged}, {"lgdt", M(LGDT), "m80", kPrivileged}, {"lidt", M(LIDT), "m80", kPrivileged},
    {"ltr", M(LTR), "r16 m16", kPrivileged}, {"lldt", M(LLDT), "r16 m16", kPrivileged},
    {"in", M(IN), "al,i8 ax,i8 eax,i8", kPrivileged}, {"out", M(OUT), "i8,al i8,ax i8,eax", kPrivileged},
    // User-level, no architectural effect (CLFLUSH: a load's faults).
    {"lfence", M(LFENCE), ""}, {"mfence", M(MFENCE), ""}, {"sfence", M(SFENCE), ""},
    {"prefetchnta", M(PREFETCHNTA), "m8"}, {"prefetcht0", M(PREFETCHT0), "m8"},
    {"prefetcht1", M(PREFETCHT1), "m8"}, {"prefetcht2", M(PREFETCHT2), "m8"},
    {"clflush", M(CLFLUSH), "m512"},  // the operand is the cache line; the check a byte load's
};
#undef M

}  // namespace

void add_system_forms(std::vector<Form>& forms) {
    for (const SystemLine& line : kSystem)
        for (Form& f : forms_for("form_table_system", line.text, line.mnemonic, line.signatures)) {
            f.privileged = line.privileged;
            forms.push_back(f);
        }
}

}  // namespace keel::difftest
