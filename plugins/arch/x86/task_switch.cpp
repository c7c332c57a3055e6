// Hardware task switching (Intel SDM vol. 3 §7.3, "Task Switching", steps 1-14; figure
// 7-2 for the 32-bit TSS's layout). What keel leaves out: 16-bit TSSs (#GP with a
// guest_errors line), the T (debug trap) flag, and I/O map or interrupt redirection
// checks at the switch itself.
#include "plugins/arch/x86/task_switch.h"
#include "dbt/base/log.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/segments.h"
#include "plugins/arch/x86/stack_access.h"

namespace keel::x86 {
namespace {

// 32-bit TSS offsets (figure 7-2).
constexpr u32 tss_link = 0x00, tss_cr3 = 0x1C, tss_eip = 0x20, tss_eflags = 0x24, tss_gprs = 0x28, tss_segments = 0x48,
              tss_ldt = 0x60, tss_minimum_limit = 0x67;
constexpr u8 type_available = 0x9, type_busy = 0xB;

struct TaskState {
    u32 cr3, eip, eflags, gpr[8];
    u16 segment[SegmentCount], ldt;
};

bool read_task_state(CpuContext& ctx, u64 base, TaskState& out)
{
    u64 v;
    auto read = [&](u32 offset, unsigned size) { return read_supervisor(ctx, base + offset, size, v); };
    if (!read(tss_cr3, 4))
        return false;
    out.cr3 = static_cast<u32>(v);
    if (!read(tss_eip, 4))
        return false;
    out.eip = static_cast<u32>(v);
    if (!read(tss_eflags, 4))
        return false;
    out.eflags = static_cast<u32>(v);
    for (unsigned i = 0; i < 8; ++i) {
        if (!read(tss_gprs + 4 * i, 4))
            return false;
        out.gpr[i] = static_cast<u32>(v);
    }
    for (unsigned i = 0; i < SegmentCount; ++i) {
        if (!read(tss_segments + 4 * i, 2))
            return false;
        out.segment[i] = static_cast<u16>(v);
    }
    if (!read(tss_ldt, 2))
        return false;
    out.ldt = static_cast<u16>(v);
    return true;
}

// A segment register of the new task (step 12: faults are #TS(selector), #NP, #SS).
bool load_task_segment(CpuContext& ctx, SegmentIndex seg, u16 selector, u32 cpl)
{
    CpuState& s = state(ctx);
    if ((selector & ~3u) == 0) {
        if (seg == CS || seg == SS)
            return raise_fault(ctx, vector::TS, selector & ~3u);
        s.segment[seg] = null_segment(selector);
        return true;
    }
    Descriptor d;
    if (!read_descriptor(ctx, selector, false, d, vector::TS))
        return false;
    bool ok = !d.is_system();
    if (seg == CS)
        ok = ok && d.is_code();
    else if (seg == SS)
        ok = ok && !d.is_code() && (d.type() & 2) && d.dpl() == cpl && (selector & 3u) == cpl;
    else
        ok = ok && (!d.is_code() || (d.type() & 2));
    if (!ok)
        return raise_fault(ctx, vector::TS, selector & ~3u);
    if (!d.present())
        return raise_fault(ctx, seg == SS ? vector::SS : vector::NP, selector & ~3u);
    s.segment[seg] = segment_from(selector, d);
    return true;
}

} // namespace

bool switch_task(CpuContext& ctx, u16 selector, TaskSwitch reason, u64 return_eip, const PendingEvent* event)
{
    CpuState& s = state(ctx);
    // Steps 3-4: the new TSS descriptor: in the GDT, a 32-bit TSS, available (busy for an
    // IRET's return to its caller), present, large enough.
    if (selector & 4)
        return raise_fault(ctx, reason == TaskSwitch::Iret ? vector::TS : vector::GP, selector & ~3u);
    Descriptor d;
    if (!read_descriptor(ctx, selector, false, d, reason == TaskSwitch::Iret ? vector::TS : vector::GP))
        return false;
    if (!d.is_system() || (d.type() != type_available && d.type() != type_busy)) {
        if (d.is_system() && (d.type() == 0x1 || d.type() == 0x3))
            KEEL_LOG(GuestErrors, "task switch to a 16-bit TSS (selector 0x%x): not supported, #GP\n", selector);
        return raise_fault(ctx, vector::GP, selector & ~3u);
    }
    bool busy = d.type() == type_busy;
    if (reason == TaskSwitch::Iret ? !busy : busy)
        return raise_fault(ctx, reason == TaskSwitch::Iret ? vector::TS : vector::GP, selector & ~3u);
    if (!d.present())
        return raise_fault(ctx, vector::NP, selector & ~3u);
    if (d.limit() < tss_minimum_limit)
        return raise_fault(ctx, vector::TS, selector & ~3u);
    if (s.tr.limit < tss_minimum_limit)
        return raise_fault(ctx, vector::TS, s.tr.selector & ~3u);

    // Read the new task's state before anything changes (its TSS may fault).
    TaskState next;
    if (!read_task_state(ctx, d.base(), next))
        return false;

    // Steps 6-8: the outgoing task's busy bit (JMP, IRET) and NT (IRET), and its state.
    u16 previous = s.tr.selector;
    u64 flags = read_rflags(ctx);
    if (reason == TaskSwitch::Iret)
        flags &= ~rflags::NT;
    if ((reason == TaskSwitch::Jump || reason == TaskSwitch::Iret) && !set_tss_busy(ctx, previous, false))
        return false;
    u64 tss = s.tr.base;
    bool saved = write_supervisor(ctx, tss + tss_eip, return_eip & 0xFFFFFFFF, 4) && write_supervisor(ctx, tss + tss_eflags, flags & 0xFFFFFFFF, 4);
    for (unsigned i = 0; i < 8 && saved; ++i)
        saved = write_supervisor(ctx, tss + tss_gprs + 4 * i, s.gpr[i] & 0xFFFFFFFF, 4);
    for (unsigned i = 0; i < SegmentCount && saved; ++i)
        saved = write_supervisor(ctx, tss + tss_segments + 4 * i, s.segment[i].selector, 2);
    if (!saved)
        return false;

    // Steps 9-10: CALL and interrupts nest: NT set in the new task, its link the old TSS.
    // Everything but an IRET makes the new TSS busy.
    if (reason == TaskSwitch::Call || reason == TaskSwitch::Interrupt) {
        next.eflags |= rflags::NT;
        if (!write_supervisor(ctx, d.base() + tss_link, previous, 2))
            return false;
    }
    if (reason != TaskSwitch::Iret && !set_tss_busy(ctx, selector, true))
        return false;
    d.low |= 2ull << 40;

    // Steps 11-12: TR, CR0.TS, then the new task's state: CR3 and LDTR, registers,
    // EFLAGS, EIP, the segment registers at the new CPL.
    s.tr = Segment { d.base(), d.limit(), selector, d.attributes() };
    s.cr0 |= cr0::TS;
    if (s.cr0 & cr0::PG) {
        if (pae_paging(s) && !load_pdptes(ctx, next.cr3))
            return false;
        s.cr3 = next.cr3;
    }
    ctx.services->flush_tlb();
    for (unsigned i = 0; i < 8; ++i)
        s.gpr[i] = next.gpr[i];
    write_rflags(ctx, next.eflags | rflags::Fixed1);
    ctx.hot.pc = next.eip;
    if (!load_ldt_register(ctx, next.ldt))
        return false;
    if (next.eflags & rflags::VM) {
        for (unsigned i = 0; i < SegmentCount; ++i)
            s.segment[i] = virtual8086_segment(next.segment[i], i == CS);
    } else {
        u32 cpl = next.segment[CS] & 3;
        for (SegmentIndex seg : { CS, SS, DS, ES, FS, GS }) {
            if (!load_task_segment(ctx, seg, next.segment[seg], cpl))
                return false;
        }
    }
    refresh_mode(ctx);
    KEEL_LOG(Int, "task switch (%s) from TSS 0x%x to 0x%x at %04x:%08x\n",
        reason == TaskSwitch::Jump ? "jmp" : reason == TaskSwitch::Call ? "call" : reason == TaskSwitch::Iret ? "iret" : "interrupt",
        previous, selector, next.segment[CS], next.eip);

    // Step 14: an exception's error code goes on the new task's stack.
    if (event && event->has_error_code) {
        StackCursor stack(ctx);
        if (!stack.push(event->error_code, (s.segment[SS].attributes & seg_attr::db) ? 4 : 2))
            return false;
        s.gpr[RSP] = stack.rsp();
    }
    return true;
}

} // namespace keel::x86
