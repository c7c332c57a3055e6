// Dead-code elimination: deletes instructions without side effects whose results are
// unused, walking backwards so whole chains disappear in one pass, and then the
// forwarders (Identity) of what it deleted.
#include "dbt/ir/passes/passes.h"

namespace keel::ir {

void eliminate_dead_code(Block& block)
{
    block.count_uses();
    for (u32 n = block.insts.size(); n-- > 0;) {
        Inst& inst = block.insts[n];
        if (inst.is_removed() || inst.has(attr::SideEffect) || inst.use_count != 0)
            continue;
        for (const Value& arg : inst.args) {
            Value r = block.resolve(arg);
            if (r.is_inst())
                --block.insts[r.index()].use_count;
        }
        block.kill(n);
    }
    // A forwarder of a value that died had no users either (they counted against that
    // value): delete it too, so every Identity left forwards a live value (check()).
    for (u32 i = 0; i < block.insts.size(); ++i) {
        if (block.insts[i].op != Opcode::Identity)
            continue;
        Value r = block.resolve(block.insts[i].args[0]);
        if (r.is_inst() && block.at(r).is_deleted())
            block.kill(i);
    }
}

} // namespace keel::ir
