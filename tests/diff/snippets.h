// Builders for the forms whose instruction needs code around it (branches, calls, loops,
// stack frames, string operations): one per Shape other than Plain (form.h).
#pragma once

#include "tests/diff/case_builder.h"

namespace keel::difftest {

// Emits the snippet for b.form().shape and sets up the registers and data it needs.
// False if an instruction could not be encoded (the caller retries with new choices).
bool build_snippet(CaseBuilder& b);

}  // namespace keel::difftest
