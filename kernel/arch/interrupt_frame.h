#pragma once
// The stack frame of an interrupt or exception as kernel/arch/isr_stubs.S leaves it: the
// CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some vectors, an error code (Intel SDM
// vol. 3 §6.14.2, figure 6-9); the stub pushes a 0 error code where the CPU does not, the
// vector, then the 15 general-purpose registers, R15 first and RAX last. A handler may
// change any field: the stub restores the registers from the frame and IRETQ uses its
// RIP, CS, RFLAGS, RSP and SS.
//
// The offsets are shared with the assembly (this header is included by isr_stubs.S), and
// checked against the struct below.

#define KEEL_FRAME_RAX 0
#define KEEL_FRAME_RBX 8
#define KEEL_FRAME_RCX 16
#define KEEL_FRAME_RDX 24
#define KEEL_FRAME_RSI 32
#define KEEL_FRAME_RDI 40
#define KEEL_FRAME_RBP 48
#define KEEL_FRAME_R8 56
#define KEEL_FRAME_R9 64
#define KEEL_FRAME_R10 72
#define KEEL_FRAME_R11 80
#define KEEL_FRAME_R12 88
#define KEEL_FRAME_R13 96
#define KEEL_FRAME_R14 104
#define KEEL_FRAME_R15 112
#define KEEL_FRAME_VECTOR 120
#define KEEL_FRAME_ERROR_CODE 128
#define KEEL_FRAME_RIP 136
#define KEEL_FRAME_CS 144
#define KEEL_FRAME_RFLAGS 152
#define KEEL_FRAME_RSP 160
#define KEEL_FRAME_SS 168
#define KEEL_FRAME_SIZE 176

#ifndef __ASSEMBLER__
#include <stddef.h>
#include "dbt/base/types.h"

namespace keel::kernel {

struct InterruptFrame {
    // Pushed by the stub (lowest address first: RAX was pushed last).
    u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
    u64 r8, r9, r10, r11, r12, r13, r14, r15;
    u64 vector;
    u64 error_code; // 0 for vectors where the CPU pushes none
    // Pushed by the CPU.
    u64 rip, cs, rflags, rsp, ss;
};

static_assert(sizeof(InterruptFrame) == KEEL_FRAME_SIZE);
static_assert(KEEL_FRAME_SIZE % 16 == 0, "the stub relies on the frame keeping RSP 16-byte aligned");
static_assert(offsetof(InterruptFrame, rax) == KEEL_FRAME_RAX);
static_assert(offsetof(InterruptFrame, rbx) == KEEL_FRAME_RBX);
static_assert(offsetof(InterruptFrame, rcx) == KEEL_FRAME_RCX);
static_assert(offsetof(InterruptFrame, rdx) == KEEL_FRAME_RDX);
static_assert(offsetof(InterruptFrame, rsi) == KEEL_FRAME_RSI);
static_assert(offsetof(InterruptFrame, rdi) == KEEL_FRAME_RDI);
static_assert(offsetof(InterruptFrame, rbp) == KEEL_FRAME_RBP);
static_assert(offsetof(InterruptFrame, r8) == KEEL_FRAME_R8);
static_assert(offsetof(InterruptFrame, r9) == KEEL_FRAME_R9);
static_assert(offsetof(InterruptFrame, r10) == KEEL_FRAME_R10);
static_assert(offsetof(InterruptFrame, r11) == KEEL_FRAME_R11);
static_assert(offsetof(InterruptFrame, r12) == KEEL_FRAME_R12);
static_assert(offsetof(InterruptFrame, r13) == KEEL_FRAME_R13);
static_assert(offsetof(InterruptFrame, r14) == KEEL_FRAME_R14);
static_assert(offsetof(InterruptFrame, r15) == KEEL_FRAME_R15);
static_assert(offsetof(InterruptFrame, vector) == KEEL_FRAME_VECTOR);
static_assert(offsetof(InterruptFrame, error_code) == KEEL_FRAME_ERROR_CODE);
static_assert(offsetof(InterruptFrame, rip) == KEEL_FRAME_RIP);
static_assert(offsetof(InterruptFrame, cs) == KEEL_FRAME_CS);
static_assert(offsetof(InterruptFrame, rflags) == KEEL_FRAME_RFLAGS);
static_assert(offsetof(InterruptFrame, rsp) == KEEL_FRAME_RSP);
static_assert(offsetof(InterruptFrame, ss) == KEEL_FRAME_SS);

} // namespace keel::kernel
#endif
