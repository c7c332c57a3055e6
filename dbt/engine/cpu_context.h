#pragma once
// The CPU context: everything generated code touches, in one block addressed from one
// fixed host register (RBP, `state base`). The architecture's guest state starts at the
// base, so its hottest fields (x86 GPRs) are reachable with 8-bit displacements; the
// engine's hot fields sit just below the base (negative 8-bit displacements), and the
// bulky engine data (soft TLB, lookup cache, spill slots) follow the guest state.
#include <stddef.h>
#include "dbt/mmu/tlb_entry.h"

namespace keel {

class Engine;
class Arch;

constexpr u32 arch_state_capacity = 4096;  // bytes the architecture may use
constexpr u32 jump_cache_entries = 4096;   // indirect-branch lookup cache (power of two)
constexpr u32 spill_slots = 64;

// Why generated code returned to the dispatcher (value of EAX at the exit trampoline).
enum class RunExit : u32 {
    Dispatch = 0,    // IR Exit(Dispatch): look up the block at pc afresh
    Halt = 1,        // IR Exit(Halt)
    Chain = 2,       // an unchained direct exit was taken; engine_hot.exit_slot says which
    LookupMiss = 3,  // an indirect jump missed the lookup cache; pc is set
    Interrupted = 4, // exit_request was set at a backward exit or an indirect jump; pc is set
    HelperExit = 5,  // a helper or the MMU slow path asked to leave (exception, SMC, ...)
};

struct JumpCacheEntry {
    u64 linear_pc;   // tag; ~0 when empty
    const void* code;
};

static_assert(sizeof(JumpCacheEntry) == 16, "the lookup stub scales the index by 16");

struct alignas(64) EngineHot {
    u64 host_rsp;        // saved by the entry thunk, restored by the exit trampoline
    u64 exit_slot;       // ExitSlot* of the unchained exit being taken (RunExit::Chain)
    u64 current_block;   // TranslatedBlock* set by the MMU slow path callers (SMC checks)
    u64 code_base;       // linear address of pc 0 (x86: the CS base)
    u64 scratch;
    u32 mode;            // the architecture's mode bits (part of the block key)
    u32 exit_request;    // non-zero: blocks return to the dispatcher at their start
    u32 flags;           // guest status flags, packed as ir/flags.h describes
    u32 call_depth;      // host call frames of predicted guest calls (docs/backend.md#calls)
    u64 pc;              // guest program counter (x86: RIP)
    // Deterministic time (-icount): guest instructions the code may still run before the
    // dispatcher must see the clock. Blocks start only while it is positive, then subtract
    // their instruction count (docs/virtual-time.md); unused otherwise.
    i64 icount_budget;
    u64 reserved[7];
};
static_assert(sizeof(EngineHot) == 128);

struct alignas(64) CpuContext {
    EngineHot hot;
    alignas(64) u8 arch[arch_state_capacity];
    SoftTlb tlb;
    JumpCacheEntry jump_cache[jump_cache_entries];
    u64 spill[spill_slots];
    Engine* engine;
    Arch* arch_plugin;
    u64 smc_single_step; // run the next block as one uncached instruction (SMC restart)
    u64 smc_hit;         // a write invalidated the running block (helpers end the block)

    template<typename T>
    T& arch_state() { static_assert(sizeof(T) <= arch_state_capacity); return *reinterpret_cast<T*>(arch); }
    template<typename T>
    const T& arch_state() const { return *reinterpret_cast<const T*>(arch); }
};

// Offsets from the state base (RBP in generated code).
namespace ctx_offset {
constexpr i32 base = static_cast<i32>(offsetof(CpuContext, arch));
constexpr i32 of(size_t offset) { return static_cast<i32>(offset) - base; }
constexpr i32 pc = of(offsetof(CpuContext, hot) + offsetof(EngineHot, pc));
constexpr i32 exit_request = of(offsetof(CpuContext, hot) + offsetof(EngineHot, exit_request));
constexpr i32 flags = of(offsetof(CpuContext, hot) + offsetof(EngineHot, flags));
constexpr i32 call_depth = of(offsetof(CpuContext, hot) + offsetof(EngineHot, call_depth));
constexpr i32 current_block = of(offsetof(CpuContext, hot) + offsetof(EngineHot, current_block));
constexpr i32 scratch = of(offsetof(CpuContext, hot) + offsetof(EngineHot, scratch));
constexpr i32 mode = of(offsetof(CpuContext, hot) + offsetof(EngineHot, mode));
constexpr i32 code_base = of(offsetof(CpuContext, hot) + offsetof(EngineHot, code_base));
constexpr i32 host_rsp = of(offsetof(CpuContext, hot) + offsetof(EngineHot, host_rsp));
constexpr i32 exit_slot = of(offsetof(CpuContext, hot) + offsetof(EngineHot, exit_slot));
constexpr i32 icount_budget = of(offsetof(CpuContext, hot) + offsetof(EngineHot, icount_budget));
constexpr i32 tlb = of(offsetof(CpuContext, tlb));
constexpr i32 jump_cache = of(offsetof(CpuContext, jump_cache));
constexpr i32 spill = of(offsetof(CpuContext, spill));
static_assert(pc >= -128 && exit_request >= -128 && icount_budget >= -128, "hot engine fields must be disp8-reachable");
} // namespace ctx_offset

} // namespace keel
