#include "plugins/devices/ioapic/ioapic.h"
#include "dbt/base/log.h"

// Section numbers below are those of the Intel 82093AA data sheet (290566-001).
namespace keel::devices {
namespace {
constexpr u64 ioregsel_offset = 0x00, iowin_offset = 0x10;
// §3.2.2: maximum redirection entry 0x17 (24 pins) in bits 23:16, version 0x11 in bits 7:0.
constexpr u32 version_value = ((IoApic::pin_count - 1) << 16) | 0x11;
// The redirection entry bits software can write (§3.2.4): delivery status and remote IRR
// are read-only, bits 55:17 reserved.
constexpr u64 entry_writable = IoApic::entry_vector | IoApic::entry_delivery_mode | IoApic::entry_logical |
                               IoApic::entry_active_low | IoApic::entry_level | IoApic::entry_masked |
                               IoApic::entry_destination;
constexpr u32 all_pins = (1u << IoApic::pin_count) - 1;
} // namespace

IoApic::IoApic(ApicBus& bus, u8 apic_id) : m_bus(bus), m_reset_id(apic_id & 0x0F)
{
    reset();
}

void IoApic::reset()
{
    // §3.2.4: "the mask bit is set" after reset; the rest of each entry reads 0. The input
    // pins belong to the devices driving them and are kept.
    u32 pins = m_s.pins;
    m_s = State {};
    m_s.pins = pins;
    m_s.id = m_reset_id;
    for (u64& e : m_s.entries)
        e = entry_masked;
}

// ---- The register window (§3.1) ---------------------------------------------------------

u64 IoApic::mmio_read(u64 offset, unsigned size)
{
    if (offset == ioregsel_offset)
        return m_s.ioregsel;
    if (offset == iowin_offset && size == 4)
        return read_register(m_s.ioregsel);
    KEEL_LOG(GuestErrors, "ioapic: read of %u bytes at offset 0x%llx\n", size, static_cast<unsigned long long>(offset));
    return 0;
}

void IoApic::mmio_write(u64 offset, u64 value, unsigned size)
{
    if (offset == ioregsel_offset)
        m_s.ioregsel = static_cast<u8>(value); // bits 7:0 select; 31:8 reserved
    else if (offset == iowin_offset && size == 4)
        write_register(m_s.ioregsel, static_cast<u32>(value));
    else
        KEEL_LOG(GuestErrors, "ioapic: write of %u bytes at offset 0x%llx ignored\n", size,
            static_cast<unsigned long long>(offset));
}

u32 IoApic::read_register(u8 index) const
{
    switch (index) {
    case RegId: return static_cast<u32>(m_s.id) << 24;                  // §3.2.1
    case RegVersion: return version_value;                              // §3.2.2
    case RegArbitration: return static_cast<u32>(m_s.id) << 24;         // §3.2.3: loaded from the ID
    default: break;
    }
    unsigned entry = (index - RegRedirectionTable) / 2u;
    if (index < RegRedirectionTable || entry >= pin_count)
        return 0; // unimplemented registers read 0 (as QEMU)
    u64 e = m_s.entries[entry];
    return static_cast<u32>(index & 1 ? e >> 32 : e);
}

void IoApic::write_register(u8 index, u32 value)
{
    if (index == RegId) {
        m_s.id = (value >> 24) & 0x0F; // §3.2.1: bits 27:24; the arbitration ID follows (§3.2.3)
        return;
    }
    unsigned pin = (index - RegRedirectionTable) / 2u;
    if (index < RegRedirectionTable || pin >= pin_count)
        return; // version, arbitration: read-only
    u64& e = m_s.entries[pin];
    u64 written = index & 1 ? (e & 0xFFFFFFFFull) | (static_cast<u64>(value) << 32)
                            : (e & ~0xFFFFFFFFull) | value;
    e = (e & ~entry_writable) | (written & entry_writable);
    // Remote IRR is "undefined for edge triggered interrupts"; it is cleared when an entry
    // becomes edge-triggered (as QEMU), so it cannot block the entry once level again.
    if (!(e & entry_level))
        e &= ~entry_remote_irr;
    // An unmasked level entry whose input is asserted interrupts now.
    service_level(pin);
}

// ---- Inputs and delivery (§2.4, §3.2.4) ---------------------------------------------------

bool IoApic::asserted(unsigned pin) const
{
    bool level = m_s.pins & (1u << pin);
    return (m_s.entries[pin] & entry_active_low) ? !level : level; // §3.2.4 bit 13
}

void IoApic::set_irq_level(u32 line, bool level)
{
    if (line >= pin_count) {
        KEEL_LOG(GuestErrors, "ioapic: no input pin %u to drive\n", line);
        return;
    }
    bool was = asserted(line);
    if (level)
        m_s.pins |= 1u << line;
    else
        m_s.pins &= ~(1u << line);
    u64 e = m_s.entries[line];
    if (e & entry_level) {
        service_level(line);
    } else if (!was && asserted(line) && !(e & entry_masked)) {
        // Edge-triggered: one message per rising edge; "when masked, edge-sensitive
        // interrupts are ... discarded" (§3.2.4 bit 16).
        send(line);
    }
}

void IoApic::service_level(unsigned pin)
{
    u64& e = m_s.entries[pin];
    if (!(e & entry_level) || (e & (entry_masked | entry_remote_irr)) || !asserted(pin))
        return;
    // §3.2.4 bit 14: remote IRR is set when the local APIC accepts the level interrupt
    // (at once here), and reset by its EOI.
    e |= entry_remote_irr;
    send(pin);
}

void IoApic::send(unsigned pin)
{
    u64 e = m_s.entries[pin];
    m_bus.deliver(static_cast<u8>(e & entry_vector), static_cast<u8>((e & entry_delivery_mode) >> 8),
        static_cast<u8>(e >> 56), e & entry_logical, e & entry_level);
}

void IoApic::end_of_interrupt(u8 vector)
{
    for (unsigned pin = 0; pin < pin_count; ++pin) {
        u64& e = m_s.entries[pin];
        if ((e & entry_vector) != vector || !(e & entry_remote_irr))
            continue;
        e &= ~entry_remote_irr;
        service_level(pin); // still asserted: interrupt again
    }
}

// ---- State ------------------------------------------------------------------------------
// Version byte, payload length (u16), IOREGSEL, ID, pin levels (u32), 24 entries (u64).

namespace {
constexpr u16 state_size = 1 + 1 + 4 + 8 * IoApic::pin_count;
} // namespace

void IoApic::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(state_size);
    out.write_u8(m_s.ioregsel);
    out.write_u8(m_s.id);
    out.write_u32(m_s.pins);
    for (u64 e : m_s.entries)
        out.write_u64(e);
}

Result<void> IoApic::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("ioapic state: version %u, expected %u", version, state_version);
    u16 size = TRY(in.read_u16());
    if (size != state_size)
        return Error::formatted("ioapic state: %u bytes, expected %u", size, state_size);
    State s;
    s.ioregsel = TRY(in.read_u8());
    s.id = TRY(in.read_u8());
    s.pins = TRY(in.read_u32());
    for (u64& e : s.entries)
        e = TRY(in.read_u64());
    if (s.id > 0x0F || (s.pins & ~all_pins))
        return Error::formatted("ioapic state: ID 0x%x or pin levels 0x%x out of range", s.id, s.pins);
    for (unsigned pin = 0; pin < pin_count; ++pin) {
        u64 e = s.entries[pin];
        bool stray_irr = (e & entry_remote_irr) && !(e & entry_level);
        if ((e & ~(entry_writable | entry_remote_irr)) || stray_irr)
            return Error::formatted("ioapic state: redirection entry %u (0x%llx) is not one the IOAPIC can hold", pin,
                static_cast<unsigned long long>(e));
    }
    // Nothing is delivered: a level interrupt in flight is in the local APIC's saved state.
    m_s = s;
    return {};
}

void IoApic::describe(StringBuilder& out) const
{
    static const char* const modes[8] = { "fixed", "lowest-prio", "smi", "reserved", "nmi", "init", "reserved", "extint" };
    out.append("ioapic0: ver=0x%x id=0x%02x sel=0x%02x pins=0x%06x\n", version_value & 0xFF, m_s.id, m_s.ioregsel, m_s.pins);
    for (unsigned pin = 0; pin < pin_count; ++pin) {
        u64 e = m_s.entries[pin];
        out.append("  pin %-2u 0x%016llx dest=%u vec=%-3u %s %s%s%s %s %s\n", pin, static_cast<unsigned long long>(e),
            static_cast<unsigned>(e >> 56), static_cast<unsigned>(e & entry_vector),
            e & entry_active_low ? "active-lo" : "active-hi", e & entry_level ? "level" : "edge",
            e & entry_remote_irr ? " remote-irr" : "", e & entry_masked ? " masked" : "",
            modes[(e & entry_delivery_mode) >> 8], e & entry_logical ? "logical" : "physical");
    }
}

} // namespace keel::devices
