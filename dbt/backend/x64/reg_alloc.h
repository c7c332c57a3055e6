#pragma once
// Register allocation while emitting (docs/backend.md#register-allocation).
//
// Every IR value gets a host register when it is defined and keeps it until its last use,
// unless pressure forces a spill to a slot in the CPU context (values are SSA, so a
// spilled value is stored once and reloaded as often as needed). An emitter asks, in
// this order:
//   scratch_fixed(R)  a specific register it will clobber (CL for shifts, RDX for MUL/DIV)
//   use(v)            v in a register it only reads
//   use_scratch(v)    v in a register it may overwrite (v's own register if v dies here)
//   scratch()         a free register to clobber
//   define(inst, r)   the result of `inst` lives in r (one of this instruction's scratches)
// and end_inst() then frees whatever died. Reloads and spills are plain MOVs, so they
// never disturb the host flags.
#include "dbt/backend/x64/code_buffer.h"
#include "dbt/backend/x64/host_reg.h"
#include "dbt/ir/block.h"

namespace keel::x64 {

class RegAlloc {
public:
    explicit RegAlloc(CodeBuffer& code) : m_code(code) {}

    void begin_block(const ir::Block& block);
    // Keeps a value alive past its last IR use (a fused condition reads its flags later).
    void extend_last_use(u32 value, u32 until);
    void begin_inst(u32 index) { m_current = index; }
    u32 current() const { return m_current; }

    u8 use(ir::Value v);
    u8 use_scratch(ir::Value v);
    u8 scratch();
    u8 scratch_fixed(u8 reg);
    void define(u32 inst, u8 reg);
    u8 define_new(u32 inst) { u8 r = scratch(); define(inst, r); return r; }
    void end_inst();

    bool dies_here(ir::Value v) const { return v.is_inst() && m_last_use[v.index()] <= m_current; }
    // Where a value currently is (for emitters that can read memory operands).
    i32 reg_of(ir::Value v) const { return v.is_inst() ? m_loc[v.index()].reg : -1; }
    i32 spill_offset_of(ir::Value v) const { return v.is_inst() && m_loc[v.index()].slot >= 0 ? spill_offset(m_loc[v.index()].slot) : 0; }

    // Before a call: live values in caller-saved registers move to spill slots.
    void spill_caller_saved();
    // After a call: caller-saved registers hold nothing any more.
    void forget_caller_saved();

    // Takes `reg` out of allocation for the rest of the block (a loop slot's register,
    // loop_registers.h). A value may still be defined in it while it is free (a LoadState
    // that reads the slot as it is); use_scratch() never hands it out to be clobbered.
    void reserve(u8 reg) { m_regs[reg].reserved = true; }
    // The reserved register `reg` as this instruction's scratch, holding `v`, when it holds
    // `v` and `v` dies here; else -1. (Loading `v` into it would only move the MOV earlier,
    // and a later use that overwrites the result would then need a copy out of it.)
    i32 take_reserved_scratch(ir::Value v, u8 reg);
    // The reserved register `reg`, holding no value, as this instruction's scratch (its
    // contents are what the caller wants to start from); false when it is in use.
    bool take_free_reserved(u8 reg);
    bool holds_value(u8 reg) const { return m_regs[reg].value >= 0; }
    u32 last_use(u32 value) const { return m_last_use[value]; }

    u32 spill_slots_used() const { return m_slots_high_water; }

private:
    struct Location {
        i8 reg = -1;
        i16 slot = -1;
    };
    struct RegState {
        i32 value = -1;  // IR value held, or -1
        bool locked = false;
        bool scratch = false;
        bool reserved = false; // never allocated (reserve())
    };

    u8 allocate();
    void spill(u8 reg);
    void load_into(u8 reg, ir::Value v);
    i32 spill_offset(i16 slot) const;
    bool used_again_by_current(ir::Value v, unsigned skip_arg) const;

    CodeBuffer& m_code;
    const ir::Block* m_block = nullptr;
    Vector<u32> m_last_use;
    Vector<Location> m_loc;
    RegState m_regs[16];
    u64 m_slot_busy = 0; // spill slots holding live values
    i32 m_slot_value[64] = {};
    u32 m_slots_high_water = 0;
    u32 m_current = 0;
};

} // namespace keel::x64
