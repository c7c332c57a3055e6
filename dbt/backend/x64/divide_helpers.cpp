#include "dbt/backend/x64/divide_helpers.h"
#include "dbt/runtime/run_context.h"
#include "dbt/runtime/runtime_hooks.h"

namespace keel::x64 {
namespace {

ir::HelperResult divide_error(CpuContext* ctx)
{
    run_context(ctx)->hooks->raise_divide_error(ctx);
    return ir::helper_exit();
}

// Unsigned 128/64 division; false when the quotient does not fit in 64 bits.
bool divide_u128(u64 hi, u64 lo, u64 divisor, u64& quotient, u64& remainder)
{
    if (divisor == 0 || hi >= divisor)
        return false;
    asm("divq %4" : "=a"(quotient), "=d"(remainder) : "a"(lo), "d"(hi), "rm"(divisor) : "cc");
    return true;
}

template<unsigned Bits, bool Signed>
ir::HelperResult divide(CpuContext* ctx, u64 hi, u64 lo, u64 divisor)
{
    constexpr u64 mask = Bits == 64 ? ~0ull : (1ull << Bits) - 1;
    hi &= mask;
    lo &= mask;
    divisor &= mask;
    if (divisor == 0)
        return divide_error(ctx);
    if constexpr (Bits < 64) {
        u64 dividend = (hi << Bits) | lo; // at most 64 bits
        if constexpr (!Signed) {
            u64 q = dividend / divisor;
            if (q > mask)
                return divide_error(ctx);
            ctx->hot.divide_remainder = dividend % divisor;
            return ir::helper_continue(q);
        } else {
            constexpr unsigned shift = 64 - 2 * Bits;
            i64 n = static_cast<i64>(dividend << shift) >> shift; // sign-extend 2*Bits
            i64 d = static_cast<i64>(divisor << (64 - Bits)) >> (64 - Bits);
            if (d == -1 && n == INT64_MIN)
                return divide_error(ctx); // the host would trap; the quotient cannot fit anyway
            i64 q = n / d;
            constexpr i64 max = (1ll << (Bits - 1)) - 1, min = -(1ll << (Bits - 1));
            if (q > max || q < min)
                return divide_error(ctx);
            ctx->hot.divide_remainder = static_cast<u64>(n % d) & mask;
            return ir::helper_continue(static_cast<u64>(q) & mask);
        }
    } else if constexpr (!Signed) {
        u64 q, r;
        if (!divide_u128(hi, lo, divisor, q, r))
            return divide_error(ctx);
        ctx->hot.divide_remainder = r;
        return ir::helper_continue(q);
    } else {
        // Signed 128/64 through magnitudes.
        bool negative_dividend = static_cast<i64>(hi) < 0;
        u64 mh = hi, ml = lo;
        if (negative_dividend) {
            ml = ~ml + 1;
            mh = ~mh + (ml == 0 ? 1 : 0);
        }
        bool negative_divisor = static_cast<i64>(divisor) < 0;
        u64 md = negative_divisor ? 0 - divisor : divisor;
        u64 q, r;
        if (!divide_u128(mh, ml, md, q, r))
            return divide_error(ctx);
        bool negative_quotient = negative_dividend != negative_divisor;
        if (negative_quotient ? q > (1ull << 63) : q > (1ull << 63) - 1)
            return divide_error(ctx);
        ctx->hot.divide_remainder = negative_dividend ? 0 - r : r;
        return ir::helper_continue(negative_quotient ? 0 - q : q);
    }
}

} // namespace

ir::HelperFunction divide_helper(unsigned size, bool is_signed)
{
    switch (size) {
    case 1: return is_signed ? &divide<8, true> : &divide<8, false>;
    case 2: return is_signed ? &divide<16, true> : &divide<16, false>;
    case 4: return is_signed ? &divide<32, true> : &divide<32, false>;
    default: return is_signed ? &divide<64, true> : &divide<64, false>;
    }
}

} // namespace keel::x64
