#include "plugins/devices/port92/port92.h"

namespace keel::devices {
namespace {
// PIIX4 "Port 92 Register": bit 0 FAST_INIT, bit 1 FAST_A20, bits 7-2 reserved.
constexpr u8 fast_reset = 0x01, fast_a20 = 0x02, implemented = fast_reset | fast_a20;
} // namespace

void Port92::reset()
{
    set(0); // the PIIX4 default: A20 gated by the keyboard controller alone
}

void Port92::set(u8 value)
{
    u8 old = m_value;
    m_value = value & implemented;
    if (((old ^ m_value) & fast_a20) && m_system.a20_changed)
        m_system.a20_changed(m_system.context, a20_enabled());
    // A 0-to-1 transition of bit 0 resets the processor; the bit stays set (and must be
    // cleared before it can reset again). keel takes it as a system reset, as QEMU does.
    if (!(old & fast_reset) && (m_value & fast_reset) && m_system.reset_system)
        m_system.reset_system(m_system.context); // last: it may reset this device
}

u32 Port92::io_read(u16 p, unsigned size)
{
    u32 high = size >= 4 ? 0xFFFFFF00u : ((1u << (8 * size)) - 1) & ~0xFFu; // 8-bit register
    return high | (p == port ? m_value : 0xFF);
}

void Port92::io_write(u16 p, u32 value, unsigned)
{
    if (p == port)
        set(static_cast<u8>(value));
}

void Port92::describe(StringBuilder& out) const
{
    out.append("port92: %02x (a20=%u)\n", m_value, a20_enabled() ? 1u : 0u);
}

void Port92::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u8(m_value);
}

Result<void> Port92::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("port92 state: version %u, expected %u", version, state_version);
    u8 value = TRY(in.read_u8());
    if (value & ~implemented)
        return Error::formatted("port92 state: value 0x%02x has reserved bits", value);
    // Restoring is not a write: no reset, but the machine's A20 follows.
    bool a20 = a20_enabled();
    m_value = value;
    if (a20 != a20_enabled() && m_system.a20_changed)
        m_system.a20_changed(m_system.context, a20_enabled());
    return {};
}

} // namespace keel::devices
