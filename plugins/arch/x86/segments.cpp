#include "plugins/arch/x86/segments.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/mode.h"

namespace keel::x86 {

bool read_descriptor(CpuContext& ctx, u16 selector, bool system, Descriptor& out, u8 error_vector)
{
    CpuState& s = state(ctx);
    bool local = selector & 4;
    u64 base = local ? s.ldtr.base : s.gdtr.base;
    u32 limit = local ? s.ldtr.limit : s.gdtr.limit;
    u32 index = selector & ~7u;
    u32 size = system ? 16 : 8;
    if (local && !(s.ldtr.attributes & seg_attr::present))
        return raise_fault(ctx, error_vector, selector & ~3u);
    if (index + size - 1 > limit)
        return raise_fault(ctx, error_vector, selector & ~3u);
    out.high = 0;
    if (!read_supervisor(ctx, base + index, 8, out.low))
        return false;
    if (system && !read_supervisor(ctx, base + index + 8, 8, out.high))
        return false;
    return true;
}

bool mark_accessed(CpuContext& ctx, u16 selector, Descriptor& d)
{
    if (d.low & (1ull << 40))
        return true;
    d.low |= 1ull << 40;
    CpuState& s = state(ctx);
    u64 base = (selector & 4) ? s.ldtr.base : s.gdtr.base;
    return write_supervisor(ctx, base + (selector & ~7u) + 5, (d.low >> 40) & 0xFF, 1);
}

Segment segment_from(u16 selector, const Descriptor& d) { return Segment { d.base(), d.limit(), selector, d.attributes() }; }

Segment null_segment(u16 selector) { return Segment { 0, 0, selector, 0 }; }

bool load_data_segment(CpuContext& ctx, SegmentIndex seg, u16 selector)
{
    CpuState& s = state(ctx);
    if (real_mode_segments(s)) {
        load_real_mode_segment(s.segment[seg], selector);
        refresh_mode(ctx);
        return true;
    }
    u32 cpl = current_cpl(ctx);
    u16 rpl = selector & 3;
    if ((selector & ~3u) == 0) {
        // Null selectors: fine for DS/ES/FS/GS; for SS only in 64-bit mode below CPL 3
        // with RPL = CPL (Intel SDM vol. 2, MOV: "IF SS is loaded").
        if (seg == SS && (!(ctx.hot.mode & mode::code64) || cpl == 3 || rpl != cpl))
            return raise_fault(ctx, vector::GP, 0);
        s.segment[seg] = null_segment(selector);
        refresh_mode(ctx); // outside 64-bit code the mode says whether segments are flat
        return true; // Intel clears the FS/GS base too (AMD keeps it)
    }
    Descriptor d;
    if (!read_descriptor(ctx, selector, false, d))
        return false;
    if (seg == SS) {
        bool writable_data = !d.is_system() && !d.is_code() && (d.type() & 2);
        if (rpl != cpl || d.dpl() != cpl || !writable_data)
            return raise_fault(ctx, vector::GP, selector & ~3u);
        if (!d.present())
            return raise_fault(ctx, vector::SS, selector & ~3u);
    } else {
        bool readable = !d.is_system() && (!d.is_code() || (d.type() & 2));
        bool conforming_code = d.is_code() && (d.type() & 4);
        if (!readable || (!conforming_code && (rpl > d.dpl() || cpl > d.dpl())))
            return raise_fault(ctx, vector::GP, selector & ~3u);
        if (!d.present())
            return raise_fault(ctx, vector::NP, selector & ~3u);
    }
    if (!mark_accessed(ctx, selector, d))
        return false;
    s.segment[seg] = segment_from(selector, d);
    refresh_mode(ctx);
    return true;
}

bool read_tss32_stack(CpuContext& ctx, u32 cpl, u32 ext, Segment& ss, u32& esp)
{
    const CpuState& s = state(ctx);
    u64 esp_value, ss_value;
    unsigned at = 4 + 8 * cpl; // ESPn at 4 + 8n, SSn at 8 + 8n (figure 7-2)
    if (!(s.tr.attributes & seg_attr::present) || at + 7 > s.tr.limit)
        return raise_fault(ctx, vector::TS, s.tr.selector & ~3u);
    if (!read_supervisor(ctx, s.tr.base + at, 4, esp_value) || !read_supervisor(ctx, s.tr.base + at + 4, 2, ss_value))
        return false;
    u16 selector = static_cast<u16>(ss_value);
    if ((selector & ~3u) == 0)
        return raise_fault(ctx, vector::TS, ext);
    Descriptor d;
    if (!read_descriptor(ctx, selector, false, d, vector::TS))
        return false;
    bool writable_data = !d.is_system() && !d.is_code() && (d.type() & 2);
    if ((selector & 3) != cpl || d.dpl() != cpl || !writable_data)
        return raise_fault(ctx, vector::TS, (selector & ~3u) + ext);
    if (!d.present())
        return raise_fault(ctx, vector::SS, (selector & ~3u) + ext);
    ss = segment_from(selector, d);
    esp = static_cast<u32>(esp_value);
    return true;
}

bool set_tss_busy(CpuContext& ctx, u16 selector, bool busy)
{
    u64 at = state(ctx).gdtr.base + (selector & ~7u) + 5, access;
    if (!read_supervisor(ctx, at, 1, access))
        return false;
    return write_supervisor(ctx, at, busy ? access | 2 : access & ~2ull, 1);
}

bool load_task_register(CpuContext& ctx, u16 selector)
{
    CpuState& s = state(ctx);
    if ((selector & ~3u) == 0 || (selector & 4))
        return raise_fault(ctx, vector::GP, selector & ~3u);
    Descriptor d;
    // System descriptors are 16 bytes in IA-32e mode, 8 in legacy protected mode (§7.2.3).
    if (!read_descriptor(ctx, selector, (s.efer & efer::LMA) != 0, d))
        return false;
    if (!d.is_system() || d.type() != 9) // available 64-bit TSS
        return raise_fault(ctx, vector::GP, selector & ~3u);
    if (!d.present())
        return raise_fault(ctx, vector::NP, selector & ~3u);
    d.low |= 2ull << 40; // busy
    if (!set_tss_busy(ctx, selector, true))
        return false;
    s.tr = Segment { d.system_base(), d.limit(), selector, d.attributes() };
    return true;
}

bool verify_segment(CpuContext& ctx, u16 selector, bool write, bool& accessible)
{
    // Intel SDM vol. 2, VERR/VERW: ZF=1 when the segment is readable (writable) from CPL
    // and the selector's RPL; a selector outside its table or a null one just gives ZF=0.
    CpuState& s = state(ctx);
    accessible = false;
    bool local = selector & 4;
    if ((selector & ~3u) == 0 || (local && !(s.ldtr.attributes & seg_attr::present)))
        return true;
    u32 limit = local ? s.ldtr.limit : s.gdtr.limit;
    if ((selector & ~7u) + 7u > limit)
        return true;
    Descriptor d;
    if (!read_descriptor(ctx, selector, false, d))
        return false; // a page fault reading the table
    if (d.is_system())
        return true;
    bool conforming_code = d.is_code() && (d.type() & 4);
    u32 cpl = current_cpl(ctx), rpl = selector & 3u;
    if (!conforming_code && (d.dpl() < cpl || d.dpl() < rpl))
        return true;
    accessible = write ? !d.is_code() && (d.type() & 2) : !d.is_code() || (d.type() & 2);
    return true;
}

bool load_ldt_register(CpuContext& ctx, u16 selector)
{
    // Intel SDM vol. 2, LLDT: a null selector marks LDTR unusable (no #GP); the
    // descriptor must be in the GDT, an LDT (type 2), present.
    CpuState& s = state(ctx);
    if ((selector & ~3u) == 0) {
        s.ldtr = Segment { 0, 0, selector, 0 };
        return true;
    }
    if (selector & 4)
        return raise_fault(ctx, vector::GP, selector & ~3u);
    Descriptor d;
    // System descriptors are 16 bytes in IA-32e mode, 8 in legacy protected mode (§7.2.3).
    if (!read_descriptor(ctx, selector, (s.efer & efer::LMA) != 0, d))
        return false;
    if (!d.is_system() || d.type() != 2)
        return raise_fault(ctx, vector::GP, selector & ~3u);
    if (!d.present())
        return raise_fault(ctx, vector::NP, selector & ~3u);
    s.ldtr = Segment { d.system_base(), d.limit(), selector, d.attributes() };
    return true;
}

bool read_tss_stack(CpuContext& ctx, unsigned offset, u64& value)
{
    CpuState& s = state(ctx);
    if (!(s.tr.attributes & seg_attr::present) || offset + 7 > s.tr.limit)
        return raise_fault(ctx, vector::TS, s.tr.selector & ~3u);
    return read_supervisor(ctx, s.tr.base + offset, 8, value);
}

} // namespace keel::x86
