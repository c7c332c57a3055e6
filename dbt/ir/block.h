#pragma once
// A linear IR block: instructions in order, then exactly one terminal.
#include "dbt/base/vector.h"
#include "dbt/ir/inst.h"

namespace keel::ir {

// Why a block hands control back to the engine's dispatcher (Terminal::Exit).
enum class ExitReason : u8 {
    Dispatch,   // state changed in a way that needs a fresh lookup (mode, paging, IF, ...)
    Halt,       // the guest executed HLT; pc is the next instruction
};

enum class TerminalKind : u8 {
    None,         // not yet set (invalid in a finished block)
    Jump,         // continue at the constant `target` (chainable)
    Branch,       // `value` (U1) ? target : target_false (both chainable)
    JumpIndirect, // continue at the computed `value` (U64), through the lookup cache
    Exit,         // return to the dispatcher; pc = target if has_target, else already set
};

// What a Jump/JumpIndirect is in the guest program: the backend predicts returns with
// the host's own call/ret when calls and returns are marked (docs/backend.md#calls).
enum class ControlHint : u8 { None, Call, Return };

struct Terminal {
    TerminalKind kind = TerminalKind::None;
    ExitReason reason = ExitReason::Dispatch;
    ControlHint hint = ControlHint::None;
    bool has_target = false;
    Value value;
    u64 target = 0;
    u64 target_false = 0;
    u64 return_pc = 0; // ControlHint::Call: where the callee returns to
};

// A state write moved off the hot path: it only matters if the may-fault instruction
// `fault_inst` actually faults (the slot is overwritten before anything else can read it),
// so the backend performs it in that instruction's cold path.
struct FaultStore {
    u32 fault_inst;
    u32 offset;     // state offset (StoreState); unused for flags
    Value value;
    bool flags;     // a full StoreFlags rather than a StoreState
};
constexpr u32 max_fault_stores_per_inst = 8;

// ExitIf instructions in one block at most (the backend has a chainable exit for each).
constexpr u32 max_side_exits = 3;

struct GuestInsn {
    u64 pc;       // guest virtual address of the instruction
    u8 length;
};

class Block {
public:
    u64 pc = 0;          // guest virtual address of the first instruction
    u32 mode = 0;        // the architecture's mode bits the block was translated for
    u32 mmu_index = 0;   // softMMU index for the block's data accesses (set by the frontend)
    Vector<Inst> insts;
    Vector<GuestInsn> guest_insns;
    Vector<FaultStore> fault_stores; // in program order of their original stores
    Vector<u8> host_code;            // bytes of HostInsn instructions
    Terminal terminal;

    void clear()
    {
        insts.clear();
        guest_insns.clear();
        fault_stores.clear();
        host_code.clear();
        terminal = Terminal {};
    }
    u32 fault_store_count(u32 fault_inst) const
    {
        u32 n = 0;
        for (const FaultStore& f : fault_stores)
            n += f.fault_inst == fault_inst;
        return n;
    }

    Inst& at(Value v) { return insts[v.index()]; }
    const Inst& at(Value v) const { return insts[v.index()]; }

    // Follows Identity instructions left behind by passes to the value they forward.
    // (An Identity's argument is always an earlier instruction or an immediate: the chain
    // ends. check() rejects a block where it does not.)
    Value resolve(Value v) const
    {
        while (v.is_inst() && insts[v.index()].op == Opcode::Identity)
            v = insts[v.index()].args[0];
        return v;
    }
    // Rewrites every argument (the terminal's and the fault stores' too) through
    // resolve(), so later code sees canonical values only; the Identity instructions,
    // which nothing refers to any more, then become Deleted.
    void resolve_all_args();
    // Turns an instruction into Identity: "this value equals v", which must have the
    // instruction's type (uses are resolved lazily).
    void replace_with(u32 index, Value v);
    // Turns an instruction into Deleted (it must have no remaining uses).
    void kill(u32 index);
    // Recomputes Inst::use_count for every instruction (terminal uses included).
    void count_uses();

    u64 guest_size() const
    {
        if (guest_insns.is_empty())
            return 0;
        const GuestInsn& last = guest_insns.last();
        return last.pc + last.length - pc;
    }
};

} // namespace keel::ir
