#include "dbt/backend/x64/reg_alloc.h"
#include "dbt/runtime/run_context.h"

namespace keel::x64 {

using namespace Xbyak::util;

void RegAlloc::begin_block(const ir::Block& block)
{
    m_block = &block;
    u32 n = static_cast<u32>(block.insts.size());
    m_last_use.clear();
    m_last_use.resize(n);
    m_loc.clear();
    m_loc.resize(n);
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = block.insts[i];
        if (inst.is_removed())
            continue;
        for (const ir::Value& arg : inst.args) {
            if (arg.is_inst())
                m_last_use[arg.index()] = i;
        }
    }
    if (block.terminal.value.is_inst())
        m_last_use[block.terminal.value.index()] = n; // used by the terminal, after every instruction
    for (RegState& r : m_regs)
        r = RegState {};
    m_slot_busy = 0;
    m_slots_high_water = 0;
    m_current = 0;
}

void RegAlloc::extend_last_use(u32 value, u32 until)
{
    if (m_last_use[value] < until)
        m_last_use[value] = until;
}

i32 RegAlloc::spill_offset(i16 slot) const { return ctx_offset::spill + slot * 8; }

void RegAlloc::spill(u8 reg)
{
    RegState& r = m_regs[reg];
    VERIFY(r.value >= 0 && !r.locked);
    Location& loc = m_loc[r.value];
    if (loc.slot < 0) {
        VERIFY(m_slot_busy != ~0ull); // 64 simultaneously spilled values: cannot happen with capped blocks
        i16 slot = static_cast<i16>(__builtin_ctzll(~m_slot_busy));
        m_slot_busy |= 1ull << slot;
        if (static_cast<u32>(slot) + 1 > m_slots_high_water)
            m_slots_high_water = slot + 1;
        loc.slot = slot;
        m_slot_value[slot] = r.value;
        m_code.mov(qword[rbp + spill_offset(slot)], r64(reg));
    }
    loc.reg = -1;
    r.value = -1;
}

u8 RegAlloc::allocate()
{
    for (u8 reg : allocation_order) {
        const RegState& r = m_regs[reg];
        if (r.value < 0 && !r.locked && !r.scratch && !r.reserved)
            return reg;
    }
    // Spill the value whose last use is farthest away.
    i32 victim = -1;
    u32 farthest = 0;
    for (u8 reg : allocation_order) {
        const RegState& r = m_regs[reg];
        if (r.locked || r.scratch || r.value < 0 || r.reserved)
            continue;
        if (victim < 0 || m_last_use[r.value] > farthest) {
            victim = reg;
            farthest = m_last_use[r.value];
        }
    }
    VERIFY(victim >= 0); // an instruction never needs more than 13 registers at once
    spill(static_cast<u8>(victim));
    return static_cast<u8>(victim);
}

void RegAlloc::load_into(u8 reg, ir::Value v)
{
    if (v.is_imm()) {
        // MOV, never XOR: materializing a constant must not disturb the host flags.
        u64 imm = v.imm_value();
        if (imm <= 0xFFFFFFFFull)
            m_code.mov(r32(reg), static_cast<u32>(imm));
        else
            m_code.mov(r64(reg), imm);
        return;
    }
    const Location& loc = m_loc[v.index()];
    if (loc.reg >= 0)
        m_code.mov(r64(reg), r64(loc.reg));
    else {
        VERIFY(loc.slot >= 0);
        m_code.mov(r64(reg), qword[rbp + spill_offset(loc.slot)]);
    }
}

u8 RegAlloc::use(ir::Value v)
{
    VERIFY(!v.is_none());
    if (v.is_inst()) {
        Location& loc = m_loc[v.index()];
        if (loc.reg >= 0) {
            m_regs[loc.reg].locked = true;
            return static_cast<u8>(loc.reg);
        }
        u8 reg = allocate();
        load_into(reg, v);
        loc.reg = static_cast<i8>(reg);
        m_regs[reg].value = static_cast<i32>(v.index());
        m_regs[reg].locked = true;
        return reg;
    }
    u8 reg = allocate();
    load_into(reg, v);
    m_regs[reg].scratch = true;
    m_regs[reg].locked = true;
    return reg;
}

bool RegAlloc::used_again_by_current(ir::Value v, unsigned skip_arg) const
{
    const ir::Inst& inst = m_block->insts[m_current];
    unsigned seen = 0;
    for (unsigned i = 0; i < 4; ++i) {
        if (inst.args[i] == v)
            ++seen;
    }
    (void)skip_arg;
    return seen > 1 || (m_block->terminal.value == v);
}

u8 RegAlloc::use_scratch(ir::Value v)
{
    VERIFY(!v.is_none());
    if (v.is_inst() && dies_here(v) && !used_again_by_current(v, 0)) {
        Location& loc = m_loc[v.index()];
        if (loc.reg >= 0 && !m_regs[loc.reg].reserved) {
            u8 reg = static_cast<u8>(loc.reg);
            // The register now belongs to this instruction; the value is dead after it.
            m_regs[reg].value = -1;
            m_regs[reg].scratch = true;
            m_regs[reg].locked = true;
            loc.reg = -1;
            return reg;
        }
    }
    u8 reg = allocate();
    load_into(reg, v);
    m_regs[reg].scratch = true;
    m_regs[reg].locked = true;
    return reg;
}

i32 RegAlloc::take_reserved_scratch(ir::Value v, u8 reg)
{
    RegState& r = m_regs[reg];
    VERIFY(r.reserved);
    if (r.locked || r.scratch || r.value < 0)
        return -1;
    if (!v.is_inst() || r.value != static_cast<i32>(v.index()) || !dies_here(v) || used_again_by_current(v, 0))
        return -1;
    m_loc[v.index()].reg = -1;
    r.value = -1;
    r.scratch = true;
    r.locked = true;
    return reg;
}

bool RegAlloc::take_free_reserved(u8 reg)
{
    RegState& r = m_regs[reg];
    VERIFY(r.reserved);
    if (r.locked || r.scratch || r.value >= 0)
        return false;
    r.scratch = true;
    r.locked = true;
    return true;
}

u8 RegAlloc::scratch()
{
    u8 reg = allocate();
    m_regs[reg].scratch = true;
    m_regs[reg].locked = true;
    return reg;
}

u8 RegAlloc::scratch_fixed(u8 reg)
{
    RegState& r = m_regs[reg];
    VERIFY(!r.locked && !r.scratch && !r.reserved); // ask for fixed registers before any use()
    if (r.value >= 0) {
        // Move the value out of the way: to a free register if there is one, else spill.
        i32 free_reg = -1;
        for (u8 cand : allocation_order) {
            const RegState& c = m_regs[cand];
            if (cand != reg && c.value < 0 && !c.locked && !c.scratch && !c.reserved) {
                free_reg = cand;
                break;
            }
        }
        if (free_reg >= 0) {
            m_code.mov(r64(free_reg), r64(reg));
            m_regs[free_reg].value = r.value;
            m_loc[r.value].reg = static_cast<i8>(free_reg);
            r.value = -1;
        } else {
            spill(reg);
        }
    }
    r.scratch = true;
    r.locked = true;
    return reg;
}

void RegAlloc::define(u32 inst, u8 reg)
{
    RegState& r = m_regs[reg];
    VERIFY(r.value < 0);
    r.value = static_cast<i32>(inst);
    r.scratch = false;
    r.locked = true;
    m_loc[inst].reg = static_cast<i8>(reg);
}

void RegAlloc::end_inst()
{
    for (u8 reg = 0; reg < 16; ++reg) {
        RegState& r = m_regs[reg];
        r.locked = false;
        r.scratch = false;
        if (r.value >= 0 && m_last_use[r.value] <= m_current) {
            m_loc[r.value].reg = -1;
            r.value = -1;
        }
    }
    // Release the spill slots of values that died.
    for (u64 busy = m_slot_busy; busy; busy &= busy - 1) {
        u32 slot = static_cast<u32>(__builtin_ctzll(busy));
        i32 value = m_slot_value[slot];
        if (m_last_use[value] <= m_current) {
            m_slot_busy &= ~(1ull << slot);
            m_loc[value].slot = -1;
        }
    }
}

void RegAlloc::spill_caller_saved()
{
    for (u8 reg : allocation_order) {
        RegState& r = m_regs[reg];
        if (!is_caller_saved(reg) || r.value < 0)
            continue;
        if (m_last_use[r.value] <= m_current)
            continue; // dies at this call: the argument marshalling reads it first
        bool was_locked = r.locked;
        r.locked = false;
        spill(reg);
        r.locked = was_locked;
    }
}

void RegAlloc::forget_caller_saved()
{
    for (u8 reg = 0; reg < 16; ++reg) {
        if (!is_caller_saved(reg))
            continue;
        RegState& r = m_regs[reg];
        if (r.value >= 0) {
            m_loc[r.value].reg = -1;
            r.value = -1;
        }
    }
}

} // namespace keel::x64
