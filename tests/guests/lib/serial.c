/* COM1 output: a 16550 at 0x3F8. Polling LSR bit 5 (THR empty) before each byte is
 * what real hardware needs; keel's UART always reports it set. */
#include "cpu.h"
#include "rt.h"

enum { COM1 = 0x3F8, COM1_LSR = COM1 + 5, LSR_THR_EMPTY = 1 << 5 };

void serial_putc(char c)
{
    while (!(inb(COM1_LSR) & LSR_THR_EMPTY))
        ;
    outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}
