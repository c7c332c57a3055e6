// Emits one IR block: the entry check, each instruction through the emitter table, the
// terminal with its patchable exits, then the cold paths (docs/backend.md#block-layout).
#include "dbt/backend/x64/block_emitter.h"
#include "dbt/backend/x64/emitters.h"

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

} // namespace

// One pass over the uses of every value, then the decisions that depend on them: which
// TestConds are fused into their users, which FlagsOf go straight to the context.
void BlockEmitter::analyze()
{
    u32 n = static_cast<u32>(m_block.insts.size());
    auto reset = [n](auto& v) {
        v.clear();
        v.resize(n);
    };
    reset(m_lazy_cond);
    reset(m_value_used);
    reset(m_upper_garbage);
    reset(m_flags_direct);
    reset(m_unfusable);
    reset(m_last_consumer);
    reset(m_store_user);
    reset(m_other_user);
    reset(m_flags_last);
    reset(m_elsewhere);

    auto note_use = [&](ir::Value v, u32 user, unsigned arg) {
        if (!v.is_inst())
            return;
        u32 d = v.index();
        const ir::Inst* u = user < n ? &m_block.insts[user] : nullptr;
        if (!(u && u->has(ir::attr::Pseudo) && arg == 0) && m_value_used[d] < 255)
            m_value_used[d]++; // a count, saturating: TrapIf fusion wants single users
        ir::Opcode def = m_block.insts[d].op;
        if (def == ir::Opcode::TestCond) {
            bool fusable = u ? ((u->op == ir::Opcode::Select || u->op == ir::Opcode::ExitIf) && arg == 0)
                             : m_block.terminal.kind == ir::TerminalKind::Branch;
            if (fusable)
                m_last_consumer[d] = user;
            else
                m_unfusable[d] = 1;
        } else if (def == ir::Opcode::FlagsOf) {
            if (u && u->op == ir::Opcode::StoreFlags && arg == 0 && u->args[1].imm_value() == ir::flag::All && !m_store_user[d])
                m_store_user[d] = user + 1; // 1-based: 0 means none
            else if (!(u && u->op == ir::Opcode::TestCond))
                m_other_user[d] = 1;
        }
    };
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.is_removed())
            continue;
        for (unsigned k = 0; k < 4; ++k)
            note_use(inst.args[k], i, k);
    }
    note_use(m_block.terminal.value, n, 0);
    // Values of fault stores must survive until their fault point. Flags nothing but a
    // fault needs are recomputed by the cold path from their operation's operands, which
    // must survive instead; the hot path then neither captures them nor, if its result is
    // unused too, performs the operation at all.
    for (const ir::FaultStore& f : m_block.fault_stores) {
        if (!f.value.is_inst())
            continue;
        u32 d = f.value.index();
        if (f.flags && recomputable_flags(f.value)) {
            m_elsewhere[d] = 1;
            u32 producer = m_block.insts[d].args[0].index();
            for (unsigned k = 0; k < 2; ++k) {
                if (m_block.insts[producer].args[k].is_inst())
                    m_ra.extend_last_use(m_block.insts[producer].args[k].index(), f.fault_inst);
            }
            continue;
        }
        m_ra.extend_last_use(d, f.fault_inst);
        m_other_user[d] = 1;
        // A use like any other for the emitters that skip unused results (a SUB whose
        // flags alone are read becomes a CMP): the fault path needs the value itself.
        if (m_value_used[d] < 255)
            m_value_used[d]++;
    }
    // A producer nothing else reads, in the block or in a fault's state (m_other_user, set
    // above for every fault store's value), is not performed on the hot path.
    for (const ir::FaultStore& f : m_block.fault_stores) {
        if (!f.value.is_inst() || !m_elsewhere[f.value.index()])
            continue;
        u32 producer = m_block.insts[f.value.index()].args[0].index();
        if (!m_value_used[producer] && !m_other_user[producer])
            m_elsewhere[producer] = 1;
    }

    // "Trap if a != b" arrives as TrapIf(Xor(Equal(a, b), 1)) (alignment and canonical
    // address checks): when the TrapIf is the compare's only user, it emits CMP (or TEST
    // for an AND with a constant compared with 0) and the jump itself.
    auto only_here = [&](u32 v) { return m_value_used[v] == 1 && !m_other_user[v]; };
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& trap = m_block.insts[i];
        if (trap.is_removed() || trap.op != ir::Opcode::TrapIf || !trap.args[0].is_inst())
            continue;
        u32 cond = trap.args[0].index();
        u32 equal = cond;
        const ir::Inst& c = m_block.insts[cond];
        if (c.op == ir::Opcode::Xor && c.args[0].is_inst() && c.args[1].is_imm() && c.args[1].imm_value() == 1)
            equal = c.args[0].index();
        const ir::Inst& e = m_block.insts[equal];
        if (e.op != ir::Opcode::Equal || !only_here(cond) || !only_here(equal) || !e.args[0].is_inst())
            continue; // not the pattern, or a constant on the left: the plain path
        m_elsewhere[cond] = m_elsewhere[equal] = 1;
        ir::Value a = e.args[0], b = e.args[1];
        const ir::Inst& masked = m_block.insts[a.index()];
        if (b.is_imm() && b.imm_value() == 0 && only_here(a.index()) && masked.op == ir::Opcode::And && masked.args[0].is_inst()
            && fits_imm32(masked.args[1])) {
            m_elsewhere[a.index()] = 1;
            a = masked.args[0];
        }
        for (ir::Value v : {a, b}) {
            if (v.is_inst())
                m_ra.extend_last_use(v.index(), i);
        }
    }

    // Flags read by TestConds alone (no store, no fault path, no carry-in) may need no
    // capture at all: candidates now, confirmed below once their conditions' evaluation
    // points are known.
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.op == ir::Opcode::FlagsOf && !m_other_user[i] && !m_store_user[i] && !m_elsewhere[i])
            m_flags_direct[i] = NoCapture;
    }
    // Fused conditions: evaluated by their user, which then needs the flags value alive.
    // m_flags_last: where the last condition on each flags value is evaluated.
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.op != ir::Opcode::TestCond || !inst.args[1].is_inst())
            continue;
        u32 f = inst.args[1].index();
        if (!m_value_used[i] || m_unfusable[i]) {
            m_other_user[f] = 1; // evaluated here: needs the flags in a register, unless still in EFLAGS
            if (i > m_flags_last[f])
                m_flags_last[f] = i;
            continue;
        }
        m_lazy_cond[i] = 1;
        m_ra.extend_last_use(f, m_last_consumer[i]);
        if (m_last_consumer[i] >= n)
            m_flags_direct[f] = CaptureToRegister; // the terminal's code before its jump is not checked here
        if (m_last_consumer[i] > m_flags_last[f])
            m_flags_last[f] = m_last_consumer[i];
    }
    // A CMP and the CMOVcc or SETcc after it: nothing in between changes host EFLAGS, so
    // every condition finds the flags there and the LAHF/SETO/MOVZX capture is not needed
    // (the fault paths never read these flags: a fault store would have made them a
    // register's).
    for (u32 i = 0; i < n; ++i) {
        if (m_flags_direct[i] != NoCapture || m_block.insts[i].op != ir::Opcode::FlagsOf)
            continue;
        for (u32 k = i + 1; k < m_flags_last[i]; ++k) {
            const ir::Inst& between = m_block.insts[k];
            // A CMOVcc on these same flags leaves them (another's restores its own first).
            bool cmov_on_these = between.op == ir::Opcode::Select && between.args[0].is_inst() && m_lazy_cond[between.args[0].index()]
                && m_block.at(between.args[0]).args[1] == ir::Value::of_inst(ir::Type::Flags, i);
            if (!between.is_removed() && !m_elsewhere[k] && !preserves_host_flags(between) && !cmov_on_these) {
                m_flags_direct[i] = CaptureToRegister;
                break;
            }
        }
    }

    // Captured flags that are only stored (and read by fused conditions while the host
    // flags still hold them) go straight from AX to the context: no register, no MOVZX.
    for (u32 i = 0; i < n; ++i) {
        if (m_block.insts[i].op != ir::Opcode::FlagsOf || !m_store_user[i] || m_other_user[i] || m_flags_direct[i] == NoCapture)
            continue;
        u32 store = m_store_user[i] - 1;
        u32 last = store > m_flags_last[i] ? store : m_flags_last[i];
        // Nothing in between may change the host flags, read the stored flags, or observe
        // the state before the store (the store moves up to the capture).
        bool ok = true;
        for (u32 k = i + 1; k < last && k < n && ok; ++k) {
            const ir::Inst& between = m_block.insts[k];
            if (k == store || between.is_removed() || m_elsewhere[k])
                continue; // emits nothing here
            ok = preserves_host_flags(between) && between.op != ir::Opcode::LoadFlags && between.op != ir::Opcode::StoreFlags;
        }
        if (ok)
            m_flags_direct[i] = m_flags_direct[store] = CaptureToContext;
    }
}

bool BlockEmitter::recomputable_flags(ir::Value value) const
{
    const ir::Inst& flags = m_block.insts[value.index()];
    if (flags.op != ir::Opcode::FlagsOf || m_value_used[value.index()] || !flags.args[0].is_inst())
        return false;
    const ir::Inst& p = m_block.insts[flags.args[0].index()];
    if (p.type == ir::Type::U1 || !(p.args[0].is_inst() || p.args[0].is_imm()))
        return false;
    switch (p.op) {
    case ir::Opcode::Add:
    case ir::Opcode::Sub:
    case ir::Opcode::And:
    case ir::Opcode::Or:
    case ir::Opcode::Xor:
        return p.args[1].is_inst() || fits_imm32(p.args[1]);
    case ir::Opcode::Mul: // IMUL has no 8-bit two-operand form
        return p.type != ir::Type::U8 && (p.args[1].is_inst() || fits_imm32(p.args[1]));
    case ir::Opcode::Shl:
    case ir::Opcode::Shr:
    case ir::Opcode::Sar: {
        // A count of 0 leaves the flags as they were: only constant non-zero counts.
        unsigned mask = p.type == ir::Type::U64 ? 63 : 31;
        return p.args[2].is_none() && p.args[1].is_imm() && (p.args[1].imm_value() & mask) != 0;
    }
    default:
        return false;
    }
}

void BlockEmitter::emit(u32 mmu_index)
{
    auto& c = m_code;
    m_tb.code = c.cursor();
    m_ra.begin_block(m_block);
    analyze();
    m_loop = plan_loop_registers(m_block, m_options.chain, m_options.icount);
    m_tb.loop_slots = static_cast<u8>(m_loop.count);
    SharedPagePlan shared_pages = plan_shared_page_checks(m_block, m_loop.active(), m_page_roles, m_address_roots);
    for (u32 p = 0; p < shared_pair_count; ++p) {
        if (shared_pages.pairs & (1u << p)) {
            m_ra.reserve(shared_pairs[p].page);
            m_ra.reserve(shared_pairs[p].addend);
        }
    }
    for (u32 i = 0; i < m_loop.count; ++i)
        m_ra.reserve(m_loop.slots[i].reg);
    u8* budget_spent = nullptr;
    if (m_options.icount) {
        // Deterministic time: a block starts only while the instruction budget is
        // positive (so the dispatcher's first block always runs), then spends its count.
        // Every cycle of guest code passes a block entry, so no other check is needed.
        c.cmp(qword[rbp + ctx_offset::icount_budget], 0);
        budget_spent = c.jcc_rel32_placeholder(cc::LE);
        c.sub(qword[rbp + ctx_offset::icount_budget], static_cast<i32>(m_tb.guest_insn_count));
    }
    m_loop.load(c);
    for (u32 p = 0; p < shared_pair_count && m_loop.active(); ++p) {
        if (shared_pages.loop_pairs & (1u << p))
            c.mov(r64(shared_pairs[p].page), shared_page_none); // the first iteration's loop leader refills V
    }
    m_loop_head = c.cursor();

    EmitContext ctx { c, m_ra, m_block, m_tb, m_thunks, m_cold, m_helper_exit_sites, m_lazy_cond, m_value_used, m_upper_garbage, m_flags_direct, m_elsewhere, m_loop, m_page_roles, mmu_index };
    for (u32 i = 0; i < m_block.insts.size(); ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.is_deleted() || m_elsewhere[i])
            continue;
        ctx.index = i;
        m_ra.begin_inst(i);
        ctx.flags_after = preserves_host_flags(inst) ? ctx.host_flags : -1;
        u32 cold_before = static_cast<u32>(m_cold.size());
        emit_table[static_cast<unsigned>(inst.op)](ctx);
        ctx.host_flags = ctx.flags_after;
        if (m_cold.size() > cold_before)
            attach_fault_stores(i, m_cold.last());
        m_ra.end_inst();
    }
    ctx.index = static_cast<u32>(m_block.insts.size());
    m_ra.begin_inst(ctx.index);
    if (m_loop.active())
        emit_loop_terminal(ctx);
    else
        emit_terminal(ctx);

    // Cold code, out of the hot path's way, after the block slot its descriptors share.
    m_block_slot = nullptr;
    m_keeps_xmm = false;
    for (u32 i = 0; i < m_block.insts.size() && !m_cold.is_empty() && !m_keeps_xmm; ++i)
        m_keeps_xmm = m_block.insts[i].op == ir::Opcode::HostInsn && !m_block.insts[i].is_removed();
    if (!m_cold.is_empty()) {
        m_block_slot = c.cursor();
        c.dq(reinterpret_cast<u64>(&m_tb));
    }
    for (const ColdPath& cold : m_cold)
        emit_cold_path(cold);
    for (u8* site : m_helper_exit_sites)
        CodeBuffer::bind(site, m_thunks.helper_exit);
    emit_exit_stubs();
    if (budget_spent) { // back to the dispatcher before the block runs: pc is its start
        CodeBuffer::bind(budget_spent, c.cursor());
        store_pc(m_block.pc);
        c.jmp(m_thunks.interrupted);
    }
    m_tb.code_size = static_cast<u32>(c.cursor() - m_tb.code);
}

CompileStatus compile_block(CodeBuffer& code, RegAlloc& ra, const Thunks& thunks, const ir::Block& block, TranslatedBlock& tb,
    const CompileOptions& options, u32 mmu_index, EmitScratch& scratch)
{
    if (code.remaining() < max_block_code_bytes)
        return CompileStatus::CacheFull;
    tb.mmu_index = mmu_index;
    usize start = code.used();
    Xbyak::ClearError();
    BlockEmitter emitter(code, ra, thunks, block, tb, options, scratch);
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
