#pragma once
// Guest state kept in host registers while a block loops on itself
// (docs/backend.md#loop-resident-state).
//
// A block whose terminal continues at its own start (the body of a compiled loop) loads
// and stores the same guest registers in the context on every iteration, and the stores of
// one iteration reach the loads of the next through memory. For such a block the backend
// gives up to four state slots a callee-saved host register for the whole block: the
// block's entry loads them, LoadState/StoreState of them become register moves, the back
// edge jumps past the entry loads, and every way out (the other exit, the exit_request
// check, each cold path before it calls out) first writes the slots the block stores back
// to the context, so that whatever reads the context sees what it would without them.
#include "dbt/backend/x64/code_buffer.h"
#include "dbt/ir/block.h"

namespace keel::x64 {

struct LoopSlot {
    i32 offset;  // state offset from RBP
    u8 reg;      // host register holding the slot inside the block
    bool stored; // the block writes it: written back on every way out
};

struct LoopRegisters {
    static constexpr u32 max_slots = 4;
    LoopSlot slots[max_slots] = {};
    u32 count = 0;

    bool active() const { return count != 0; }
    // Host register holding the slot at `offset`, or -1.
    i32 reg_for(i32 offset) const;
    // Writes every stored slot back to the context (MOVs: the host flags survive).
    void write_back(CodeBuffer& code) const;
    // Loads every slot from the context (the block's entry).
    void load(CodeBuffer& code) const;
};

// True when `block` continues at its own start: a Jump to it, or a Branch with either
// target at it.
bool loops_on_itself(const ir::Block& block);

// The slots of `block` to keep in registers: none unless the block loops on itself, its
// exits are chained (the back edge must be a direct jump) and nothing in it reads or writes
// the context outside LoadState/StoreState (helper calls, host instructions). A slot
// qualifies when every access to its 8 bytes is a LoadState or StoreState at its start and
// every StoreState writes all 8 (so the write-back writes exactly what the block wrote);
// the most used ones win.
LoopRegisters plan_loop_registers(const ir::Block& block, bool chain, bool icount);

} // namespace keel::x64
