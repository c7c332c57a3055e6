// Runs test cases on the host CPU inside the forked child (see native_child.h and
// native_thunk.S for the register hand-over).
#include "tests/diff/native_child.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>

extern "C" {
// Defined in native_thunk.S.
__attribute__((visibility("hidden"))) extern keel::difftest::CpuSnapshot keel_difftest_out;
__attribute__((visibility("hidden"))) extern uint64_t keel_difftest_host_rsp;
__attribute__((visibility("hidden"))) void keel_difftest_enter(const keel::difftest::CpuSnapshot* in);
__attribute__((visibility("hidden"))) void keel_difftest_exit();
__attribute__((visibility("hidden"))) void keel_difftest_resume();
}

namespace keel::difftest {
namespace {

// Guard areas around code and data are mapped PROT_NONE so that an access just outside
// either one faults for certain (nothing else of the process can live there).
constexpr uint64_t kGuard = 0x10000;
constexpr size_t kAltStackSize = 64 * 1024;
constexpr size_t kEpilogueSize = 22;

volatile sig_atomic_t g_in_case = 0;
volatile int g_fault = kFaultNone;
volatile uint64_t g_fault_rip = 0;

// glibc's REG_* index for each GPR in encoding order.
constexpr int kUcontextIndex[kGprCount] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

// Takes the state at the fault out of the signal frame and makes sigreturn continue at
// keel_difftest_resume, which restores the host stack and flags. Linux fills REG_TRAPNO
// with the exception vector that raised the signal (arch/x86 thread.trap_nr), which is
// more precise than the signal number: SIGSEGV is #PF or #GP, SIGBUS is #SS or #AC.
void on_fault(int sig, siginfo_t* info, void* context) {
    auto* uc = static_cast<ucontext_t*>(context);
    if (!g_in_case || info->si_code <= 0) {
        // Not from a case, or sent by another process: the harness is broken. Die of the
        // signal so the parent reports it.
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    if (g_fault != kFaultNone) {
        // A second fault before keel_difftest_resume restored the host: the hand-over
        // itself is broken. Die of the signal rather than loop (the parent reports it).
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    greg_t* g = uc->uc_mcontext.gregs;
    for (unsigned i = 0; i < kGprCount; ++i)
        keel_difftest_out.gpr[i] = static_cast<uint64_t>(g[kUcontextIndex[i]]);
    keel_difftest_out.rflags = static_cast<uint64_t>(g[REG_EFL]) & ~kFlagRF;
    // The SSE state at the fault, from the signal frame's FXSAVE image.
    if (uc->uc_mcontext.fpregs) {
        memcpy(keel_difftest_out.xmm, uc->uc_mcontext.fpregs->_xmm, sizeof keel_difftest_out.xmm);
        keel_difftest_out.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
        static_assert(sizeof(*uc->uc_mcontext.fpregs) == kFpuImageSize);
        memcpy(keel_difftest_out.fpu, uc->uc_mcontext.fpregs, kFpuImageSize);
    }
    int vector = static_cast<int>(g[REG_TRAPNO]);
    uint64_t rip = static_cast<uint64_t>(g[REG_RIP]);
    // INT3 is a trap (SDM Vol. 3A, Table 6-1): the saved RIP follows the one-byte CC.
    if (vector == 3) rip -= 1;
    g_fault = vector;
    g_fault_rip = rip;
    g[REG_RIP] = reinterpret_cast<greg_t>(&keel_difftest_resume);
    // Leave through sigreturn with the host's stack pointer, not the case's. A case may
    // fault because its RSP is non-canonical (#SS), and some kernels cannot return to
    // user mode with such an RSP at all: the return itself raises #GP, the kernel
    // delivers SIGSEGV at the same place, and the worker would loop here forever
    // (seen on a 6.18 kernel; keel_difftest_resume reloads RSP anyway). RFLAGS gets the
    // host's view as well, so no case flag (DF, AC) is live between here and there.
    g[REG_RSP] = static_cast<greg_t>(keel_difftest_host_rsp);
    g[REG_EFL] = static_cast<greg_t>(kFixedFlags);
}

[[noreturn]] void give_up(NativeShared* shared, const char* what) {
    snprintf(shared->error, sizeof shared->error, "%s: %s", what, strerror(errno));
    _exit(2);
}

void map_fixed(NativeShared* shared, uint64_t address, uint64_t size, int prot) {
    void* want = reinterpret_cast<void*>(address);
    void* got = mmap(want, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (got != want) {
        char what[96];
        snprintf(what, sizeof what, "cannot map %#llx..%#llx (fixed code/data area, a guard or the moffs #PF range)",
                 static_cast<unsigned long long>(address), static_cast<unsigned long long>(address + size));
        give_up(shared, what);
    }
}

void set_up(NativeShared* shared) {
    map_fixed(shared, kCodeBase - kGuard, kGuard, PROT_NONE);
    // Writable and executable: each case rewrites the page before jumping into it.
    map_fixed(shared, kCodeBase, kCodeSize, PROT_READ | PROT_WRITE | PROT_EXEC);
    map_fixed(shared, kCodeBase + kCodeSize, kGuard, PROT_NONE);
    map_fixed(shared, kDataBase - kGuard, kGuard, PROT_NONE);
    map_fixed(shared, kDataBase, kDataSize, PROT_READ | PROT_WRITE);
    map_fixed(shared, kDataBase + kDataSize, kGuard, PROT_NONE);
    map_fixed(shared, kUnmappedBase, kUnmappedSize, PROT_NONE);  // moffs #PF targets

    // The case's RSP may point anywhere, so signals must arrive on a stack of our own.
    stack_t alt{};
    alt.ss_size = kAltStackSize;
    alt.ss_sp = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (alt.ss_sp == MAP_FAILED || sigaltstack(&alt, nullptr) != 0) give_up(shared, "sigaltstack");

    struct sigaction sa{};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP})
        if (sigaction(sig, &sa, nullptr) != 0) give_up(shared, "sigaction");
}

// mov [moffs64], rax; mov rax, imm64; jmp rax  (see native_thunk.S)
void write_epilogue(uint8_t* at) {
    uint64_t out = reinterpret_cast<uint64_t>(&keel_difftest_out.gpr[kRax]);
    uint64_t exit = reinterpret_cast<uint64_t>(&keel_difftest_exit);
    at[0] = 0x48; at[1] = 0xA3;
    memcpy(at + 2, &out, 8);
    at[10] = 0x48; at[11] = 0xB8;
    memcpy(at + 12, &exit, 8);
    at[20] = 0xFF; at[21] = 0xE0;
}

// Finds the first and last byte that differ from the input, 64 bytes at a time.
void record_changes(const uint8_t* in, const uint8_t* data, NativeOutput& out) {
    constexpr uint32_t kBlock = 64;
    uint32_t begin = 0, end = kDataSize;
    while (begin < end && memcmp(data + begin, in + begin, kBlock) == 0) begin += kBlock;
    while (end > begin && memcmp(data + end - kBlock, in + end - kBlock, kBlock) == 0) end -= kBlock;
    out.changed_begin = begin;
    out.changed_end = end;
    memcpy(out.changed, data + begin, end - begin);
}

void run_one(const NativeInput& in, NativeOutput& out) {
    auto* code = reinterpret_cast<uint8_t*>(kCodeBase);
    auto* data = reinterpret_cast<uint8_t*>(kDataBase);
    // INT3 fill: a case that strays past its epilogue stops with #BP at once.
    memset(code, 0xCC, kCodeSize);
    memcpy(code, in.code, in.code_size);
    write_epilogue(code + in.code_size);
    memcpy(data, in.data, kDataSize);

    g_fault = kFaultNone;
    g_fault_rip = 0;
    g_in_case = 1;
    keel_difftest_enter(&in.in);
    g_in_case = 0;

    out.out = keel_difftest_out;
    out.out.rflags &= ~kFlagRF;
    out.fault = g_fault;
    out.fault_rip = g_fault_rip;
    record_changes(in.data, data, out);
}

}  // namespace

void native_child_main(NativeShared* shared, int socket) {
    // Never outlive the caller, even if its end of the socket somehow stays open.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    set_up(shared);
    shared->ready.store(1);
    for (;;) {
        char byte;
        ssize_t r = read(socket, &byte, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) _exit(0);
        for (uint32_t i = shared->first; i < shared->count; ++i) {
            shared->started.store(i, std::memory_order_relaxed);
            run_one(shared->inputs[i], shared->outputs[i]);
            shared->finished.store(i + 1, std::memory_order_release);
        }
        if (write(socket, &byte, 1) != 1) _exit(3);
    }
}

static_assert(kEpilogueSize + kMaxCodeBytes <= kCodeSize);

}  // namespace keel::difftest
