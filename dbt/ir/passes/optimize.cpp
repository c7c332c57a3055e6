#include "dbt/ir/passes/passes.h"

namespace keel::ir {

void optimize(Block& block, const PassOptions& options)
{
    auto step = [&](void (*pass)(Block&)) {
        pass(block);
        if (options.verify_each)
            verify(block);
    };
    if (options.verify_each)
        verify(block);
    if (!options.optimize)
        return;
    // Forwarding first exposes more constants and dead flags; folding before DCE lets
    // DCE remove what folding made unused.
    step(eliminate_redundant_state_access);
    step(eliminate_dead_flags);
    step(fold_constants);
    step(eliminate_common_subexpressions);
    step(eliminate_dead_code);
    block.resolve_all_args();
}

} // namespace keel::ir
