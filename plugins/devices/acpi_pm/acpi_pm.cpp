#include "plugins/devices/acpi_pm/acpi_pm.h"
#include "dbt/base/log.h"

namespace keel::devices {
namespace {

constexpr u16 sci_en = 1 << 0;          // PM1_CNT: SCI, not SMI, for power events
constexpr u16 slp_typ_shift = 10, slp_typ_mask = 7 << 10;
constexpr u16 slp_en = 1 << 13;
constexpr u16 status_writable = 0x8D31; // PM1_STS: TMR, BM, GBL, PWRBTN, SLPBTN, RTC, WAK
constexpr u16 enable_writable = 0x0521; // PM1_EN: TMR_EN, GBL_EN, PWRBTN_EN, RTC_EN
constexpr u16 control_writable = sci_en | 0x0006 | slp_typ_mask; // SCI_EN, BM_RLD, GBL_RLS, SLP_TYP

} // namespace

void AcpiPm::reset()
{
    m_status = 0;
    m_enable = 0;
    // No SMI_CMD in keel's FADT, so the OS finds ACPI mode already on (ACPI 6.5 §4.8.2.1).
    m_control = sci_en;
    m_transition = 0;
}

u32 AcpiPm::timer() const
{
    // 24 bits at 3.579545 MHz from the machine's virtual clock, as the chipset's counter
    // runs from its own crystal. Whole seconds and the rest apart, so nothing overflows.
    u64 ns = m_machine.clock().now_ns();
    constexpr u64 ns_per_s = 1000000000;
    u64 ticks = (ns / ns_per_s) * timer_hz + (ns % ns_per_s) * timer_hz / ns_per_s;
    return static_cast<u32>(ticks & 0xFFFFFF);
}

u16 AcpiPm::read16(unsigned offset) const
{
    switch (offset) {
    case 0: return m_status;
    case 2: return m_enable;
    case 4: return m_control;
    default: return 0xFFFF;
    }
}

void AcpiPm::write16(unsigned offset, u16 value)
{
    switch (offset) {
    case 0: m_status &= static_cast<u16>(~(value & status_writable)); break;
    case 2: m_enable = value & enable_writable; break;
    case 4: {
        m_control = static_cast<u16>((value & control_writable) | sci_en);
        if (!(value & slp_en))
            break;
        u16 type = (value & slp_typ_mask) >> slp_typ_shift;
        if (type == s5_sleep_type) {
            ::keel::log::printf("keel: the guest powered the machine off (ACPI S5)\n");
            m_machine.request_shutdown(power_off_status);
        } else {
            KEEL_LOG(GuestErrors, "acpi_pm: sleep state with SLP_TYP %u is not supported; ignored\n", type);
        }
        break;
    }
    default: break;
    }
}

u32 AcpiPm::io_read(u16 port, unsigned size)
{
    unsigned offset = static_cast<u16>(port - m_base);
    if (offset == transition_offset) // one byte; whatever else the access covers reads as ones
        return size >= 4 ? 0xFFFFFF00u | m_transition : ((1u << (8 * size)) - 0x100) | m_transition;
    if (offset >= 8 && offset < 12) {
        u32 value = timer() >> (8 * (offset - 8));
        return size >= 4 ? value : value & ((1u << (8 * size)) - 1);
    }
    // The 16-bit registers, byte by byte: an access may cover part of one or two.
    u32 value = 0;
    for (unsigned i = 0; i < size; ++i) {
        unsigned at = offset + i;
        u8 byte = at < 6 ? static_cast<u8>(read16(at & ~1u) >> (8 * (at & 1))) : 0xFF;
        value |= static_cast<u32>(byte) << (8 * i);
    }
    return value;
}

void AcpiPm::io_write(u16 port, u32 value, unsigned size)
{
    unsigned offset = static_cast<u16>(port - m_base);
    if (offset == transition_offset) {
        // ACPI 6.5 §7.3.6: _TTS(state) runs before the OS's own preparations for the
        // transition, from an orderly shutdown or restart only.
        m_transition = static_cast<u8>(value);
        m_machine.note_orderly_shutdown();
        return;
    }
    if (offset >= 6)
        return; // the timer is read-only
    if ((offset & 1) == 0 && size >= 2) {
        write16(offset, static_cast<u16>(value));
        if (size == 4 && offset + 2 < 6)
            write16(offset + 2, static_cast<u16>(value >> 16));
        return;
    }
    // A byte write changes half a register.
    u16 old = read16(offset & ~1u);
    u16 merged = (offset & 1) ? static_cast<u16>((old & 0x00FF) | (value & 0xFF) << 8) : static_cast<u16>((old & 0xFF00) | (value & 0xFF));
    if ((offset & ~1u) == 0) // PM1_STS: only the written byte's ones clear
        merged = static_cast<u16>((offset & 1) ? (value & 0xFF) << 8 : (value & 0xFF));
    write16(offset & ~1u, merged);
}

void AcpiPm::describe(StringBuilder& out) const
{
    out.append("acpi_pm: base 0x%x PM1_STS %04x PM1_EN %04x PM1_CNT %04x PM_TMR %06x TRANSITION %u\n", m_base, m_status, m_enable,
        m_control, timer(), m_transition);
}

void AcpiPm::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(m_status);
    out.write_u16(m_enable);
    out.write_u16(m_control);
    out.write_u8(m_transition);
}

Result<void> AcpiPm::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("acpi_pm state: version %u, expected %u", version, state_version);
    u16 status = TRY(in.read_u16()), enable = TRY(in.read_u16()), control = TRY(in.read_u16());
    if ((status & ~status_writable) || (enable & ~enable_writable) || (control & ~control_writable))
        return Error::formatted("acpi_pm state: reserved bits set");
    u8 transition = TRY(in.read_u8());
    m_status = status, m_enable = enable, m_control = control | sci_en, m_transition = transition;
    if (transition)
        m_machine.note_orderly_shutdown();
    return {};
}

} // namespace keel::devices
