#include "plugins/arch/x86/mode.h"
#include "dbt/plugin/arch_services.h"
#include "dbt/ir/flags.h"

namespace keel::x86 {

u32 compute_mode(const CpuState& s)
{
    u32 m = s.segment[CS].selector & 3; // CPL = CS.RPL once protected mode is on
    if (!(s.cr0 & cr0::PE))
        m = 0;
    if (s.cr0 & cr0::PE)
        m |= mode::protected_mode;
    if (s.cr0 & cr0::PG)
        m |= mode::paging;
    if (s.efer & efer::LMA) {
        m |= mode::long_mode;
        if (s.segment[CS].attributes & seg_attr::l)
            m |= mode::code64;
    }
    if (m & mode::code64)
        return m;
    if ((s.cr0 & cr0::PE) && (s.rflags & rflags::VM) && !(s.efer & efer::LMA)) {
        // Virtual-8086 mode (Intel SDM vol. 3 ch. 20): CPL 3 whatever CS's low bits, 16-bit
        // code and stack, segment x 16 bases (never flat: the limits are 64 KiB).
        return (m & ~mode::cpl_mask) | 3 | mode::virtual8086;
    }
    if (s.segment[CS].attributes & seg_attr::db)
        m |= mode::code32;
    // Outside 64-bit code the stack pointer's width and the segment bases and limits shape
    // the translated code (Intel SDM vol. 3 §3.4.5, the D/B flag; §5.3 limit checking):
    // blocks are keyed by them, and the usual flat model needs no base adds or limit checks.
    if (s.segment[SS].attributes & seg_attr::db)
        m |= mode::stack32;
    bool flat = true;
    for (SegmentIndex seg : { CS, DS, ES, SS })
        flat &= s.segment[seg].base == 0 && s.segment[seg].limit == 0xFFFFFFFF;
    if (flat)
        m |= mode::flat;
    return m;
}

void refresh_mode(CpuContext& ctx)
{
    const CpuState& s = state(ctx);
    u32 m = compute_mode(s);
    u64 code_base = (m & mode::code64) ? 0 : s.segment[CS].base;
    // The engine's lookup cache compares the mode itself; a new code base changes what
    // pc a linear address is (ArchServices::mode_changed).
    bool base_changed = code_base != ctx.hot.code_base;
    ctx.hot.code_base = code_base;
    ctx.hot.mode = m;
    if (base_changed && ctx.services)
        ctx.services->mode_changed();
}

u64 read_rflags(const CpuContext& ctx)
{
    return (state(ctx).rflags & ~rflags::status) | ir::flag::to_rflags(static_cast<u16>(ctx.hot.flags)) | rflags::Fixed1;
}

void write_rflags(CpuContext& ctx, u64 value)
{
    state(ctx).rflags = (value & ~rflags::status) | rflags::Fixed1;
    ctx.hot.flags = ir::flag::from_rflags(value);
}

} // namespace keel::x86
