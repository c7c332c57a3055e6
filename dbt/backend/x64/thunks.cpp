// The permanent code at the start of the translation cache: entering and leaving
// generated code, and the indirect-branch lookup (docs/backend.md#thunks).
#include "dbt/backend/x64/backend.h"
#include "dbt/cache/block_cache.h"

namespace keel::x64 {

using namespace Xbyak::util;

Result<void> Backend::emit_thunks()
{
    CodeBuffer& c = *m_code;

    // u32 entry(CpuContext* ctx, const void* code): save the SysV callee-saved registers
    // generated code uses, align RSP to 16, point RBP at the state base, jump in.
    c.align(16);
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
    c.jmp(rsi);

    // exit: EAX holds the RunExit. Any stack the block left behind is dropped.
    c.align(16);
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

    // lookup: pc is set; find the block through the lookup cache by linear pc.
    c.align(16);
    m_thunks.lookup = c.cursor();
    c.mov(rax, qword[rbp + ctx_offset::pc]);
    c.add(rax, qword[rbp + ctx_offset::code_base]);
    c.mov(rcx, rax); // jump_cache_index(): (linear ^ (linear >> 12)) & (entries - 1)
    c.shr(rcx, 12);
    c.xor_(rcx, rax);
    c.and_(ecx, jump_cache_entries - 1);
    c.shl(ecx, 4);
    c.cmp(rax, qword[rbp + rcx + ctx_offset::jump_cache]);
    u8* miss = c.jcc_rel32_placeholder(cc::NE);
    c.jmp(qword[rbp + rcx + ctx_offset::jump_cache + 8]);
    m_lookup_miss = c.cursor();
    CodeBuffer::bind(miss, m_lookup_miss);
    c.mov(eax, static_cast<u32>(RunExit::LookupMiss));
    c.jmp(m_thunks.exit);

    c.align(64);
    m_thunks_end = c.used();
    if (Xbyak::GetError())
        return Error::formatted("emitting the backend thunks failed: %s", Xbyak::ConvertErrorToString(Xbyak::GetError()));
    return {};
}

} // namespace keel::x64
