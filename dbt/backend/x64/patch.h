#pragma once
// Patching of chained exits: every patchable exit is a jmp/jcc with a rel32 field.
#include "dbt/base/string.h"

namespace keel::x64 {

// Points the rel32 field at `site` to `target`. Returns false when the target is out of
// rel32 range (the exit then stays unchained).
inline bool patch_jump(u8* site, const u8* target)
{
    i64 delta = reinterpret_cast<i64>(target) - reinterpret_cast<i64>(site + 4);
    if (delta != static_cast<i32>(delta))
        return false;
    i32 rel = static_cast<i32>(delta);
    copy_memory(site, &rel, 4); // one writer, and the code is not running on another core
    return true;
}

// For in-place exits (ExitSlot::in_place): `jmp target` when chaining, `call stub` (the
// chain thunk) when unchaining.
inline bool patch_in_place_exit(u8* rel32_site, const u8* target, bool chained)
{
    i64 delta = reinterpret_cast<i64>(target) - reinterpret_cast<i64>(rel32_site + 4);
    if (delta != static_cast<i32>(delta))
        return false;
    i32 rel = static_cast<i32>(delta);
    copy_memory(rel32_site, &rel, 4);
    rel32_site[-1] = chained ? 0xE9 : 0xE8;
    return true;
}

} // namespace keel::x64
