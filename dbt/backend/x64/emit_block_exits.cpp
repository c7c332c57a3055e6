// A block's terminal and its exits: chainable jumps, exit_request checks, predicted calls
// and returns, the back edge of a loop that keeps registers (docs/backend.md#exits-and-chaining).
#include "dbt/backend/x64/block_emitter.h"
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

void BlockEmitter::direct_exit(u8* site, u64 target, u8* check_site)
{
    VERIFY(m_exit_count < max_block_exits);
    m_exits[m_exit_count++] = { site, target, check_site };
}

// Chained blocks run without the dispatcher, so something must notice exit_request
// (interrupts, device events, shutdown). Every cycle of chained blocks contains a jump to
// an equal or lower pc, so checking on those exits (and in the lookup stub, for
// indirect jumps) is enough; forward exits and block entries need no check.
void BlockEmitter::exit_jump(u64 target)
{
    auto& c = m_code;
    bool chainable = m_options.chain && (target & guest_page_mask) == (m_block.pc & guest_page_mask);
    if (!chainable) {
        direct_exit(c.jmp_rel32_placeholder(), target); // the stub goes through the lookup
        return;
    }
    u8* check = nullptr;
    if (is_backward(target)) {
        c.cmp(dword[rbp + ctx_offset::exit_request], 0);
        check = c.jcc_rel32_placeholder(cc::NE);
    }
    // In place: `call chain thunk; .quad slot`, patched to `jmp target` when chained.
    VERIFY(m_tb.exit_count < max_block_exits);
    ExitSlot& slot = m_tb.exits[m_tb.exit_count++];
    c.call(m_thunks.chain);
    slot = ExitSlot { &m_tb, target, c.cursor() - 4, const_cast<u8*>(m_thunks.chain), nullptr, nullptr, true };
    c.dq(reinterpret_cast<u64>(&slot));
    if (check) {
        VERIFY(m_check_stub_count < max_block_exits);
        m_check_stubs[m_check_stub_count++] = { check, target };
    }
}

void BlockEmitter::store_pc(u64 pc)
{
    auto& c = m_code;
    if (static_cast<i64>(pc) == static_cast<i32>(pc)) {
        c.mov(qword[rbp + ctx_offset::pc], static_cast<i32>(pc));
    } else {
        c.mov(rax, pc);
        c.mov(qword[rbp + ctx_offset::pc], rax);
    }
}

void BlockEmitter::emit_exit_stubs()
{
    auto& c = m_code;
    for (u32 i = 0; i < m_check_stub_count; ++i) {
        CodeBuffer::bind(m_check_stubs[i].site, c.cursor());
        if (m_check_stubs[i].write_back)
            m_loop.write_back(c);
        store_pc(m_check_stubs[i].target);
        c.jmp(m_thunks.interrupted);
    }
    u64 block_page = m_block.pc & guest_page_mask;
    for (u32 i = 0; i < m_exit_count; ++i) {
        const PendingExit& e = m_exits[i];
        u8* stub = c.cursor();
        CodeBuffer::bind(e.site, stub);
        if (e.check_site)
            CodeBuffer::bind(e.check_site, stub);
        // Only exits within the block's guest page are chained (as QEMU does): the
        // mapping of another page may change without this block being retranslated.
        bool chainable = m_options.chain && (e.target & guest_page_mask) == block_page;
        if (chainable) {
            // The chain thunk takes the target pc from the exit slot.
            VERIFY(m_tb.exit_count < max_block_exits);
            ExitSlot& slot = m_tb.exits[m_tb.exit_count++];
            slot = ExitSlot { &m_tb, e.target, e.site, stub, nullptr, nullptr, false };
            c.call(m_thunks.chain);
            c.dq(reinterpret_cast<u64>(&slot));
            continue;
        }
        store_pc(e.target);
        if (m_options.chain) {
            c.jmp(m_thunks.lookup);
        } else {
            c.mov(eax, static_cast<u32>(RunExit::Dispatch));
            c.jmp(m_thunks.exit);
        }
    }
}

// Guest calls and returns through the host's call/ret, so the host's return-stack
// predictor predicts guest returns (an indirect jump through the lookup cache mispredicts
// whenever a function is called from several places). A predicted call pushes the guest
// return address and then host-calls the callee; a guest return whose address matches the
// top frame's does `ret 8` into the call's landing pad, which continues at the return
// site. Anything else (a mismatch, too deep a nest) takes the ordinary paths; stale
// frames are harmless because leaving generated code resets RSP.
constexpr u32 max_call_depth = 1024; // 16 KiB of host stack

void BlockEmitter::emit_predicted_call(EmitContext& ctx, const ir::Terminal& t)
{
    auto& c = m_code;
    bool direct = t.kind == ir::TerminalKind::Jump;
    u8 target = 0;
    if (!direct) {
        target = m_ra.use(t.value);
        c.mov(qword[rbp + ctx_offset::pc], r64(target));
    }
    c.cmp(dword[rbp + ctx_offset::call_depth], max_call_depth);
    u8* too_deep = c.jcc_rel32_placeholder(cc::AE);
    if (direct && is_backward(t.target)) { // calls can close cycles too (recursion)
        c.cmp(dword[rbp + ctx_offset::exit_request], 0);
        u8* requested = c.jcc_rel32_placeholder(cc::NE);
        m_deferred_binds[m_deferred_bind_count++] = { requested, too_deep };
    }
    c.inc(dword[rbp + ctx_offset::call_depth]);
    i64 ret = static_cast<i64>(t.return_pc);
    if (ret == static_cast<i32>(ret)) {
        c.push(static_cast<int>(ret));
    } else {
        c.mov(rax, t.return_pc);
        c.push(rax);
    }
    if (direct) {
        c.db(0xE8);
        c.dd(0);
        direct_exit(c.cursor() - 4, t.target); // a call site chained like a jump
    } else {
        c.call(m_thunks.lookup);
    }
    // Landing pad: the callee's predicted return arrives here.
    exit_jump(t.return_pc);
    // Not predicted: an ordinary jump.
    u8* plain = c.cursor();
    CodeBuffer::bind(too_deep, plain);
    for (u32 i = 0; i < m_deferred_bind_count; ++i) {
        if (m_deferred_binds[i].alias == too_deep)
            CodeBuffer::bind(m_deferred_binds[i].site, plain);
    }
    m_deferred_bind_count = 0;
    if (direct) {
        exit_jump(t.target);
    } else {
        c.jmp(m_thunks.lookup);
    }
    (void)ctx;
}

void BlockEmitter::emit_predicted_return(const ir::Terminal& t)
{
    auto& c = m_code;
    u8 target = m_ra.use(t.value);
    c.mov(qword[rbp + ctx_offset::pc], r64(target));
    c.cmp(dword[rbp + ctx_offset::call_depth], 0);
    u8* no_frame = c.jcc_rel32_placeholder(cc::E);
    c.cmp(qword[rsp + 8], r64(target)); // the guest return address its call pushed
    u8* mismatch = c.jcc_rel32_placeholder(cc::NE);
    c.dec(dword[rbp + ctx_offset::call_depth]);
    c.ret(8);
    CodeBuffer::bind(no_frame, c.cursor());
    CodeBuffer::bind(mismatch, c.cursor());
    c.jmp(m_thunks.lookup);
}

u8 BlockEmitter::branch_condition(EmitContext& ctx)
{
    const ir::Value v = m_block.terminal.value;
    if (v.is_inst() && m_lazy_cond[v.index()])
        return ctx.fused_condition(v);
    u8 r = m_ra.use(v);
    m_code.test(r8(r), r8(r));
    return cc::NE;
}

void BlockEmitter::emit_loop_terminal(EmitContext& ctx)
{
    auto& c = m_code;
    const ir::Terminal& t = m_block.terminal;
    u8* leave = nullptr;
    u64 other = 0;
    if (t.kind == ir::TerminalKind::Branch) {
        u8 condition = branch_condition(ctx);
        bool loop_if_true = t.target == m_block.pc;
        other = loop_if_true ? t.target_false : t.target;
        leave = c.jcc_rel32_placeholder(loop_if_true ? static_cast<u8>(condition ^ 1) : condition); // cc ^ 1 negates
    }
    // The back edge closes a cycle: check exit_request as every backward exit does.
    c.cmp(dword[rbp + ctx_offset::exit_request], 0);
    VERIFY(m_check_stub_count < max_block_exits);
    m_check_stubs[m_check_stub_count++] = { c.jcc_rel32_placeholder(cc::NE), m_block.pc, true };
    c.jmp(m_loop_head);
    if (leave) {
        CodeBuffer::bind(leave, c.cursor());
        m_loop.write_back(c);
        exit_jump(other);
    }
}

void BlockEmitter::emit_terminal(EmitContext& ctx)
{
    auto& c = m_code;
    const ir::Terminal& t = m_block.terminal;
    switch (t.kind) {
    case ir::TerminalKind::Jump:
        if (m_options.chain && t.hint == ir::ControlHint::Call)
            emit_predicted_call(ctx, t);
        else
            exit_jump(t.target);
        break;
    case ir::TerminalKind::Branch: {
        u8 condition = branch_condition(ctx);
        if (m_options.chain && is_backward(t.target)) {
            // The check clobbers the flags: branch first, check on the taken side.
            u8* taken = c.jcc_rel32_placeholder(condition);
            exit_jump(t.target_false);
            CodeBuffer::bind(taken, c.cursor());
            exit_jump(t.target);
        } else {
            direct_exit(c.jcc_rel32_placeholder(condition), t.target);
            exit_jump(t.target_false);
        }
        break;
    }
    case ir::TerminalKind::JumpIndirect: {
        if (m_options.chain && t.hint == ir::ControlHint::Call) {
            emit_predicted_call(ctx, t);
            break;
        }
        if (m_options.chain && t.hint == ir::ControlHint::Return && !t.value.is_imm()) {
            emit_predicted_return(t);
            break;
        }
        if (t.value.is_imm())
            ctx.store_guest_pc(t.value.imm_value());
        else
            c.mov(qword[rbp + ctx_offset::pc], r64(m_ra.use(t.value)));
        if (m_options.chain)
            c.jmp(m_thunks.lookup);
        else {
            c.mov(eax, static_cast<u32>(RunExit::Dispatch));
            c.jmp(m_thunks.exit);
        }
        break;
    }
    case ir::TerminalKind::Exit:
        if (t.has_target)
            ctx.store_guest_pc(t.target);
        c.mov(eax, static_cast<u32>(t.reason == ir::ExitReason::Halt ? RunExit::Halt : RunExit::Dispatch));
        c.jmp(m_thunks.exit);
        break;
    case ir::TerminalKind::None:
        VERIFY_NOT_REACHED();
    }
}

} // namespace keel::x64
