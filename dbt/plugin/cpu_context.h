#pragma once
// The CPU context as the architecture plugin sees it (part of the plugin ABI, abi.h):
// the engine's hot fields, then the architecture's guest state, then the services the
// engine offers the architecture. Generated code addresses it from one fixed host register
// (RBP, the `state base`, which points at `arch`): the guest state's hottest fields (x86
// GPRs) are reachable with positive 8-bit displacements, the engine's hot fields with
// negative ones. The engine keeps its own data (soft TLB, lookup cache, spill slots) in a
// larger structure that begins with this one (dbt/runtime/run_context.h); the plugin never
// sees it.
#include <stddef.h>
#include "dbt/base/types.h"

namespace keel {

class ArchServices;

constexpr u32 arch_state_capacity = 4096; // bytes the architecture may use

struct alignas(64) EngineHot {
    u64 host_rsp;         // saved by the entry thunk, restored by the exit trampoline
    u64 exit_slot;        // ExitSlot* of the unchained exit being taken (RunExit::Unchained)
    u64 current_block;    // TranslatedBlock* set by the MMU slow path callers (SMC checks)
    u64 code_base;        // linear address of pc 0 (x86: the CS base)
    u64 divide_remainder; // the remainder of the last division helper (x86: RDX/AH)
    u32 mode;             // the architecture's mode bits (part of the block key)
    u32 exit_request;     // non-zero: blocks return to the dispatcher at their start
    u32 flags;            // guest status flags, packed as ir/flags.h describes
    u32 call_depth;       // host call frames of predicted guest calls (docs/backend.md#calls)
    u64 pc;               // guest program counter (x86: RIP)
    // Deterministic time (-icount): guest instructions the code may still run before the
    // dispatcher must see the clock. Blocks start only while it is positive, then subtract
    // their instruction count (docs/virtual-time.md); unused otherwise.
    i64 icount_budget;
    // Set by the engine when a guest write (ArchServices::write_virtual) invalidated the
    // block that is running; a helper that sees it ends the block after its instruction.
    u64 smc_hit;
    u64 reserved[6];
};
static_assert(sizeof(EngineHot) == 128);

struct alignas(64) CpuContext {
    EngineHot hot;
    alignas(64) u8 arch[arch_state_capacity];
    // What the engine does for the architecture (memory, TLB, I/O, time): arch_services.h.
    ArchServices* services;

    template<typename T>
    T& arch_state() { static_assert(sizeof(T) <= arch_state_capacity); return *reinterpret_cast<T*>(arch); }
    template<typename T>
    const T& arch_state() const { return *reinterpret_cast<const T*>(arch); }
};

} // namespace keel
