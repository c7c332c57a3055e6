#include "dbt/base/format.h"

namespace keel {
namespace {

struct Sink {
    char* buffer;
    usize size;
    usize length = 0;
    void put(char c)
    {
        if (length + 1 < size)
            buffer[length] = c;
        ++length;
    }
};

struct Spec {
    bool left = false;
    bool zero = false;
    bool alternate = false; // '#': 0x/0X before a non-zero hex number, as C's printf
    int width = 0;
    int precision = -1;
};

void pad(Sink& out, int count, char c)
{
    for (int i = 0; i < count; ++i)
        out.put(c);
}

void emit_string(Sink& out, const char* s, const Spec& spec)
{
    if (!s)
        s = "(null)";
    // The bound first: with a precision the text need not be terminated (C11 7.21.6.1,
    // "%.*s"), so s[precision] may lie past its end.
    int n = 0;
    while ((spec.precision < 0 || n < spec.precision) && s[n])
        ++n;
    if (!spec.left)
        pad(out, spec.width - n, ' ');
    for (int i = 0; i < n; ++i)
        out.put(s[i]);
    if (spec.left)
        pad(out, spec.width - n, ' ');
}

void emit_number(Sink& out, u64 value, bool negative, unsigned base, bool upper, const Spec& spec, const char* prefix)
{
    char digits[24];
    int n = 0;
    const char* table = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = table[value % base];
        value /= base;
    } while (value);
    int prefix_len = 0;
    while (prefix[prefix_len])
        ++prefix_len;
    int total = n + (negative ? 1 : 0) + prefix_len;
    if (!spec.left && !spec.zero)
        pad(out, spec.width - total, ' ');
    if (negative)
        out.put('-');
    for (int i = 0; i < prefix_len; ++i)
        out.put(prefix[i]);
    if (!spec.left && spec.zero)
        pad(out, spec.width - total, '0');
    while (n)
        out.put(digits[--n]);
    if (spec.left)
        pad(out, spec.width - total, ' ');
}

} // namespace

usize vformat(char* buffer, usize size, const char* fmt, va_list args)
{
    Sink out { buffer, size };
    for (const char* p = fmt; *p; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        ++p;
        Spec spec;
        for (;; ++p) {
            if (*p == '-')
                spec.left = true;
            else if (*p == '0')
                spec.zero = true;
            else if (*p == '#')
                spec.alternate = true;
            else
                break;
        }
        if (*p == '*') {
            spec.width = va_arg(args, int);
            ++p;
        }
        while (*p >= '0' && *p <= '9')
            spec.width = spec.width * 10 + (*p++ - '0');
        if (*p == '.') {
            ++p;
            spec.precision = 0;
            if (*p == '*') {
                spec.precision = va_arg(args, int);
                ++p;
            }
            while (*p >= '0' && *p <= '9')
                spec.precision = spec.precision * 10 + (*p++ - '0');
        }
        int longs = 0;
        bool size_t_arg = false;
        int shorts = 0;
        for (;; ++p) {
            if (*p == 'l')
                ++longs;
            else if (*p == 'h')
                ++shorts;
            else if (*p == 'z')
                size_t_arg = true;
            else
                break;
        }
        auto fetch_unsigned = [&]() -> u64 {
            if (longs || size_t_arg)
                return va_arg(args, u64);
            u32 v = va_arg(args, u32);
            if (shorts == 1)
                v &= 0xFFFF;
            else if (shorts >= 2)
                v &= 0xFF;
            return v;
        };
        switch (*p) {
        case 'd':
        case 'i': {
            i64 v;
            if (longs || size_t_arg)
                v = va_arg(args, i64);
            else {
                v = va_arg(args, i32);
                if (shorts == 1)
                    v = (i16)v;
                else if (shorts >= 2)
                    v = (i8)v;
            }
            emit_number(out, v < 0 ? 0 - (u64)v : (u64)v, v < 0, 10, false, spec, "");
            break;
        }
        case 'u':
            emit_number(out, fetch_unsigned(), false, 10, false, spec, "");
            break;
        case 'x':
        case 'X': {
            u64 v = fetch_unsigned();
            emit_number(out, v, false, 16, *p == 'X', spec, spec.alternate && v ? (*p == 'X' ? "0X" : "0x") : "");
            break;
        }
        case 'o':
            emit_number(out, fetch_unsigned(), false, 8, false, spec, "");
            break;
        case 'p':
            emit_number(out, (u64)(uptr)va_arg(args, void*), false, 16, false, spec, "0x");
            break;
        case 'c': {
            char c = (char)va_arg(args, int);
            if (!spec.left)
                pad(out, spec.width - 1, ' ');
            out.put(c);
            if (spec.left)
                pad(out, spec.width - 1, ' ');
            break;
        }
        case 's':
            emit_string(out, va_arg(args, const char*), spec);
            break;
        case '%':
            out.put('%');
            break;
        case '\0':
            --p;
            break;
        default:
            out.put('%');
            out.put(*p);
            break;
        }
    }
    if (size)
        buffer[out.length < size ? out.length : size - 1] = '\0';
    return out.length;
}

usize format(char* buffer, usize size, const char* fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    usize n = vformat(buffer, size, fmt, args);
    va_end(args);
    return n;
}

} // namespace keel
