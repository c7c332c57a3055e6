#pragma once
// The host CPU features keel's generated code uses beyond baseline x86-64. The backend
// checks them when it is created, so an unsuitable host is refused with a message rather
// than dying of #UD inside the first translated block.
#include "dbt/base/result.h"

namespace keel::x64 {

// Fails naming what is missing (POPCNT, LZCNT: ABM; BMI1: ANDN, BEXTR, TZCNT).
Result<void> check_host_features();

} // namespace keel::x64
