// Calls to helpers (ir/helper.h). Live values in caller-saved registers are spilled
// first; arguments go through the stack so that no argument register is overwritten
// before it is read; a non-zero RDX (HelperResult::exit) leaves the block.
#include "dbt/backend/x64/emitters.h"
#include "dbt/ir/helper.h"

namespace keel::x64 {

using namespace Xbyak::util;

template<>
void emit<ir::Opcode::CallHelper>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    auto* helper = reinterpret_cast<const ir::Helper*>(static_cast<uptr>(inst.args[0].imm_value()));

    // Arguments into registers first (reloading spilled ones), then push them.
    u8 regs[3] = {};
    unsigned count = 0;
    for (unsigned i = 1; i <= 3; ++i) {
        if (inst.args[i].is_none())
            break;
        ++count;
    }
    for (unsigned i = 0; i < count; ++i) {
        ir::Value v = inst.args[1 + i];
        if (!fits_imm32(v))
            regs[i] = ctx.ra.use(v);
    }
    ctx.ra.spill_caller_saved();
    ctx.store_guest_pc(ctx.guest_pc());
    // Helpers that write guest memory check whether they modified the running block.
    ctx.code.mov(rax, reinterpret_cast<u64>(&ctx.tb));
    ctx.code.mov(qword[rbp + ctx_offset::current_block], rax);
    for (unsigned i = 0; i < count; ++i) {
        ir::Value v = inst.args[1 + i];
        if (fits_imm32(v))
            ctx.code.push(static_cast<int>(imm32_of(v)));
        else
            ctx.code.push(r64(regs[i]));
    }
    static constexpr HostReg argument_regs[3] = { RSI, RDX, RCX };
    for (unsigned i = count; i-- > 0;)
        ctx.code.pop(r64(argument_regs[i]));
    ctx.code.lea(rdi, ptr[rbp - ctx_offset::base]);
    ctx.code.mov(rax, reinterpret_cast<u64>(helper->function));
    ctx.code.call(rax);
    ctx.ra.forget_caller_saved();
    ctx.code.test(rdx, rdx);
    ctx.jump_to_helper_exit(cc::NE);
    if (ctx.value_used[ctx.index]) {
        u8 dst = ctx.ra.scratch();
        ctx.code.mov(r64(dst), rax);
        ctx.ra.define(ctx.index, dst);
    }
}

template<>
void emit<ir::Opcode::HostInsn>(EmitContext& ctx)
{
    // Ready-made bytes from the frontend, addressing guest state through RBP, and guest
    // memory, if any, through the HostPointer in RAX (never allocated).
    if (!ctx.inst().args[1].is_none() && ctx.pointer_in_rax_for != ctx.index)
        ctx.code.mov(rax, r64(ctx.ra.use(ctx.inst().args[1])));
    u64 where = ir::host_insn_code(ctx.inst().args[0].imm_value());
    u32 offset = static_cast<u32>(where >> 8), length = static_cast<u32>(where & 0xFF);
    for (u32 i = 0; i < length; ++i)
        ctx.code.db(ctx.block.host_code[offset + i]);
}

} // namespace keel::x64
