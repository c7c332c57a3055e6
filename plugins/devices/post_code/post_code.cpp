#include "plugins/devices/post_code/post_code.h"

namespace keel::devices {

u32 PostCode::io_read(u16 p, unsigned size)
{
    u32 high = size >= 4 ? 0xFFFFFF00u : ((1u << (8 * size)) - 1) & ~0xFFu; // 8-bit latch
    return high | (p == port ? m_code : 0xFF);
}

void PostCode::io_write(u16 p, u32 value, unsigned)
{
    if (p != port)
        return;
    m_code = static_cast<u8>(value); // a wider write latches its low byte
    ++m_writes;
    if (!m_log)
        return;
    // Formatted by hand: this is on the I/O-delay path, and "0x%02x" needs no formatter.
    static constexpr char hex[] = "0123456789abcdef";
    char line[] = "POST code 0x??\n";
    line[12] = hex[m_code >> 4];
    line[13] = hex[m_code & 0xF];
    m_log(m_log_context, line, sizeof line - 1);
}

void PostCode::describe(StringBuilder& out) const
{
    out.append("post: last=%02x writes=%llu\n", m_code, static_cast<unsigned long long>(m_writes));
}

void PostCode::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u8(m_code);
    out.write_u64(m_writes);
}

Result<void> PostCode::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("post_code state: version %u, expected %u", version, state_version);
    u8 code = TRY(in.read_u8());
    u64 writes = TRY(in.read_u64());
    m_code = code, m_writes = writes;
    return {};
}

} // namespace keel::devices
