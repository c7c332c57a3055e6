// The permanent code at the start of the translation cache: entering and leaving
// generated code, and the indirect-branch lookup (docs/backend.md#thunks).
#include "dbt/backend/x64/backend.h"
#include "dbt/backend/x64/cold_path.h"
#include "dbt/ir/opcode.h"
#include "dbt/runtime/run_context.h"

namespace keel::x64 {

using namespace Xbyak::util;

Result<void> Backend::emit_thunks()
{
    CodeBuffer& c = *m_code;

    // u32 entry(CpuContext* ctx, const void* code): save the SysV callee-saved registers
    // generated code uses, align RSP to 16, point RBP at the state base, jump in.
    c.align_to(16);
    m_thunks.entry = c.cursor();
    c.push(rbx);
    c.push(rbp);
    c.push(r12);
    c.push(r13);
    c.push(r14);
    c.push(r15);
    c.sub(rsp, 8);
    c.lea(rbp, ptr[rdi + ctx_offset::base]);
    c.mov(qword[rbp + ctx_offset::host_rsp], rsp);
    c.mov(dword[rbp + ctx_offset::call_depth], 0); // no predicted-call frames yet
    c.jmp(rsi);

    // exit: EAX holds the RunExit. Any stack the block left behind is dropped.
    c.align_to(16);
    m_thunks.exit = c.cursor();
    c.mov(rsp, qword[rbp + ctx_offset::host_rsp]);
    c.add(rsp, 8);
    c.pop(r15);
    c.pop(r14);
    c.pop(r13);
    c.pop(r12);
    c.pop(rbp);
    c.pop(rbx);
    c.ret();

    // lookup: pc is set; find the block through the lookup cache by linear pc. Indirect
    // jumps are where chained execution can loop without a backward direct exit, so the
    // exit_request check happens here (see BlockEmitter::exit_jump).
    c.align_to(16);
    m_thunks.lookup = c.cursor();
    c.cmp(dword[rbp + ctx_offset::exit_request], 0);
    u8* requested = c.jcc_rel32_placeholder(cc::NE);
    c.mov(rax, qword[rbp + ctx_offset::pc]);
    c.add(rax, qword[rbp + ctx_offset::code_base]);
    c.mov(rcx, jump_cache_hash_multiplier); // jump_cache_index(): the top bits of linear * K
    c.imul(rcx, rax);
    c.shr(rcx, 64 - jump_cache_index_bits);
    c.shl(ecx, 5);
    c.cmp(rax, qword[rbp + rcx + ctx_offset::jump_cache]);
    u8* miss = c.jcc_rel32_placeholder(cc::NE);
    c.mov(edx, dword[rbp + ctx_offset::mode]);
    c.cmp(edx, dword[rbp + rcx + ctx_offset::jump_cache + 8]);
    u8* other_mode = c.jcc_rel32_placeholder(cc::NE);
    c.jmp(qword[rbp + rcx + ctx_offset::jump_cache + 16]);
    m_lookup_miss = c.cursor();
    CodeBuffer::bind(miss, m_lookup_miss);
    CodeBuffer::bind(other_mode, m_lookup_miss);
    c.mov(eax, static_cast<u32>(RunExit::LookupMiss));
    c.jmp(m_thunks.exit);

    // helper_exit / interrupted: leave with that reason (pc already set).
    c.align_to(16);
    m_thunks.helper_exit = c.cursor();
    c.mov(eax, static_cast<u32>(RunExit::HelperExit));
    c.jmp(m_thunks.exit);
    c.align_to(16);
    m_thunks.interrupted = c.cursor();
    c.mov(eax, static_cast<u32>(RunExit::Interrupted));
    c.jmp(m_thunks.exit);
    CodeBuffer::bind(requested, m_thunks.interrupted);

    // chain: the return address points at the ExitSlot* of the exit being taken.
    c.align_to(16);
    m_thunks.chain = c.cursor();
    c.mov(rax, qword[rsp]);
    c.mov(rax, qword[rax]);
    c.mov(qword[rbp + ctx_offset::exit_slot], rax);
    c.mov(rax, qword[rax + static_cast<i32>(offsetof(ExitSlot, target_pc))]);
    c.mov(qword[rbp + ctx_offset::pc], rax);
    c.mov(eax, static_cast<u32>(RunExit::Unchained));
    c.jmp(m_thunks.exit); // the exit trampoline drops what is on the stack

    // cold: the return address points at a ColdDescriptor. Save every GPR in a frame
    // indexed by register number, let cold_access() work on the frame, restore, and return
    // to the hot path's resume point (descriptor + resume_delta). cold_keeping_xmm also
    // keeps XMM0..XMM13 (ir::host_xmm_kept): in a block with host instructions the SSE
    // lowering keeps guest values in them from one instruction to the next (docs/sse.md);
    // elsewhere nothing lives in them across a cold path, which then need not pay for them.
    auto emit_cold = [&](int kept) {
        c.align_to(16);
        const u8* start = c.cursor();
        for (int r = 15; r >= 0; --r)
            c.push(Xbyak::Reg64(r)); // [rsp + 8 * r] = register r (the RSP slot is not restored)
        const int xmm_area = 8 + kept * 16; // 8 (return address) + 128 + 8 + 16n: 16-byte aligned for the call
        VERIFY((8 + 128 + xmm_area) % 16 == 0);
        c.sub(rsp, xmm_area);
        for (int x = 0; x < kept; ++x)
            c.movdqu(ptr[rsp + 8 + 16 * x], Xbyak::Xmm(x));
        c.lea(rdi, ptr[rbp - ctx_offset::base]);
        c.lea(rsi, ptr[rsp + xmm_area]);
        c.mov(rdx, qword[rsp + xmm_area + 128]);
        c.mov(rax, reinterpret_cast<u64>(&cold_access));
        c.call(rax);
        for (int x = 0; x < kept; ++x)
            c.movdqu(Xbyak::Xmm(x), ptr[rsp + 8 + 16 * x]);
        c.add(rsp, xmm_area);
        c.test(rax, rax);
        u8* leave = c.jcc_rel32_placeholder(cc::NE);
        c.mov(rax, qword[rsp + 128]);
        c.movsxd(rax, dword[rax + static_cast<i32>(offsetof(ColdDescriptor, resume_delta))]);
        c.add(qword[rsp + 128], rax);
        for (int r = 0; r < 16; ++r) {
            if (r == RSP)
                c.add(rsp, 8);
            else
                c.pop(Xbyak::Reg64(r));
        }
        c.ret();
        CodeBuffer::bind(leave, m_thunks.helper_exit);
        return start;
    };
    m_thunks.cold = emit_cold(0);
    m_thunks.cold_keeping_xmm = emit_cold(static_cast<int>(ir::host_xmm_kept));

    c.align_to(64);
    m_thunks_end = c.used();
    if (Xbyak::GetError())
        return Error::formatted("emitting the backend thunks failed: %s", Xbyak::ConvertErrorToString(Xbyak::GetError()));
    return {};
}

} // namespace keel::x64
