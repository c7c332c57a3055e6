// Dead-code elimination: removes instructions without side effects whose results are
// unused, walking backwards so whole chains disappear in one pass.
#include "dbt/ir/passes/passes.h"

namespace keel::ir {

void eliminate_dead_code(Block& block)
{
    block.count_uses();
    for (u32 n = block.insts.size(); n-- > 0;) {
        Inst& inst = block.insts[n];
        if (inst.op == Opcode::Identity || inst.has(attr::SideEffect) || inst.use_count != 0)
            continue;
        for (const Value& arg : inst.args) {
            Value r = block.resolve(arg);
            if (r.is_inst())
                --block.insts[r.index()].use_count;
        }
        block.kill(n);
    }
}

} // namespace keel::ir
