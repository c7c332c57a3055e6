#include "dbt/backend/x64/loop_registers.h"
#include "dbt/backend/x64/host_reg.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {
// Callee-saved, so calls out of the block (cold paths) keep them, and never a register an
// emitter asks for by name (RCX for shift counts, RDX for MUL/DIV).
constexpr HostReg loop_slot_regs[LoopRegisters::max_slots] = { R15, R14, R13, R12 };

struct Candidate {
    i32 offset;
    u32 uses;
    bool stored;
    bool unusable;
};
constexpr u32 max_candidates = 32;
} // namespace

i32 LoopRegisters::reg_for(i32 offset) const
{
    for (u32 i = 0; i < count; ++i) {
        if (slots[i].offset == offset)
            return slots[i].reg;
    }
    return -1;
}

void LoopRegisters::write_back(CodeBuffer& code) const
{
    for (u32 i = 0; i < count; ++i) {
        if (slots[i].stored)
            code.mov(qword[rbp + slots[i].offset], r64(slots[i].reg));
    }
}

void LoopRegisters::load(CodeBuffer& code) const
{
    for (u32 i = 0; i < count; ++i)
        code.mov(r64(slots[i].reg), qword[rbp + slots[i].offset]);
}

bool loops_on_itself(const ir::Block& block)
{
    const ir::Terminal& t = block.terminal;
    if (t.kind == ir::TerminalKind::Jump)
        return t.target == block.pc && t.hint == ir::ControlHint::None;
    if (t.kind == ir::TerminalKind::Branch)
        return t.target == block.pc || t.target_false == block.pc;
    return false;
}

LoopRegisters plan_loop_registers(const ir::Block& block, bool chain, bool icount)
{
    LoopRegisters plan;
    // icount charges each iteration at the block's entry, which the back edge skips.
    if (!chain || icount || !loops_on_itself(block))
        return plan;
    Candidate candidates[max_candidates];
    u32 n = 0;
    auto candidate = [&](i32 slot) -> Candidate* {
        for (u32 i = 0; i < n; ++i) {
            if (candidates[i].offset == slot)
                return &candidates[i];
        }
        if (n == max_candidates)
            return nullptr; // untracked: never chosen
        candidates[n] = Candidate { slot, 0, false, false };
        return &candidates[n++];
    };
    u32 floor = ~0u; // the lowest state offset a host instruction touches
    for (const ir::Inst& inst : block.insts) {
        if (inst.is_removed())
            continue;
        if (inst.op == ir::Opcode::HostInsn && ir::host_insn_state_floor(inst.args[0].imm_value())) {
            u32 f = ir::host_insn_state_floor(inst.args[0].imm_value());
            floor = f < floor ? f : floor;
            continue; // it leaves the state below its floor (and the slots' host registers) alone
        }
        if (inst.op == ir::Opcode::CallHelper || inst.op == ir::Opcode::HostInsn)
            return plan; // reads or writes guest state the IR does not name
        if (inst.op != ir::Opcode::LoadState && inst.op != ir::Opcode::StoreState)
            continue;
        i32 offset = static_cast<i32>(inst.args[0].imm_value());
        if (offset < 0)
            continue; // the engine's own fields, not architecture state
        bool store = inst.op == ir::Opcode::StoreState;
        u32 width = ir::byte_width(store ? inst.args[1].type() : inst.type);
        i32 slot = offset & ~7;
        Candidate* c = candidate(slot);
        if (!c)
            continue;
        ++c->uses;
        c->stored |= store;
        // Only whole-slot stores and loads of the slot's low bytes keep it a register.
        if (offset != slot || (store && width != 8))
            c->unusable = true;
        if (static_cast<u32>(offset - slot) + width > 8) {
            if (Candidate* next = candidate(slot + 8))
                next->unusable = true;
        }
    }
    // Untracked slots could overlap nothing tracked: an access's slots are both tracked
    // whenever the first is, except when the table filled up in between.
    if (n == max_candidates)
        return plan;
    for (u32 i = 0; i < n; ++i) {
        if (static_cast<u32>(candidates[i].offset) + 8 > floor)
            candidates[i].unusable = true; // a host instruction reads or writes it in the state
    }
    while (plan.count < LoopRegisters::max_slots) {
        Candidate* best = nullptr;
        for (u32 i = 0; i < n; ++i) {
            Candidate& c = candidates[i];
            if (!c.unusable && c.uses && (!best || c.uses > best->uses))
                best = &c;
        }
        if (!best)
            break;
        plan.slots[plan.count] = LoopSlot { best->offset, static_cast<u8>(loop_slot_regs[plan.count]), best->stored };
        ++plan.count;
        best->uses = 0; // taken
    }
    return plan;
}

} // namespace keel::x64
