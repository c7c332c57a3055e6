#include "dbt/base/assert.h"
#include "dbt/base/format.h"

namespace keel {
namespace {
PanicHandler g_panic_handler = nullptr;
}

void set_panic_handler(PanicHandler handler) { g_panic_handler = handler; }

void panic_at(const char* file, int line, const char* fmt, ...)
{
    char message[256];
    va_list args;
    va_start(args, fmt);
    vformat(message, sizeof(message), fmt, args);
    va_end(args);
    if (g_panic_handler)
        g_panic_handler(file, line, message);
    // A handler must not return; if none is installed (or it did), stop here.
    __builtin_trap();
}
} // namespace keel
