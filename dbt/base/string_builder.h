#pragma once
// Accumulates formatted text (IR dumps, register dumps, monitor output) without libc.
#include "dbt/base/format.h"
#include "dbt/base/vector.h"

namespace keel {

class StringBuilder {
public:
    void append(const char* fmt, ...) __attribute__((format(printf, 2, 3)))
    {
        va_list args;
        va_start(args, fmt);
        char local[256];
        va_list copy;
        va_copy(copy, args);
        usize n = vformat(local, sizeof(local), fmt, copy);
        va_end(copy);
        if (n < sizeof(local)) {
            append_raw(local, n);
        } else {
            usize start = m_text.size();
            m_text.resize(start + n + 1);
            vformat(m_text.data() + start, n + 1, fmt, args);
            m_text.resize(start + n);
        }
        va_end(args);
    }
    void append_raw(const char* s, usize n)
    {
        m_text.reserve(m_text.size() + n + 1);
        for (usize i = 0; i < n; ++i)
            m_text.append(s[i]);
    }
    void append_char(char c) { m_text.append(c); }
    // NUL-terminated view of the text so far.
    const char* c_str()
    {
        // The NUL goes in the reserved room past the text, which stays its length. (Not
        // append-then-shrink: shrinking ends the NUL's lifetime, and the compiler may then
        // drop its store.)
        m_text.reserve(m_text.size() + 1);
        m_text.data()[m_text.size()] = '\0';
        return m_text.data();
    }
    usize length() const { return m_text.size(); }
    void clear() { m_text.clear(); }

private:
    Vector<char> m_text;
};

} // namespace keel
