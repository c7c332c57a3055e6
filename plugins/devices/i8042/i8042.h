#pragma once
// The PC/AT keyboard controller, an 8042 with its keyboard (IBM PC AT Technical Reference,
// "Keyboard Controller" and "Keyboard" sections; the OSDev wiki's "8042 PS/2 Controller"
// and "PS/2 Keyboard" pages for the later commands): data port 0x60, status/command port
// 0x64, the output port's reset and A20 lines, and a keyboard that answers commands and
// sends scancodes the host queues. No auxiliary (mouse) device. docs/devices/i8042.md says
// what is modelled and what is not.
#include "dbt/plugin/device.h"
#include "plugins/devices/system_control.h"

namespace keel::devices {

class I8042 final : public Device {
public:
    static constexpr u16 data_port = 0x60;
    static constexpr u16 command_port = 0x64; // reads: status
    static constexpr u32 queue_size = 16;     // keyboard bytes waiting for the output buffer
    static constexpr u8 state_version = 1;

    // The machine's side of the output port. `reset_system` (may be null) is called when
    // the guest drives the reset line low (0xFE, 0xF0-0xFF pulses, 0xD1 with bit 0 clear);
    // `a20_changed` (may be null) when the output port's A20 bit changes. On a PC the
    // chipset ORs this A20 with port 0x92's (system_control.h).
    using System = SystemControl;

    // `irq1` is driven high while the output buffer holds a byte and the command byte
    // enables keyboard interrupts (a level; the PIC takes its rising edge).
    I8042(InterruptLine irq1, System system);

    const char* name() const override { return "i8042"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    void describe(StringBuilder& out) const override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    // Host keyboard input: one scancode set 1 byte as the guest reads it from port 0x60
    // (make/break and 0xE0 prefixes are the caller's). Dropped while the keyboard is not
    // scanning or its queue is full.
    void key_scancode(u8 byte);

    bool a20_enabled() const { return m_output_port & 0x02; }
    u8 command_byte() const { return m_ram[0]; }
    u8 status() const;
    u8 keyboard_leds() const { return m_leds; }
    bool keyboard_scanning() const { return m_scanning; }
    usize queued() const { return m_queue_count; }

private:
    void write_command(u8 command);
    void write_data(u8 value);
    void keyboard_command(u8 command);
    void set_output_port(u8 value);
    void pulse_output_port(u8 low_nibble);
    // A byte from the controller itself: it goes ahead of any keyboard bytes.
    void controller_reply(u8 byte);
    void keyboard_send(u8 byte);
    void clear_keyboard_queue() { m_queue_head = 0, m_queue_count = 0; }
    // Moves the next keyboard byte into a free output buffer and drives IRQ1.
    void update();
    void drive_irq();

    InterruptLine m_irq1;
    System m_system;
    bool m_irq_level = false;

    // Controller.
    u8 m_ram[32];                // internal RAM; byte 0 is the command byte
    u8 m_output_port;            // bit 0 reset (active low), bit 1 A20
    u8 m_out = 0;                // output buffer
    bool m_out_full = false;     // status bit 0
    bool m_out_from_keyboard = false; // the output buffer's byte came from the keyboard queue
    bool m_last_was_command = true; // status bit 3
    u8 m_pending = 0;            // controller command awaiting its data byte (0: none)

    // Keyboard.
    u8 m_queue[queue_size];
    u32 m_queue_head = 0, m_queue_count = 0;
    u8 m_keyboard_pending = 0;   // keyboard command awaiting its data byte (0: none)
    bool m_scanning = true;
    u8 m_leds = 0;
    u8 m_typematic = 0;
    u8 m_scancode_set = 2;
};

} // namespace keel::devices
