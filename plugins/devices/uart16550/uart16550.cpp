#include "plugins/devices/uart16550/uart16550.h"

namespace keel::devices {
namespace {
// Register offsets from the base port (data sheet table II).
enum : u16 { RBR_THR_DLL = 0, IER_DLM = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

// LSR bits (data sheet 8.6).
constexpr u8 lsr_dr = 0x01, lsr_oe = 0x02, lsr_bi = 0x10, lsr_thre = 0x20, lsr_temt = 0x40, lsr_fifo_error = 0x80;
// IER bits (8.5): received data (and timeout), THR empty, receiver line status, modem status.
constexpr u8 ier_erbfi = 0x01, ier_etbei = 0x02, ier_elsi = 0x04, ier_edssi = 0x08;
// IIR identification codes, bits 3-0 (table IV), highest priority first.
constexpr u8 iir_line_status = 0x06, iir_rx_data = 0x04, iir_timeout = 0x0C, iir_thre = 0x02, iir_modem = 0x00, iir_none = 0x01;
// MCR bits (8.7).
constexpr u8 mcr_out2 = 0x08, mcr_loop = 0x10;
// The receiver FIFO trigger levels selected by FCR bits 7-6 (8.4).
constexpr u8 trigger_levels[4] = { 1, 4, 8, 14 };

// 2 bytes of size, then the fields of save() in order.
constexpr u16 state_size = 2 + 5 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + Uart16550::fifo_size + 2;
} // namespace

void Uart16550::reset()
{
    // Master reset (data sheet table VIII), except LCR and the divisor latch: keel has no
    // firmware, so the port starts as a PC BIOS leaves it, 8N1 at 9600 baud (divisor 12).
    m_ier = 0, m_fcr = 0, m_mcr = 0, m_scr = 0;
    m_lcr = 0x03;
    m_divisor = 12;
    m_rbr = 0;
    m_lsr_errors = 0;
    m_fifo_error = false;
    m_thre_pending = false;
    m_modem_lines = 0xB0; // CTS, DSR, DCD: a terminal is attached
    m_msr_delta = 0;
    clear_rx_fifo();
    update_irq();
}

void Uart16550::set_irq_line(InterruptLine line)
{
    m_irq = line;
    m_irq.set(m_irq_level);
}

// The INTR pin is high while an enabled interrupt is pending (8.3). A PC routes it to the
// PIC through a buffer enabled by the OUT2 pin; in loopback the output pins are forced
// inactive (8.7, MCR bit 4), so OUT2 then disconnects the IRQ too.
void Uart16550::update_irq()
{
    bool level = interrupt_id() != iir_none && (m_mcr & mcr_out2) && !loopback();
    if (level != m_irq_level) {
        m_irq_level = level;
        m_irq.set(level);
    }
}

u8 Uart16550::interrupt_id() const
{
    if ((m_ier & ier_elsi) && m_lsr_errors)
        return iir_line_status;
    if ((m_ier & ier_erbfi) && m_rx_count) {
        // FIFO mode: data at or above the trigger level, else the character timeout. keel
        // counts the line idle as soon as the data is there (no 4-character-time wait).
        if (!fifo_enabled() || m_rx_count >= trigger_levels[m_fcr >> 6])
            return iir_rx_data;
        return iir_timeout;
    }
    if ((m_ier & ier_etbei) && m_thre_pending)
        return iir_thre;
    if ((m_ier & ier_edssi) && m_msr_delta)
        return iir_modem;
    return iir_none;
}

u8 Uart16550::modem_inputs() const
{
    if (!loopback())
        return m_modem_lines;
    // Loopback (8.7 bit 4; 8.8 bits 4-7): RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD.
    u8 m = m_mcr;
    return static_cast<u8>(((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4));
}

void Uart16550::set_modem_inputs(u8 msr_lines)
{
    u8 before = modem_inputs();
    m_modem_lines = msr_lines & 0xF0;
    note_modem_change(before);
    update_irq();
}

// 8.8 bits 0-3: DCTS, DDSR and DDCD note a change of CTS, DSR, DCD; TERI that RI went off.
void Uart16550::note_modem_change(u8 before)
{
    u8 after = modem_inputs();
    u8 changed = before ^ after;
    m_msr_delta |= static_cast<u8>(((changed >> 4) & 0x0B) | ((before & ~after & 0x40) >> 4));
}

void Uart16550::clear_rx_fifo()
{
    m_rx_head = 0, m_rx_count = 0, m_rx_break = 0;
}

bool Uart16550::rx_has_break() const
{
    for (usize i = 0; i < m_rx_count; ++i)
        if (m_rx_break & (1u << ((m_rx_head + i) % fifo_size)))
            return true;
    return false;
}

// One character completes in the receiver shift register (8.6 LSR bits 1, 4 and 7).
void Uart16550::rx_push(u8 value, bool is_break)
{
    value &= word_mask();
    unsigned slot;
    if (m_rx_count == rx_capacity()) {
        m_lsr_errors |= lsr_oe;
        if (fifo_enabled())
            return; // FIFO mode: the shift register is overwritten, the FIFO kept
        slot = m_rx_head; // 16450 mode: the character in RBR is destroyed
    } else {
        slot = (m_rx_head + m_rx_count++) % fifo_size;
    }
    m_rx[slot] = value;
    m_rx_break = static_cast<u16>((m_rx_break & ~(1u << slot)) | (is_break ? 1u << slot : 0));
    if (is_break) {
        if (fifo_enabled())
            m_fifo_error = true;
        if (slot == m_rx_head) // an error shows in LSR when its character is at the top
            m_lsr_errors |= lsr_bi;
    }
}

void Uart16550::receive(const u8* bytes, usize n)
{
    if (loopback())
        return;
    for (usize i = 0; i < n; ++i)
        rx_push(bytes[i], false);
    update_irq();
}

void Uart16550::send_break()
{
    if (loopback())
        return;
    rx_push(0, true);
    update_irq();
}

u8 Uart16550::read_rbr()
{
    if (m_rx_count) {
        m_rbr = m_rx[m_rx_head];
        m_rx_break = static_cast<u16>(m_rx_break & ~(1u << m_rx_head));
        m_rx_head = static_cast<u8>((m_rx_head + 1) % fifo_size);
        if (--m_rx_count && (m_rx_break & (1u << m_rx_head)))
            m_lsr_errors |= lsr_bi;
    }
    return m_rbr;
}

u8 Uart16550::read_lsr()
{
    u8 value = static_cast<u8>((m_rx_count ? lsr_dr : 0) | m_lsr_errors | lsr_thre | lsr_temt);
    if (fifo_enabled() && m_fifo_error)
        value |= lsr_fifo_error;
    // Reading LSR clears OE and BI; bit 7 stays while an erroneous character is in the FIFO.
    m_lsr_errors = 0;
    m_fifo_error = rx_has_break();
    return value;
}

// The wire is the host console: the byte is sent at once, so THR (and the transmit FIFO)
// is empty again straight away and the THRE interrupt, cleared by the write, comes back.
void Uart16550::write_thr(u8 value)
{
    m_thre_pending = false;
    update_irq();
    value &= word_mask();
    if (loopback()) {
        rx_push(value, false); // 8.7 bit 4: the transmitter shift register feeds the receiver
    } else if (m_output) {
        char c = static_cast<char>(value);
        m_output(m_output_context, &c, 1);
    }
    m_thre_pending = true;
}

void Uart16550::write_fcr(u8 value)
{
    // 8.4: changing bit 0 clears both FIFOs; the other bits are written only with bit 0 set.
    if ((value ^ m_fcr) & 1)
        clear_rx_fifo();
    if (!(value & 1)) {
        m_fcr = 0;
        m_fifo_error = false;
        return;
    }
    if (value & 0x02) // RCVR FIFO reset (the transmit FIFO, bit 2, is always empty)
        clear_rx_fifo();
    m_fcr = value & 0xC9; // enable, DMA mode select (no effect here), trigger level
    m_fifo_error = rx_has_break();
}

void Uart16550::write_mcr(u8 value)
{
    u8 before = modem_inputs();
    m_mcr = value & 0x1F;
    note_modem_change(before);
}

u32 Uart16550::io_read(u16 port, unsigned)
{
    u8 value;
    switch (port - m_base) {
    case RBR_THR_DLL: value = dlab() ? (m_divisor & 0xFF) : read_rbr(); break;
    case IER_DLM: value = dlab() ? (m_divisor >> 8) : m_ier; break;
    case IIR_FCR:
        value = interrupt_id() | (fifo_enabled() ? 0xC0 : 0x00); // 8.3: bits 7-6 mirror FCR bit 0
        if ((value & 0x0F) == iir_thre)
            m_thre_pending = false; // table IV: reading IIR clears THRE when it is the source
        break;
    case LCR: value = m_lcr; break;
    case MCR: value = m_mcr; break;
    case LSR: value = read_lsr(); break;
    case MSR:
        value = modem_inputs() | m_msr_delta;
        m_msr_delta = 0; // 8.8: the delta bits clear when MSR is read
        break;
    default: value = m_scr; break;
    }
    update_irq();
    return value;
}

void Uart16550::io_write(u16 port, u32 value32, unsigned)
{
    u8 v = static_cast<u8>(value32);
    switch (port - m_base) {
    case RBR_THR_DLL:
        if (dlab())
            m_divisor = (m_divisor & 0xFF00) | v;
        else
            write_thr(v);
        break;
    case IER_DLM:
        if (dlab()) {
            m_divisor = static_cast<u16>((m_divisor & 0xFF) | (v << 8));
        } else {
            // Enabling ETBEI with THR empty raises the THRE interrupt at once (THR is
            // always empty here), as on the 16550A and QEMU.
            if ((v & ~m_ier) & ier_etbei)
                m_thre_pending = true;
            m_ier = v & 0x0F;
        }
        break;
    case IIR_FCR: write_fcr(v); break;
    case LCR: m_lcr = v; break;
    case MCR: write_mcr(v); break;
    case SCR: m_scr = v; break;
    default: break; // LSR and MSR: writes are for factory testing only (8.6)
    }
    update_irq();
}

void Uart16550::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(state_size);
    out.write_u8(m_ier), out.write_u8(m_lcr), out.write_u8(m_mcr), out.write_u8(m_scr), out.write_u8(m_fcr);
    out.write_u16(m_divisor);
    out.write_u8(m_rbr);
    out.write_u8(m_lsr_errors);
    out.write_bool(m_fifo_error);
    out.write_bool(m_thre_pending);
    out.write_u8(m_modem_lines);
    out.write_u8(m_msr_delta);
    // The receiver FIFO from its top, and which of its characters are breaks.
    out.write_u8(m_rx_count);
    u16 breaks = 0;
    for (usize i = 0; i < fifo_size; ++i) {
        usize slot = (m_rx_head + i) % fifo_size;
        out.write_u8(i < m_rx_count ? m_rx[slot] : 0);
        if (i < m_rx_count && (m_rx_break & (1u << slot)))
            breaks |= static_cast<u16>(1u << i);
    }
    out.write_u16(breaks);
}

Result<void> Uart16550::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("uart16550 state: version %u, expected %u", version, state_version);
    u16 size = TRY(in.read_u16());
    if (size != state_size || in.remaining() < size - 2u)
        return Error::formatted("uart16550 state: %u bytes (%zu present), expected %u", size, in.remaining() + 2, state_size);
    u8 regs[5];
    TRY(in.read_bytes(regs, 5));
    u16 divisor = TRY(in.read_u16());
    u8 rbr = TRY(in.read_u8());
    u8 lsr_errors = TRY(in.read_u8());
    bool fifo_error = TRY(in.read_bool());
    bool thre_pending = TRY(in.read_bool());
    u8 modem_lines = TRY(in.read_u8());
    u8 msr_delta = TRY(in.read_u8());
    u8 rx_count = TRY(in.read_u8());
    u8 rx[fifo_size];
    TRY(in.read_bytes(rx, fifo_size));
    u16 breaks = TRY(in.read_u16());
    u8 ier = regs[0], lcr = regs[1], mcr = regs[2], scr = regs[3], fcr = regs[4];
    if (ier > 0x0F || mcr > 0x1F || (fcr & ~0xC9) || ((fcr & 0xC8) && !(fcr & 1)))
        return Error::from_string("uart16550 state: IER, MCR or FCR has bits the chip cannot hold");
    if ((lsr_errors & ~(lsr_oe | lsr_bi)) || (fifo_error && !(fcr & 1)) || (modem_lines & 0x0F) || msr_delta > 0x0F)
        return Error::from_string("uart16550 state: LSR or MSR has bits the chip cannot hold");
    if (rx_count > ((fcr & 1) ? fifo_size : 1) || (breaks >> rx_count))
        return Error::formatted("uart16550 state: %u received characters do not fit", rx_count);
    m_ier = ier, m_lcr = lcr, m_mcr = mcr, m_scr = scr, m_fcr = fcr;
    m_divisor = divisor;
    m_rbr = rbr;
    m_lsr_errors = lsr_errors;
    m_fifo_error = fifo_error;
    m_thre_pending = thre_pending;
    m_modem_lines = modem_lines;
    m_msr_delta = msr_delta;
    m_rx_head = 0, m_rx_count = rx_count, m_rx_break = breaks;
    for (usize i = 0; i < fifo_size; ++i)
        m_rx[i] = rx[i];
    m_irq_level = interrupt_id() != iir_none && (m_mcr & mcr_out2) && !loopback();
    m_irq.set(m_irq_level);
    return {};
}

} // namespace keel::devices
