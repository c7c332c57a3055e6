#pragma once
// Host register roles in generated code (docs/backend.md):
//   RBP  the state base: the CPU context's architecture state (CpuContext::arch)
//   RSP  the host stack, 16-byte aligned inside blocks
//   RAX  never allocated: scratch for flag capture/restore (lahf/sahf), MUL/DIV, the TLB
//        index and call results
//   the other 13 are allocated to IR values.
#include "dbt/backend/x64/xbyak.h"
#include "dbt/base/types.h"

namespace keel::x64 {

enum HostReg : u8 { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

constexpr HostReg allocation_order[] = { RBX, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, RDX, RCX };
constexpr u32 allocatable_count = sizeof(allocation_order) / sizeof(allocation_order[0]);

// SysV: clobbered by calls.
constexpr bool is_caller_saved(u8 r) { return r == RAX || r == RCX || r == RDX || r == RSI || r == RDI || (r >= R8 && r <= R11); }
// Allocatable caller-saved registers, pushed around cold-path calls (an even count keeps
// RSP 16-byte aligned at the call).
constexpr HostReg cold_saved[] = { RCX, RDX, RSI, RDI, R8, R9, R10, R11 };

inline Xbyak::Reg64 r64(u8 r) { return Xbyak::Reg64(r); }
inline Xbyak::Reg32 r32(u8 r) { return Xbyak::Reg32(r); }
inline Xbyak::Reg16 r16(u8 r) { return Xbyak::Reg16(r); }
inline Xbyak::Reg8 r8(u8 r) { return Xbyak::Reg8(r, r >= 4); } // REX form: spl..dil, never ah..bh

} // namespace keel::x64
