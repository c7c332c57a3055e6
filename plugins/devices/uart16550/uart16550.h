#pragma once
// A 16550A UART (National Semiconductor PC16550D data sheet, June 1995): the register file
// with the divisor latch, 16-byte FIFOs, the line and modem status, the four prioritised
// interrupt sources (table IV), loopback, and the PC's OUT2 gate on the IRQ line. The host
// console is the wire: a transmitted byte goes to the Output callback at once, so THRE
// and TEMT are always set; the host terminal's bytes arrive through receive().
// docs/devices/uart16550.md says what is modelled and what is not.
#include "dbt/plugin/device.h"

namespace keel::devices {

class Uart16550 final : public Device, public ConsoleInput {
public:
    using Output = void (*)(void* context, const char* bytes, usize length);

    // The PC's serial ports (and their usual ISA IRQs: COM1/COM3 on 4, COM2/COM4 on 3).
    static constexpr u16 com1_base = 0x3F8, com2_base = 0x2F8, com3_base = 0x3E8, com4_base = 0x2E8;
    static constexpr u32 com1_irq = 4, com2_irq = 3, com3_irq = 4, com4_irq = 3;
    static constexpr u16 port_count = 8;
    static constexpr usize fifo_size = 16;
    static constexpr u8 state_version = 1;

    // Output may be null: transmitted bytes are then dropped.
    Uart16550(Output output, void* output_context) : m_output(output), m_output_context(output_context) { reset(); }

    void set_base(u16 base) { m_base = base; }
    // The INTR output as a PC wires it (through the OUT2 gate); driven at once.
    void set_irq_line(InterruptLine line);

    // Bytes from the host terminal arriving on the serial input (dropped in loopback,
    // where the input is disconnected). More than wants_input() allows overruns.
    void receive(const u8* bytes, usize n) override;
    // A break condition on the serial input: one zero character with BI (data sheet, LSR bit 4).
    void send_break();
    // Whether the receiver has room for another character (and is not in loopback).
    bool wants_input() const override { return !loopback() && m_rx_count < rx_capacity(); }
    // The modem input lines as MSR bits 7-4 (DCD, RI, DSR, CTS); 0xB0 after reset (CTS,
    // DSR, DCD asserted, as a connected terminal). Changes set the MSR delta bits.
    void set_modem_inputs(u8 msr_lines);

    const char* name() const override { return "uart16550"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    bool irq_level() const { return m_irq_level; }

private:
    bool dlab() const { return m_lcr & 0x80; }
    bool loopback() const { return m_mcr & 0x10; }
    bool fifo_enabled() const { return m_fcr & 0x01; }
    usize rx_capacity() const { return fifo_enabled() ? fifo_size : 1; }
    u8 word_mask() const { return static_cast<u8>((1u << (5 + (m_lcr & 3))) - 1); }
    u8 modem_inputs() const; // MSR bits 7-4 as the chip sees them
    u8 interrupt_id() const; // IIR bits 3-0
    u8 read_rbr();
    u8 read_lsr();
    void write_thr(u8 value);
    void write_fcr(u8 value);
    void write_mcr(u8 value);
    void note_modem_change(u8 inputs_before);
    void rx_push(u8 value, bool is_break);
    void clear_rx_fifo();
    bool rx_has_break() const;
    void update_irq();

    Output m_output;
    void* m_output_context;
    u16 m_base = com1_base;
    InterruptLine m_irq;
    bool m_irq_level = false;

    // Guest-visible state (all of it is in save()).
    u8 m_ier = 0, m_lcr = 0, m_mcr = 0, m_scr = 0, m_fcr = 0;
    u16 m_divisor = 0;
    u8 m_rbr = 0;             // the last character read: what RBR reads when empty
    u8 m_lsr_errors = 0;      // OE and BI, cleared by reading LSR
    bool m_fifo_error = false; // LSR bit 7
    bool m_thre_pending = false;
    u8 m_modem_lines = 0;     // the host's modem inputs, MSR bits 7-4
    u8 m_msr_delta = 0;       // MSR bits 3-0
    u8 m_rx[fifo_size] = {};  // ring: m_rx_count characters from m_rx_head
    u16 m_rx_break = 0;       // per ring slot: the character is a break
    u8 m_rx_head = 0, m_rx_count = 0;
};

} // namespace keel::devices
