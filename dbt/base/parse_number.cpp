#include "dbt/base/parse_number.h"
#include "dbt/base/string.h"

namespace keel {

bool parse_number(const char* begin, const char* end, u64& value)
{
    if (begin == end)
        return false;
    u64 base = 10;
    if (end - begin > 2 && begin[0] == '0' && (begin[1] == 'x' || begin[1] == 'X')) {
        base = 16;
        begin += 2;
    }
    value = 0;
    for (const char* p = begin; p < end; ++p) {
        u64 digit;
        if (*p >= '0' && *p <= '9')
            digit = static_cast<u64>(*p - '0');
        else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
            digit = static_cast<u64>((*p | 0x20) - 'a' + 10);
        else
            return false;
        if (value > (~0ull - digit) / base)
            return false;
        value = value * base + digit;
    }
    return true;
}

bool parse_number(const char* text, u64& value) { return parse_number(text, text + string_length(text), value); }

} // namespace keel
