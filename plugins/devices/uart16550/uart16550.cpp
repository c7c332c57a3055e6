#include "plugins/devices/uart16550/uart16550.h"

namespace keel::devices {
namespace {
// Register offsets from the base port.
enum : u16 { RBR_THR_DLL = 0, IER_DLM = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
constexpr u8 lsr_thre = 0x20, lsr_temt = 0x40; // transmitter holding register / shifter empty
} // namespace

u32 Uart16550::io_read(u16 port, unsigned)
{
    switch (port - m_base) {
    case RBR_THR_DLL: return dlab() ? (m_divisor & 0xFF) : 0; // nothing received
    case IER_DLM: return dlab() ? (m_divisor >> 8) : m_ier;
    case IIR_FCR: return (m_fcr & 1 ? 0xC0 : 0x00) | 0x01; // FIFOs as enabled; no interrupt pending
    case LCR: return m_lcr;
    case MCR: return m_mcr;
    case LSR: return lsr_thre | lsr_temt;
    case MSR:
        if (m_mcr & 0x10) {
            // Loopback: RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD (PC16550D data sheet, MCR bit 4).
            u8 m = m_mcr;
            return ((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4);
        }
        return 0xB0; // CTS, DSR, DCD
    default: return m_scr;
    }
}

void Uart16550::io_write(u16 port, u32 value, unsigned)
{
    u8 v = static_cast<u8>(value);
    switch (port - m_base) {
    case RBR_THR_DLL:
        if (dlab()) {
            m_divisor = (m_divisor & 0xFF00) | v;
        } else if (!(m_mcr & 0x10) && m_output) { // not in loopback; no console: dropped
            char c = static_cast<char>(v);
            m_output(m_output_context, &c, 1);
        }
        break;
    case IER_DLM:
        if (dlab())
            m_divisor = static_cast<u16>((m_divisor & 0xFF) | (v << 8));
        else
            m_ier = v & 0x0F;
        break;
    case IIR_FCR: m_fcr = v; break;
    case LCR: m_lcr = v; break;
    case MCR: m_mcr = v & 0x1F; break;
    case SCR: m_scr = v; break;
    default: break; // LSR and MSR are read-only
    }
}

} // namespace keel::devices
