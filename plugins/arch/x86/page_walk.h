#pragma once
// Guest-virtual -> guest-physical translation for the softMMU: 32-bit, PAE and 4-level
// paging (Intel SDM vol. 3 §4.3-§4.5) with the access rights of §4.6 and the
// accessed/dirty bits of §4.8.
#include "dbt/plugin/page_translator.h"
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

constexpr unsigned max_physical_address_bits = 40; // reported by CPUID 0x80000008

bool translate_address(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags, Translation& out);

// PAE paging outside IA-32e mode: loads the four PDPTEs from the table CR3 value `cr3`
// names into CpuState::pdpte (Intel SDM vol. 3 §4.4.1). A present one with a reserved bit
// set raises #GP(0) and loads nothing (returns false).
bool load_pdptes(CpuContext& ctx, u64 cr3);
// The A20 gate on the physical addresses the CPU forms (cpu_state.h, a20_masked). The
// page-table entries a walk reads are not masked: an OS that runs with A20 off uses no paging.
inline u64 a20_mask(const CpuState& s) { return s.a20_masked ? ~(u64 { 1 } << 20) : ~u64 { 0 }; }
// Whether the paging mode is PAE without IA-32e mode (where PDPTEs are loaded).
inline bool pae_paging(const CpuState& s) { return (s.cr0 & cr0::PG) && (s.cr4 & cr4::PAE) && !(s.efer & efer::LMA); }

inline bool is_canonical(u64 address) { return static_cast<u64>(static_cast<i64>(address << 16) >> 16) == address; }

} // namespace keel::x86
