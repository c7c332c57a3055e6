#pragma once
// Chaining patches host code, which only the backend knows how to do: the translation
// cache decides which exits to chain and asks through this interface (implemented by the
// backend, handed to the cache by the engine).
#include "dbt/runtime/translated_block.h"

namespace keel {

class ExitPatcher {
public:
    // Makes `exit` jump straight to `target` (host code of a block). False when it cannot
    // (out of the jump's range): the exit then stays unchained.
    virtual bool chain_exit(ExitSlot& exit, const u8* target) = 0;
    // Points `exit` back at its unchained destination (exit->stub).
    virtual void unchain_exit(ExitSlot& exit) = 0;

protected:
    ~ExitPatcher() = default;
};

} // namespace keel
