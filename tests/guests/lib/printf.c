/* A small printf: enough for test output, nothing locale- or float-related. */
#include "rt.h"

struct sink {
    char *buf;   /* NULL: write to COM1 */
    size_t cap;
    size_t len;  /* characters produced so far, as snprintf returns */
};

static void emit(struct sink *s, char c)
{
    if (!s->buf)
        serial_putc(c);
    else if (s->len + 1 < s->cap)
        s->buf[s->len] = c;
    s->len++;
}

static void emit_padded(struct sink *s, const char *str, size_t n, int width, bool left, char pad)
{
    /* With zero padding the sign goes before the zeros: "-0042". */
    if (pad == '0' && n > 0 && str[0] == '-') {
        emit(s, '-');
        str++, n--, width--;
    }
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left)
        while (fill-- > 0)
            emit(s, pad);
    for (size_t i = 0; i < n; i++)
        emit(s, str[i]);
    if (left)
        while (fill-- > 0)
            emit(s, ' ');
}

/* Writes v in base into the end of tmp[24]; returns the first character. */
static char *format_u64(char tmp[24], uint64_t v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = tmp + 24;
    do {
        *--p = digits[v % base];
        v /= base;
    } while (v);
    return p;
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(s, *fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int longs = 0;
        while (*fmt == 'l' || *fmt == 'z')
            longs += *fmt == 'z' ? 2 : 1, fmt++;
        if (left)
            pad = ' ';

        char tmp[24];
        char *p;
        uint64_t u;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            u = v < 0 ? -(uint64_t)v : (uint64_t)v;
            p = format_u64(tmp, u, 10, false);
            if (v < 0)
                *--p = '-';
            emit_padded(s, p, tmp + 24 - p, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            u = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            p = format_u64(tmp, u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
            emit_padded(s, p, tmp + 24 - p, width, left, pad);
            break;
        case 'p':
            /* Always 0x plus 16 digits, so output widths do not depend on addresses. */
            u = (uintptr_t)va_arg(ap, void *);
            emit(s, '0');
            emit(s, 'x');
            p = format_u64(tmp, u, 16, false);
            emit_padded(s, p, tmp + 24 - p, 16, false, '0');
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            emit_padded(s, str, strlen(str), width, left, ' ');
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            emit_padded(s, tmp, 1, width, left, ' ');
            break;
        case '%':
            emit(s, '%');
            break;
        default: /* unknown conversion: show it rather than guess */
            emit(s, '%');
            if (!*fmt)
                return;
            emit(s, *fmt);
            break;
        }
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { buf, size, 0 };
    format(&s, fmt, ap);
    if (buf && size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    struct sink s = { NULL, 0, 0 };
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    return (int)s.len;
}
