// Emits one IR block: the entry check, each instruction through the emitter table, the
// terminal with its patchable exits, then the cold paths (docs/backend.md#block-layout).
#include "dbt/backend/x64/backend.h"
#include "dbt/backend/x64/divide_helpers.h"
#include "dbt/backend/x64/emitters.h"
#include "dbt/mmu/mmu.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {

using EmitFunction = void (*)(EmitContext&);

// Generated from the opcode table: an opcode without an emitter does not compile.
constexpr EmitFunction emit_table[] = {
#define OPCODE(name, ...) &emit<ir::Opcode::name>,
#include "dbt/ir/opcodes.inc"
#undef OPCODE
};
static_assert(sizeof(emit_table) / sizeof(emit_table[0]) == ir::opcode_count);

// Instructions whose code leaves the host flags untouched (MOV/MOVZX/LAHF/SETcc only).
bool preserves_host_flags(const ir::Inst& inst)
{
    switch (inst.op) {
    case ir::Opcode::Identity:
    case ir::Opcode::SecondOf:
    case ir::Opcode::LoadState:
    case ir::Opcode::StoreState:
    case ir::Opcode::LoadFlags:
    case ir::Opcode::ZeroExtend:
    case ir::Opcode::SignExtend:
        return inst.op != ir::Opcode::SignExtend || inst.args[0].type() != ir::Type::U1;
    case ir::Opcode::Truncate:
        return inst.type != ir::Type::U1;
    case ir::Opcode::StoreFlags:
        return inst.args[1].imm_value() == ir::flag::All;
    case ir::Opcode::TestCond:
        return true;
    default:
        return false;
    }
}

class BlockEmitter {
public:
    BlockEmitter(CodeBuffer& code, RegAlloc& ra, const Thunks& thunks, const ir::Block& block, TranslatedBlock& tb, const CompileOptions& options)
        : m_code(code), m_ra(ra), m_thunks(thunks), m_block(block), m_tb(tb), m_options(options)
    {
    }

    void emit(u32 mmu_index);

private:
    void analyze();
    void emit_terminal(EmitContext& ctx);
    void direct_exit(u8* site, u64 target);
    void emit_exit_stubs();
    void emit_cold_path(const ColdPath& cold);
    // Reads/writes a register as it was when the cold path saved the caller-saved ones.
    void load_saved(const Xbyak::Reg64& to, u8 reg);
    void set_saved(u8 reg, const Xbyak::Reg64& from);
    void call(const void* function);

    struct PendingExit {
        u8* site;
        u64 target;
    };

    CodeBuffer& m_code;
    RegAlloc& m_ra;
    const Thunks& m_thunks;
    const ir::Block& m_block;
    TranslatedBlock& m_tb;
    const CompileOptions& m_options;
    Vector<ColdPath> m_cold;
    Vector<u8*> m_helper_exit_sites;
    Vector<u8> m_lazy_cond;
    Vector<u8> m_value_used;
    PendingExit m_exits[2];
    u32 m_exit_count = 0;
};

void BlockEmitter::analyze()
{
    u32 n = static_cast<u32>(m_block.insts.size());
    m_lazy_cond.clear();
    m_lazy_cond.resize(n);
    m_value_used.clear();
    m_value_used.resize(n);
    Vector<u8> unfusable;
    unfusable.resize(n);
    Vector<u32> last_consumer;
    last_consumer.resize(n);
    auto note_use = [&](ir::Value v, u32 user, bool pseudo_link, bool fusable_slot) {
        if (!v.is_inst())
            return;
        u32 d = v.index();
        if (!pseudo_link)
            m_value_used[d] = 1;
        if (m_block.insts[d].op == ir::Opcode::TestCond) {
            if (fusable_slot)
                last_consumer[d] = user;
            else
                unfusable[d] = 1;
        }
    };
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.op == ir::Opcode::Identity)
            continue;
        for (unsigned k = 0; k < 4; ++k)
            note_use(inst.args[k], i, inst.has(ir::attr::Pseudo) && k == 0, inst.op == ir::Opcode::Select && k == 0);
    }
    const ir::Terminal& t = m_block.terminal;
    note_use(t.value, n, false, t.kind == ir::TerminalKind::Branch);
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.op != ir::Opcode::TestCond || !m_value_used[i] || unfusable[i] || !inst.args[1].is_inst())
            continue;
        // Fused: evaluated by its user, which then needs the flags value alive.
        m_lazy_cond[i] = 1;
        m_ra.extend_last_use(inst.args[1].index(), last_consumer[i]);
    }
}

void BlockEmitter::load_saved(const Xbyak::Reg64& to, u8 reg)
{
    for (unsigned k = 0; k < 8; ++k) {
        if (cold_saved[k] == reg) {
            m_code.mov(to, qword[rsp + static_cast<i32>(8 * (7 - k))]);
            return;
        }
    }
    m_code.mov(to, r64(reg));
}

void BlockEmitter::set_saved(u8 reg, const Xbyak::Reg64& from)
{
    for (unsigned k = 0; k < 8; ++k) {
        if (cold_saved[k] == reg) {
            m_code.mov(qword[rsp + static_cast<i32>(8 * (7 - k))], from);
            return;
        }
    }
    m_code.mov(r64(reg), from);
}

void BlockEmitter::call(const void* function)
{
    m_code.lea(rdi, ptr[rbp - ctx_offset::base]);
    m_code.mov(rax, reinterpret_cast<u64>(function));
    m_code.call(rax);
}

void BlockEmitter::emit_cold_path(const ColdPath& cold)
{
    auto& c = m_code;
    CodeBuffer::bind(cold.entry_site, c.cursor());
    // The guest pc (for a fault) and the running block (for self-modifying code checks).
    i64 pc = static_cast<i64>(cold.guest_pc);
    if (pc == static_cast<i32>(pc))
        c.mov(qword[rbp + ctx_offset::pc], static_cast<i32>(pc));
    else {
        c.mov(rax, cold.guest_pc);
        c.mov(qword[rbp + ctx_offset::pc], rax);
    }
    c.mov(rax, reinterpret_cast<u64>(&m_tb));
    c.mov(qword[rbp + ctx_offset::current_block], rax);
    for (HostReg r : cold_saved)
        c.push(r64(r));
    switch (cold.kind) {
    case ColdPath::Kind::Load:
        load_saved(rsi, cold.addr_reg);
        c.mov(edx, cold.info);
        call(reinterpret_cast<const void*>(&Mmu::load_slow));
        c.test(rdx, rdx);
        m_helper_exit_sites.append(c.jcc_rel32_placeholder(cc::NE));
        set_saved(cold.result_reg, rax);
        break;
    case ColdPath::Kind::Store:
        load_saved(rsi, cold.addr_reg);
        if (cold.value_reg >= 0)
            load_saved(rdx, static_cast<u8>(cold.value_reg));
        else
            c.mov(rdx, cold.value_imm);
        c.mov(ecx, cold.info);
        call(reinterpret_cast<const void*>(&Mmu::store_slow));
        c.test(rdx, rdx);
        m_helper_exit_sites.append(c.jcc_rel32_placeholder(cc::NE));
        break;
    case ColdPath::Kind::Divide:
        load_saved(rsi, cold.hi_reg);
        load_saved(rdx, cold.lo_reg);
        load_saved(rcx, cold.divisor_reg);
        call(reinterpret_cast<const void*>(divide_helper(cold.size, cold.is_signed)));
        c.test(rdx, rdx);
        m_helper_exit_sites.append(c.jcc_rel32_placeholder(cc::NE));
        set_saved(cold.result_reg, rax);
        c.mov(rax, qword[rbp + ctx_offset::scratch]); // remainder
        set_saved(RDX, rax);
        break;
    }
    for (unsigned k = 8; k-- > 0;)
        c.pop(r64(cold_saved[k]));
    c.jmp(cold.resume);
}

void BlockEmitter::direct_exit(u8* site, u64 target)
{
    m_exits[m_exit_count++] = { site, target };
}

void BlockEmitter::emit_exit_stubs()
{
    auto& c = m_code;
    u64 block_page = m_block.pc & guest_page_mask;
    for (u32 i = 0; i < m_exit_count; ++i) {
        const PendingExit& e = m_exits[i];
        u8* stub = c.cursor();
        CodeBuffer::bind(e.site, stub);
        i64 pc = static_cast<i64>(e.target);
        if (pc == static_cast<i32>(pc))
            c.mov(qword[rbp + ctx_offset::pc], static_cast<i32>(pc));
        else {
            c.mov(rax, e.target);
            c.mov(qword[rbp + ctx_offset::pc], rax);
        }
        if (!m_options.chain) {
            c.mov(eax, static_cast<u32>(RunExit::Dispatch));
            c.jmp(m_thunks.exit);
            continue;
        }
        // Only exits within the block's guest page are chained (as QEMU does): the
        // mapping of another page may change without this block being retranslated.
        if ((e.target & guest_page_mask) != block_page) {
            c.jmp(m_thunks.lookup);
            continue;
        }
        ExitSlot& slot = m_tb.exits[m_tb.exit_count++];
        slot = ExitSlot { &m_tb, e.target, e.site, stub, nullptr, nullptr, true };
        c.mov(rax, reinterpret_cast<u64>(&slot));
        c.mov(qword[rbp + ctx_offset::exit_slot], rax);
        c.mov(eax, static_cast<u32>(RunExit::Chain));
        c.jmp(m_thunks.exit);
    }
}

void BlockEmitter::emit_terminal(EmitContext& ctx)
{
    auto& c = m_code;
    const ir::Terminal& t = m_block.terminal;
    switch (t.kind) {
    case ir::TerminalKind::Jump:
        direct_exit(c.jmp_rel32_placeholder(), t.target);
        break;
    case ir::TerminalKind::Branch: {
        u8 condition;
        if (t.value.is_inst() && m_lazy_cond[t.value.index()]) {
            condition = ctx.fused_condition(t.value);
        } else {
            u8 r = m_ra.use(t.value);
            c.test(r8(r), r8(r));
            condition = cc::NE;
        }
        direct_exit(c.jcc_rel32_placeholder(condition), t.target);
        direct_exit(c.jmp_rel32_placeholder(), t.target_false);
        break;
    }
    case ir::TerminalKind::JumpIndirect: {
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

void BlockEmitter::emit(u32 mmu_index)
{
    auto& c = m_code;
    m_tb.code = c.cursor();
    m_ra.begin_block(m_block);
    analyze();

    // Entry: leave at once if the engine asked (interrupts, device events, shutdown).
    c.cmp(dword[rbp + ctx_offset::exit_request], 0);
    u8* interrupted = c.jcc_rel32_placeholder(cc::NE);

    EmitContext ctx { c, m_ra, m_block, m_tb, m_thunks, m_cold, m_helper_exit_sites, m_lazy_cond, m_value_used, mmu_index };
    for (u32 i = 0; i < m_block.insts.size(); ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.op == ir::Opcode::Identity)
            continue;
        ctx.index = i;
        m_ra.begin_inst(i);
        ctx.flags_after = preserves_host_flags(inst) ? ctx.host_flags : -1;
        emit_table[static_cast<unsigned>(inst.op)](ctx);
        ctx.host_flags = ctx.flags_after;
        m_ra.end_inst();
    }
    ctx.index = static_cast<u32>(m_block.insts.size());
    m_ra.begin_inst(ctx.index);
    emit_terminal(ctx);

    // Cold code, out of the hot path's way.
    for (const ColdPath& cold : m_cold)
        emit_cold_path(cold);
    CodeBuffer::bind(interrupted, c.cursor());
    i64 pc = static_cast<i64>(m_block.pc);
    if (pc == static_cast<i32>(pc))
        c.mov(qword[rbp + ctx_offset::pc], static_cast<i32>(pc));
    else {
        c.mov(rax, m_block.pc);
        c.mov(qword[rbp + ctx_offset::pc], rax);
    }
    c.mov(eax, static_cast<u32>(RunExit::Interrupted));
    c.jmp(m_thunks.exit);
    if (!m_helper_exit_sites.is_empty()) {
        u8* stub = c.cursor();
        for (u8* site : m_helper_exit_sites)
            CodeBuffer::bind(site, stub);
        c.mov(eax, static_cast<u32>(RunExit::HelperExit));
        c.jmp(m_thunks.exit);
    }
    emit_exit_stubs();
    m_tb.code_size = static_cast<u32>(c.cursor() - m_tb.code);
}

} // namespace

// Implemented here so the per-block scratch state stays private to this file.
CompileStatus compile_block(CodeBuffer& code, RegAlloc& ra, const Thunks& thunks, const ir::Block& block, TranslatedBlock& tb,
    const CompileOptions& options, u32 mmu_index)
{
    if (code.remaining() < max_block_code_bytes)
        return CompileStatus::CacheFull;
    usize start = code.used();
    Xbyak::ClearError();
    BlockEmitter emitter(code, ra, thunks, block, tb, options);
    emitter.emit(mmu_index);
    if (int error = Xbyak::GetError()) {
        code.rewind_to(start);
        Xbyak::ClearError();
        if (error == Xbyak::ERR_CODE_IS_TOO_BIG)
            return CompileStatus::CacheFull;
        PANIC("x64 backend: xbyak error %d (%s) in block 0x%llx", error, Xbyak::ConvertErrorToString(error), (unsigned long long)block.pc);
    }
    return CompileStatus::Ok;
}

} // namespace keel::x64
