// Dead-flag elimination. x86 sets flags on nearly every ALU instruction, but few are
// read: a StoreFlags is removed when every flag it writes is overwritten before any
// instruction, block exit or possible fault can observe it. Its FlagsOf then has no use
// and dead-code elimination drops it, so the backend never captures those host flags.
#include "dbt/ir/flags.h"
#include "dbt/ir/passes/passes.h"

namespace keel::ir {

void eliminate_dead_flags(Block& block)
{
    u16 live = flag::All; // every flag is observable after the block
    for (u32 n = block.insts.size(); n-- > 0;) {
        Inst& inst = block.insts[n];
        switch (inst.op) {
        case Opcode::StoreFlags: {
            u16 mask = static_cast<u16>(inst.args[1].imm_value());
            if ((mask & live) == 0) {
                block.kill(n);
                break;
            }
            // The mask is not narrowed: a full store is cheaper than a partial one, and
            // the extra flags it writes are overwritten later anyway.
            live &= ~mask;
            break;
        }
        case Opcode::LoadFlags:
            live = flag::All;
            break;
        default:
            if (inst.has(attr::MayFault) || inst.has(attr::Call))
                live = flag::All; // a fault or a helper observes the flags
            break;
        }
    }
}

} // namespace keel::ir
