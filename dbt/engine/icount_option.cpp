#include "dbt/engine/icount_option.h"
#include "dbt/base/parse_number.h"
#include "dbt/base/string.h"

namespace keel {

Result<int> parse_icount_shift(const char* text)
{
    const char* digits = starts_with(text, "shift=") ? text + 6 : text;
    u64 shift;
    if (!parse_number(digits, shift) || shift > static_cast<u64>(max_icount_shift))
        return Error::formatted("'%s' is not a shift from 0 to %d (2^N ns per guest instruction)", text, max_icount_shift);
    return static_cast<int>(shift);
}

} // namespace keel
