// The shapes shared by both halves of the differential tester: a Case (instruction bytes
// plus the machine state to start from) and the Outcome of running it, natively or
// through keel. See README.md for the contract each runner follows.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace keel::difftest {

// Both runs map code and data at the same virtual addresses, so RIP-relative and
// absolute addressing agree. Both lie below 4 GiB, so 32-bit address-size forms
// (67 prefix) reach them too.
inline constexpr uint64_t kCodeBase = 0x2000000;
inline constexpr uint64_t kCodeSize = 0x1000;   // one page; code starts at its first byte
inline constexpr uint64_t kDataBase = 0x1000000;
inline constexpr uint64_t kDataSize = 0x10000;  // 64 KiB; the top part is the stack
// Generated cases keep RSP in [kStackLow, kStackHigh) so push/pop/call/enter stay inside
// the data area.
inline constexpr uint64_t kStackLow = kDataBase + 0xE000;
inline constexpr uint64_t kStackHigh = kDataBase + 0xF000;
// Moffs operands that must fault with #PF point into [kUnmappedBase, +kUnmappedSize):
// above the 4 GiB the moffs32 form reaches, above AddressSanitizer's shadow
// (0x7fff8000..0x10007fff7fff on x86-64, so the sanitizer build cannot have it mapped)
// and reserved PROT_NONE by the native runner, so nothing else in the process is there.
inline constexpr uint64_t kUnmappedBase = 0x200001000000;
inline constexpr uint64_t kUnmappedSize = 0x100000 + 0x1000;  // a moffs64 access may run 7 bytes on
// The native runner appends a 22-byte epilogue after the case code, in the same page.
inline constexpr uint64_t kMaxCodeBytes = kCodeSize - 64;

// GPR indices in x86 encoding order (SDM Vol. 2A, Table 2-2 / 3-1).
enum Gpr : unsigned {
    kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
    kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};
inline constexpr unsigned kGprCount = 16;
const char* gpr_name(unsigned index);

// RFLAGS bits (SDM Vol. 1, Section 3.4.3).
inline constexpr uint64_t kFlagCF = 1u << 0;
inline constexpr uint64_t kFlagPF = 1u << 2;
inline constexpr uint64_t kFlagAF = 1u << 4;
inline constexpr uint64_t kFlagZF = 1u << 6;
inline constexpr uint64_t kFlagSF = 1u << 7;
inline constexpr uint64_t kFlagTF = 1u << 8;
inline constexpr uint64_t kFlagIF = 1u << 9;
inline constexpr uint64_t kFlagDF = 1u << 10;
inline constexpr uint64_t kFlagOF = 1u << 11;
inline constexpr uint64_t kFlagRF = 1u << 16;
inline constexpr uint64_t kFlagAC = 1u << 18;
inline constexpr uint64_t kStatusFlags = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;
// The only bits a case may start with at random, and the only bits ever compared: the
// rest (IF, IOPL, TF, AC, ...) describe the privilege level the code runs at, which
// differs between a Linux process and keel's guest.
inline constexpr uint64_t kUserFlags = kStatusFlags | kFlagDF;
// Fixed part of every input RFLAGS: bit 1 is reserved-as-one, and IF is what a user
// process always sees, so PUSHF pushes the same image in both runs.
inline constexpr uint64_t kFixedFlags = 0x2 | kFlagIF;

// MXCSR as a Linux process starts with it: round to nearest, every exception masked.
inline constexpr uint32_t kDefaultMxcsr = 0x1F80;
inline constexpr unsigned kXmmCount = 16;

// The x87/MMX state travels as an FXSAVE image (Intel SDM vol. 1 §10.5.1, table 10-2):
// FCW at 0, FSW at 2, the abridged tag byte at 4, ST0..ST7 (MM0..MM7) at 32 + 16 i, 10
// bytes each. Its MXCSR (24) must be valid for FXRSTOR; its XMM area is not used (`xmm`
// and `mxcsr` above are the SSE state). FOP, FIP and FDP (6..23) say where the last x87
// instruction was, which in keel is its host copy: never compared.
inline constexpr unsigned kFpuImageSize = 512;
inline constexpr unsigned kFpuStOffset = 32;
inline constexpr uint16_t kDefaultFcw = 0x037F;  // FNINIT's: 64-bit precision, nearest, all masked

// Layout fixed for native_thunk.S: gpr at 0, rflags at 128, xmm at 144, mxcsr at 400, the
// FXSAVE image at 416 (16-byte aligned, as FXRSTOR wants).
struct alignas(16) CpuSnapshot {
    uint64_t gpr[kGprCount];  // rax rcx rdx rbx rsp rbp rsi rdi r8..r15
    uint64_t rflags;
    uint64_t reserved;
    uint8_t xmm[kXmmCount][16];
    uint32_t mxcsr = kDefaultMxcsr;
    uint32_t reserved2;
    uint64_t reserved3;
    uint8_t fpu[kFpuImageSize];
};
static_assert(sizeof(CpuSnapshot) == 928);
// FNINIT's x87 state, MXCSR 0x1F80 in the image: what every case starts from unless its
// form randomizes the x87 state (generator.cpp).
void reset_fpu_image(CpuSnapshot& s);

struct Case {
    std::string form;
    uint64_t seed = 0;
    std::vector<uint8_t> code;  // the instruction(s) under test only, at kCodeBase
    CpuSnapshot in{};
    std::vector<uint8_t> data;  // initial contents of the kDataSize bytes at kDataBase
};

// Outcome::fault: -1 none, 0..31 the x86 exception vector (0 #DE, 3 #BP, 6 #UD, 12 #SS,
// 13 #GP, 14 #PF, ...); the negative values below are harness failures, never the
// result of a correct run.
inline constexpr int kFaultNone = -1;
inline constexpr int kFaultTimeout = -2;     // the code ran for more than the time limit
inline constexpr int kFaultHarness = -3;     // the runner itself failed (see stderr)

struct Outcome {
    CpuSnapshot out{};
    std::vector<uint8_t> data;  // final contents of the data area
    int fault = kFaultNone;
    // Address of the instruction that raised `fault`. For the trap INT3 that is the INT3
    // itself, not the saved RIP after it. The state in `out` is the one at the fault
    // (a faulting instruction has no architectural effect, SDM Vol. 3A, 6.5).
    uint64_t fault_rip = 0;
};

// Runs a case on this CPU, in a child process (native_runner.cpp).
Outcome run_native(const Case& c);
// Same for many cases with one child process per chunk: use this in loops.
std::vector<Outcome> run_native_batch(std::span<const Case> cases);
// Runs a case through keel (keel_runner.cpp, written with the engine).
Outcome run_keel(const Case& c);

}  // namespace keel::difftest
