// Emits one IR block: the entry check, each instruction through the emitter table, the
// terminal with its patchable exits, then the cold paths (docs/backend.md#block-layout).
#include "dbt/backend/x64/backend.h"
#include "dbt/backend/x64/cold_path.h"
#include "dbt/backend/x64/emit_scratch.h"
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

class BlockEmitter {
public:
    BlockEmitter(CodeBuffer& code, RegAlloc& ra, const Thunks& thunks, const ir::Block& block, TranslatedBlock& tb, const CompileOptions& options,
        EmitScratch& scratch)
        : m_code(code), m_ra(ra), m_thunks(thunks), m_block(block), m_tb(tb), m_options(options), m_cold(scratch.cold),
          m_helper_exit_sites(scratch.helper_exit_sites), m_lazy_cond(scratch.lazy_cond), m_value_used(scratch.value_used),
          m_upper_garbage(scratch.upper_garbage), m_flags_direct(scratch.flags_direct), m_unfusable(scratch.unfusable),
          m_other_user(scratch.other_user), m_last_consumer(scratch.last_consumer), m_store_user(scratch.store_user),
          m_flags_last(scratch.flags_last), m_elsewhere(scratch.emitted_elsewhere),
          m_page_roles(scratch.page_roles), m_address_roots(scratch.address_roots)
    {
        m_cold.clear();
        m_helper_exit_sites.clear();
    }

    void emit(u32 mmu_index);

private:
    void analyze();
    void emit_terminal(EmitContext& ctx);
    // The terminal of a block that keeps loop slots in registers: the back edge to just
    // past the slots' loads, every other way out through the slots' write-back.
    void emit_loop_terminal(EmitContext& ctx);
    // A Branch terminal's condition as an x86 condition code (host flags set for it).
    u8 branch_condition(EmitContext& ctx);
    void direct_exit(u8* site, u64 target, u8* check_site = nullptr);
    void emit_exit_stubs();
    // ctx.pc = pc (clobbers RAX when pc needs 64 bits).
    void store_pc(u64 pc);
    void emit_cold_path(const ColdPath& cold);
    void recompute_flags(const ColdWrite& w);
    // The fault stores of instruction `index`, with their values' current locations.
    void attach_fault_stores(u32 index, ColdPath& cold);
    ColdOperand locate(ir::Value value) const;
    // Flags `value` that only a fault needs and the cold path can recompute.
    bool recomputable_flags(ir::Value value) const;

    struct PendingExit {
        u8* site;       // the patchable jump
        u64 target;
        u8* check_site; // jump taken when exit_request is set (backward exits), or null
    };
    // A direct exit to `target`: for a backward target, first the exit_request check.
    void exit_jump(u64 target);
    void emit_predicted_call(EmitContext& ctx, const ir::Terminal& t);
    void emit_predicted_return(const ir::Terminal& t);
    bool is_backward(u64 target) const { return target <= m_block.pc; }

    CodeBuffer& m_code;
    RegAlloc& m_ra;
    const Thunks& m_thunks;
    const ir::Block& m_block;
    TranslatedBlock& m_tb;
    const CompileOptions& m_options;
    // Per-block working state, kept by the backend so blocks do not allocate.
    Vector<ColdPath>& m_cold;
    Vector<u8*>& m_helper_exit_sites;
    Vector<u8>& m_lazy_cond;
    Vector<u8>& m_value_used;
    Vector<u8>& m_upper_garbage;
    Vector<u8>& m_flags_direct; // FlagsOf stored straight from AX, and the StoreFlags it replaces
    Vector<u8>& m_unfusable;
    Vector<u8>& m_other_user;
    Vector<u32>& m_last_consumer;
    Vector<u32>& m_store_user;
    Vector<u32>& m_flags_last;
    Vector<u8>& m_elsewhere; // not emitted in place: by a cold path (flags only a fault needs) or by its only user
    Vector<u8>& m_page_roles; // shared page checks (shared_page_check.h)
    Vector<u32>& m_address_roots;
    LoopRegisters m_loop;     // state slots kept in host registers (loop_registers.h)
    const u8* m_loop_head = nullptr; // where the back edge continues: past the slots' loads
    PendingExit m_exits[3];
    u32 m_exit_count = 0;
    // exit_request checks of in-place exits: they leave through the interrupted thunk.
    struct CheckStub {
        u8* site;
        u64 target;
        bool write_back = false; // the loop slots first
    };
    CheckStub m_check_stubs[2];
    u32 m_check_stub_count = 0;
    struct DeferredBind {
        u8* site;
        u8* alias; // bind `site` wherever `alias` is bound
    };
    DeferredBind m_deferred_binds[2];
    u32 m_deferred_bind_count = 0;
};

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
            bool fusable = u ? (u->op == ir::Opcode::Select && arg == 0) : m_block.terminal.kind == ir::TerminalKind::Branch;
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

    // Fused conditions: evaluated by their user, which then needs the flags value alive.
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = m_block.insts[i];
        if (inst.op != ir::Opcode::TestCond || !inst.args[1].is_inst())
            continue;
        u32 f = inst.args[1].index();
        if (!m_value_used[i] || m_unfusable[i]) {
            m_other_user[f] = 1; // evaluated here: needs the flags in a register
            continue;
        }
        m_lazy_cond[i] = 1;
        m_ra.extend_last_use(f, m_last_consumer[i]);
        if (m_last_consumer[i] > m_flags_last[f])
            m_flags_last[f] = m_last_consumer[i];
    }

    // Captured flags that are only stored (and read by fused conditions while the host
    // flags still hold them) go straight from AX to the context: no register, no MOVZX.
    for (u32 i = 0; i < n; ++i) {
        if (m_block.insts[i].op != ir::Opcode::FlagsOf || !m_store_user[i] || m_other_user[i])
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
            m_flags_direct[i] = m_flags_direct[store] = 1;
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

ColdOperand BlockEmitter::locate(ir::Value value) const
{
    ColdOperand o {};
    if (value.is_imm()) {
        o.from = ColdOperand::From::Immediate;
        o.imm = value.imm_value();
    } else if (m_ra.reg_of(value) >= 0) {
        o.from = ColdOperand::From::Register;
        o.reg = static_cast<u8>(m_ra.reg_of(value));
    } else {
        o.from = ColdOperand::From::Spill;
        o.spill_offset = m_ra.spill_offset_of(value);
    }
    return o;
}

void BlockEmitter::attach_fault_stores(u32 index, ColdPath& cold)
{
    cold.write_count = 0;
    for (const ir::FaultStore& f : m_block.fault_stores) {
        if (f.fault_inst != index)
            continue;
        ColdWrite& w = cold.writes[cold.write_count++];
        w.offset = f.flags ? ctx_offset::flags : static_cast<i32>(f.offset);
        w.width = static_cast<u8>(f.flags ? 2 : ir::byte_width(f.value.type()));
        w.recompute = ir::Opcode::Deleted;
        if (f.value.is_inst() && m_elsewhere[f.value.index()]) {
            const ir::Inst& p = m_block.insts[m_block.insts[f.value.index()].args[0].index()];
            w.recompute = p.op;
            w.recompute_type = p.type;
            w.value = locate(p.args[0]);
            w.operand = locate(p.args[1]);
            if (p.args[1].is_imm())
                w.operand.imm = imm64_of(p.args[1]); // as the hot path encodes it
            continue;
        }
        w.value = locate(f.value);
    }
}

// The flags of `w.recompute` on its operands, as LAHF/SETO pack them, into AX (RAX is
// never allocated, docs/backend.md#registers). The same host instruction as the hot
// path's, so the flags are the same, the architecturally undefined ones included.
void BlockEmitter::recompute_flags(const ColdWrite& w)
{
    auto& c = m_code;
    ir::Type type = w.recompute_type;
    const ColdOperand& a = w.value;
    const ColdOperand& b = w.operand;
    if (a.from == ColdOperand::From::Immediate)
        c.mov(rax, a.imm);
    else if (a.from == ColdOperand::From::Register)
        c.mov(rax, r64(a.reg));
    else
        c.mov(rax, qword[rbp + a.spill_offset]);
    Xbyak::Reg dst = sized(RAX, type);
    auto spill = [&]() -> Xbyak::Address {
        switch (type) {
        case ir::Type::U8: return byte[rbp + b.spill_offset];
        case ir::Type::U16: return word[rbp + b.spill_offset];
        case ir::Type::U32: return dword[rbp + b.spill_offset];
        default: return qword[rbp + b.spill_offset];
        }
    };
    u32 imm = static_cast<u32>(b.imm); // imm32_of: attach_fault_stores sign-extended it
    using Op = ir::Opcode;
    switch (w.recompute) {
    case Op::Shl: c.shl(dst, static_cast<int>(b.imm & 0xFF)); break;
    case Op::Shr: c.shr(dst, static_cast<int>(b.imm & 0xFF)); break;
    case Op::Sar: c.sar(dst, static_cast<int>(b.imm & 0xFF)); break;
    case Op::Mul:
        if (b.from == ColdOperand::From::Immediate)
            c.imul(dst, dst, static_cast<int>(imm));
        else if (b.from == ColdOperand::From::Register)
            c.imul(dst, sized(b.reg, type));
        else
            c.imul(dst, spill());
        break;
    default: {
        using BinaryReg = void (CodeBuffer::*)(const Xbyak::Operand&, const Xbyak::Operand&);
        using BinaryImm = void (CodeBuffer::*)(const Xbyak::Operand&, uint32_t);
        BinaryReg op_reg = &Xbyak::CodeGenerator::add;
        BinaryImm op_imm = &Xbyak::CodeGenerator::add;
        switch (w.recompute) {
        case Op::Sub: op_reg = &Xbyak::CodeGenerator::sub, op_imm = &Xbyak::CodeGenerator::sub; break;
        case Op::And: op_reg = &Xbyak::CodeGenerator::and_, op_imm = &Xbyak::CodeGenerator::and_; break;
        case Op::Or: op_reg = &Xbyak::CodeGenerator::or_, op_imm = &Xbyak::CodeGenerator::or_; break;
        case Op::Xor: op_reg = &Xbyak::CodeGenerator::xor_, op_imm = &Xbyak::CodeGenerator::xor_; break;
        default: VERIFY(w.recompute == Op::Add);
        }
        if (b.from == ColdOperand::From::Immediate)
            (c.*op_imm)(dst, imm);
        else if (b.from == ColdOperand::From::Register)
            (c.*op_reg)(dst, sized(b.reg, type));
        else
            (c.*op_reg)(dst, spill());
    }
    }
    c.lahf();
    c.seto(al);
}

void BlockEmitter::emit_cold_path(const ColdPath& cold)
{
    auto& c = m_code;
    CodeBuffer::bind(cold.entry_site, c.cursor());
    // The loop slots, then the deferred state writes (which may overwrite a slot with the
    // value a later StoreState will give it): the guest state must be exact if this faults.
    m_loop.write_back(c);
    if (cold.drop_shared_page)
        c.mov(r64(shared_page_reg), shared_page_none);
    for (u8 i = 0; i < cold.write_count; ++i) {
        const ColdWrite& w = cold.writes[i];
        auto target = [&](u8 width) -> Xbyak::Address {
            switch (width) {
            case 1: return byte[rbp + w.offset];
            case 2: return word[rbp + w.offset];
            case 4: return dword[rbp + w.offset];
            default: return qword[rbp + w.offset];
            }
        };
        u8 reg = w.value.reg;
        if (w.recompute != ir::Opcode::Deleted) {
            recompute_flags(w);
            reg = RAX;
        } else if (w.value.from == ColdOperand::From::Immediate) {
            u64 value = w.value.imm;
            i64 sign_extended = w.width == 8 ? static_cast<i64>(value) : static_cast<i64>(static_cast<i32>(value));
            if (w.width < 8 || sign_extended == static_cast<i32>(sign_extended)) {
                c.mov(target(w.width), static_cast<u64>(w.width == 8 ? sign_extended : static_cast<i64>(value & 0xFFFFFFFF)));
                continue;
            }
            c.mov(rax, value);
            reg = RAX;
        } else if (w.value.from == ColdOperand::From::Spill) {
            c.mov(rax, qword[rbp + w.value.spill_offset]);
            reg = RAX;
        }
        c.mov(target(w.width), w.width == 1 ? static_cast<Xbyak::Reg>(r8(reg)) : w.width == 2 ? static_cast<Xbyak::Reg>(r16(reg))
                                             : w.width == 4                 ? static_cast<Xbyak::Reg>(r32(reg))
                                                                            : static_cast<Xbyak::Reg>(r64(reg)));
    }
    c.call(m_thunks.cold);
    ColdDescriptor d {};
    u8* at = c.cursor();
    d.pc_offset = static_cast<u32>(cold.guest_pc - m_block.pc);
    d.resume_delta = static_cast<i32>(cold.resume - at);
    d.block = reinterpret_cast<u64>(&m_tb);
    usize size = cold_descriptor_size;
    switch (cold.kind) {
    case ColdPath::Kind::Load:
        d.kind = ColdDescriptor::Load;
        d.a = cold.addr_reg;
        d.b = cold.result_reg;
        d.size = cold.size;
        d.flags = cold.access_flags;
        break;
    case ColdPath::Kind::Store:
        d.kind = ColdDescriptor::Store;
        d.a = cold.addr_reg;
        d.b = cold.value_reg >= 0 ? static_cast<u8>(cold.value_reg) : no_register;
        d.size = cold.size;
        d.flags = cold.access_flags;
        if (cold.value_reg < 0) {
            d.imm = cold.value_imm;
            size = cold_descriptor_size_with_imm;
        }
        break;
    case ColdPath::Kind::Raise:
        d.kind = ColdDescriptor::Raise;
        d.imm = cold.value_imm;
        size = cold_descriptor_size_with_imm;
        break;
    case ColdPath::Kind::Divide:
        d.kind = ColdDescriptor::Divide;
        d.a = cold.hi_reg;
        d.b = cold.lo_reg;
        d.c = cold.divisor_reg;
        d.d = cold.result_reg;
        d.size = static_cast<u8>(cold.size | (cold.is_signed ? 0x80 : 0));
        break;
    }
    const u8* bytes = reinterpret_cast<const u8*>(&d);
    for (usize i = 0; i < size; ++i)
        c.db(bytes[i]);
}

void BlockEmitter::direct_exit(u8* site, u64 target, u8* check_site)
{
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
    ExitSlot& slot = m_tb.exits[m_tb.exit_count++];
    c.call(m_thunks.chain);
    slot = ExitSlot { &m_tb, target, c.cursor() - 4, const_cast<u8*>(m_thunks.chain), nullptr, nullptr, true };
    c.dq(reinterpret_cast<u64>(&slot));
    if (check)
        m_check_stubs[m_check_stub_count++] = { check, target };
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

void BlockEmitter::emit(u32 mmu_index)
{
    auto& c = m_code;
    m_tb.code = c.cursor();
    m_ra.begin_block(m_block);
    analyze();
    m_loop = plan_loop_registers(m_block, m_options.chain, m_options.icount);
    m_tb.loop_slots = static_cast<u8>(m_loop.count);
    if (plan_shared_page_checks(m_block, m_page_roles, m_address_roots)) {
        m_ra.reserve(shared_page_reg);
        m_ra.reserve(shared_addend_reg);
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

    // Cold code, out of the hot path's way.
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

} // namespace

// Implemented here so the per-block scratch state stays private to this file.
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
