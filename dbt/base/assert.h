#pragma once
// VERIFY/PANIC for broken invariants (keel bugs, never guest behaviour). The host installs
// the handler: stderr + abort when hosted, the serial console + halt in the kernel.
#include "dbt/base/types.h"

namespace keel {
using PanicHandler = void (*)(const char* file, int line, const char* message);
void set_panic_handler(PanicHandler handler);
[[noreturn]] void panic_at(const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
} // namespace keel

#define PANIC(...) ::keel::panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define VERIFY(cond)                                                  \
    do {                                                              \
        if (__builtin_expect(!(cond), 0))                             \
            ::keel::panic_at(__FILE__, __LINE__, "VERIFY(%s) failed", #cond); \
    } while (0)
#define VERIFY_NOT_REACHED() PANIC("unreachable")
