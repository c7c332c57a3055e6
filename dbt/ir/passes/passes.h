#pragma once
// IR passes: free functions over one block, one per file (see docs/ir.md#passes).
#include "dbt/base/result.h"
#include "dbt/ir/block.h"

namespace keel::ir {

// True for instructions that may read or write any guest state (helper calls, host
// instructions working on the state): state forwarding and store elimination stop there.
inline bool observes_all_state(const Inst& inst)
{
    if (inst.has(attr::Call))
        return true;
    switch (inst.op) {
    case Opcode::LoadState:
    case Opcode::StoreState:
    case Opcode::LoadFlags:
    case Opcode::StoreFlags:
        return false;
    default:
        return inst.has(attr::ReadsState) || inst.has(attr::WritesState);
    }
}

// Whether a pseudo-op (FlagsOf, SecondOf) right after instruction `index` takes its
// result: the operation's flags or second result are the host instruction's, so a pass
// must not replace it by another value.
inline bool has_pseudo_user(const Block& block, u32 index)
{
    for (u32 i = index + 1; i < block.insts.size(); ++i) {
        const Inst& next = block.insts[i];
        if (next.is_removed())
            continue;
        return next.has(attr::Pseudo) && block.resolve(next.args[0]) == Value::of_inst(block.insts[index].type, index);
    }
    return false;
}

// Checks every structural and typing rule of the IR; the error names the instruction.
Result<void> check(const Block& block);
// Panics, printing the block, if check() fails. Runs after every pass in debug builds.
void verify(Block& block);

void eliminate_redundant_state_access(Block& block);
void eliminate_dead_flags(Block& block);
void fold_constants(Block& block);
void eliminate_common_subexpressions(Block& block);
void eliminate_dead_code(Block& block);

struct PassOptions {
    bool verify_each = false;  // run verify() after every pass
    bool optimize = true;      // false: verify only (for debugging the frontend)
};
// The standard pipeline, in order.
void optimize(Block& block, const PassOptions& options);

} // namespace keel::ir
