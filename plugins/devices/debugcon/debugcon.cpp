#include "plugins/devices/debugcon/debugcon.h"

namespace keel::devices {

u32 Debugcon::io_read(u16, unsigned size)
{
    // QEMU answers every width with the byte in the low lanes and ones above.
    u32 high = size >= 4 ? 0xFFFFFF00u : ((1u << (8 * size)) - 1) & ~0xFFu;
    return high | readback;
}

void Debugcon::io_write(u16, u32 value, unsigned)
{
    char byte = static_cast<char>(value); // a wider write sends its low byte, as QEMU's
    ++m_bytes;
    if (m_output)
        m_output(m_context, &byte, 1);
}

void Debugcon::describe(StringBuilder& out) const
{
    out.append("debugcon: %llu bytes written%s\n", static_cast<unsigned long long>(m_bytes), m_output ? "" : " (output=none)");
}

void Debugcon::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u64(m_bytes);
}

Result<void> Debugcon::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("debugcon state: version %u, expected %u", version, state_version);
    m_bytes = TRY(in.read_u64());
    return {};
}

} // namespace keel::devices
