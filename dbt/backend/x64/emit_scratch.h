#pragma once
// Working state of emitting one block, owned by the backend and reused for every block
// so that emitting does not allocate.
#include "dbt/backend/x64/emit_context.h"

namespace keel::x64 {

struct EmitScratch {
    Vector<ColdPath> cold;
    Vector<u8*> helper_exit_sites;
    Vector<u8> lazy_cond, value_used, upper_garbage, flags_direct, unfusable, other_user, emitted_elsewhere;
    Vector<u32> last_consumer, store_user, flags_last;
    Vector<u8> page_roles;
    Vector<u32> address_roots;
};

} // namespace keel::x64
