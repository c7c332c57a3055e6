#pragma once
// The engine's functions that generated code reaches through its cold paths: the softMMU's
// slow paths and raising guest exceptions. The backend emits calls to them without knowing
// the MMU or the architecture; the engine fills RunContext::hooks.
#include "dbt/ir/helper.h"
#include "dbt/plugin/cpu_context.h"

namespace keel {

// Packed `info` argument of the memory slow paths: size in bytes, MMU index, access flags.
namespace mem_info {
constexpr u64 make(unsigned size, u32 mmu_index, u32 flags) { return size | (u64(mmu_index) << 8) | (u64(flags) << 16); }
constexpr unsigned size(u64 info) { return info & 0xFF; }
constexpr u32 mmu_index(u64 info) { return (info >> 8) & 0xFF; }
constexpr u32 flags(u64 info) { return static_cast<u32>(info >> 16); }
} // namespace mem_info

struct RuntimeHooks {
    // A load or store the inline TLB check did not complete. ctx->hot.pc holds the guest
    // instruction, ctx->hot.current_block the running block.
    ir::HelperResult (*load)(CpuContext* ctx, u64 vaddr, u64 info);
    ir::HelperResult (*store)(CpuContext* ctx, u64 vaddr, u64 value, u64 info);
    // A HostPointer for writing whose inline TLB check missed: the host address of `size`
    // writable bytes of plain RAM at vaddr (the TLB filled for writing, so a fault is raised
    // here), or 0 where the bytes must go through store() (MMIO, ROM, a page with translated
    // code, an access crossing a page).
    ir::HelperResult (*store_pointer)(CpuContext* ctx, u64 vaddr, u64 info);
    // IR TrapIf: records guest exception `vector` at the current pc.
    void (*raise_exception)(CpuContext* ctx, u8 vector, bool has_error, u32 error);
    // A division whose divisor is zero or whose quotient does not fit (x86: #DE).
    void (*raise_divide_error)(CpuContext* ctx);
};

} // namespace keel
