#pragma once
// The x86-64 guest CPU state, stored in CpuContext::arch (generated code reaches the
// GPRs with 8-bit displacements from RBP). RIP is the engine's pc and the six status
// flags are the engine's packed flags word (dbt/ir/flags.h); everything else is here.
#include <stddef.h>
#include "dbt/plugin/cpu_context.h"

namespace keel::x86 {

enum Gpr : u8 { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum SegmentIndex : u8 { ES, CS, SS, DS, FS, GS, SegmentCount };

// A segment register with its descriptor cache (Intel SDM vol. 3 §3.4.3).
struct Segment {
    u64 base;
    u32 limit;
    u16 selector;
    u16 attributes; // descriptor bits 40..47 (type, S, DPL, P) and 52..55 (AVL, L, D/B, G) as bits 0..7, 8..11
};

struct DescriptorTableRegister {
    u64 base;
    u16 limit;
};

// RFLAGS bits (Intel SDM vol. 1 §3.4.3).
namespace rflags {
constexpr u64 CF = 1 << 0, Fixed1 = 1 << 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
              DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
              VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
constexpr u64 status = CF | PF | AF | ZF | SF | OF;
} // namespace rflags

namespace cr0 {
constexpr u64 PE = 1 << 0, MP = 1 << 1, EM = 1 << 2, TS = 1 << 3, ET = 1 << 4, NE = 1 << 5, WP = 1 << 16, AM = 1 << 18,
              NW = 1 << 29, CD = 1 << 30, PG = 1ull << 31;
}
namespace cr4 {
constexpr u64 VME = 1 << 0, PVI = 1 << 1, TSD = 1 << 2, DE = 1 << 3, PSE = 1 << 4, PAE = 1 << 5, MCE = 1 << 6, PGE = 1 << 7,
              PCE = 1 << 8, OSFXSR = 1 << 9, OSXMMEXCPT = 1 << 10, UMIP = 1 << 11, FSGSBASE = 1 << 16;
}
namespace efer {
constexpr u64 SCE = 1 << 0, LME = 1 << 8, LMA = 1 << 10, NXE = 1 << 11;
}

// Exception and interrupt vectors (Intel SDM vol. 3 table 6-1).
namespace vector {
constexpr u8 DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11, SS = 12, GP = 13,
             PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;
}

// An exception or interrupt waiting for delivery.
struct PendingEvent {
    enum class Kind : u8 { None, Fault, Trap, SoftwareInterrupt, External };
    Kind kind;
    u8 vector;
    bool has_error_code;
    u32 error_code;
    u64 return_rip; // RIP pushed: the faulting instruction for faults, the next one otherwise
};

struct CpuState {
    u64 gpr[16];            // offset 0: reachable with disp8 from the state base
    u64 rflags;             // all RFLAGS bits except the six status flags (engine flags word)
    Segment segment[SegmentCount];
    DescriptorTableRegister gdtr, idtr;
    Segment ldtr, tr;
    u64 kernel_gs_base;
    u64 cr0, cr2, cr3, cr4, cr8;
    // PAE paging's four page-directory-pointer entries, loaded from CR3 by MOV CR3 and by
    // the CR0/CR4 writes that enable PAE paging (Intel SDM vol. 3 §4.4.1), not re-read by walks.
    u64 pdpte[4];
    u64 efer;
    u64 tsc_offset;
    u64 tsc_aux;              // IA32_TSC_AUX: what RDTSCP returns in ECX (low 32 bits)
    u64 star, lstar, cstar, sfmask;
    u64 sysenter_cs, sysenter_esp, sysenter_eip; // IA32_SYSENTER_CS/ESP/EIP
    u64 interrupt_shadow_rip; // no interrupt before this RIP executes (STI, MOV SS); ~0 none
    PendingEvent event;
    u32 mxcsr;                // SSE control/status (see docs/sse.md for what is modelled)
    // Around an SSE instruction that uses MXCSR (docs/sse.md): the host's own MXCSR, kept
    // while the guest's runs, and the one the instruction ran with (its flags after).
    u32 mxcsr_host, mxcsr_run;
    alignas(16) u8 xmm[16][16];
    // A guest-memory operand of an instruction run on the host (SSE: 16 bytes; x87: up to
    // the 108 of FNSAVE/FRSTOR), in transit through the softMMU.
    alignas(16) u8 vector_temp[112];
    // The x87 FPU and MMX state in the FXSAVE layout (Intel SDM vol. 1 §10.5.1, table 10-2),
    // which the host's FXRSTOR64/FXSAVE64 load and store around each x87 or MMX instruction
    // (docs/x87.md). Its MXCSR field stays 0x1F80 (the guest's MXCSR is `mxcsr`) and its XMM
    // part is unused (the guest's XMM registers are `xmm`).
    alignas(16) u8 fpu[512];
    // Where an x87 or MMX instruction that writes memory leaves its new state until its
    // store has gone through the softMMU: a store that faults leaves `fpu` as it was.
    alignas(16) u8 fpu_pending[512];
    // FCMOVcc's condition, evaluated from the guest's flags, for the host instruction.
    u8 fpu_condition;
    // DR0-DR3, DR6, DR7 (DR4/DR5 alias DR6/DR7 when CR4.DE is clear). Stored and read
    // back; the breakpoints they describe do not fire (docs/linux.md#cpu).
    u64 dr[8];
    // The A20M# input (the chipset's gate, docs/modes.md#real-mode): while set, bit 20 of
    // every physical address the CPU forms is 0, as on the 8086's 1 MiB wrap.
    bool a20_masked;
};

inline CpuState& state(CpuContext& ctx) { return ctx.arch_state<CpuState>(); }
inline const CpuState& state(const CpuContext& ctx) { return ctx.arch_state<CpuState>(); }

// Byte offsets for IR LoadState/StoreState.
namespace offset {
constexpr u32 gpr(unsigned i) { return static_cast<u32>(offsetof(CpuState, gpr) + 8 * i); }
constexpr u32 rflags = offsetof(CpuState, rflags);
constexpr u32 segment_base(unsigned s) { return static_cast<u32>(offsetof(CpuState, segment) + s * sizeof(Segment) + offsetof(Segment, base)); }
constexpr u32 segment_limit(unsigned s) { return static_cast<u32>(offsetof(CpuState, segment) + s * sizeof(Segment) + offsetof(Segment, limit)); }
constexpr u32 segment_selector(unsigned s) { return static_cast<u32>(offsetof(CpuState, segment) + s * sizeof(Segment) + offsetof(Segment, selector)); }
constexpr u32 segment_attributes(unsigned s) { return static_cast<u32>(offsetof(CpuState, segment) + s * sizeof(Segment) + offsetof(Segment, attributes)); }
constexpr u32 kernel_gs_base = offsetof(CpuState, kernel_gs_base);
constexpr u32 gdtr_base = offsetof(CpuState, gdtr) + offsetof(DescriptorTableRegister, base);
constexpr u32 gdtr_limit = offsetof(CpuState, gdtr) + offsetof(DescriptorTableRegister, limit);
constexpr u32 idtr_base = offsetof(CpuState, idtr) + offsetof(DescriptorTableRegister, base);
constexpr u32 idtr_limit = offsetof(CpuState, idtr) + offsetof(DescriptorTableRegister, limit);
constexpr u32 cr0 = offsetof(CpuState, cr0);
constexpr u32 cr2 = offsetof(CpuState, cr2);
constexpr u32 cr3 = offsetof(CpuState, cr3);
constexpr u32 cr4 = offsetof(CpuState, cr4);
constexpr u32 cr8 = offsetof(CpuState, cr8);
constexpr u32 efer = offsetof(CpuState, efer);
constexpr u32 mxcsr = offsetof(CpuState, mxcsr);
constexpr u32 xmm(unsigned i) { return static_cast<u32>(offsetof(CpuState, xmm) + 16 * i); }
constexpr u32 vector_temp = offsetof(CpuState, vector_temp);
constexpr u32 mxcsr_host = offsetof(CpuState, mxcsr_host);
constexpr u32 mxcsr_run = offsetof(CpuState, mxcsr_run);
constexpr u32 fpu = offsetof(CpuState, fpu);
constexpr u32 fpu_control = fpu + 0;  // FCW
constexpr u32 fpu_status = fpu + 2;   // FSW
constexpr u32 fpu_mxcsr = fpu + 24;   // MXCSR and MXCSR_MASK (fixed: see CpuState::fpu)
constexpr u32 fpu_condition = offsetof(CpuState, fpu_condition);
constexpr u32 fpu_pending = offsetof(CpuState, fpu_pending);
} // namespace offset

static_assert(sizeof(CpuState) <= arch_state_capacity);

// Mode bits (the block key's mode, ctx.hot.mode): what the frontend's output depends on.
namespace mode {
constexpr u32 cpl_mask = 3;
constexpr u32 protected_mode = 1 << 2; // CR0.PE
constexpr u32 long_mode = 1 << 3;      // EFER.LMA
constexpr u32 code64 = 1 << 4;         // CS.L in long mode: 64-bit code
constexpr u32 code32 = 1 << 5;         // CS.D: 32-bit default operand size
constexpr u32 paging = 1 << 6;         // CR0.PG
// Outside 64-bit code only (0 in 64-bit code, so they never split its blocks):
constexpr u32 stack32 = 1 << 7;        // SS.B: the stack pointer is ESP (else SP)
constexpr u32 flat = 1 << 8;           // CS, DS, ES and SS have base 0 and a 4 GiB limit
constexpr u32 virtual8086 = 1 << 9;    // RFLAGS.VM in protected mode: 16-bit code at CPL 3, real-mode segments
constexpr inline u32 cpl(u32 m) { return m & cpl_mask; }
} // namespace mode

// Descriptor attribute bits as stored in Segment::attributes.
namespace seg_attr {
constexpr u16 accessed = 1 << 0, writable = 1 << 1, code = 1 << 3, s = 1 << 4, present = 1 << 7, avl = 1 << 8, l = 1 << 9,
              db = 1 << 10, g = 1 << 11;
constexpr inline u16 dpl(u16 a) { return (a >> 5) & 3; }
} // namespace seg_attr

// The x87 state after reset and FNINIT (Intel SDM vol. 1 §8.1.5, FNINIT, and §10.5.1):
// FCW 0x037F (all exceptions masked, 64-bit precision, round to nearest), FSW 0, every
// register empty (abridged tag 0); the FXSAVE area's fixed MXCSR fields.
inline void reset_fpu(CpuState& s)
{
    for (u8& b : s.fpu)
        b = 0;
    s.fpu[0] = 0x7F, s.fpu[1] = 0x03;
    s.fpu[24] = 0x80, s.fpu[25] = 0x1F;  // MXCSR 0x1F80: the host's SSE runs with it
    s.fpu[28] = 0xFF, s.fpu[29] = 0xFF;  // MXCSR_MASK 0xFFFF
}

} // namespace keel::x86
