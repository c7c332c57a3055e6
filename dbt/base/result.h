#pragma once
// Result<T>: a value or an Error, with TRY to propagate and MUST to assert success
// (after SerenityOS's ErrorOr). No exceptions anywhere in dbt/, plugins/ or kernel/.
#include <new>
#include <utility>
#include "dbt/base/assert.h"
#include "dbt/base/error.h"

namespace keel {

template<typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_has_value(true) { new (&m_value) T(std::move(value)); }
    Result(Error error) : m_has_value(false) { new (&m_error) Error(error); }
    Result(Result&& other) : m_has_value(other.m_has_value)
    {
        if (m_has_value)
            new (&m_value) T(std::move(other.m_value));
        else
            new (&m_error) Error(other.m_error);
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    ~Result()
    {
        if (m_has_value)
            m_value.~T();
    }

    bool is_error() const { return !m_has_value; }
    const Error& error() const { VERIFY(!m_has_value); return m_error; }
    Error release_error() { VERIFY(!m_has_value); return m_error; }
    T& value() { VERIFY(m_has_value); return m_value; }
    const T& value() const { VERIFY(m_has_value); return m_value; }
    T release_value() { VERIFY(m_has_value); return std::move(m_value); }

private:
    union {
        T m_value;
        Error m_error;
    };
    bool m_has_value;
};

template<>
class [[nodiscard]] Result<void> {
public:
    Result() : m_has_error(false) {}
    Result(Error error) : m_error(error), m_has_error(true) {}

    bool is_error() const { return m_has_error; }
    const Error& error() const { VERIFY(m_has_error); return m_error; }
    Error release_error() { VERIFY(m_has_error); return m_error; }
    void release_value() {}

private:
    union {
        Error m_error;
    };
    bool m_has_error;
};

} // namespace keel

// Propagates an error to the caller; otherwise yields the value (GNU statement expression).
#define TRY(expr)                                  \
    ({                                             \
        auto&& _keel_result = (expr);              \
        if (_keel_result.is_error())               \
            return _keel_result.release_error();   \
        _keel_result.release_value();              \
    })

// For results that cannot fail unless keel itself is broken.
#define MUST(expr)                                                          \
    ({                                                                      \
        auto&& _keel_result = (expr);                                       \
        if (_keel_result.is_error())                                        \
            PANIC("MUST failed: %s", _keel_result.error().message());       \
        _keel_result.release_value();                                       \
    })
