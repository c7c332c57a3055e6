// Common-subexpression elimination within a block: a pure operation with the same opcode,
// type and (resolved) arguments as an earlier one is that value. x86 code recomputes
// addresses per instruction (`[rdx + r14]` read twice, a local's `[rbp - 8]` loaded and
// stored); one value per address lets the backend share their page checks
// (docs/backend.md#shared-page-checks) and compute it once.
#include "dbt/ir/passes/passes.h"

namespace keel::ir {
namespace {

// No effect, no state or memory read, no fault, and not a pseudo-op: its value depends on
// its arguments alone.
bool is_pure(const Inst& inst)
{
    constexpr u16 impure = attr::SideEffect | attr::ReadsState | attr::WritesState | attr::ReadsMemory | attr::WritesMemory
        | attr::MayFault | attr::Call | attr::Pseudo | attr::HasSecond;
    return !inst.is_removed() && inst.op != Opcode::Identity && !(info(inst.op).attributes & impure) && inst.type != Type::Void;
}

u64 hash_of(const Inst& inst, const Value* args)
{
    u64 h = static_cast<u64>(inst.op) * 0x9E3779B97F4A7C15ull ^ static_cast<u64>(inst.type);
    for (unsigned k = 0; k < 4; ++k) {
        u64 v = args[k].is_none() ? 0 : (args[k].is_imm() ? args[k].imm_value() * 31 + 1 : (u64(args[k].index()) << 1 | 1) * 0x100000001B3ull);
        h = (h ^ v ^ static_cast<u64>(args[k].type()) << 56) * 0x9E3779B97F4A7C15ull;
    }
    return h;
}

} // namespace

void eliminate_common_subexpressions(Block& block)
{
    // Open addressing over the block's candidates; a full table stops looking for more.
    constexpr u32 table_size = 512;
    u32 table[table_size];
    for (u32& slot : table)
        slot = ~0u;
    u32 stored = 0;
    // A TrapIf on a condition an earlier TrapIf already tested cannot fire (the earlier one
    // would have): two SSE operands at one address, each checked for alignment.
    constexpr u32 max_traps = 8;
    u32 traps[max_traps];
    u32 trap_count = 0;
    for (u32 i = 0; i < block.insts.size(); ++i) {
        Inst& inst = block.insts[i];
        if (inst.op == Opcode::TrapIf && block.fault_store_count(i) == 0) {
            Value cond = block.resolve(inst.args[0]);
            bool repeated = false;
            for (u32 k = 0; k < trap_count && !repeated; ++k)
                repeated = block.resolve(block.insts[traps[k]].args[0]) == cond;
            if (repeated)
                block.kill(i);
            else if (trap_count < max_traps)
                traps[trap_count++] = i;
            continue;
        }
        // An operation whose flags a FlagsOf after it captures is neither replaced nor an
        // earlier value for later ones: the flags belong to it.
        if (!is_pure(inst) || has_pseudo_user(block, i))
            continue;
        Value args[4];
        for (unsigned k = 0; k < 4; ++k)
            args[k] = block.resolve(inst.args[k]);
        u64 h = hash_of(inst, args);
        u32 at = static_cast<u32>(h >> 40) & (table_size - 1);
        bool replaced = false;
        for (; table[at] != ~0u; at = (at + 1) & (table_size - 1)) {
            const Inst& earlier = block.insts[table[at]];
            if (earlier.op != inst.op || earlier.type != inst.type)
                continue;
            bool same = true;
            for (unsigned k = 0; k < 4 && same; ++k)
                same = block.resolve(earlier.args[k]) == args[k];
            if (same) {
                block.replace_with(i, Value::of_inst(inst.type, table[at]));
                replaced = true;
                break;
            }
        }
        if (replaced || stored + 1 >= table_size / 2)
            continue;
        table[at] = i;
        ++stored;
    }
}

} // namespace keel::ir
