#pragma once
// The engine's per-CPU run-time data: the plugin-visible CpuContext (dbt/plugin/
// cpu_context.h) first, then what only the engine and its generated code use: the soft
// TLB, the indirect-branch lookup cache, spill slots and the pointers the slow paths need.
// Generated code reaches all of it from the state base (RBP = &cpu.arch): the engine's
// bulky data sits after the guest state, at positive offsets.
#include "dbt/plugin/cpu_context.h"
#include "dbt/runtime/tlb_entry.h"

namespace keel {

struct RuntimeHooks;

constexpr u32 jump_cache_entries = 65536; // indirect-branch lookup cache (power of two)
constexpr u32 spill_slots = 64;

// Why generated code returned to the dispatcher (value of EAX at the exit trampoline).
enum class RunExit : u32 {
    Dispatch = 0,    // IR Exit(Dispatch): look up the block at pc afresh
    Halt = 1,        // IR Exit(Halt)
    Unchained = 2,   // a direct exit that is not chained (yet) was taken; hot.exit_slot says which
    LookupMiss = 3,  // an indirect jump missed the lookup cache; pc is set
    Interrupted = 4, // exit_request was set at a backward exit or an indirect jump; pc is set
    HelperExit = 5,  // a helper or the MMU slow path asked to leave (exception, SMC, ...)
};

// An entry matches when both the linear pc and the mode match, so that a mode change
// (every CPL change: system calls, interrupts, their returns) needs no clearing.
struct JumpCacheEntry {
    u64 linear_pc;   // tag; ~0 when empty
    u32 mode;        // tag: the mode the block was translated for
    u32 unused;
    const void* code;
    u64 unused2;
};
static_assert(sizeof(JumpCacheEntry) == 32, "the lookup stub scales the index by 32");
static_assert(offsetof(JumpCacheEntry, mode) == 8 && offsetof(JumpCacheEntry, code) == 16, "the lookup stub's offsets");

// Shared by the dispatcher and the generated lookup stub (backend/x64/thunks.cpp).
// Multiplicative (Fibonacci) hashing of the whole pc: the previous (pc ^ pc >> 12) & mask
// mapped pairs of hot kernel functions to one slot (0xffffffff81539d40 and
// 0xffffffff812b9ac0 took turns, 3,000 misses each in a Linux boot).
constexpr u32 jump_cache_index_bits = 16;
constexpr u64 jump_cache_hash_multiplier = 0x9E3779B97F4A7C15ull; // 2^64 / golden ratio
static_assert(jump_cache_entries == 1u << jump_cache_index_bits);
inline u32 jump_cache_index(u64 linear_pc) { return static_cast<u32>((linear_pc * jump_cache_hash_multiplier) >> (64 - jump_cache_index_bits)); }

struct alignas(64) RunContext {
    CpuContext cpu; // first: a CpuContext* handed to helpers is also this RunContext's address
    SoftTlb tlb;
    JumpCacheEntry jump_cache[jump_cache_entries];
    u64 spill[spill_slots];
    const RuntimeHooks* hooks; // the slow paths generated code calls (runtime_hooks.h)
    void* owner;               // the engine that runs this context (for its hooks)
    u64 smc_single_step;       // run the next block as one uncached instruction (SMC restart; a direct SSE store without plain RAM)
};

// Every CpuContext the engine hands out is the first member of a RunContext.
inline RunContext& run_context(CpuContext& ctx) { return *reinterpret_cast<RunContext*>(&ctx); }
inline RunContext* run_context(CpuContext* ctx) { return reinterpret_cast<RunContext*>(ctx); }

// Offsets from the state base (RBP in generated code).
namespace ctx_offset {
constexpr i32 base = static_cast<i32>(offsetof(CpuContext, arch));
constexpr i32 of(size_t offset) { return static_cast<i32>(offset) - base; }
constexpr i32 hot(size_t field) { return of(offsetof(CpuContext, hot) + field); }
constexpr i32 pc = hot(offsetof(EngineHot, pc));
constexpr i32 exit_request = hot(offsetof(EngineHot, exit_request));
constexpr i32 flags = hot(offsetof(EngineHot, flags));
constexpr i32 call_depth = hot(offsetof(EngineHot, call_depth));
constexpr i32 current_block = hot(offsetof(EngineHot, current_block));
constexpr i32 divide_remainder = hot(offsetof(EngineHot, divide_remainder));
constexpr i32 mode = hot(offsetof(EngineHot, mode));
constexpr i32 code_base = hot(offsetof(EngineHot, code_base));
constexpr i32 host_rsp = hot(offsetof(EngineHot, host_rsp));
constexpr i32 exit_slot = hot(offsetof(EngineHot, exit_slot));
constexpr i32 icount_budget = hot(offsetof(EngineHot, icount_budget));
constexpr i32 tlb = of(offsetof(RunContext, tlb));
constexpr i32 jump_cache = of(offsetof(RunContext, jump_cache));
constexpr i32 spill = of(offsetof(RunContext, spill));
static_assert(pc >= -128 && exit_request >= -128 && icount_budget >= -128, "hot engine fields must be disp8-reachable");
} // namespace ctx_offset

} // namespace keel
