#pragma once
// The mode bits (the block key's mode, cpu_state.h) and the code base the engine adds to
// RIP, recomputed whenever CR0, EFER or CS change.
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

u32 compute_mode(const CpuState& s);
// Updates ctx.hot.mode and ctx.hot.code_base; tells the engine when the mode changed.
void refresh_mode(CpuContext& ctx);
inline u32 current_cpl(const CpuContext& ctx) { return mode::cpl(ctx.hot.mode); }
// softMMU index for data accesses at a given CPL (0 supervisor, 1 user).
inline u32 mmu_index_for_cpl(u32 cpl) { return cpl == 3 ? 1 : 0; }

// Full architectural RFLAGS from the split storage, and back.
u64 read_rflags(const CpuContext& ctx);
void write_rflags(CpuContext& ctx, u64 value);

} // namespace keel::x86
