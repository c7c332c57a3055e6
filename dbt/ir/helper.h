#pragma once
// Functions that generated code calls (CallHelper). A helper receives the CPU context and
// up to three arguments; it returns a value and an exit flag. A non-zero `exit` makes the
// block return to the dispatcher right after the call (the helper raised a guest
// exception, or changed state that needs a fresh lookup). The pair is returned in
// RAX:RDX by the SysV ABI, which the backend relies on.
#include "dbt/base/types.h"

namespace keel {
struct CpuContext;
}

namespace keel::ir {

struct HelperResult {
    u64 value;
    u64 exit;
};

using HelperFunction = HelperResult (*)(CpuContext* ctx, u64 a, u64 b, u64 c);

struct Helper {
    const char* name;
    HelperFunction function;
};

inline HelperResult helper_continue(u64 value = 0) { return { value, 0 }; }
inline HelperResult helper_exit() { return { 0, 1 }; }

} // namespace keel::ir
