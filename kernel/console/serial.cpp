#include "kernel/console/serial.h"
#include <stdarg.h>
#include "dbt/base/format.h"
#include "kernel/arch/cpu.h"

namespace keel::kernel::serial {
namespace {

// 16550 registers relative to the base port (PC16550D data sheet).
constexpr u16 com1 = 0x3F8;
constexpr u16 data = 0, interrupt_enable = 1, fifo_control = 2, line_control = 3, modem_control = 4, line_status = 5;
constexpr u8 line_status_transmit_empty = 1u << 5;
constexpr u8 line_control_dlab = 0x80, line_control_8n1 = 0x03;

bool g_present = false;

void put(char c)
{
    // Bounded wait: a missing or stuck UART must not hang a panic.
    for (u32 spins = 0; spins < 100000; ++spins) {
        if (cpu::inb(com1 + line_status) & line_status_transmit_empty)
            break;
        cpu::pause();
    }
    cpu::outb(com1 + data, static_cast<u8>(c));
}

} // namespace

void initialize()
{
    cpu::outb(com1 + interrupt_enable, 0x00);
    cpu::outb(com1 + line_control, line_control_dlab);
    cpu::outb(com1 + data, 0x01); // divisor 1: 115200 baud
    cpu::outb(com1 + interrupt_enable, 0x00);
    cpu::outb(com1 + line_control, line_control_8n1);
    cpu::outb(com1 + fifo_control, 0xC7); // enable and clear the FIFOs, 14-byte threshold
    cpu::outb(com1 + modem_control, 0x03); // DTR, RTS
    g_present = cpu::inb(com1 + line_status) != 0xFF;
}

bool read_byte(u8& byte)
{
    if (!g_present || !(cpu::inb(com1 + line_status) & 0x01)) // LSR bit 0: data ready
        return false;
    byte = cpu::inb(com1 + data);
    return true;
}

void write(const char* text, usize length)
{
    if (!g_present)
        return;
    for (usize i = 0; i < length; ++i) {
        // Terminals expect CRLF; guests and keel write LF.
        if (text[i] == '\n')
            put('\r');
        put(text[i]);
    }
}

void write(const char* text) { write(text, __builtin_strlen(text)); }

void print(const char* format, ...)
{
    char buffer[1024];
    va_list args;
    va_start(args, format);
    usize length = vformat(buffer, sizeof(buffer), format, args);
    va_end(args);
    write(buffer, length < sizeof(buffer) ? length : sizeof(buffer) - 1);
}

} // namespace keel::kernel::serial
