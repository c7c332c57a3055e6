#pragma once
// Pushes and pops that helpers and event delivery make (far transfers, call gates, IRET,
// interrupts in real and protected mode, a task switch's error code), on a stack as the
// mode addresses it: RSP itself in 64-bit code, SS.base + ESP (SP with a 16-bit SS)
// elsewhere (Intel SDM vol. 3 §3.4.5, B flag). Nothing in the CPU state changes: the
// caller stores rsp() (and the SS it switched to) once every access has succeeded.
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/segments.h"

namespace keel::x86 {

class StackCursor {
public:
    // The current stack, at the current CPL.
    explicit StackCursor(CpuContext& ctx)
        : StackCursor(ctx, state(ctx).segment[SS], state(ctx).gpr[RSP], (ctx.hot.mode & mode::code64) != 0, current_cpl(ctx))
    {
    }
    // Another stack (the inner one a privilege change switches to) from `rsp`, accessed
    // at privilege level `cpl`; `flat64`: addressed by RSP alone, as in IA-32e mode.
    StackCursor(CpuContext& ctx, const Segment& ss, u64 rsp, bool flat64, u32 cpl)
        : m_ctx(&ctx), m_ss(ss), m_rsp(rsp), m_sp(rsp), m_flat64(flat64), m_mmu_index(mmu_index_for_cpl(cpl))
    {
    }
    bool push(u64 value, unsigned size)
    {
        m_sp -= size;
        return m_ctx->services->write_virtual(*m_ctx, address(), value, size, m_mmu_index, access_flag::stack);
    }
    bool pop(u64& value, unsigned size)
    {
        if (!m_ctx->services->read_virtual(*m_ctx, address(), size, m_mmu_index, value, access_flag::stack))
            return false;
        m_sp += size;
        return true;
    }
    void release(u64 bytes) { m_sp += bytes; }
    // RSP after the accesses: all of it in 64-bit addressing, ESP (zero-extended) with a
    // 32-bit SS, else SP with the upper bits it started with.
    u64 rsp() const { return m_flat64 ? m_sp : moved_stack_pointer(m_rsp, m_ss, static_cast<u32>(m_sp)); }
    const Segment& ss() const { return m_ss; }

private:
    u64 address() const { return m_flat64 ? m_sp : stack_linear(m_ss, static_cast<u32>(m_sp)); }
    CpuContext* m_ctx;
    Segment m_ss;
    u64 m_rsp, m_sp;
    bool m_flat64;
    u32 m_mmu_index;
};

} // namespace keel::x86
