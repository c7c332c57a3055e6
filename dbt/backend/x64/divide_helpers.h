#pragma once
// Division the inline fast path leaves out: 8-bit operands, signed dividends that are
// not simply the sign-extended low half, divisors 0 and -1. Raises the architecture's
// divide error (x86 #DE) exactly when DIV/IDIV would (Intel SDM vol. 2, DIV, IDIV).
#include "dbt/ir/helper.h"

namespace keel::x64 {

// The helper for `size`-byte operands: (ctx, hi, lo, divisor) -> quotient; the remainder
// is left in ctx.hot.divide_remainder.
ir::HelperFunction divide_helper(unsigned size, bool is_signed);

} // namespace keel::x64
