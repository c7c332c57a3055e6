// Helpers for system instructions: CPUID, RDTSC, MSRs, control registers, INVLPG, LTR,
// segment loads, POPF/CLI/STI and port I/O.
#include "dbt/base/log.h"
#include "dbt/base/string.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/runtime/cpuid.h"
#include "plugins/arch/x86/runtime/helpers.h"
#include "plugins/arch/x86/runtime/msr.h"
#include "plugins/arch/x86/segments.h"

namespace keel::x86::helpers {
namespace {

ir::HelperResult fault() { return ir::helper_exit(); }

ir::HelperResult do_cpuid(CpuContext* ctx, u64, u64, u64)
{
    CpuState& s = state(*ctx);
    CpuidResult r = x86::cpuid(static_cast<u32>(s.gpr[RAX]), static_cast<u32>(s.gpr[RCX]), cpuid_platform(*ctx));
    s.gpr[RAX] = r.eax;
    s.gpr[RBX] = r.ebx;
    s.gpr[RCX] = r.ecx;
    s.gpr[RDX] = r.edx;
    return ir::helper_continue();
}

ir::HelperResult do_rdtsc(CpuContext* ctx, u64 with_aux, u64, u64)
{
    CpuState& s = state(*ctx);
    if ((s.cr4 & cr4::TSD) && current_cpl(*ctx) != 0)
        return raise_fault(*ctx, vector::GP, 0), fault();
    u64 tsc = guest_tsc(*ctx);
    s.gpr[RAX] = tsc & 0xFFFFFFFF;
    s.gpr[RDX] = tsc >> 32;
    if (with_aux)
        s.gpr[RCX] = s.tsc_aux; // IA32_TSC_AUX
    return ir::helper_continue();
}

ir::HelperResult do_rdrand(CpuContext* ctx, u64, u64, u64)
{
    // The host's RDRAND (advertised only where the host has it, cpuid.cpp): 64 random bits,
    // of which the lowering keeps the operand's width. CF = 0 means none were ready, and
    // the destination is then 0 (Intel SDM vol. 2, RDRAND); the guest retries, as on
    // hardware.
    u64 value;
    u8 ready;
    asm volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ready) : : "cc");
    u64 result = ready ? value : 0;
    copy_memory(state(*ctx).vector_temp, &result, sizeof(result));
    return ir::helper_continue(ready);
}

ir::HelperResult do_rdmsr(CpuContext* ctx, u64, u64, u64)
{
    CpuState& s = state(*ctx);
    u64 value;
    if (!read_msr(*ctx, static_cast<u32>(s.gpr[RCX]), value))
        return fault();
    s.gpr[RAX] = value & 0xFFFFFFFF;
    s.gpr[RDX] = value >> 32;
    return ir::helper_continue();
}

ir::HelperResult do_wrmsr(CpuContext* ctx, u64, u64, u64)
{
    CpuState& s = state(*ctx);
    u64 value = (s.gpr[RDX] << 32) | (s.gpr[RAX] & 0xFFFFFFFF);
    if (!write_msr(*ctx, static_cast<u32>(s.gpr[RCX]), value))
        return fault();
    return ir::helper_continue();
}

// MOV to CR0/CR2/CR3/CR4/CR8 with the checks of Intel SDM vol. 2 (MOV—Move to/from
// Control Registers) and vol. 3 §2.5, §9.8.5 (entering and leaving IA-32e mode).
ir::HelperResult do_write_cr(CpuContext* ctx, u64 n, u64 value, u64)
{
    CpuState& s = state(*ctx);
    ArchServices& services = *ctx->services;
    switch (n) {
    case 0: {
        value |= cr0::ET;
        if (value >> 32)
            return raise_fault(*ctx, vector::GP, 0), fault();
        if ((value & cr0::PG) && !(value & cr0::PE))
            return raise_fault(*ctx, vector::GP, 0), fault();
        if ((value & cr0::NW) && !(value & cr0::CD))
            return raise_fault(*ctx, vector::GP, 0), fault();
        bool enabling_paging = (value & cr0::PG) && !(s.cr0 & cr0::PG);
        bool disabling_paging = !(value & cr0::PG) && (s.cr0 & cr0::PG);
        if (enabling_paging && (s.efer & efer::LME)) {
            if (!(s.cr4 & cr4::PAE))
                return raise_fault(*ctx, vector::GP, 0), fault();
            s.efer |= efer::LMA;
        } else if (enabling_paging && (s.cr4 & cr4::PAE) && !load_pdptes(*ctx, s.cr3)) {
            return fault(); // PAE paging starts with the PDPTEs loaded (§4.4.1)
        }
        if (disabling_paging && (s.efer & efer::LMA)) {
            if (ctx->hot.mode & mode::code64)
                return raise_fault(*ctx, vector::GP, 0), fault(); // only from compatibility mode
            s.efer &= ~efer::LMA;
        }
        u64 changed = value ^ s.cr0;
        s.cr0 = value;
        if (changed & (cr0::PG | cr0::WP | cr0::PE))
            services.flush_tlb();
        refresh_mode(*ctx);
        return ir::helper_continue();
    }
    case 2:
        s.cr2 = value;
        return ir::helper_continue();
    case 3:
        if (value >> max_physical_address_bits)
            return raise_fault(*ctx, vector::GP, 0), fault();
        if (pae_paging(s) && !load_pdptes(*ctx, value))
            return fault(); // CR3 unchanged
        s.cr3 = value;
        KEEL_LOG(Mmu, "mmu: mov cr3, 0x%llx\n", (unsigned long long)value);
        // Global translations stay (Intel SDM vol. 3 §4.10.4.1): Linux marks its kernel
        // mappings global, so a switch of address space (a context switch, the temporary
        // mm of every text patch) keeps the kernel's TLB entries.
        services.flush_tlb_non_global();
        return ir::helper_continue();
    case 4: {
        constexpr u64 supported = cr4::TSD | cr4::DE | cr4::PSE | cr4::PAE | cr4::MCE | cr4::PGE | cr4::PCE | cr4::OSFXSR | cr4::OSXMMEXCPT;
        if (value & ~supported)
            return raise_fault(*ctx, vector::GP, 0), fault();
        if ((s.efer & efer::LMA) && !(value & cr4::PAE))
            return raise_fault(*ctx, vector::GP, 0), fault();
        u64 changed = value ^ s.cr4;
        // With paging on outside IA-32e mode, a write that leaves PAE set and changes
        // PAE, PGE or PSE loads the PDPTEs (§4.4.1).
        if ((s.cr0 & cr0::PG) && !(s.efer & efer::LMA) && (value & cr4::PAE) && (changed & (cr4::PAE | cr4::PGE | cr4::PSE))
            && !load_pdptes(*ctx, s.cr3))
            return fault();
        s.cr4 = value;
        KEEL_LOG(Mmu, "mmu: mov cr4, 0x%llx\n", (unsigned long long)value);
        if (changed & (cr4::PAE | cr4::PGE | cr4::PSE))
            services.flush_tlb();
        return ir::helper_continue();
    }
    case 8:
        if (value & ~0xFull)
            return raise_fault(*ctx, vector::GP, 0), fault();
        s.cr8 = value;
        return ir::helper_continue();
    default:
        return raise_fault(*ctx, vector::UD), fault();
    }
}

ir::HelperResult do_invlpg(CpuContext* ctx, u64 address, u64, u64)
{
    ctx->services->flush_tlb_page(address);
    return ir::helper_continue();
}

ir::HelperResult do_ltr(CpuContext* ctx, u64 selector, u64, u64)
{
    if (!load_task_register(*ctx, static_cast<u16>(selector)))
        return fault();
    return ir::helper_continue();
}

// MOV from/to DRn (Intel SDM vol. 2, MOV—Move to/from Debug Registers; CPL 0 is checked
// by the lowering). DR4/DR5: #UD with CR4.DE, else DR6/DR7. DR6/DR7: bits 63:32 must be 0.
bool debug_register_index(CpuContext& ctx, u64& n)
{
    if (n == 4 || n == 5) {
        if (state(ctx).cr4 & cr4::DE)
            return raise_fault(ctx, vector::UD);
        n += 2;
    }
    return true;
}

ir::HelperResult do_read_dr(CpuContext* ctx, u64 n, u64, u64)
{
    if (!debug_register_index(*ctx, n))
        return fault();
    return ir::helper_continue(state(*ctx).dr[n]);
}

ir::HelperResult do_write_dr(CpuContext* ctx, u64 n, u64 value, u64)
{
    if (!debug_register_index(*ctx, n))
        return fault();
    CpuState& s = state(*ctx);
    if (n >= 6 && (value >> 32))
        return raise_fault(*ctx, vector::GP, 0), fault();
    if (n == 6)
        value = (value & 0x0000E00F) | 0xFFFF0FF0; // reserved bits read as 1 (bit 12 and RTM as 0)
    else if (n == 7)
        value = (value & ~0xD800ull) | 0x400;      // bits 11, 12, 14, 15 read 0, bit 10 reads 1
    s.dr[n] = value;
    return ir::helper_continue();
}

ir::HelperResult do_verify_segment(CpuContext* ctx, u64 selector, u64 write, u64)
{
    bool accessible;
    if (!x86::verify_segment(*ctx, static_cast<u16>(selector), write != 0, accessible))
        return fault();
    return ir::helper_continue(accessible ? 1 : 0);
}

ir::HelperResult do_lldt(CpuContext* ctx, u64 selector, u64, u64)
{
    if (!load_ldt_register(*ctx, static_cast<u16>(selector)))
        return fault();
    return ir::helper_continue();
}

ir::HelperResult do_load_segment(CpuContext* ctx, u64 packed, u64 selector, u64)
{
    auto seg = static_cast<SegmentIndex>(packed & 0xFF);
    if (!load_data_segment(*ctx, seg, static_cast<u16>(selector)))
        return fault();
    if (seg == SS) // MOV SS / POP SS inhibit interrupts for one instruction (§6.8.3)
        state(*ctx).interrupt_shadow_rip = ctx->hot.pc + (packed >> 8);
    return ir::helper_continue();
}

u32 iopl(const CpuState& s) { return (s.rflags >> 12) & 3; }

ir::HelperResult do_popf(CpuContext* ctx, u64 value, u64 size, u64)
{
    // Intel SDM vol. 2, POPF: what may change depends on CPL and IOPL; VIP, VIF, VM
    // never change here and RF is cleared.
    CpuState& s = state(*ctx);
    u32 cpl = current_cpl(*ctx);
    if ((s.rflags & rflags::VM) && iopl(s) != 3)
        return raise_fault(*ctx, vector::GP, 0), fault(); // virtual-8086 mode, without VME
    u64 modifiable = rflags::status | rflags::TF | rflags::DF | rflags::NT | rflags::AC | rflags::ID;
    if (cpl == 0)
        modifiable |= rflags::IOPL;
    if (cpl <= iopl(s))
        modifiable |= rflags::IF;
    if (size == 2)
        modifiable &= 0xFFFF;
    u64 old = read_rflags(*ctx);
    u64 updated = ((old & ~modifiable) | (value & modifiable)) & ~rflags::RF;
    write_rflags(*ctx, updated);
    return ir::helper_continue();
}

ir::HelperResult do_iopl3_check(CpuContext* ctx, u64, u64, u64)
{
    if (iopl(state(*ctx)) != 3)
        return raise_fault(*ctx, vector::GP, 0), fault();
    return ir::helper_continue();
}

ir::HelperResult do_cli(CpuContext* ctx, u64, u64, u64)
{
    CpuState& s = state(*ctx);
    if (current_cpl(*ctx) > iopl(s))
        return raise_fault(*ctx, vector::GP, 0), fault();
    s.rflags &= ~rflags::IF;
    return ir::helper_continue();
}

ir::HelperResult do_sti(CpuContext* ctx, u64 next_rip, u64, u64)
{
    CpuState& s = state(*ctx);
    if (current_cpl(*ctx) > iopl(s))
        return raise_fault(*ctx, vector::GP, 0), fault();
    if (!(s.rflags & rflags::IF)) {
        s.interrupt_shadow_rip = next_rip; // STI shadow: one more instruction first (§6.8.3)
        // A block chained after the shadowed instruction (`sti; jmp`) returns to the
        // dispatcher at its start, which delivers what became deliverable; only when there
        // may be something (Linux's text patching alone runs STI some 47,000 times while
        // booting, interrupts rarely pending).
        interrupts_enabled(*ctx);
    }
    s.rflags |= rflags::IF;
    return ir::helper_continue();
}

// Port I/O (Intel SDM vol. 1 §19.5.1-§19.5.2): allowed when CPL <= IOPL outside
// virtual-8086 mode; otherwise, and always in virtual-8086 mode, only when the I/O
// permission bitmap of the current 32- or 64-bit TSS has a 0 bit for every byte port the
// access covers. The bitmap starts at the TSS's I/O map base (the word at offset 0x66); the
// processor reads the two bytes holding the bits, and any of them beyond the TSS's limit
// (no bitmap, or too short a one) means #GP(0), as does a 16-bit TSS.
bool io_allowed(CpuContext* ctx, u16 port, unsigned size)
{
    const CpuState& s = state(*ctx);
    bool v86 = s.rflags & rflags::VM;
    if (!(s.cr0 & cr0::PE) || (!v86 && current_cpl(*ctx) <= iopl(s)))
        return true;
    u8 type = s.tr.attributes & 0xF;
    if ((type == 0x9 || type == 0xB) && s.tr.limit >= 0x67) {
        u64 map_base, bits;
        if (!read_supervisor(*ctx, s.tr.base + 0x66, 2, map_base))
            return false;
        u64 at = map_base + port / 8;
        if (at + 1 <= s.tr.limit) {
            if (!read_supervisor(*ctx, s.tr.base + at, 2, bits))
                return false;
            u64 mask = ((1u << size) - 1) << (port & 7);
            if (!(bits & mask))
                return true;
        }
    }
    raise_fault(*ctx, vector::GP, 0);
    return false;
}

ir::HelperResult do_io_in(CpuContext* ctx, u64 port, u64 size, u64)
{
    if (!io_allowed(ctx, static_cast<u16>(port), static_cast<unsigned>(size)))
        return fault();
    return ir::helper_continue(ctx->services->port_read(static_cast<u16>(port), static_cast<unsigned>(size)));
}

ir::HelperResult do_io_out(CpuContext* ctx, u64 port, u64 packed, u64 value)
{
    if (!io_allowed(ctx, static_cast<u16>(port), static_cast<unsigned>(packed & 0xFF)))
        return fault();
    ctx->services->port_write(static_cast<u16>(port), static_cast<u32>(value), static_cast<unsigned>(packed & 0xFF));
    if (ctx->hot.exit_request) {
        // The device wants the dispatcher (e.g. the debug exit): stop after this OUT.
        ctx->hot.pc += packed >> 8;
        return ir::helper_exit();
    }
    return ir::helper_continue();
}

} // namespace

const ir::Helper cpuid { "cpuid", do_cpuid };
const ir::Helper rdtsc { "rdtsc", do_rdtsc };
const ir::Helper rdrand { "rdrand", do_rdrand };
const ir::Helper rdmsr { "rdmsr", do_rdmsr };
const ir::Helper wrmsr { "wrmsr", do_wrmsr };
const ir::Helper write_cr { "write_cr", do_write_cr };
const ir::Helper invlpg { "invlpg", do_invlpg };
const ir::Helper ltr { "ltr", do_ltr };
const ir::Helper lldt { "lldt", do_lldt };
const ir::Helper verr_verw { "verr_verw", do_verify_segment };
const ir::Helper read_dr { "read_dr", do_read_dr };
const ir::Helper write_dr { "write_dr", do_write_dr };
const ir::Helper load_segment { "load_segment", do_load_segment };
const ir::Helper popf { "popf", do_popf };
const ir::Helper cli { "cli", do_cli };
const ir::Helper iopl3_check { "iopl3_check", do_iopl3_check };
const ir::Helper sti { "sti", do_sti };
const ir::Helper io_in { "io_in", do_io_in };
const ir::Helper io_out { "io_out", do_io_out };

} // namespace keel::x86::helpers
