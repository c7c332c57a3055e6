#pragma once
// A growable array for dbt/ and plugins/ (no std::vector: it throws, and the kernel has
// no exceptions). Memory comes from the global operator new, which each host provides.
#include <new>
#include <type_traits>
#include <utility>
#include "dbt/base/assert.h"
#include "dbt/base/types.h"

namespace keel {

template<typename T>
class Vector {
public:
    Vector() = default;
    Vector(const Vector&) = delete;
    Vector& operator=(const Vector&) = delete;
    Vector(Vector&& other) noexcept { swap(other); }
    Vector& operator=(Vector&& other) noexcept
    {
        if (this != &other) {
            clear_and_free();
            swap(other);
        }
        return *this;
    }
    ~Vector() { clear_and_free(); }

    usize size() const { return m_size; }
    usize capacity() const { return m_capacity; }
    bool is_empty() const { return m_size == 0; }
    T* data() { return m_data; }
    const T* data() const { return m_data; }
    T* begin() { return m_data; }
    T* end() { return m_data + m_size; }
    const T* begin() const { return m_data; }
    const T* end() const { return m_data + m_size; }

    T& operator[](usize i) { return m_data[i]; }
    const T& operator[](usize i) const { return m_data[i]; }
    T& at(usize i) { VERIFY(i < m_size); return m_data[i]; }
    T& last() { VERIFY(m_size); return m_data[m_size - 1]; }
    const T& last() const { VERIFY(m_size); return m_data[m_size - 1]; }

    template<typename... Args>
    T& emplace(Args&&... args)
    {
        if (m_size == m_capacity)
            reserve(m_capacity ? m_capacity * 2 : 8);
        T* slot = new (&m_data[m_size]) T(std::forward<Args>(args)...);
        ++m_size;
        return *slot;
    }
    void append(const T& value) { emplace(value); }
    void append(T&& value) { emplace(std::move(value)); }

    T take_last()
    {
        VERIFY(m_size);
        T value = std::move(m_data[m_size - 1]);
        m_data[--m_size].~T();
        return value;
    }

    void remove_unordered(usize i)
    {
        VERIFY(i < m_size);
        if (i != m_size - 1)
            m_data[i] = std::move(m_data[m_size - 1]);
        m_data[--m_size].~T();
    }

    void reserve(usize capacity)
    {
        if (capacity <= m_capacity)
            return;
        T* fresh = static_cast<T*>(::operator new(capacity * sizeof(T)));
        for (usize i = 0; i < m_size; ++i) {
            new (&fresh[i]) T(std::move(m_data[i]));
            m_data[i].~T();
        }
        ::operator delete(m_data);
        m_data = fresh;
        m_capacity = capacity;
    }

    // Sets the size; new elements are value-initialized.
    void resize(usize size)
    {
        reserve(size);
        if constexpr (std::is_trivially_default_constructible_v<T> && std::is_trivially_copyable_v<T>) {
            // Value-initialised trivial elements are all-zero bytes: one memset instead of
            // an element loop the compiler keeps (the backend resizes ten per block).
            if (size > m_size)
                __builtin_memset(static_cast<void*>(m_data + m_size), 0, (size - m_size) * sizeof(T));
        } else {
            for (usize i = m_size; i < size; ++i)
                new (&m_data[i]) T();
        }
        for (usize i = size; i < m_size; ++i)
            m_data[i].~T();
        m_size = size;
    }

    // Empties the vector but keeps its memory, so hot paths reuse it without allocating.
    void clear()
    {
        if constexpr (!std::is_trivially_destructible_v<T>) {
            for (usize i = 0; i < m_size; ++i)
                m_data[i].~T();
        }
        m_size = 0;
    }

private:
    void clear_and_free()
    {
        clear();
        ::operator delete(m_data);
        m_data = nullptr;
        m_capacity = 0;
    }
    void swap(Vector& other)
    {
        std::swap(m_data, other.m_data);
        std::swap(m_size, other.m_size);
        std::swap(m_capacity, other.m_capacity);
    }

    T* m_data = nullptr;
    usize m_size = 0;
    usize m_capacity = 0;
};

} // namespace keel
