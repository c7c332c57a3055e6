// The C memory and string functions the kernel links instead of a libc: GCC emits calls to
// memcpy, memmove, memset and memcmp even in freestanding code (struct copies, zeroing,
// recognised loops; GCC manual, "C Language Standards": a freestanding environment must
// provide them), and dbt/ uses the str* builtins (dbt/base/string.h), which compile to calls.
//
// Forward copies and fills use `rep movsb`/`rep stosb`: with ERMSB (Intel SDM vol. 1,
// 7.3.9.3; every x86-64 CPU keel targets) they are as fast as unrolled SIMD loops for all
// but tiny sizes, and they touch no SSE register (the kernel is -mgeneral-regs-only).
// The C loops below are compiled without loop pattern recognition, which would otherwise
// turn them into calls to the very functions they implement.
#include "dbt/base/types.h"

using keel::u64;
using keel::u8;

#define KEEL_NO_LIBCALL_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))

namespace {
// Byte by byte in ascending order, architecturally (SDM vol. 2, MOVS), so also right for an
// overlapping destination below the source.
inline void copy_forward(void* destination, const void* source, size_t n)
{
    asm volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(n) : : "memory");
}
} // namespace

extern "C" {

void* memcpy(void* __restrict destination, const void* __restrict source, size_t n)
{
    copy_forward(destination, source, n);
    return destination;
}

void* memset(void* destination, int value, size_t n)
{
    void* d = destination;
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(value) : "memory");
    return destination;
}

// Backwards, when the destination overlaps the end of the source. Not with `std; rep movsb`:
// that is slow (no fast-string microcode with DF=1), and an interrupt arriving while DF is
// set would enter its handler with DF=1 (interrupt delivery does not clear it; SDM vol. 3,
// 6.12.1), breaking the ABI's DF=0 for any string operation there.
KEEL_NO_LIBCALL_LOOPS void* memmove(void* destination, const void* source, size_t n)
{
    u8* d = static_cast<u8*>(destination);
    const u8* s = static_cast<const u8*>(source);
    if (d <= s || d >= s + n) {
        copy_forward(destination, source, n);
        return destination;
    }
    while (n >= 8) {
        n -= 8;
        u64 word;
        __builtin_memcpy(&word, s + n, 8); // a fixed-size builtin: one load, never a call
        __builtin_memcpy(d + n, &word, 8);
    }
    while (n > 0) {
        --n;
        d[n] = s[n];
    }
    return destination;
}

KEEL_NO_LIBCALL_LOOPS int memcmp(const void* a, const void* b, size_t n)
{
    const u8* x = static_cast<const u8*>(a);
    const u8* y = static_cast<const u8*>(b);
    // Skip equal 8-byte words, then find the first differing byte.
    while (n >= 8) {
        u64 u, v;
        __builtin_memcpy(&u, x, 8);
        __builtin_memcpy(&v, y, 8);
        if (u != v)
            break;
        x += 8;
        y += 8;
        n -= 8;
    }
    for (; n > 0; --n, ++x, ++y) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
    }
    return 0;
}

KEEL_NO_LIBCALL_LOOPS size_t strlen(const char* s)
{
    const char* p = s;
    while (*p)
        ++p;
    return static_cast<size_t>(p - s);
}

// Comparisons treat characters as unsigned char (C11 7.24.4).
KEEL_NO_LIBCALL_LOOPS int strcmp(const char* a, const char* b)
{
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return static_cast<int>(static_cast<u8>(*a)) - static_cast<int>(static_cast<u8>(*b));
}

KEEL_NO_LIBCALL_LOOPS int strncmp(const char* a, const char* b, size_t n)
{
    for (; n > 0; --n, ++a, ++b) {
        if (*a != *b || !*a)
            return static_cast<int>(static_cast<u8>(*a)) - static_cast<int>(static_cast<u8>(*b));
    }
    return 0;
}

KEEL_NO_LIBCALL_LOOPS char* strstr(const char* haystack, const char* needle)
{
    if (!*needle)
        return const_cast<char*>(haystack);
    for (; *haystack; ++haystack) {
        const char* h = haystack;
        const char* n = needle;
        while (*n && *h == *n) {
            ++h;
            ++n;
        }
        if (!*n)
            return const_cast<char*>(haystack);
    }
    return nullptr;
}

} // extern "C"
