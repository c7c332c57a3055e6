#pragma once
// A 16550 UART (National Semiconductor PC16550D data sheet). For now the transmit path,
// the register file and a line status that always reports the transmitter empty;
// receive and interrupts come with the PC platform (issue 4).
#include "dbt/engine/io_bus.h"

namespace keel::devices {

class Uart16550 final : public PortHandler {
public:
    using Output = void (*)(void* context, const char* bytes, usize length);

    Uart16550(Output output, void* output_context) : m_output(output), m_output_context(output_context) {}

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    static constexpr u16 com1_base = 0x3F8;
    static constexpr u16 port_count = 8;
    void set_base(u16 base) { m_base = base; }

private:
    bool dlab() const { return m_lcr & 0x80; }

    Output m_output;
    void* m_output_context;
    u16 m_base = com1_base;
    u8 m_ier = 0, m_lcr = 0x03, m_mcr = 0, m_scr = 0, m_fcr = 0;
    u16 m_divisor = 12; // 9600 baud
};

} // namespace keel::devices
