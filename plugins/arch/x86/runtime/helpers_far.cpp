// Far control transfers: IRET, RET far, JMP/CALL far (Intel SDM vol. 2, IRET/RET/JMP/CALL
// pseudocode: the real-address-mode, protected-mode and IA-32e branches). Call gates are
// call_gate.cpp's; task switches task_switch.cpp's.
#include "dbt/base/log.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/runtime/call_gate.h"
#include "plugins/arch/x86/runtime/helpers.h"
#include "plugins/arch/x86/segments.h"
#include "plugins/arch/x86/stack_access.h"
#include "plugins/arch/x86/task_switch.h"

namespace keel::x86::helpers {
namespace {

ir::HelperResult fault() { return ir::helper_exit(); }

bool pop_values(CpuContext& ctx, u64 rsp, unsigned size, unsigned count, u64* out)
{
    for (unsigned i = 0; i < count; ++i) {
        if (!read_guest(ctx, rsp + i * size, size, out[i], access_flag::stack))
            return false;
    }
    return true;
}

// Real-address mode's far transfers: CS's selector and base from the selector, (E)IP from
// the offset, which must lie within CS's limit (Intel SDM vol. 2, JMP/CALL/RET/IRET:
// REAL-ADDRESS-MODE). A 16-bit operand size takes IP only.
ir::HelperResult far_transfer_real_mode(CpuContext& ctx, const StackCursor& stack, u16 selector, u64 offset, unsigned size)
{
    CpuState& s = state(ctx);
    u64 ip = size == 2 ? offset & 0xFFFF : offset & 0xFFFFFFFF;
    if (ip > s.segment[CS].limit)
        return raise_fault(ctx, vector::GP, 0), fault();
    s.gpr[RSP] = stack.rsp();
    load_real_mode_segment(s.segment[CS], selector);
    ctx.hot.pc = ip;
    refresh_mode(ctx);
    return ir::helper_exit();
}

// Checks a code segment a far return or IRET lands in (returns false with a fault).
bool check_return_code_segment(CpuContext& ctx, u16 selector, Descriptor& d)
{
    u32 cpl = current_cpl(ctx);
    u32 rpl = selector & 3;
    if ((selector & ~3u) == 0)
        return raise_fault(ctx, vector::GP, 0);
    if (!read_descriptor(ctx, selector, false, d))
        return false;
    if (!d.is_code() || rpl < cpl)
        return raise_fault(ctx, vector::GP, selector & ~3u);
    bool conforming = d.type() & 4;
    if (conforming ? d.dpl() > rpl : d.dpl() != rpl)
        return raise_fault(ctx, vector::GP, selector & ~3u);
    if (!d.present())
        return raise_fault(ctx, vector::NP, selector & ~3u);
    return true;
}

// SS for a return to privilege `rpl` (null allowed for 64-bit code below CPL 3).
bool check_return_stack_segment(CpuContext& ctx, u16 selector, u32 rpl, bool to_64bit, Descriptor& d, bool& null)
{
    null = (selector & ~3u) == 0;
    if (null) {
        if (!to_64bit || rpl == 3)
            return raise_fault(ctx, vector::GP, 0);
        return true;
    }
    if (!read_descriptor(ctx, selector, false, d))
        return false;
    bool writable_data = !d.is_system() && !d.is_code() && (d.type() & 2);
    if ((selector & 3) != rpl || d.dpl() != rpl || !writable_data)
        return raise_fault(ctx, vector::GP, selector & ~3u);
    if (!d.present())
        return raise_fault(ctx, vector::SS, selector & ~3u);
    return true;
}

// After a return to an outer privilege level, data segments the new CPL may not use
// are nulled (Intel SDM vol. 2, RET: "FOR each SegReg in (ES, FS, GS, and DS)").
void null_inaccessible_segments(CpuState& s, u32 new_cpl)
{
    for (SegmentIndex seg : { ES, DS, FS, GS }) {
        Segment& r = s.segment[seg];
        bool conforming_code = (r.attributes & seg_attr::code) && (r.attributes & 4);
        if ((r.selector & ~3u) && !conforming_code && seg_attr::dpl(r.attributes) < new_cpl) {
            u64 base = r.base;
            r = null_segment(0);
            if (seg == FS || seg == GS)
                r.base = base; // the 64-bit bases are MSR state, kept
        }
    }
}

// RFLAGS after an IRET of operand size n popped `popped`: as POPF would take them at the
// current CPL (IOPL only at CPL 0, IF only at CPL <= IOPL; Intel SDM vol. 2, IRET).
u64 flags_after_iret(CpuContext& ctx, u64 popped, unsigned n)
{
    const CpuState& s = state(ctx);
    u32 cpl = current_cpl(ctx);
    u64 modifiable = rflags::status | rflags::TF | rflags::DF | rflags::NT | rflags::AC | rflags::ID | rflags::RF;
    if (cpl == 0)
        modifiable |= rflags::IOPL;
    if (cpl <= ((s.rflags >> 12) & 3))
        modifiable |= rflags::IF;
    if (n == 2)
        modifiable &= 0xFFFF;
    return (read_rflags(ctx) & ~modifiable) | (popped & modifiable);
}

// IRET in legacy protected mode (Intel SDM vol. 2, IRET: PROTECTED-MODE,
// RETURN-TO-SAME-PRIVILEGE-LEVEL, RETURN-TO-OUTER-PRIVILEGE-LEVEL): EIP, CS, EFLAGS, and
// ESP, SS when the return goes to an outer level, from SS.base + ESP (SP for a 16-bit SS).
ir::HelperResult iret_protected_mode(CpuContext* ctx, unsigned n, unsigned length)
{
    CpuState& s = state(*ctx);
    u32 cpl = current_cpl(*ctx);
    if (s.rflags & rflags::NT) {
        // A return from a nested task (Intel SDM vol. 2, IRET: TASK-RETURN): to the TSS
        // the current one links back to, which must be busy.
        u64 link;
        if (!read_supervisor(*ctx, s.tr.base, 2, link))
            return fault();
        switch_task(*ctx, static_cast<u16>(link), TaskSwitch::Iret, ctx->hot.pc + length);
        ctx->hot.exit_request = 1;
        return s.event.kind == PendingEvent::Kind::None ? ir::helper_continue(ctx->hot.pc) : fault();
    }
    u32 sp = static_cast<u32>(s.gpr[RSP]);
    auto pop = [&](u64& out) {
        if (!read_guest(*ctx, stack_linear(s.segment[SS], sp), n, out, access_flag::stack))
            return false;
        sp += n;
        return true;
    };
    u64 eip, cs, eflags;
    if (!pop(eip) || !pop(cs) || !pop(eflags))
        return fault();
    if (n == 4 && (eflags & rflags::VM) && cpl == 0) {
        // RETURN-TO-VIRTUAL-8086-MODE: ESP, SS, ES, DS, FS, GS follow on the stack (32-bit
        // pops, the low 16 bits used); every segment is loaded as virtual-8086 mode has it,
        // EFLAGS whole (VM included), EIP's low 16 bits, CPL 3 (§20.2.5).
        u64 values[6]; // ESP, SS, ES, DS, FS, GS
        for (u64& value : values) {
            if (!pop(value))
                return fault();
        }
        bool enables_interrupts = !(s.rflags & rflags::IF) && (eflags & rflags::IF);
        s.segment[CS] = virtual8086_segment(static_cast<u16>(cs), true);
        s.segment[SS] = virtual8086_segment(static_cast<u16>(values[1]), false);
        s.segment[ES] = virtual8086_segment(static_cast<u16>(values[2]), false);
        s.segment[DS] = virtual8086_segment(static_cast<u16>(values[3]), false);
        s.segment[FS] = virtual8086_segment(static_cast<u16>(values[4]), false);
        s.segment[GS] = virtual8086_segment(static_cast<u16>(values[5]), false);
        s.gpr[RSP] = values[0] & 0xFFFFFFFF;
        write_rflags(*ctx, (eflags & ~rflags::RF) | rflags::Fixed1);
        ctx->hot.pc = eip & 0xFFFF;
        refresh_mode(*ctx);
        if (enables_interrupts)
            interrupts_enabled(*ctx);
        ctx->hot.exit_request = 1;
        KEEL_LOG(Int, "iret: to virtual-8086 mode at %04x:%04llx\n", static_cast<unsigned>(cs & 0xFFFF), static_cast<unsigned long long>(ctx->hot.pc));
        return ir::helper_continue(ctx->hot.pc);
    }
    u16 cs_selector = static_cast<u16>(cs);
    Descriptor code;
    if (!check_return_code_segment(*ctx, cs_selector, code))
        return fault();
    u32 new_cpl = cs_selector & 3;
    if (eip > code.limit())
        return raise_fault(*ctx, vector::GP, 0), fault();
    Segment new_ss = s.segment[SS];
    u64 new_sp = sp;
    if (new_cpl > cpl) {
        u64 esp, ss;
        if (!pop(esp) || !pop(ss))
            return fault();
        Descriptor stack {};
        bool null_stack;
        if (!check_return_stack_segment(*ctx, static_cast<u16>(ss), new_cpl, false, stack, null_stack))
            return fault();
        new_ss = segment_from(static_cast<u16>(ss), stack);
        new_sp = esp;
    }
    u64 flags = flags_after_iret(*ctx, eflags, n); // VM and VIF/VIP stay as they are
    bool enables_interrupts = !(s.rflags & rflags::IF) && (flags & rflags::IF);

    if (!mark_accessed(*ctx, cs_selector, code))
        return fault();
    s.segment[CS] = segment_from(cs_selector, code);
    s.segment[SS] = new_ss;
    s.gpr[RSP] = moved_stack_pointer(s.gpr[RSP], new_ss, static_cast<u32>(new_sp));
    write_rflags(*ctx, flags);
    ctx->hot.pc = n == 2 ? eip & 0xFFFF : eip & 0xFFFFFFFF;
    if (new_cpl > cpl)
        null_inaccessible_segments(s, new_cpl);
    refresh_mode(*ctx);
    if (enables_interrupts)
        interrupts_enabled(*ctx);
    ctx->hot.exit_request = 1; // through the dispatcher, as for any return to code that is not 64-bit
    return ir::helper_continue(ctx->hot.pc);
}

// IRET in real-address mode (Intel SDM vol. 2, IRET: REAL-ADDRESS-MODE): (E)IP, CS and
// (E)FLAGS from the stack; at CPL 0 every flag IRET may change is taken, VM excepted.
ir::HelperResult iret_real_mode(CpuContext* ctx, unsigned n)
{
    CpuState& s = state(*ctx);
    StackCursor stack(*ctx);
    u64 ip, cs, flags;
    if (!stack.pop(ip, n) || !stack.pop(cs, n) || !stack.pop(flags, n))
        return fault();
    if (ip > s.segment[CS].limit)
        return raise_fault(*ctx, vector::GP, 0), fault();
    u64 new_flags = flags_after_iret(*ctx, flags, n);
    bool enables_interrupts = !(s.rflags & rflags::IF) && (new_flags & rflags::IF);
    write_rflags(*ctx, new_flags);
    far_transfer_real_mode(*ctx, stack, static_cast<u16>(cs), ip, n);
    if (enables_interrupts)
        interrupts_enabled(*ctx);
    return ir::helper_continue(ctx->hot.pc);
}

ir::HelperResult do_iretq(CpuContext* ctx, u64 size, u64 length, u64)
{
    CpuState& s = state(*ctx);
    if (!(s.cr0 & cr0::PE))
        return iret_real_mode(ctx, static_cast<unsigned>(size));
    if (s.rflags & rflags::VM) {
        // Virtual-8086 mode (Intel SDM vol. 2, IRET: "IF VM = 1"): as in real mode with
        // IOPL 3 (IOPL and VM stay: CPL is 3), else #GP(0) to the monitor.
        if (((s.rflags >> 12) & 3) != 3)
            return raise_fault(*ctx, vector::GP, 0), fault();
        return iret_real_mode(ctx, static_cast<unsigned>(size));
    }
    if (!(s.efer & efer::LMA))
        return iret_protected_mode(ctx, static_cast<unsigned>(size), static_cast<unsigned>(length));
    u32 cpl = current_cpl(*ctx);
    if (s.rflags & rflags::NT)
        return raise_fault(*ctx, vector::GP, 0), fault(); // task return: not in IA-32e mode
    unsigned n = static_cast<unsigned>(size);
    u64 frame[5]; // RIP, CS, RFLAGS, RSP, SS
    if (!pop_values(*ctx, s.gpr[RSP], n, 5, frame))
        return fault();
    u16 cs_selector = static_cast<u16>(frame[1]);
    Descriptor code;
    if (!check_return_code_segment(*ctx, cs_selector, code))
        return fault();
    u32 new_cpl = cs_selector & 3;
    bool to_64bit = code.long_mode();
    u64 rip = frame[0];
    if (to_64bit && !is_canonical(rip))
        return raise_fault(*ctx, vector::GP, 0), fault();
    Descriptor stack {};
    bool null_stack;
    u16 ss_selector = static_cast<u16>(frame[4]);
    if (!check_return_stack_segment(*ctx, ss_selector, new_cpl, to_64bit, stack, null_stack))
        return fault();

    u64 flags = flags_after_iret(*ctx, frame[2], n); // VM is never set in IA-32e mode
    bool enables_interrupts = !(s.rflags & rflags::IF) && (flags & rflags::IF);

    if (!mark_accessed(*ctx, cs_selector, code))
        return fault();
    s.segment[CS] = segment_from(cs_selector, code);
    s.segment[SS] = null_stack ? null_segment(ss_selector) : segment_from(ss_selector, stack);
    s.gpr[RSP] = frame[3];
    write_rflags(*ctx, flags);
    ctx->hot.pc = to_64bit ? rip : rip & 0xFFFFFFFF;
    if (new_cpl > cpl)
        null_inaccessible_segments(s, new_cpl);
    refresh_mode(*ctx);
    KEEL_LOG(Int, "iret: to 0x%llx cpl %u -> %u rsp 0x%llx\n", (unsigned long long)ctx->hot.pc, cpl, new_cpl, (unsigned long long)frame[3]);
    // The block goes on to the returned-to code through the lookup thunk, which compares
    // the mode (a CPL change is a different block) and returns to the dispatcher when
    // exit_request is set: here when the return enabled interrupts and one may be waiting
    // (the dispatcher delivers it before the next instruction), or when the code is not
    // 64-bit. Linux's sync_core() is an IRETQ to the next instruction, after every text
    // patch of its boot (some 100,000): each used to be a return to the dispatcher.
    if (enables_interrupts)
        interrupts_enabled(*ctx);
    if (!to_64bit)
        ctx->hot.exit_request = 1;
    return ir::helper_continue(ctx->hot.pc);
}

ir::HelperResult do_far_return(CpuContext* ctx, u64 size, u64 release, u64)
{
    CpuState& s = state(*ctx);
    u32 cpl = current_cpl(*ctx);
    unsigned n = static_cast<unsigned>(size);
    u64 frame[2];
    StackCursor stack(*ctx);
    if (!stack.pop(frame[0], n) || !stack.pop(frame[1], n))
        return fault();
    stack.release(release);
    u16 cs_selector = static_cast<u16>(frame[1]);
    if (real_mode_segments(s))
        return far_transfer_real_mode(*ctx, stack, cs_selector, frame[0], n);
    Descriptor code;
    if (!check_return_code_segment(*ctx, cs_selector, code))
        return fault();
    u32 new_cpl = cs_selector & 3;
    Segment new_ss = s.segment[SS];
    u64 rsp = stack.rsp();
    if (new_cpl > cpl) {
        u64 outer[2];
        if (!stack.pop(outer[0], n) || !stack.pop(outer[1], n))
            return fault();
        Descriptor stack_descriptor {};
        bool null_stack;
        if (!check_return_stack_segment(*ctx, static_cast<u16>(outer[1]), new_cpl, code.long_mode(), stack_descriptor, null_stack))
            return fault();
        new_ss = null_stack ? null_segment(static_cast<u16>(outer[1])) : segment_from(static_cast<u16>(outer[1]), stack_descriptor);
        rsp = (ctx->hot.mode & mode::code64) ? outer[0] + release : moved_stack_pointer(s.gpr[RSP], new_ss, static_cast<u32>(outer[0] + release));
    }
    u64 ip = code.long_mode() ? frame[0] : n == 2 ? frame[0] & 0xFFFF : frame[0] & 0xFFFFFFFF;
    if (code.long_mode() && !is_canonical(ip))
        return raise_fault(*ctx, vector::GP, 0), fault();
    if (!code.long_mode() && ip > code.limit())
        return raise_fault(*ctx, vector::GP, 0), fault();
    if (!mark_accessed(*ctx, cs_selector, code))
        return fault();
    s.segment[CS] = segment_from(cs_selector, code);
    s.segment[SS] = new_ss;
    s.gpr[RSP] = rsp;
    ctx->hot.pc = ip;
    if (new_cpl > cpl)
        null_inaccessible_segments(s, new_cpl);
    refresh_mode(*ctx);
    return ir::helper_exit();
}

ir::HelperResult do_far_jump(CpuContext* ctx, u64 selector_value, u64 offset, u64 call)
{
    CpuState& s = state(*ctx);
    u32 cpl = current_cpl(*ctx);
    u16 selector = static_cast<u16>(selector_value);
    unsigned n = call & 0xFF; // the operand size a CALL pushes CS and the return address at; 0: a JMP
    u64 return_rip = ctx->hot.pc + (call >> 8);
    StackCursor stack(*ctx);
    auto push_return = [&] { return !n || (stack.push(s.segment[CS].selector, n) && stack.push(return_rip, n)); };
    if (real_mode_segments(s)) {
        if (!push_return())
            return fault();
        return far_transfer_real_mode(*ctx, stack, selector, offset, n ? n : 4);
    }
    if ((selector & ~3u) == 0)
        return raise_fault(*ctx, vector::GP, 0), fault();
    Descriptor d;
    if (!read_descriptor(*ctx, selector, false, d))
        return fault();
    if (d.is_system()) {
        // Call gates: type 0xC (32-bit, or 64-bit in IA-32e mode) and 0x4 (16-bit, legacy
        // mode only). Task gates and TSS descriptors would switch tasks.
        bool long_mode = s.efer & efer::LMA;
        if (d.type() == 0xC || (d.type() == 0x4 && !long_mode))
            return transfer_through_call_gate(*ctx, selector, n != 0, return_rip);
        // A TSS (available 32-bit, type 9) or a task gate (5) switches tasks outside IA-32e
        // mode (Intel SDM vol. 2, JMP/CALL: "TASK-GATE", "TASK-STATE-SEGMENT"): the
        // descriptor's DPL must admit CPL and RPL.
        bool task = d.type() == 0x9 || d.type() == 0x5;
        if (long_mode || !task || d.dpl() < cpl || d.dpl() < (selector & 3u))
            return raise_fault(*ctx, vector::GP, selector & ~3u), fault();
        if (!d.present())
            return raise_fault(*ctx, vector::NP, selector & ~3u), fault();
        u16 tss = d.type() == 0x5 ? static_cast<u16>(d.low >> 16) : selector;
        switch_task(*ctx, tss, n ? TaskSwitch::Call : TaskSwitch::Jump, return_rip);
        return ir::helper_exit();
    }
    if (!d.is_code())
        return raise_fault(*ctx, vector::GP, selector & ~3u), fault();
    bool conforming = d.type() & 4;
    if (conforming ? d.dpl() > cpl : ((selector & 3) > cpl || d.dpl() != cpl))
        return raise_fault(*ctx, vector::GP, selector & ~3u), fault();
    if (!d.present())
        return raise_fault(*ctx, vector::NP, selector & ~3u), fault();
    if (d.long_mode() && !is_canonical(offset))
        return raise_fault(*ctx, vector::GP, 0), fault();
    if (!d.long_mode() && (offset & 0xFFFFFFFF) > d.limit())
        return raise_fault(*ctx, vector::GP, 0), fault();
    if (!push_return() || !mark_accessed(*ctx, selector, d))
        return fault();
    s.gpr[RSP] = stack.rsp();
    s.segment[CS] = segment_from(static_cast<u16>((selector & ~3u) | cpl), d);
    ctx->hot.pc = d.long_mode() ? offset : offset & 0xFFFFFFFF;
    refresh_mode(*ctx);
    return ir::helper_exit();
}

} // namespace

const ir::Helper iretq { "iretq", do_iretq };
const ir::Helper far_return { "far_return", do_far_return };
const ir::Helper far_jump { "far_jump", do_far_jump };

} // namespace keel::x86::helpers
