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
    // The next full StoreFlags with only may-fault instructions (`faults`) before it: an
    // earlier full store is then needed only if one of them faults (see the fault stores
    // of eliminate_redundant_state_access).
    constexpr u32 none = ~0u;
    u32 overwriter = none;
    Vector<u32> faults;
    for (u32 n = block.insts.size(); n-- > 0;) {
        Inst& inst = block.insts[n];
        switch (inst.op) {
        case Opcode::StoreFlags: {
            u16 mask = static_cast<u16>(inst.args[1].imm_value());
            if (mask == flag::All && overwriter != none) {
                bool fits = faults.size() <= 3; // copies into cold paths: see remove_dead_stores
                for (u32 f : faults)
                    fits &= block.fault_store_count(f) < max_fault_stores_per_inst;
                if (fits) {
                    for (u32 f : faults)
                        block.fault_stores.append({ f, 0, block.resolve(inst.args[0]), true });
                    block.kill(n);
                    overwriter = n;
                    faults.clear();
                    live &= ~mask;
                    break;
                }
            }
            overwriter = mask == flag::All ? n : none;
            faults.clear();
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
            overwriter = none;
            break;
        default:
            if (inst.has(attr::Call)) {
                live = flag::All; // a helper observes the flags
                overwriter = none;
            } else if (inst.has(attr::MayFault)) {
                live = flag::All; // so does a fault
                if (overwriter != none)
                    faults.append(n);
            }
            break;
        }
    }
}

} // namespace keel::ir
