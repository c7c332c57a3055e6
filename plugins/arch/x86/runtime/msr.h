#pragma once
// Model-specific registers keel implements (Intel SDM vol. 4). Others raise #GP(0).
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

namespace msr {
constexpr u32 tsc = 0x10;
constexpr u32 arch_capabilities = 0x10A; // read-only; CPUID.7.0:EDX[29]
constexpr u32 sysenter_cs = 0x174, sysenter_esp = 0x175, sysenter_eip = 0x176; // CPUID.1:EDX[11] SEP
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

// IA32_ARCH_CAPABILITIES (SDM vol. 4, table 2-2): bit 0 RDCL_NO, the CPU is not affected by
// rogue data cache load (Meltdown). True of keel's CPU: a load is checked against the
// softMMU entry of the current privilege's own TLB (user and supervisor accesses have
// separate TLBs, dbt/runtime/tlb_entry.h) before the host touches the page, and a user
// TLB entry never maps a supervisor page, so no host access, speculative or not, reaches
// memory the guest's page tables deny. Linux then needs no page-table isolation (no CR3
// switch, and with it no TLB flush, at every kernel entry and exit). The other bits (MDS_NO
// and the rest) are 0: they describe the host's buffers, which keel does not control.
constexpr u64 arch_capabilities_value = 1u << 0; // RDCL_NO

// False: #GP(0) was raised.
bool read_msr(CpuContext& ctx, u32 index, u64& value);
bool write_msr(CpuContext& ctx, u32 index, u64 value);
u64 guest_tsc(const CpuContext& ctx);

} // namespace keel::x86
