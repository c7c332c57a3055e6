#pragma once
// A freestanding printf-style formatter (the kernel has no libc). Supports the conversions
// keel uses: %d %i %u %x %X %o %c %s %p %% with flags '-', '0', '#', width, precision for
// strings, and length modifiers hh h l ll z.
#include <stdarg.h>
#include "dbt/base/types.h"

namespace keel {
// Writes at most size-1 characters plus a terminating NUL; returns the full length.
usize format(char* buffer, usize size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
usize vformat(char* buffer, usize size, const char* fmt, va_list args);
} // namespace keel
