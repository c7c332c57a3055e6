#include "plugins/arch/x86/runtime/msr.h"
#include "dbt/base/log.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/page_walk.h"

namespace keel::x86 {

// The TSC before the guest's offset: the host's, or with deterministic time the virtual
// clock at 1 GHz (the rate the local APIC's TSC-deadline mode assumes by default), so
// RDTSC repeats from run to run too.
// The guest's TSC runs at 1 GHz of the machine's time (virtual time with -icount, the
// host's otherwise): the rate the local APIC converts TSC-deadline values with (its
// tsc_mhz, default 1000), and what an OS measures against the PM timer or the PIT. The
// host's own TSC would tick at a rate no device of the machine knows.
static u64 machine_tsc(const CpuContext& ctx) { return ctx.services->clock_ns(); }

u64 guest_tsc(const CpuContext& ctx) { return machine_tsc(ctx) + state(ctx).tsc_offset; }

bool read_msr(CpuContext& ctx, u32 index, u64& value)
{
    CpuState& s = state(ctx);
    switch (index) {
    case msr::tsc: value = guest_tsc(ctx); return true;
    case msr::arch_capabilities: value = arch_capabilities_value; return true;
    case msr::efer: value = s.efer; return true;
    case msr::star: value = s.star; return true;
    case msr::sysenter_cs: value = s.sysenter_cs; return true;
    case msr::sysenter_esp: value = s.sysenter_esp; return true;
    case msr::sysenter_eip: value = s.sysenter_eip; return true;
    case msr::lstar: value = s.lstar; return true;
    case msr::cstar: value = s.cstar; return true;
    case msr::sfmask: value = s.sfmask; return true;
    case msr::fs_base: value = s.segment[FS].base; return true;
    case msr::gs_base: value = s.segment[GS].base; return true;
    case msr::kernel_gs_base: value = s.kernel_gs_base; return true;
    case msr::tsc_aux: value = s.tsc_aux; return true;
    default:
        if (MsrAccess a = ctx.services->device_msr_read(index, value); a != MsrAccess::NotMine)
            return a == MsrAccess::Done ? true : raise_fault(ctx, vector::GP, 0);
        KEEL_LOG(GuestErrors, "msr: read of unimplemented MSR 0x%x raises #GP\n", index);
        return raise_fault(ctx, vector::GP, 0);
    }
}

bool write_msr(CpuContext& ctx, u32 index, u64 value)
{
    CpuState& s = state(ctx);
    switch (index) {
    case msr::tsc:
        s.tsc_offset = value - machine_tsc(ctx);
        return true;
    case msr::efer: {
        // SCE, LME, NXE are writable; LMA is read-only. LME cannot change while paging
        // is on (Intel SDM vol. 3 §9.8.5).
        constexpr u64 writable = efer::SCE | efer::LME | efer::NXE;
        if (value & ~(writable | efer::LMA))
            return raise_fault(ctx, vector::GP, 0);
        if ((s.cr0 & cr0::PG) && ((value ^ s.efer) & efer::LME))
            return raise_fault(ctx, vector::GP, 0);
        u64 changed = (value ^ s.efer) & writable;
        s.efer = (s.efer & efer::LMA) | (value & writable);
        if (changed & efer::NXE)
            ctx.services->flush_tlb(); // cached translations encode NX
        return true;
    }
    case msr::arch_capabilities:
        return raise_fault(ctx, vector::GP, 0); // read-only
    case msr::star: s.star = value; return true;
    case msr::sysenter_cs: s.sysenter_cs = value & 0xFFFF; return true; // bits 63:16 are reserved, kept 0
    case msr::sysenter_esp:
    case msr::sysenter_eip:
        // Canonical addresses only (SDM vol. 4, table 2-2: a #GP otherwise on processors
        // with Intel 64); outside IA-32e mode SYSENTER uses their low 32 bits.
        if (!is_canonical(value))
            return raise_fault(ctx, vector::GP, 0);
        (index == msr::sysenter_esp ? s.sysenter_esp : s.sysenter_eip) = value;
        return true;
    case msr::lstar:
    case msr::cstar:
        if (!is_canonical(value))
            return raise_fault(ctx, vector::GP, 0);
        (index == msr::lstar ? s.lstar : s.cstar) = value;
        return true;
    case msr::sfmask: s.sfmask = value & 0xFFFFFFFF; return true;
    case msr::fs_base:
    case msr::gs_base:
    case msr::kernel_gs_base:
        if (!is_canonical(value))
            return raise_fault(ctx, vector::GP, 0);
        if (index == msr::fs_base)
            s.segment[FS].base = value;
        else if (index == msr::gs_base)
            s.segment[GS].base = value;
        else
            s.kernel_gs_base = value;
        return true;
    case msr::tsc_aux:
        // Bits 63:32 are reserved (SDM vol. 4, IA32_TSC_AUX): writing them faults.
        if (value >> 32)
            return raise_fault(ctx, vector::GP, 0);
        s.tsc_aux = value;
        return true;
    default:
        if (MsrAccess a = ctx.services->device_msr_write(index, value); a != MsrAccess::NotMine)
            return a == MsrAccess::Done ? true : raise_fault(ctx, vector::GP, 0);
        KEEL_LOG(GuestErrors, "msr: write 0x%llx to unimplemented MSR 0x%x raises #GP\n", (unsigned long long)value, index);
        return raise_fault(ctx, vector::GP, 0);
    }
}

} // namespace keel::x86
