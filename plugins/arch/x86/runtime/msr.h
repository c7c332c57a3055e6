#pragma once
// Model-specific registers keel implements (Intel SDM vol. 4). Others raise #GP(0).
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

namespace msr {
constexpr u32 tsc = 0x10;
constexpr u32 efer = 0xC0000080;
constexpr u32 star = 0xC0000081;
constexpr u32 lstar = 0xC0000082;
constexpr u32 cstar = 0xC0000083;
constexpr u32 sfmask = 0xC0000084;
constexpr u32 fs_base = 0xC0000100;
constexpr u32 gs_base = 0xC0000101;
constexpr u32 kernel_gs_base = 0xC0000102;
constexpr u32 tsc_aux = 0xC0000103;
} // namespace msr

// False: #GP(0) was raised.
bool read_msr(CpuContext& ctx, u32 index, u64& value);
bool write_msr(CpuContext& ctx, u32 index, u64 value);
u64 guest_tsc(const CpuContext& ctx);

} // namespace keel::x86
