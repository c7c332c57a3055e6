#pragma once
// Freestanding string and memory helpers. They compile to the builtins, which the kernel's
// runtime (mem*) and the hosted libc both provide.
#include "dbt/base/types.h"

namespace keel {
inline usize string_length(const char* s) { return __builtin_strlen(s); }
inline bool string_equal(const char* a, const char* b) { return __builtin_strcmp(a, b) == 0; }
inline bool memory_equal(const void* a, const void* b, usize n) { return __builtin_memcmp(a, b, n) == 0; }
inline void copy_memory(void* dst, const void* src, usize n) { __builtin_memcpy(dst, src, n); }
inline void fill_memory(void* dst, u8 value, usize n) { __builtin_memset(dst, value, n); }
inline bool starts_with(const char* s, const char* prefix)
{
    usize n = string_length(prefix);
    return __builtin_strncmp(s, prefix, n) == 0;
}
} // namespace keel
