#include "dbt/base/parse_size.h"

namespace keel {

Result<u64> parse_size(const char* text)
{
    u64 value = 0;
    const char* p = text;
    if (*p < '0' || *p > '9')
        return Error::formatted("invalid size '%s'", text);
    while (*p >= '0' && *p <= '9') {
        u64 next = value * 10 + static_cast<u64>(*p - '0');
        if (next / 10 != value)
            return Error::formatted("size '%s' is too large", text);
        value = next;
        ++p;
    }
    u64 unit = MiB;
    switch (*p) {
    case '\0': break;
    case 'k': case 'K': unit = KiB; ++p; break;
    case 'm': case 'M': unit = MiB; ++p; break;
    case 'g': case 'G': unit = GiB; ++p; break;
    default: return Error::formatted("invalid size '%s' (use a number with K, M or G)", text);
    }
    if (*p == 'B' || *p == 'b')
        ++p;
    if (*p)
        return Error::formatted("invalid size '%s'", text);
    if (value > (1ull << 40) / unit)
        return Error::formatted("size '%s' is too large", text);
    return value * unit;
}

} // namespace keel
