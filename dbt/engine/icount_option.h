#pragma once
// The deterministic-time setting as both hosts spell it (QEMU's -icount shift=N): "N" or
// "shift=N", N from 0 to max_icount_shift. docs/virtual-time.md.
#include "dbt/base/result.h"

namespace keel {

constexpr int max_icount_shift = 10; // 1024 ns per guest instruction

Result<int> parse_icount_shift(const char* text);

} // namespace keel
