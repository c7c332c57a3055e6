#pragma once
#include "dbt/ir/opcode.h"
#include "dbt/ir/value.h"

namespace keel::ir {

// One IR instruction. Instructions live in their block's array; a Value refers to one by
// its index there. `guest_insn` names the guest instruction it was lowered from, which is
// what a fault inside it reports as the faulting RIP.
struct Inst {
    Opcode op;
    Type type;           // result type (Void if none)
    u16 guest_insn;      // index into Block::guest_insns
    Value args[4];
    u32 use_count;       // maintained by count_uses(); valid right after it runs
    u32 scratch;         // free for a pass or the backend to annotate

    unsigned arg_count() const { return info(op).arg_count; }
    bool has(u16 attribute) const { return has_attr(op, attribute); }
    // Deleted by a pass (Block::kill).
    bool is_deleted() const { return op == Opcode::Deleted; }
    // No longer an operation: deleted, or replaced by a value it forwards (Identity,
    // Block::replace_with). Passes and the backend skip these.
    bool is_removed() const { return op == Opcode::Deleted || op == Opcode::Identity; }
};

} // namespace keel::ir
