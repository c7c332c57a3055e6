#pragma once
// An error with a human-readable message, for boundaries that can fail (loaders, config,
// plugin ABI, guest images). The message is stored inline so that making an error never
// allocates (the kernel may be out of memory when it reports one).
#include "dbt/base/format.h"

namespace keel {

class Error {
public:
    static Error from_string(const char* text) { return Error::formatted("%s", text); }

    static Error formatted(const char* fmt, ...) __attribute__((format(printf, 1, 2)))
    {
        Error e;
        va_list args;
        va_start(args, fmt);
        vformat(e.m_text, sizeof(e.m_text), fmt, args);
        va_end(args);
        return e;
    }

    const char* message() const { return m_text; }

private:
    Error() = default;
    char m_text[200];
};

} // namespace keel
