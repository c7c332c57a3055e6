#include "plugins/devices/i8042/i8042.h"
#include "dbt/base/log.h"

// "Tech Ref" below is the IBM PC AT Technical Reference (1984), "Keyboard Controller"
// (status register, command byte, commands, output port) and "Keyboard" (commands to the
// keyboard); OSDev is the wiki's "8042 PS/2 Controller" and "PS/2 Keyboard" pages.
namespace keel::devices {
namespace {
// Status register (Tech Ref, "Status-Register Bit Definition").
constexpr u8 st_output_full = 0x01, st_system = 0x04, st_command = 0x08, st_not_inhibited = 0x10;
// Command byte (Tech Ref, "Command Byte"): bit 0 keyboard interrupt, bit 1 aux interrupt,
// bit 2 system flag, bit 4 keyboard disabled, bit 5 aux disabled, bit 6 translate.
constexpr u8 ccb_kbd_int = 0x01, ccb_system = 0x04, ccb_kbd_disabled = 0x10, ccb_aux_disabled = 0x20;
// Power-on command byte: keyboard interrupts, translation, the (absent) aux port disabled;
// the system flag comes with a self-test (as Bochs, without its aux interrupt bit).
constexpr u8 ccb_power_on = 0x61;
// Output port (Tech Ref, "Output-Port Definition"): bit 0 system reset (active low), bit
// 1 gate A20, bit 4 output buffer full, bit 5 aux buffer full, bits 2-3, 6-7 wired high
// here as QEMU does (0xCF at power-on: A20 enabled).
constexpr u8 op_reset = 0x01, op_a20 = 0x02, op_kbd_full = 0x10, op_aux_full = 0x20, op_power_on = 0xCF;
// Keyboard replies (Tech Ref, "Keyboard Outputs").
constexpr u8 kbd_ack = 0xFA, kbd_bat_ok = 0xAA, kbd_resend = 0xFE, kbd_echo = 0xEE;
constexpr u8 typematic_default = 0x2B; // 10.9 characters/s after 500 ms
} // namespace

I8042::I8042(InterruptLine irq1, System system) : m_irq1(irq1), m_system(system)
{
    m_output_port = op_power_on;
    reset();
}

void I8042::reset()
{
    bool a20 = a20_enabled();
    for (u8& b : m_ram)
        b = 0;
    m_ram[0] = ccb_power_on;
    m_output_port = op_power_on;
    m_out = 0, m_out_full = false, m_out_from_keyboard = false, m_last_was_command = true, m_pending = 0;
    clear_keyboard_queue();
    m_keyboard_pending = 0, m_scanning = true, m_leds = 0, m_typematic = typematic_default, m_scancode_set = 2;
    update();
    if (a20 != a20_enabled() && m_system.a20_changed)
        m_system.a20_changed(m_system.context, a20_enabled());
}

u8 I8042::status() const
{
    // Input buffer full (bit 1) never shows: writes are taken at once. No parity or
    // timeout errors (bits 7, 6), no aux data (bit 5); the keyswitch never inhibits.
    return static_cast<u8>((m_out_full ? st_output_full : 0) | (m_ram[0] & ccb_system ? st_system : 0) |
                           (m_last_was_command ? st_command : 0) | st_not_inhibited);
}

// ---- Output buffer ---------------------------------------------------------------------

void I8042::keyboard_send(u8 byte)
{
    if (m_queue_count == queue_size) {
        KEEL_LOG(GuestErrors, "i8042: keyboard queue full, byte 0x%02x dropped\n", byte);
        return;
    }
    m_queue[(m_queue_head + m_queue_count++) % queue_size] = byte;
    update();
}

void I8042::controller_reply(u8 byte)
{
    // A keyboard byte the guest has not read yet goes back to the head of the queue (the
    // newest queued byte is lost if it is full), so a reply is always the next byte read.
    if (m_out_full && m_out_from_keyboard) {
        if (m_queue_count == queue_size)
            --m_queue_count;
        m_queue_head = (m_queue_head + queue_size - 1) % queue_size;
        m_queue[m_queue_head] = m_out;
        ++m_queue_count;
    }
    m_out = byte, m_out_full = true, m_out_from_keyboard = false;
    update();
}

void I8042::update()
{
    // Keyboard bytes move into an empty output buffer unless the interface is disabled
    // (command byte bit 4; Tech Ref, "Command Byte").
    if (!m_out_full && m_queue_count && !(m_ram[0] & ccb_kbd_disabled)) {
        m_out = m_queue[m_queue_head];
        m_queue_head = (m_queue_head + 1) % queue_size;
        --m_queue_count;
        m_out_full = true, m_out_from_keyboard = true;
    }
    drive_irq();
}

void I8042::drive_irq()
{
    bool level = m_out_full && (m_ram[0] & ccb_kbd_int);
    if (level != m_irq_level) {
        m_irq_level = level;
        m_irq1.set(level);
    }
}

void I8042::key_scancode(u8 byte)
{
    if (m_scanning)
        keyboard_send(byte);
}

// ---- Ports -----------------------------------------------------------------------------

u32 I8042::io_read(u16 port, unsigned size)
{
    u32 high = size >= 4 ? 0xFFFFFF00u : ((1u << (8 * size)) - 1) & ~0xFFu; // 8-bit device
    if (port == command_port)
        return high | status();
    if (port != data_port)
        return high | 0xFF;
    // Reading the output buffer empties it (a stale byte reads again when already empty).
    // IRQ1 falls before the next byte moves in, so the PIC sees a new rising edge.
    u8 v = m_out;
    m_out_full = false;
    drive_irq();
    update();
    return high | v;
}

void I8042::io_write(u16 port, u32 value, unsigned)
{
    if (port == command_port)
        write_command(static_cast<u8>(value));
    else if (port == data_port)
        write_data(static_cast<u8>(value));
}

void I8042::write_command(u8 command)
{
    m_last_was_command = true;
    m_pending = 0;
    // Tech Ref, "Commands (I/O Address Hex 64)"; 0xA7-0xA9, 0xD2-0xD4, 0xDD/0xDF per OSDev.
    if (command >= 0x20 && command <= 0x3F) {
        controller_reply(m_ram[command & 0x1F]); // read RAM; 0x20 is the command byte
        return;
    }
    if ((command >= 0x60 && command <= 0x7F) || (command >= 0xD1 && command <= 0xD4)) {
        m_pending = command; // the next byte written to 0x60 is its operand
        return;
    }
    if (command >= 0xF0) {
        pulse_output_port(command & 0x0F);
        return;
    }
    switch (command) {
    case 0xA7: m_ram[0] |= ccb_aux_disabled; break;
    case 0xA8: m_ram[0] &= ~ccb_aux_disabled; break;
    case 0xA9: controller_reply(0x00); break; // aux interface test: no error
    case 0xAA:                                  // self-test: passed, system flag set
        m_ram[0] |= ccb_system;
        controller_reply(0x55);
        break;
    case 0xAB: controller_reply(0x00); break; // keyboard interface test: no error
    case 0xAD: m_ram[0] |= ccb_kbd_disabled; break;
    case 0xAE: m_ram[0] &= ~ccb_kbd_disabled; update(); break;
    case 0xD0: { // read output port: bits 4-5 are the buffer-full (IRQ) lines
        u8 v = static_cast<u8>((m_output_port & ~(op_kbd_full | op_aux_full)) | (m_out_full ? op_kbd_full : 0));
        controller_reply(v);
        break;
    }
    case 0xDD: set_output_port(m_output_port & ~op_a20); break;
    case 0xDF: set_output_port(m_output_port | op_a20); break;
    default: KEEL_LOG(Unimp, "i8042: controller command 0x%02x ignored\n", command); break;
    }
}

void I8042::write_data(u8 value)
{
    m_last_was_command = false;
    u8 command = m_pending;
    m_pending = 0;
    if (command >= 0x60 && command <= 0x7F) {
        m_ram[command & 0x1F] = value; // 0x60: the command byte
        update();                      // interrupt enable or keyboard disable may have changed
        return;
    }
    switch (command) {
    case 0xD1: set_output_port(value); return;
    case 0xD2: controller_reply(value); return; // as if from the keyboard
    case 0xD3:                                  // aux output buffer, aux device: none here
    case 0xD4: KEEL_LOG(Unimp, "i8042: no aux device for byte 0x%02x\n", value); return;
    default: break;
    }
    // Not an operand: a byte for the keyboard.
    keyboard_command(value);
}

void I8042::set_output_port(u8 value)
{
    bool a20 = a20_enabled();
    m_output_port = value;
    if (a20 != a20_enabled() && m_system.a20_changed)
        m_system.a20_changed(m_system.context, a20_enabled());
    // Bit 0 low holds the processor in reset (Tech Ref, "Output-Port Definition").
    if (!(value & op_reset) && m_system.reset_system)
        m_system.reset_system(m_system.context); // last: it may reset this device
}

void I8042::pulse_output_port(u8 low_nibble)
{
    // 0xF0-0xFF: output port bits 0-3 whose bit is 0 in the command are pulsed low for
    // about 6 us. Only the reset line has a lasting effect.
    if (!(low_nibble & op_reset) && m_system.reset_system)
        m_system.reset_system(m_system.context);
}

// ---- The keyboard (Tech Ref, "Keyboard", "Commands from the System") -------------------

void I8042::keyboard_command(u8 command)
{
    u8 pending = m_keyboard_pending;
    m_keyboard_pending = 0;
    switch (pending) {
    case 0xED: m_leds = command & 0x07; keyboard_send(kbd_ack); return; // scroll, num, caps lock
    case 0xF3: m_typematic = command & 0x7F; keyboard_send(kbd_ack); return;
    case 0xF0: // select scancode set; 0 asks for the current one
        if (command > 3) {
            keyboard_send(kbd_resend);
        } else {
            keyboard_send(kbd_ack);
            if (command == 0)
                keyboard_send(m_scancode_set);
            else
                m_scancode_set = command;
        }
        return;
    default: break;
    }
    switch (command) {
    case 0xED:
    case 0xF0:
    case 0xF3:
        m_keyboard_pending = command;
        keyboard_send(kbd_ack);
        break;
    case 0xEE: keyboard_send(kbd_echo); break;
    case 0xF2: // identify: an MF2 keyboard
        keyboard_send(kbd_ack);
        keyboard_send(0xAB);
        keyboard_send(0x83);
        break;
    case 0xF4: // enable: clears the keyboard's buffer, starts scanning
        clear_keyboard_queue();
        m_scanning = true;
        keyboard_send(kbd_ack);
        break;
    case 0xF5: // default disable: defaults, buffer cleared, scanning stopped
    case 0xF6: // set default: the same, scanning continues
        clear_keyboard_queue();
        m_typematic = typematic_default;
        m_scanning = command == 0xF6;
        keyboard_send(kbd_ack);
        break;
    case 0xFF: // reset: ACK, then the basic assurance test's result
        clear_keyboard_queue();
        m_scanning = true, m_leds = 0, m_typematic = typematic_default, m_scancode_set = 2;
        keyboard_send(kbd_ack);
        keyboard_send(kbd_bat_ok);
        break;
    default: // unknown (including 0xFE resend): ask the system to resend
        KEEL_LOG(Unimp, "i8042: keyboard command 0x%02x not supported\n", command);
        keyboard_send(kbd_resend);
        break;
    }
}

void I8042::describe(StringBuilder& out) const
{
    out.append("i8042: status=%02x ccb=%02x outport=%02x out=%02x%s queued=%u a20=%u\n", status(), m_ram[0],
               m_output_port, m_out, m_out_full ? " (full)" : "", m_queue_count, a20_enabled() ? 1u : 0u);
    out.append("keyboard: scanning=%u leds=%u set=%u typematic=%02x\n", m_scanning ? 1u : 0u, m_leds, m_scancode_set,
               m_typematic);
}

// ---- State -----------------------------------------------------------------------------
// Version byte, payload length (u16), then the bytes below; the queue oldest first.

namespace {
constexpr u16 fixed_bytes = 32 + 11;
constexpr u16 state_size = fixed_bytes + I8042::queue_size;
bool valid_pending(u8 c) { return c == 0 || (c >= 0x60 && c <= 0x7F) || (c >= 0xD1 && c <= 0xD4); }
bool valid_keyboard_pending(u8 c) { return c == 0 || c == 0xED || c == 0xF0 || c == 0xF3; }
} // namespace

void I8042::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(state_size);
    out.write_bytes(m_ram, sizeof m_ram);
    u8 flags = static_cast<u8>(m_out_full | m_out_from_keyboard << 1 | m_last_was_command << 2 | m_scanning << 3);
    u8 bytes[fixed_bytes - 32] = { m_output_port, m_out,  flags,        m_pending,
                                   m_keyboard_pending, m_leds, m_typematic, m_scancode_set,
                                   static_cast<u8>(m_queue_count), 0, 0 };
    out.write_bytes(bytes, sizeof bytes);
    for (u32 i = 0; i < queue_size; ++i)
        out.write_u8(i < m_queue_count ? m_queue[(m_queue_head + i) % queue_size] : 0);
}

Result<void> I8042::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("i8042 state: version %u, expected %u", version, state_version);
    u16 size = TRY(in.read_u16());
    if (size != state_size)
        return Error::formatted("i8042 state: %u bytes, expected %u", size, state_size);
    u8 b[state_size];
    TRY(in.read_bytes(b, state_size));
    const u8* r = b + 32;
    u8 flags = r[2];
    if (flags > 0x0F || !valid_pending(r[3]) || !valid_keyboard_pending(r[4]) || r[5] > 7 || r[6] > 0x7F ||
        r[7] < 1 || r[7] > 3 || r[8] > queue_size || r[9] || r[10])
        return Error::formatted("i8042 state: register values out of range");

    bool a20 = a20_enabled();
    for (u32 i = 0; i < 32; ++i)
        m_ram[i] = b[i];
    m_output_port = r[0], m_out = r[1];
    m_out_full = flags & 1, m_out_from_keyboard = flags & 2, m_last_was_command = flags & 4, m_scanning = flags & 8;
    m_pending = r[3], m_keyboard_pending = r[4], m_leds = r[5], m_typematic = r[6], m_scancode_set = r[7];
    m_queue_head = 0, m_queue_count = r[8];
    for (u32 i = 0; i < queue_size; ++i)
        m_queue[i] = r[11 + i];
    update();
    if (a20 != a20_enabled() && m_system.a20_changed)
        m_system.a20_changed(m_system.context, a20_enabled());
    return {};
}

} // namespace keel::devices
