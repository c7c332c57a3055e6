#pragma once
// Device state as bytes (save/restore, snapshots): little-endian fixed-width fields written
// in order, read back in the same order with bounds checks.
#include "dbt/base/result.h"
#include "dbt/base/vector.h"

namespace keel {

class StateWriter {
public:
    void write_u8(u8 v) { m_bytes.append(v); }
    void write_u16(u16 v) { put(v, 2); }
    void write_u32(u32 v) { put(v, 4); }
    void write_u64(u64 v) { put(v, 8); }
    void write_bool(bool v) { write_u8(v ? 1 : 0); }
    void write_bytes(const u8* data, usize size)
    {
        for (usize i = 0; i < size; ++i)
            m_bytes.append(data[i]);
    }
    const Vector<u8>& data() const { return m_bytes; }

private:
    void put(u64 v, unsigned n)
    {
        for (unsigned i = 0; i < n; ++i)
            m_bytes.append(static_cast<u8>(v >> (8 * i)));
    }
    Vector<u8> m_bytes;
};

class StateReader {
public:
    StateReader(const u8* data, usize size) : m_data(data), m_size(size) {}

    Result<u8> read_u8() { return static_cast<u8>(TRY(get(1))); }
    Result<u16> read_u16() { return static_cast<u16>(TRY(get(2))); }
    Result<u32> read_u32() { return static_cast<u32>(TRY(get(4))); }
    Result<u64> read_u64() { return get(8); }
    Result<bool> read_bool()
    {
        u64 v = TRY(get(1));
        if (v > 1)
            return Error::formatted("device state: invalid boolean at byte %zu", m_offset - 1);
        return v == 1;
    }
    Result<void> read_bytes(u8* out, usize size)
    {
        if (size > m_size - m_offset)
            return Error::formatted("device state: truncated at byte %zu", m_offset);
        for (usize i = 0; i < size; ++i)
            out[i] = m_data[m_offset + i];
        m_offset += size;
        return {};
    }
    usize remaining() const { return m_size - m_offset; }

private:
    Result<u64> get(unsigned n)
    {
        if (n > m_size - m_offset)
            return Error::formatted("device state: truncated at byte %zu", m_offset);
        u64 v = 0;
        for (unsigned i = 0; i < n; ++i)
            v |= static_cast<u64>(m_data[m_offset + i]) << (8 * i);
        m_offset += n;
        return v;
    }
    const u8* m_data;
    usize m_size;
    usize m_offset = 0;
};

} // namespace keel
